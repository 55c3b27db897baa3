// The console's charge point page (#/chargepoints/<identity>): its
// connectors (live, or greyed with their last known status when it is
// offline), its configuration as an editable table (GetConfiguration,
// ChangeConfiguration), its status history and security events (paged, from
// GET /api/v1/events), and a form for every operation a central system
// sends, generated from the request's schema (forms.js). Loaded after
// console.js and forms.js; uses window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { api, element, send, formatTime } = ui;
  const $ = (selector) => document.querySelector(selector);
  const PAGE = 10;
  // ChangeConfiguration.req value: CiString500Type (OCPP 1.6 section 6.9).
  const CONFIGURATION_VALUE_MAX = 500;

  let shown = null;      // the identity the page shows
  let connected = false; // whether it is connected now

  // -- connectors --------------------------------------------------------------

  function renderConnectors(cp) {
    const box = $("#cp-connectors");
    const cards = cp.connectors.map((connector) => {
      const problem = [connector.errorCode !== "NoError" ? connector.errorCode : null, connector.info,
        connector.vendorErrorCode].filter(Boolean).join(" · ");
      return element("div", {
        class: cp.connected ? `connector-card status-${connector.status}` : "connector-card offline",
        "data-connector": connector.connectorId, "data-status": connector.status,
      },
      element("strong", {}, connector.connectorId === 0 ? "Charge point (0)" : `Connector ${connector.connectorId}`),
      cp.connected
        ? element("span", { class: "state" }, connector.status)
        : element("span", { class: "state" }, `last known: ${connector.status} at ${formatTime(connector.timestamp)}`),
      problem ? element("span", { class: "muted" }, problem) : null,
      cp.connected ? element("span", { class: "muted" }, `since ${formatTime(connector.timestamp)}`) : null);
    });
    box.replaceChildren(...cards);
    if (!cards.length) box.append(element("p", { class: "empty" }, "No StatusNotification received yet."));
    $("#cp-offline").hidden = cp.connected;
    $("#cp-offline").textContent = `Offline: last seen ${formatTime(cp.lastSeen)}. The statuses below are the last it reported, not live.`;
  }

  // -- configuration -----------------------------------------------------------

  async function readConfiguration() {
    const identity = shown;
    const answer = await send(identity, "GetConfiguration", {});
    if (!answer || shown !== identity) return;
    const rows = (answer.configurationKey || []).map((item) => configurationRow(identity, item));
    $("#cp-config tbody").replaceChildren(...rows);
    $("#cp-config-empty").hidden = rows.length > 0;
    $("#cp-config-empty").textContent = "The charge point reported no key.";
    const unknown = answer.unknownKey || [];
    $("#cp-config-unknown").hidden = !unknown.length;
    $("#cp-config-unknown").textContent = unknown.length ? `Unknown keys: ${unknown.join(", ")}` : "";
  }

  function configurationRow(identity, item) {
    const outcome = element("td", { class: "config-answer" });
    const value = item.readonly
      ? element("span", { class: "value" }, item.value ?? "")
      : element("input", { name: "value", value: item.value ?? "", autocomplete: "off", placeholder: "at most 500 characters" });
    const save = async () => {
      // ChangeConfiguration.req's value is a CiString500Type: refused here,
      // not cut (an input's maxlength would cut a paste silently).
      if (value.value.length > CONFIGURATION_VALUE_MAX) {
        outcome.textContent = `${value.value.length} characters: OCPP allows at most ${CONFIGURATION_VALUE_MAX}; not sent`;
        outcome.className = "config-answer status-Faulted";
        row.dataset.answer = "refused";
        return;
      }
      outcome.textContent = "…";
      const answer = await send(identity, "ChangeConfiguration", { key: item.key, value: value.value });
      outcome.textContent = answer ? answer.status : "not sent";
      row.dataset.answer = answer ? answer.status : "";
      outcome.className = `config-answer status-${answer && answer.status === "Accepted" ? "Available" : "Faulted"}`;
    };
    if (!item.readonly) value.addEventListener("keydown", (event) => { if (event.key === "Enter") save(); });
    const row = element("tr", { "data-key": item.key, class: item.readonly ? "readonly" : null },
      element("td", {}, element("code", {}, item.key)),
      element("td", {}, value),
      element("td", { class: "muted" }, item.readonly ? "read-only" : ""),
      element("td", {}, item.readonly ? null : element("button", {
        type: "button", class: "small save", disabled: !connected, onclick: save,
      }, "Save")),
      outcome);
    return row;
  }

  // -- status history and security events ------------------------------------------

  // A paged list of one kind of event of the charge point shown.
  function pagedEvents(kind, id, columns, row) {
    let offset = 0;
    const load = async () => {
      const identity = shown;
      let page;
      try {
        page = await api("GET", `events?kind=${kind}&chargepoint=${encodeURIComponent(identity)}&limit=${PAGE}&offset=${offset}`);
      } catch (error) {
        if (error.status !== 401) console.warn("openocpp console:", error);
        return;
      }
      if (shown !== identity) return;
      $(`#${id} tbody`).replaceChildren(...page.items.map(row));
      $(`#${id}-empty`).hidden = page.items.length > 0;
      const last = Math.min(offset + page.items.length, page.total);
      $(`#${id}-page`).textContent = page.total ? `${offset + 1}–${last} of ${page.total}` : "";
      $(`#${id}-prev`).disabled = offset === 0;
      $(`#${id}-next`).disabled = last >= page.total;
    };
    const setup = () => {
      $(`#${id}-prev`).addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
      $(`#${id}-next`).addEventListener("click", () => { offset += PAGE; load(); });
      $(`#${id} thead`).replaceChildren(element("tr", {}, ...columns.map((name) => element("th", {}, name))));
    };
    return { load, setup, reset() { offset = 0; } };
  }

  const history = pagedEvents("status", "cp-history", ["Received", "Connector", "Status", "Error", "Info"], (item) =>
    element("tr", { "data-event": item.id },
      element("td", { text: formatTime(item.timestamp || item.receivedAt) }),
      element("td", { text: item.connectorId }),
      element("td", {}, element("span", { class: `pill status-${item.status}` }, item.status)),
      element("td", { text: item.errorCode === "NoError" ? "" : item.errorCode }),
      element("td", { text: [item.info, item.vendorErrorCode].filter(Boolean).join(" · ") })));

  const security = pagedEvents("security", "cp-security", ["Time", "Type", "Origin", "Tech info"], (item) =>
    element("tr", { "data-event": item.id },
      element("td", { text: formatTime(item.timestamp || item.receivedAt) }),
      element("td", {}, element("strong", {}, item.type)),
      element("td", { text: item.origin === "CentralSystem" ? `central system${item.peer ? " (" + item.peer + ")" : ""}` : "charge point" }),
      element("td", { text: item.techInfo || "" })));

  // -- operations -------------------------------------------------------------------

  let actionList = null;

  // Operations a panel of this page also sends, keeping what the central
  // system records of them; their generated form sends the bare request.
  const PANELS = {
    ReserveNow: ["#reserve-form", "Reserve: the central system keeps the reservation and its id"],
    CancelReservation: ["#reservations", "Reservations: the central system marks the reservation cancelled"],
    SendLocalList: ["#locallist", "Local list: built from the id tags, its version and changes tracked"],
    GetDiagnostics: ["#op-diagnostics", "Get diagnostics: with this central system's upload location"],
    UpdateFirmware: ["#firmware-form", "Update firmware"],
  };

  function panelHint(action) {
    const panel = PANELS[action];
    if (!panel) return null;
    return element("p", { class: "muted hint" }, "Sent as it is here; see also ",
      element("a", { href: "#", onclick: (event) => {
        event.preventDefault();
        const target = $(panel[0]);
        if (target) target.scrollIntoView({ block: "center" });
      } }, panel[1]), ".");
  }

  async function renderOperations() {
    const box = $("#cp-operations");
    if (!actionList) {
      try {
        actionList = await api("GET", "actions");
      } catch (error) {
        if (error.status !== 401) console.warn("openocpp console:", error);
        return;
      }
    }
    if (box.children.length) return;
    box.replaceChildren(...actionList.map((item) => {
      const details = element("details", { class: "op-gen", "data-action": item.action },
        element("summary", {}, item.action, element("span", { class: "muted" }, ` ${item.profile}`)));
      details.addEventListener("toggle", async () => {
        if (!details.open || details.querySelector("form, .message")) return;
        let schema;
        try {
          schema = await ui.actionSchema(item.action);
        } catch (error) {
          details.append(element("p", { class: "message bad" }, error.message));
          return;
        }
        const form = ui.schemaForm(item.action, schema, (payload) => send(shown, item.action, payload));
        form.querySelector("button[type=submit]").disabled = !connected;
        // A transaction id field offers the charge point's active ones.
        for (const input of form.querySelectorAll('input[name="transactionId"], input[name$=".transactionId"]')) {
          input.setAttribute("list", "cp-transactions");
        }
        const hint = panelHint(item.action);
        if (hint) details.append(hint);
        details.append(form);
      });
      return details;
    }));
  }

  async function loadTransactions() {
    const identity = shown;
    let page;
    try {
      page = await api("GET", `transactions?active=true&chargepoint=${encodeURIComponent(identity)}&limit=100`);
    } catch (error) {
      return;
    }
    if (shown !== identity) return;
    $("#cp-transactions").replaceChildren(...page.items.map((tx) => element("option", { value: tx.transactionId },
      `connector ${tx.connectorId} · ${tx.idTag} · since ${formatTime(tx.startTimestamp)}`)));
  }

  // -- wiring ----------------------------------------------------------------------

  ui.onSetup(() => {
    history.setup();
    security.setup();
    $("#cp-config-read").addEventListener("click", readConfiguration);
  });

  ui.onDetail((cp) => {
    connected = cp.connected;
    renderConnectors(cp);
    for (const button of document.querySelectorAll("#cp-operations button[type=submit], #cp-config button.save, #cp-config-read")) {
      button.disabled = !connected;
    }
    if (shown !== cp.identity) {
      shown = cp.identity;
      $("#cp-config tbody").replaceChildren();
      $("#cp-config-empty").hidden = false;
      $("#cp-config-empty").textContent = "Read it from the charge point (GetConfiguration).";
      $("#cp-config-unknown").hidden = true;
      for (const form of document.querySelectorAll("#cp-operations .form-answer")) form.hidden = true;
      history.reset();
      security.reset();
      history.load();
      security.load();
      loadTransactions();
      renderOperations();
    }
  });

  ui.onEvent((kind, data) => {
    if (!shown || data.chargePoint !== shown) return;
    if (kind === "status") history.load();
    if (kind === "securityEvent") security.load();
    if (kind === "transactionStarted" || kind === "transactionStopped") loadTransactions();
  });
})();
