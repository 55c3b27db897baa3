// The console's id tags page (#/idtags): the list, paged and by status, and
// a form to add or edit one, with its parent and expiry. The form refuses
// what OCPP refuses (an IdToken is a CiString20Type: 1 to 20 printable ASCII
// characters), with a message naming the field: it never cuts what was
// typed or pasted (an input's maxlength would, silently), and the API
// checks again. Loaded after console.js; uses its window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { api, element } = ui;

  const STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"];
  const MAX_LENGTH = 20;
  const PAGE = 50;
  const state = { offset: 0, status: "", page: null, shown: null };

  // -- checks ------------------------------------------------------------------

  // Why an id tag field's text is refused, or null. OCPP 1.6 section 2.2:
  // CiString20Type, printable ASCII.
  function idTokenProblem(label, text, required) {
    if (!text) return required ? `${label} is required.` : null;
    if (text.length > MAX_LENGTH) {
      return `${label} has ${text.length} characters: OCPP allows at most ${MAX_LENGTH} (CiString20Type). Nothing was cut; shorten it.`;
    }
    if (!/^[\x20-\x7e]+$/.test(text)) return `${label} may hold printable ASCII characters only (OCPP CiString).`;
    // Not trimmed behind the operator's back (a charge point compares id
    // tags whole): a space at either end is almost always pasted along.
    if (text !== text.trim()) return `${label} "${text}" starts or ends with a space: remove it (nothing is trimmed; the API takes such a tag as it is).`;
    return null;
  }

  // An expiry text as an RFC 3339 instant: "2026-12-31T23:59", with
  // seconds, and "Z" or an offset (without one: this browser's local time);
  // a space may stand for the "T". Null when it is no real date and time.
  function parseExpiry(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(text);
    if (!match) return null;
    const [, year, month, day, hour, minute, second = "00", fraction = "", zone] = match;
    const numbers = [year, month, day, hour, minute, second].map(Number);
    if (numbers[1] < 1 || numbers[1] > 12 || numbers[2] < 1 || numbers[3] > 23 || numbers[4] > 59 || numbers[5] > 59) return null;
    // The day must exist in its month (Date would roll 02-30 over to March).
    const lastDay = new Date(Date.UTC(numbers[0], numbers[1], 0)).getUTCDate();
    if (numbers[2] > lastDay) return null;
    const local = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}`;
    const moment = new Date(zone ? local + zone.toUpperCase() : local);
    return Number.isNaN(moment.getTime()) ? null : moment;
  }

  function localText(iso) {
    // An instant as "YYYY-MM-DDTHH:MM:SS" in this browser's time, for the
    // form (to the second, so that saving it again keeps it).
    const moment = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
  }

  // -- the page ----------------------------------------------------------------

  function message(text, bad) {
    const box = document.getElementById("idtag-message");
    if (!box) return;
    box.textContent = text || "";
    box.className = bad ? "message bad" : "message";
    box.hidden = !text;
  }

  function fieldProblem(form, name, text) {
    const field = form.elements[name];
    field.setCustomValidity(text || "");
    field.classList.toggle("invalid", Boolean(text));
    const note = form.querySelector(`.field-problem[data-for="${name}"]`);
    note.textContent = text || "";
    note.hidden = !text;
  }

  // Every field's problem, shown next to it; the body to send, or null.
  function check(form) {
    const idTag = form.elements.idTag.value;
    const parent = form.elements.parentIdTag.value;
    const expiry = form.elements.expiryDate.value.trim();
    const problems = {
      idTag: idTokenProblem("Id tag", idTag, true),
      parentIdTag: idTokenProblem("Parent id tag", parent, false),
      expiryDate: null,
      status: STATUSES.includes(form.elements.status.value) ? null : `Status must be one of ${STATUSES.join(", ")}.`,
    };
    if (!problems.parentIdTag && parent && parent.toLowerCase() === idTag.toLowerCase()) {
      problems.parentIdTag = "Parent id tag cannot be the id tag itself.";
    }
    let moment = null;
    if (expiry) {
      moment = parseExpiry(expiry);
      if (!moment) problems.expiryDate = `Expiry "${expiry}" is not a date and time: write it as 2026-12-31T23:59 (local time) or 2026-12-31T23:59:00Z.`;
    }
    for (const [name, text] of Object.entries(problems)) fieldProblem(form, name, text);
    const first = Object.values(problems).find(Boolean);
    if (first) return { problem: first };
    const body = { status: form.elements.status.value };
    if (moment) body.expiryDate = moment.toISOString();
    if (parent) body.parentIdTag = parent;
    return { idTag, body };
  }

  function field(label, name, input) {
    return element("label", {},
      label, input,
      element("span", { class: "field-problem", "data-for": name, hidden: true }));
  }

  function buildForm() {
    const form = element("form", { id: "idtag-form", class: "op idtag-form", novalidate: true },
      element("h3", { id: "idtag-form-title" }, "Add an id tag"),
      element("div", { class: "row" },
        field("Id tag", "idTag", element("input", { name: "idTag", required: true, autocomplete: "off", spellcheck: "false", placeholder: "1 to 20 characters" })),
        field("Status", "status", element("select", { name: "status" }, ...STATUSES.map((s) => element("option", {}, s)))),
        field("Expiry", "expiryDate", element("input", { name: "expiryDate", autocomplete: "off", placeholder: "never (or 2026-12-31T23:59)" })),
        field("Parent id tag", "parentIdTag", element("input", { name: "parentIdTag", autocomplete: "off", spellcheck: "false", placeholder: "none" }))),
      element("div", { class: "buttons" },
        element("button", { type: "submit", id: "idtag-save" }, "Save"),
        element("button", { type: "button", id: "idtag-new", class: "quiet", onclick: () => edit(null) }, "New")));
    // Told while typing, not only on saving.
    form.addEventListener("input", () => { if (form.dataset.checked) check(form); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.dataset.checked = "yes";
      const checked = check(form);
      if (checked.problem) { message(checked.problem, true); return; }
      try {
        const saved = await api("PUT", `idtags/${encodeURIComponent(checked.idTag)}`, checked.body);
        message(`${saved.idTag} saved (${saved.status}).`);
        edit(null);
        load();
      } catch (error) {
        message(error.message, true);
      }
    });
    return form;
  }

  function edit(tag) {
    const form = document.getElementById("idtag-form");
    if (!form) return;
    form.reset();
    delete form.dataset.checked;
    for (const name of ["idTag", "status", "expiryDate", "parentIdTag"]) fieldProblem(form, name, null);
    form.elements.idTag.readOnly = Boolean(tag);
    document.getElementById("idtag-form-title").textContent = tag ? `Edit ${tag.idTag}` : "Add an id tag";
    if (!tag) return;
    form.elements.idTag.value = tag.idTag;
    form.elements.status.value = tag.status;
    form.elements.expiryDate.value = tag.expiryDate ? localText(tag.expiryDate) : "";
    form.elements.parentIdTag.value = tag.parentIdTag || "";
    form.elements.status.focus();
  }

  async function remove(tag) {
    if (!confirm(`Delete id tag ${tag.idTag}? Charge points asking for it are then answered Invalid.`)) return;
    try {
      await api("DELETE", `idtags/${encodeURIComponent(tag.idTag)}`);
      message(`${tag.idTag} deleted.`);
      load();
    } catch (error) { message(error.message, true); }
  }

  function row(tag) {
    const expired = tag.expiryDate && new Date(tag.expiryDate) < new Date();
    return element("tr", { "data-idtag": tag.idTag },
      element("td", {}, element("strong", { text: tag.idTag })),
      element("td", {}, element("span", { class: `pill status-${tag.status === "Accepted" ? "Available" : "Faulted"}` }, tag.status)),
      element("td", { class: expired ? "expired" : null, text: tag.expiryDate ? ui.formatTime(tag.expiryDate) + (expired ? " (past)" : "") : "never" }),
      element("td", { text: tag.parentIdTag || "—" }),
      element("td", { class: "buttons" },
        element("button", { type: "button", class: "small quiet edit", onclick: () => edit(tag) }, "Edit"),
        element("button", { type: "button", class: "small danger delete", onclick: () => remove(tag) }, "Delete")));
  }

  function render() {
    const page = state.page;
    const body = document.querySelector("#idtags tbody");
    if (!body || !page) return;
    body.replaceChildren(...page.items.map(row));
    document.getElementById("idtag-count").textContent = `${page.total}`;
    document.getElementById("idtags-empty").hidden = page.items.length > 0;
    const last = Math.min(page.offset + page.items.length, page.total);
    document.getElementById("idtags-range").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "";
    document.getElementById("idtags-previous").disabled = page.offset === 0;
    document.getElementById("idtags-next").disabled = page.offset + page.items.length >= page.total;
  }

  async function load() {
    const query = new URLSearchParams({ limit: PAGE, offset: state.offset });
    if (state.status) query.set("status", state.status);
    try {
      state.page = await api("GET", `idtags?${query}`);
      if (state.page.items.length === 0 && state.offset > 0) {
        state.offset = Math.max(0, state.offset - PAGE);
        return load();
      }
      render();
    } catch (error) { message(error.message, true); }
  }

  ui.view("idtags", {
    title: "Id tags",
    nav: true,
    render(main) {
      const section = element("section", { id: "idtags-section", class: "card wide" },
        element("div", { class: "card-head" },
          element("h2", {}, "Id tags"), element("span", { id: "idtag-count", class: "muted" }),
          element("label", { class: "inline-filter" }, "Status ",
            element("select", {
              id: "idtags-status",
              onchange: (event) => { state.status = event.target.value; state.offset = 0; load(); },
            }, element("option", { value: "" }, "any"), ...STATUSES.map((s) => element("option", { selected: s === state.status }, s))))),
        buildForm(),
        element("p", { id: "idtag-message", class: "message", hidden: true }),
        element("table", { id: "idtags", class: "list" },
          element("thead", {}, element("tr", {}, ...["Id tag", "Status", "Expires", "Parent", ""].map((h) => element("th", {}, h)))),
          element("tbody")),
        element("p", { id: "idtags-empty", class: "empty", hidden: true }, "No id tag."),
        element("div", { class: "pager" },
          element("button", { type: "button", id: "idtags-previous", class: "quiet", onclick: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } }, "← Previous"),
          element("span", { id: "idtags-range", class: "muted" }),
          element("button", { type: "button", id: "idtags-next", class: "quiet", onclick: () => { state.offset += PAGE; load(); } }, "Next →")));
      main.append(section);
      state.shown = true;
      load();
    },
    leave() { state.shown = false; },
  });

  // Another operator's change (or the API's) shows at once.
  ui.onEvent((kind) => { if (kind === "idTagChanged" && state.shown) load(); });

  ui.idTags = { parseExpiry, idTokenProblem };
})();
