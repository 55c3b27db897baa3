// The openocpp console: charge points with live connector status, active
// transactions, the common OCPP operations and id tags, over the JSON API
// of the same site and its live event stream. No build step, no framework.
"use strict";

(() => {
  const API = "api/v1";
  const TOKEN_KEY = "openocpp.apiToken";
  const state = {
    chargePoints: [],
    transactions: [],
    selected: null,
    token: sessionStorage.getItem(TOKEN_KEY),
    lastEventId: null,
    loaded: false, // whether the charge points were read once
    stream: null,
  };

  const $ = (selector, root = document) => root.querySelector(selector);

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function formatTime(text) {
    if (!text) return "—";
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) return text;
    const today = new Date().toDateString() === moment.toDateString();
    return today ? moment.toLocaleTimeString() : moment.toLocaleString();
  }

  function formatEnergy(wh) {
    if (wh === null || wh === undefined) return "—";
    return (wh / 1000).toFixed(2) + " kWh";
  }

  // -- the API ---------------------------------------------------------------

  class ApiFailure extends Error {
    constructor(status, body) {
      super((body && body.description) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  function headers(extra = {}) {
    const all = { Accept: "application/json", ...extra };
    if (state.token) all.Authorization = "Bearer " + state.token;
    return all;
  }

  async function api(method, path, body) {
    const options = { method, headers: headers() };
    if (method === "POST" || method === "PUT") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body === undefined ? {} : body);
    }
    const response = await fetch(`${API}/${path}`, options);
    const text = await response.text();
    let parsed = null;
    if (text) {
      try { parsed = JSON.parse(text); } catch (error) { parsed = { description: text }; }
    }
    if (response.status === 401) askToken();
    if (!response.ok) throw new ApiFailure(response.status, parsed);
    return parsed;
  }

  // -- token -----------------------------------------------------------------

  function askToken() {
    const dialog = $("#token-dialog");
    if (!dialog.open) dialog.showModal();
  }

  function setupToken() {
    $("#token-button").addEventListener("click", askToken);
    $("#token-cancel").addEventListener("click", () => $("#token-dialog").close());
    $("#token-form").addEventListener("submit", () => {
      const value = $("#token-form").elements.token.value.trim();
      state.token = value || null;
      if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
      else sessionStorage.removeItem(TOKEN_KEY);
      restartStream();
      refreshAll();
      route(); // the view shown reads again, with the token
    });
  }

  // -- charge points -----------------------------------------------------------

  // A connector's status; of an offline charge point, greyed as the last
  // status it reported, not as if live.
  function connectorBadge(connector, connected = true) {
    const title = [connector.errorCode !== "NoError" ? connector.errorCode : null, connector.info]
      .filter(Boolean).join(" · ");
    return element(
      "span",
      {
        class: connected ? `connector status-${connector.status}` : "connector offline",
        "data-connector": connector.connectorId,
        "data-status": connector.status,
        title: title || null,
      },
      connected
        ? `${connector.connectorId} · ${connector.status}`
        : `${connector.connectorId} · last known: ${connector.status} at ${formatTime(connector.timestamp)}`,
    );
  }

  function renderChargePoints() {
    const body = $("#chargepoints tbody");
    const rows = state.chargePoints.map((cp) => {
      const boot = cp.boot || {};
      const model = [boot.chargePointVendor, boot.chargePointModel].filter(Boolean).join(" ");
      return element(
        "tr",
        {
          "data-identity": cp.identity,
          class: cp.identity === state.selected ? "selected" : null,
          onclick: () => select(cp.identity),
        },
        element("td", {}, element("strong", { text: cp.identity })),
        element("td", {}, element("span", { class: cp.connected ? "dot on" : "dot" }), cp.connected ? "online" : "offline"),
        element("td", { text: cp.registered ? (cp.registrationStatus || "registered") : (cp.registrationStatus || "not registered") }),
        element("td", { text: model || "—" }),
        element("td", { class: "connectors" }, ...cp.connectors.map((connector) => connectorBadge(connector, cp.connected))),
        element("td", { text: formatTime(cp.lastSeen) }),
      );
    });
    body.replaceChildren(...rows);
    $("#cp-empty").hidden = rows.length > 0;
    const online = state.chargePoints.filter((cp) => cp.connected).length;
    $("#cp-count").textContent = `${online} online of ${state.chargePoints.length}`;
    renderDetail();
  }

  async function loadChargePoints() {
    const page = await api("GET", "chargepoints?limit=500");
    state.chargePoints = page.items;
    state.loaded = true;
    renderChargePoints();
  }

  function select(identity) {
    go(hashOf("chargepoints", identity));
  }

  function renderDetail() {
    const cp = state.chargePoints.find((each) => each.identity === state.selected);
    const detail = $("#detail");
    detail.classList.toggle("unknown", !cp && state.loaded);
    if (!cp) {
      // Neither registered nor connected (or not loaded yet): nothing of
      // another charge point's may stay on its page.
      detail.hidden = state.selected === null;
      if (state.selected !== null) {
        $("#detail-title").textContent = state.selected;
        $("#detail-state").textContent = state.loaded ? "unknown" : "…";
        $("#detail-state").className = "pill off";
      }
      return;
    }
    detail.hidden = false;
    $("#detail-title").textContent = cp.identity;
    const pill = $("#detail-state");
    pill.textContent = cp.connected ? "online" : "offline";
    pill.className = "pill " + (cp.connected ? "on" : "off");
    const boot = cp.boot || {};
    const facts = [
      ["Vendor", boot.chargePointVendor], ["Model", boot.chargePointModel],
      ["Serial", boot.chargePointSerialNumber || boot.chargeBoxSerialNumber], ["Firmware", boot.firmwareVersion],
      ["Registration", cp.registered ? `registered (${cp.registrationStatus || "no boot yet"})` : (cp.registrationStatus || "not registered")],
      ["Security profile", cp.securityProfile ?? "—"], ["Password", cp.hasPassword ? "set" : "none"],
      ["Peer", cp.connection ? cp.connection.peer : "—"], ["Last boot", formatTime(cp.lastBoot)], ["Last seen", formatTime(cp.lastSeen)],
    ];
    $("#detail-info").replaceChildren(
      ...facts.flatMap(([name, value]) => [element("dt", { text: name }), element("dd", { text: value ?? "—" })]),
    );
    for (const button of document.querySelectorAll("#operations form.op[data-action] button[type=submit], #op-any button")) {
      button.disabled = !cp.connected;
    }
    for (const render of extensions.detail) render(cp);
  }

  // -- operations --------------------------------------------------------------

  // A quick form's payload; null when a text field starts or ends with a
  // space, which is shown on the field rather than trimmed behind the
  // operator's back (an id tag is compared whole).
  function payloadOf(form) {
    const payload = {};
    for (const field of form.elements) {
      if (!field.name || field.tagName === "BUTTON") continue;
      const text = field.value.trim();
      const kind = field.dataset.type;
      if (field.type === "text" && kind !== "int" && kind !== "list") {
        field.setCustomValidity(text === field.value ? ""
          : `"${field.value}" starts or ends with a space: remove it (nothing is trimmed).`);
        if (text !== field.value) {
          field.reportValidity();
          return null;
        }
      }
      if (text === "") continue;
      if (kind === "int") payload[field.name] = Number.parseInt(text, 10);
      else if (kind === "list") payload[field.name] = text.split(",").map((item) => item.trim()).filter(Boolean);
      else payload[field.name] = text;
    }
    return payload;
  }

  function answerEntry(identity, action) {
    const outcome = element("span", { class: "outcome muted" }, "waiting…");
    const entry = element(
      "li",
      { class: "answer wait", "data-action": action },
      element("div", { class: "head" },
        element("span", { class: "muted" }, new Date().toLocaleTimeString()),
        element("span", { class: "what" }, `${action} → ${identity}`),
        outcome),
    );
    $("#answers").prepend(entry);
    return {
      done(answer) {
        entry.className = "answer ok";
        outcome.textContent = answer && answer.status ? answer.status : "answered";
        outcome.className = "outcome";
        entry.append(element("pre", { class: "payload" }, JSON.stringify(answer, null, 2)));
        if (action === "GetConfiguration" && answer && answer.configurationKey) {
          entry.append(element("table", {}, ...answer.configurationKey.map((item) =>
            element("tr", {}, element("td", { text: item.key }), element("td", { text: item.value ?? "" }),
              element("td", { class: "muted", text: item.readonly ? "read-only" : "" })))));
        }
      },
      failed(error) {
        entry.className = "answer bad";
        const body = error.body || {};
        outcome.textContent = `HTTP ${error.status || "?"} ${body.error || ""}`.trim();
        outcome.className = "outcome";
        const text = [body.code, body.description || error.message].filter(Boolean).join(": ");
        entry.append(element("pre", { class: "payload" }, text));
      },
    };
  }

  // -- confirmation of destructive operations ------------------------------------

  // What each destructive operation does, for the dialog that asks before
  // it is sent (OCPP 1.6 sections 5.3, 5.4, 5.5, 5.11, 5.14, 5.15, 5.18 and
  // the Security Whitepaper's DeleteCertificate); null: nothing to confirm.
  const EFFECTS = {
    Reset: (p) => p.type === "Hard"
      ? "Reset Hard: the charge point restarts its hardware at once, without waiting for its transactions to stop; queued information may be lost."
      : "Reset Soft: the charge point stops every running transaction, then restarts.",
    RemoteStopTransaction: (p) => `Stop transaction ${p.transactionId}: charging on it ends.`,
    UnlockConnector: (p) => `Unlock connector ${p.connectorId}: a transaction running on it is finished first.`,
    ClearCache: () => "Clear the authorization cache: every id tag the charge point cached is forgotten.",
    ClearChargingProfile: (p) => Object.keys(p).length
      ? `Clear the charging profiles matching ${JSON.stringify(p)}.`
      : "Clear every charging profile the charge point holds.",
    SendLocalList: (p) => p.updateType === "Full"
      ? `Send a full local list (version ${p.listVersion}): it replaces the charge point's whole list.`
      : null,
    DeleteCertificate: (p) => `Delete the certificate with serial number ${(p.certificateHashData || {}).serialNumber || "?"} from the charge point.`,
    ChangeAvailability: (p) => p.type !== "Inoperative" ? null : Number(p.connectorId) === 0
      ? "Make the whole charge point Inoperative: no charging on any connector until made Operative."
      : `Make connector ${p.connectorId} Inoperative: no charging on it until made Operative.`,
  };

  function effectOf(action, payload) {
    const effect = EFFECTS[action];
    return effect ? effect(payload || {}) : null;
  }

  // Ask the operator in the confirmation dialog; a promise of true when
  // confirmed.
  function confirmEffect(title, text) {
    const dialog = $("#confirm-dialog");
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    return new Promise((resolve) => {
      const done = () => {
        dialog.removeEventListener("close", done);
        resolve(dialog.returnValue === "confirm");
      };
      dialog.returnValue = "";
      dialog.addEventListener("close", done);
      dialog.showModal();
    });
  }

  // Send an operation; a destructive one only once the operator confirmed
  // it (null when they did not: nothing was sent).
  async function send(identity, action, payload) {
    const effect = effectOf(action, payload);
    if (effect && !(await confirmEffect(`${action} → ${identity}?`, effect))) return null;
    const entry = answerEntry(identity, action);
    try {
      const answer = await api("POST", `chargepoints/${encodeURIComponent(identity)}/actions/${action}`, payload);
      entry.done(answer);
      return answer;
    } catch (error) {
      entry.failed(error);
      return null;
    }
  }

  function setupOperations() {
    for (const form of document.querySelectorAll("#operations form.op[data-action]")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const payload = payloadOf(form);
        if (state.selected && payload) send(state.selected, form.dataset.action, payload);
      });
    }
    $("#op-any").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      let payload;
      try {
        payload = JSON.parse(form.elements.payload.value || "{}");
      } catch (error) {
        answerEntry(state.selected, form.elements.action.value).failed({ message: "the payload is not JSON: " + error.message });
        return;
      }
      if (state.selected) send(state.selected, form.elements.action.value, payload);
    });
    $("#registration").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const body = {};
      if (form.elements.password.value) body.password = form.elements.password.value;
      if (form.elements.securityProfile.value !== "") body.securityProfile = Number(form.elements.securityProfile.value);
      const entry = answerEntry(state.selected, "Register");
      try {
        const record = await api("PUT", `chargepoints/${encodeURIComponent(state.selected)}`, body);
        entry.done({ status: "registered", securityProfile: record.securityProfile, hasPassword: record.hasPassword });
        form.reset();
        loadChargePoints();
      } catch (error) { entry.failed(error); }
    });
    $("#unregister").addEventListener("click", async () => {
      if (!state.selected) return;
      const effect = `Unregister ${state.selected}: its registration, password and security profile are deleted, its boots no longer accepted; its history stays.`;
      if (!(await confirmEffect(`Unregister ${state.selected}?`, effect))) return;
      const entry = answerEntry(state.selected, "Unregister");
      try {
        await api("DELETE", `chargepoints/${encodeURIComponent(state.selected)}`);
        entry.done({ status: "unregistered" });
        loadChargePoints();
      } catch (error) { entry.failed(error); }
    });
  }

  async function loadActions() {
    const actions = await api("GET", "actions");
    $("#any-action").replaceChildren(...actions.map((item) => element("option", { value: item.action }, `${item.action} (${item.profile})`)));
  }

  // -- transactions ------------------------------------------------------------

  function renderTransactions() {
    const rows = state.transactions.map((tx) => element(
      "tr",
      { "data-transaction": tx.transactionId },
      element("td", { text: tx.transactionId }),
      element("td", { text: tx.chargePoint }),
      element("td", { text: tx.connectorId }),
      element("td", { text: tx.idTag }),
      element("td", { text: formatTime(tx.startTimestamp) }),
      element("td", { class: "num energy", text: formatEnergy(tx.energyWh) }),
      element("td", {}, element("button", {
        type: "button",
        class: "small danger",
        onclick: () => send(tx.chargePoint, "RemoteStopTransaction", { transactionId: tx.transactionId }),
      }, "Stop")),
    ));
    $("#transactions tbody").replaceChildren(...rows);
    $("#tx-empty").hidden = rows.length > 0;
    $("#tx-count").textContent = rows.length ? String(rows.length) : "";
    renderDetail();
  }

  async function loadTransactions() {
    const page = await api("GET", "transactions?active=true&limit=500");
    state.transactions = page.items;
    renderTransactions();
  }

  // -- views -------------------------------------------------------------------

  // A hash router: "#/<name>/<param>..." shows the view registered as
  // <name> in <main>; "#/" (or no hash) the dashboard. The page's static
  // sections wait in #parked (hidden, still in the document, so that every
  // script finds its elements) until a view moves them into <main>.
  const views = new Map();
  let current = null; // { name, view, params }
  let answersOf = null; // the charge point whose answers #answers lists

  function hashOf(name, ...params) {
    return "#/" + [name, ...params].map((part) => encodeURIComponent(String(part))).join("/");
  }

  function parked(id) {
    const node = document.getElementById(id);
    if (node) node.hidden = false;
    return node;
  }

  function view(name, definition) {
    views.set(name, { title: name, nav: false, leave: null, ...definition });
    renderNav();
  }

  function renderNav() {
    const nav = $("#nav");
    if (!nav) return;
    nav.replaceChildren(...[...views].filter(([, each]) => each.nav).map(([name, each]) => element("a", {
      href: hashOf(name), "data-view": name,
      class: current && current.name === name ? "active" : null,
    }, typeof each.title === "function" ? each.title([]) : each.title)));
  }

  function parseHash(hash) {
    const text = hash.replace(/^#/, "");
    if (text === "" || text === "/") return { name: "", params: [] };
    if (!text.startsWith("/")) return { legacy: decodeURIComponent(text) };
    const parts = text.slice(1).split("/");
    if (parts.length && parts[parts.length - 1] === "") parts.pop();
    const [name, ...params] = parts.map((part) => { try { return decodeURIComponent(part); } catch (error) { return part; } });
    return { name, params };
  }

  function route() {
    const parsed = parseHash(location.hash);
    if (parsed.legacy !== undefined) {
      // The links of before the views: "#IDENTITY" is a charge point's page.
      history.replaceState(null, "", hashOf("chargepoints", parsed.legacy));
      return route();
    }
    const name = parsed.name || "dashboard";
    const found = views.get(name);
    const main = $("main");
    if (current && current.view.leave) {
      try { current.view.leave(); } catch (error) { console.warn("openocpp console: leave", error); }
    }
    const park = $("#parked");
    for (const child of [...main.children]) {
      if (child.dataset.parked !== undefined) park.append(child);
    }
    main.replaceChildren();
    main.dataset.view = found ? name : "";
    current = found ? { name, view: found, params: parsed.params } : null;
    renderNav();
    if (!found) {
      document.title = "not found · openocpp console";
      main.append(element("section", { class: "card wide", id: "not-found" },
        element("h2", {}, "No such page"),
        element("p", {}, `The console has no page "${name}". `, element("a", { href: "#/" }, "Back to the dashboard"))));
      return;
    }
    const title = typeof found.title === "function" ? found.title(parsed.params) : found.title;
    document.title = `${title} · openocpp console`;
    try {
      found.render(main, parsed.params);
    } catch (error) {
      console.error("openocpp console: view", name, error);
    }
  }

  function go(hash) {
    if (location.hash === hash || (hash === "#/" && location.hash === "")) route();
    else location.hash = hash;
  }

  // The dashboard: the charge points, the active transactions, the id tags
  // and the live events.
  view("dashboard", {
    title: "Dashboard",
    nav: true,
    render(main) {
      main.append(parked("cp-section"), parked("tx-section"), parked("events-section"));
    },
  });

  // A charge point's page.
  view("chargepoints", {
    title: (params) => params[0] || "Charge points",
    render(main, params) {
      if (!params.length) { go("#/"); return; }
      // The answers stay while the operator comes back to the same one.
      if (answersOf !== params[0]) $("#answers").replaceChildren();
      answersOf = params[0];
      state.selected = params[0];
      main.append(parked("detail"));
      renderChargePoints();
    },
    leave() { state.selected = null; },
  });

  // -- live events ---------------------------------------------------------------

  const refreshers = { chargePoints: loadChargePoints, transactions: loadTransactions };
  const pending = new Set();
  let refreshTimer = null;

  function refresh(...what) {
    for (const name of what) pending.add(name);
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      const names = [...pending];
      pending.clear();
      for (const name of names) refreshers[name]().catch(showLoadError);
    }, 100);
  }

  function refreshAll() { refresh("chargePoints", "transactions"); }

  function showLoadError(error) {
    if (error.status !== 401) console.warn("openocpp console:", error);
  }

  const REFRESH_ON = {
    connected: ["chargePoints"],
    disconnected: ["chargePoints"],
    boot: ["chargePoints"],
    status: ["chargePoints"],
    chargePointChanged: ["chargePoints"],
    transactionStarted: ["transactions", "chargePoints"],
    transactionStopped: ["transactions", "chargePoints"],
    meterValues: ["transactions"],
  };

  function describe(kind, data) {
    const request = data.request || {};
    switch (kind) {
      case "status": return `connector ${request.connectorId}: ${request.status}${request.errorCode && request.errorCode !== "NoError" ? " (" + request.errorCode + ")" : ""}`;
      case "boot": return `${request.chargePointVendor || ""} ${request.chargePointModel || ""}: ${(data.response || {}).status || ""}`;
      case "transactionStarted": return `transaction ${(data.response || {}).transactionId} on connector ${request.connectorId} (${request.idTag})`;
      case "transactionStopped": return `transaction ${request.transactionId} stopped at ${request.meterStop} Wh`;
      case "meterValues": return `connector ${request.connectorId}${request.transactionId ? ", transaction " + request.transactionId : ""}`;
      case "authorize": return `${request.idTag}: ${((data.response || {}).idTagInfo || {}).status || ""}`;
      case "securityEvent": return request.type || "";
      case "notification": return `${data.action} ${request.status || ""}`;
      case "chargePointChanged": return data.registered ? "registered" : "unregistered";
      case "idTagChanged": return data.record ? `${data.idTag} ${data.record.status}` : `${data.idTag} deleted`;
      default: return data.peer ? `from ${data.peer}` : "";
    }
  }

  function showEvent(kind, data) {
    const list = $("#events");
    list.prepend(element("li", { "data-kind": kind },
      element("span", { class: "time" }, new Date().toLocaleTimeString()),
      element("span", { class: "kind" }, `${data.chargePoint || data.idTag || ""} ${kind}`),
      element("span", {}, describe(kind, data))));
    while (list.children.length > 200) list.lastChild.remove();
  }

  function onEvent(kind, data) {
    if (kind !== "frame") showEvent(kind, data); // frames have their own page (messages.js)
    refresh(...(REFRESH_ON[kind] || []));
    for (const listener of extensions.event) listener(kind, data);
  }

  function setLive(stateName, text) {
    const live = $("#live");
    live.dataset.state = stateName;
    live.textContent = text;
  }

  // EventSource cannot send the Authorization header: the stream is read
  // with fetch, and its text/event-stream parsed here.
  async function readStream(controller) {
    const extra = state.lastEventId !== null ? { "Last-Event-ID": String(state.lastEventId) } : {};
    const response = await fetch(`${API}/stream`, { headers: headers({ Accept: "text/event-stream", ...extra }), signal: controller.signal });
    if (response.status === 401) { askToken(); throw new ApiFailure(401, null); }
    if (!response.ok || !response.body) throw new ApiFailure(response.status, null);
    setLive("live", "live");
    refreshAll();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = "message", data = "", id = null;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") kind = text;
          else if (field === "data") data += (data ? "\n" : "") + text;
          else if (field === "id") id = text;
        }
        if (id !== null) state.lastEventId = Number(id);
        if (data) {
          try { onEvent(kind, JSON.parse(data)); } catch (error) { console.warn("openocpp console: bad event", error); }
        }
      }
    }
  }

  function restartStream() {
    if (state.stream) state.stream.abort();
    const controller = new AbortController();
    state.stream = controller;
    let delay = 1000;
    const run = async () => {
      while (!controller.signal.aborted) {
        try {
          await readStream(controller);
          delay = 1000;
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error.status === 401) { setLive("offline", "token needed"); return; }
        }
        setLive("offline", "reconnecting…");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 15000);
      }
    };
    run();
  }

  // -- extensions ----------------------------------------------------------------

  // The feature pages (local list, uploads, charging profiles, ...) live in
  // their own scripts, loaded after this one: they register here and use
  // the same API helpers. detail: called with the selected charge point
  // whenever its panel is drawn; setup: called once the page has loaded;
  // event: called with each live event's kind and data.
  const extensions = { detail: [], setup: [], event: [] };
  window.openocppConsole = {
    api, element, answerEntry, send, payloadOf, formatTime, formatEnergy, headers,
    view, go, hashOf, confirmEffect, effectOf,
    selected: () => state.selected,
    onDetail(render) { extensions.detail.push(render); },
    onSetup(setup) { extensions.setup.push(setup); },
    onEvent(listener) { extensions.event.push(listener); },
  };

  // -- start ---------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    setupToken();
    setupOperations();
    for (const setup of extensions.setup) setup();
    window.addEventListener("hashchange", route);
    route();
    loadActions().catch(showLoadError);
    restartStream();
  });
})();
