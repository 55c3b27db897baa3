// The console's generated forms: a form for an OCPP request built from its
// JSON schema (GET /api/v1/actions/{action}/schema): enums as selects,
// required fields marked, integers and numbers as number inputs with the
// schema's bounds, strings checked against their maxLength, date-times as
// datetime-local, objects as fieldsets, arrays with add and remove. Each
// field is named by its path in the payload ("csChargingProfiles.stackLevel",
// "chargingSchedulePeriod.0.limit"). Loaded after console.js; adds
// openocppConsole.schemaForm and openocppConsole.actionSchema.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { element, api } = ui;
  const schemas = new Map();

  // A field the operator must fill, or fix, before the request is sent.
  class FormProblem extends Error {}

  function actionSchema(action) {
    if (!schemas.has(action)) {
      const loading = api("GET", `actions/${encodeURIComponent(action)}/schema`);
      loading.catch(() => schemas.delete(action));
      schemas.set(action, loading);
    }
    return schemas.get(action);
  }

  function labelOf(name, required, schema) {
    return element("span", { class: "field-name", title: schema.description || null },
      name, required ? element("abbr", { class: "req", title: "required" }, " *") : null);
  }

  function isoOf(text) {
    // datetime-local holds local time without a zone; OCPP wants UTC.
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) throw new FormProblem(`${text} is not a date and time`);
    return moment.toISOString();
  }

  // One field of the form: {node, value()}; value() is undefined when the
  // operator left it empty (the object around it checks whether it may
  // be), and throws a FormProblem when it cannot be sent.
  function build(schema, path, name, required, enforced) {
    const type = Array.isArray(schema.type) ? schema.type.find((each) => each !== "null") : schema.type;
    if (type === "object" && schema.properties) return buildObject(schema, path, name, required, enforced);
    if (type === "array") return buildArray(schema, path, name, required, enforced);
    return buildLeaf(schema, type, path, name, required, enforced);
  }

  function buildLeaf(schema, type, path, name, required, enforced) {
    // enforced: required, and so are all the objects around it: the
    // browser itself refuses the form without it.
    let input;
    if (schema.enum) {
      input = element("select", { name: path, required: enforced },
        element("option", { value: "" }, required ? "choose…" : "—"),
        ...schema.enum.map((value) => element("option", { value }, value)));
    } else if (type === "boolean") {
      input = element("select", { name: path, required: enforced },
        element("option", { value: "" }, required ? "choose…" : "—"),
        element("option", { value: "true" }, "true"), element("option", { value: "false" }, "false"));
    } else if (type === "integer" || type === "number") {
      input = element("input", {
        name: path, type: "number", required: enforced, step: type === "integer" ? "1" : "any",
        min: schema.minimum ?? null, max: schema.maximum ?? null, autocomplete: "off",
      });
    } else if (type === "string" && schema.format === "date-time") {
      input = element("input", { name: path, type: "datetime-local", step: "1", required: enforced });
    } else if (type === "string") {
      // No maxlength attribute: the browser would cut what is typed or
      // pasted beyond it, silently; value() refuses it instead, naming the
      // field and its limit (the placeholder tells it beforehand).
      const long = !schema.maxLength || schema.maxLength > 500;
      input = element(long ? "textarea" : "input", {
        name: path, required: enforced, autocomplete: "off",
        placeholder: schema.maxLength ? `at most ${schema.maxLength} characters` : null,
        rows: long ? "3" : null, spellcheck: "false",
      });
    } else {
      input = element("textarea", { name: path, rows: "3", spellcheck: "false", placeholder: "JSON", required: enforced });
    }
    input.dataset.type = type || "json";
    const node = element("label", { class: "field", "data-path": path }, labelOf(name, required, schema), input);
    const value = () => {
      const text = input.value.trim();
      if (input.value === "") return undefined;
      if (schema.enum || type === "string" && schema.format !== "date-time") {
        const typed = input.value;
        // A text field's value goes as typed: spaces at its ends (pasted
        // along, most often) are refused, not trimmed behind the
        // operator's back (an id tag is compared whole).
        if (input.tagName !== "TEXTAREA" && typed !== text) {
          throw new FormProblem(text === ""
            ? `${path} holds only spaces: empty it, or type the value`
            : `${path} "${typed}" starts or ends with a space: remove it (nothing is trimmed)`);
        }
        if (schema.maxLength && typed.length > schema.maxLength) {
          throw new FormProblem(`${path} has ${typed.length} characters: OCPP allows at most ${schema.maxLength}. Nothing was cut; shorten it.`);
        }
        return typed;
      }
      if (text === "") return undefined;
      if (type === "string") return isoOf(text);
      if (type === "boolean") return text === "true";
      if (type === "integer" || type === "number") {
        const number = Number(text);
        if (!Number.isFinite(number) || (type === "integer" && !Number.isSafeInteger(number))) {
          throw new FormProblem(`${path} is not ${type === "integer" ? "an integer" : "a number"}`);
        }
        return number;
      }
      try { return JSON.parse(text); } catch (error) { throw new FormProblem(`${path} is not JSON: ${error.message}`); }
    };
    return { node, value, input };
  }

  function buildObject(schema, path, name, required, enforced) {
    const wanted = new Set(schema.required || []);
    const fields = Object.entries(schema.properties).map(([key, child]) => [
      key, build(child, path ? `${path}.${key}` : key, key, wanted.has(key), enforced && wanted.has(key)),
    ]);
    const body = fields.map(([, field]) => field.node);
    let node;
    if (path === "") node = element("div", { class: "fields" }, ...body);
    else if (required) node = element("fieldset", { "data-path": path }, element("legend", {}, labelOf(name, true, schema)), ...body);
    else {
      // An optional object, folded: sent only when one of its fields is filled.
      node = element("details", { class: "optional", "data-path": path },
        element("summary", {}, labelOf(name, false, schema), element("span", { class: "muted" }, " (optional)")),
        element("fieldset", {}, ...body));
    }
    const value = () => {
      const out = {};
      for (const [key, field] of fields) {
        const each = field.value();
        if (each !== undefined) out[key] = each;
      }
      // Empty: left out, and its parent says whether it may be. The form
      // itself (path "") always checks what it requires.
      if (!Object.keys(out).length && path !== "") return undefined;
      for (const key of wanted) {
        if (!(key in out)) throw new FormProblem(`${path ? path + "." : ""}${key} is required`);
      }
      return out;
    };
    return { node, value };
  }

  function buildArray(schema, path, name, required, enforced) {
    const items = [];
    const list = element("ol", { class: "items" });
    const least = schema.minItems || (required ? 1 : 0);
    const renumber = () => items.forEach((item, index) => { item.row.dataset.index = index; });
    const add = () => {
      const index = items.length;
      // Items are named by their position when added; removing one keeps
      // the others' names (a path names a field, not a position).
      const field = build(schema.items || {}, `${path}.${index}`, `#${index + 1}`, true, false);
      const item = { field };
      item.row = element("li", { class: "item" }, field.node, element("button", {
        type: "button", class: "quiet small remove-item", title: "Remove this item",
        onclick: () => {
          if (items.length <= least) return;
          items.splice(items.indexOf(item), 1);
          item.row.remove();
          renumber();
        },
      }, "×"));
      items.push(item);
      list.append(item.row);
      renumber();
    };
    for (let count = 0; count < least; count += 1) add();
    const node = element("fieldset", { class: "array", "data-path": path },
      element("legend", {}, labelOf(name, required, schema)),
      list,
      element("button", { type: "button", class: "quiet small add-item", onclick: add }, `Add ${name}`));
    const value = () => {
      const out = [];
      for (const item of items) {
        const each = item.field.value();
        if (each !== undefined) out.push(each);
      }
      if (!out.length) return undefined;
      if (schema.minItems && out.length < schema.minItems) throw new FormProblem(`${path} needs at least ${schema.minItems} items`);
      return out;
    };
    return { node, value };
  }

  // A form for the request of `action` described by `schema`; submit(payload)
  // is called with the payload (the form shows what it returns or throws).
  function schemaForm(action, schema, submit) {
    const root = buildObject(schema, "", action, true, true);
    const answer = element("output", { class: "form-answer message", hidden: true });
    const button = element("button", { type: "submit" }, `Send ${action}`);
    const form = element("form", { class: "schema-form", "data-action": action, novalidate: null },
      root.node, element("div", { class: "buttons" }, button, answer));
    const show = (text, bad) => {
      answer.hidden = false;
      answer.textContent = text;
      answer.className = `form-answer message${bad ? " bad" : ""}`;
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let payload;
      try {
        payload = root.value() || {};
      } catch (error) {
        if (!(error instanceof FormProblem)) throw error;
        show(error.message, true);
        return;
      }
      answer.hidden = true;
      try {
        const result = await submit(payload);
        if (result === null) { show("not sent", true); return; }
        const status = result && typeof result === "object" && "status" in result ? result.status : "answered";
        show(status, status === "Rejected" || status === "NotSupported" || status === "Failed");
        form.dataset.answered = status;
      } catch (error) {
        show(error.message, true);
      }
    });
    form.payload = () => root.value() || {};
    return form;
  }

  ui.schemaForm = schemaForm;
  ui.actionSchema = actionSchema;
  ui.FormProblem = FormProblem;
})();
