// The console's transactions pages: #/transactions, the history with its
// filters, paging, totals and CSV download; #/transactions/<id>, one
// transaction: its facts, its energy and power over time drawn as an SVG
// chart (drawn here, as charging.js draws its step chart: no library is
// needed for two lines), its meter values (and their CSV), and Remote stop
// while it is active. Loaded after console.js; uses its
// window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { api, element } = ui;
  const SVG = "http://www.w3.org/2000/svg";

  // OCPP 1.6 section 7.35, Reason (a StopTransaction without one is Local).
  const STOP_REASONS = ["DeAuthorized", "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other",
    "PowerLoss", "Reboot", "Remote", "SoftReset", "UnlockCommand"];
  const FILTERS = ["chargepoint", "idtag", "connector", "active", "stopReason", "startedAfter", "startedBefore"];

  const state = {
    filters: {}, // query argument -> text, as sent
    offset: 0,
    limit: 25,
    shown: null, // "list", or the transaction id shown
    reload: null,
  };

  // -- helpers -----------------------------------------------------------------

  function query(extra = {}) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...state.filters, ...extra })) {
      if (value !== "" && value !== null && value !== undefined) params.set(name, value);
    }
    return params.toString();
  }

  // A download through fetch, so that the API token goes with it (a plain
  // link cannot send the Authorization header).
  async function download(link, problem) {
    try {
      const response = await fetch(link.href, { headers: ui.headers({ Accept: "text/csv" }) });
      if (!response.ok) {
        let text = `HTTP ${response.status}`;
        try { text = (await response.json()).description || text; } catch (error) { /* not JSON */ }
        throw new Error(text);
      }
      const url = URL.createObjectURL(await response.blob());
      const save = element("a", { href: url, download: link.getAttribute("download") || "export.csv", hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      problem(error.message);
    }
  }

  function csvLink(id, href, fileName, label, problem) {
    return element("a", {
      id, href, download: fileName, class: "button-link",
      onclick: (event) => { event.preventDefault(); download(event.currentTarget, problem); },
    }, label);
  }

  function message(id, text, bad) {
    const box = document.getElementById(id);
    if (!box) return;
    box.textContent = text || "";
    box.className = bad ? "message bad" : "message";
    box.hidden = !text;
  }

  function duration(from, to) {
    const seconds = Math.max(0, Math.round((new Date(to) - new Date(from)) / 1000));
    const hours = Math.floor(seconds / 3600), minutes = Math.floor((seconds % 3600) / 60);
    if (hours) return `${hours} h ${minutes} min`;
    if (minutes) return `${minutes} min ${seconds % 60} s`;
    return `${seconds} s`;
  }

  // -- the list ----------------------------------------------------------------

  function filterForm() {
    const f = state.filters;
    const input = (name, attributes = {}) => element("input", { name, value: f[name] || "", autocomplete: "off", ...attributes });
    const localValue = (iso) => {
      if (!iso) return "";
      const moment = new Date(iso);
      const pad = (n) => String(n).padStart(2, "0");
      return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
    };
    const form = element("form", { id: "tx-filters", class: "filters" },
      element("label", {}, "Charge point", input("chargepoint", { list: "tx-chargepoints", placeholder: "any" })),
      element("datalist", { id: "tx-chargepoints" }),
      element("label", {}, "Id tag", input("idtag", { placeholder: "any" })),
      element("label", {}, "Connector", input("connector", { type: "number", min: "1", placeholder: "any" })),
      element("label", {}, "State", element("select", { name: "active" },
        ...[["", "any"], ["true", "active"], ["false", "stopped"]].map(([value, text]) =>
          element("option", { value, selected: (f.active || "") === value }, text)))),
      element("label", {}, "Stop reason", element("select", { name: "stopReason" },
        element("option", { value: "" }, "any"),
        ...STOP_REASONS.map((reason) => element("option", { selected: f.stopReason === reason }, reason)))),
      element("label", {}, "Started from", input("startedAfter", { type: "datetime-local", value: localValue(f.startedAfter) })),
      element("label", {}, "Started before", input("startedBefore", { type: "datetime-local", value: localValue(f.startedBefore) })),
      element("div", { class: "buttons" },
        element("button", { type: "submit", id: "tx-apply" }, "Filter"),
        element("button", { type: "button", id: "tx-clear", class: "quiet", onclick: () => {
          state.filters = {}; state.offset = 0; renderList(document.querySelector("main"));
        } }, "Clear")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = {};
      for (const name of FILTERS) {
        const field = form.elements[name];
        const text = field.value.trim();
        if (!text) continue;
        if (field.type === "datetime-local") {
          const moment = new Date(text);
          if (Number.isNaN(moment.getTime())) { message("tx-message", `${name}: not a date and time`, true); return; }
          chosen[name] = moment.toISOString();
        } else chosen[name] = text;
      }
      state.filters = chosen;
      state.offset = 0;
      loadList();
    });
    return form;
  }

  function transactionRow(tx) {
    const open = () => ui.go(ui.hashOf("transactions", tx.transactionId));
    return element("tr", { "data-transaction": tx.transactionId, class: tx.active ? "active" : null, onclick: open },
      element("td", {}, element("a", { href: ui.hashOf("transactions", tx.transactionId) }, `#${tx.transactionId}`)),
      element("td", { text: tx.chargePoint }),
      element("td", { class: "num", text: tx.connectorId }),
      element("td", { text: tx.idTag }),
      element("td", { text: ui.formatTime(tx.startTimestamp) }),
      element("td", { text: tx.active ? "active" : ui.formatTime(tx.stopTimestamp) }),
      element("td", { class: "num energy", text: ui.formatEnergy(tx.energyWh) }),
      element("td", { text: tx.active ? "—" : tx.stopReason || "—" }));
  }

  function renderPage(page) {
    const body = document.querySelector("#tx-history tbody");
    if (!body) return;
    body.replaceChildren(...page.items.map(transactionRow));
    document.getElementById("tx-history-empty").hidden = page.items.length > 0;
    const last = page.offset + page.items.length;
    document.getElementById("tx-range").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "none";
    document.getElementById("tx-previous").disabled = page.offset === 0;
    document.getElementById("tx-next").disabled = last >= page.total;
    const totals = page.totals || {};
    document.getElementById("tx-totals").textContent =
      `${page.total} transaction${page.total === 1 ? "" : "s"} · ${totals.active ?? 0} active · ${ui.formatEnergy(totals.energyWh ?? 0)} delivered by the stopped ones`;
    const csv = document.getElementById("tx-csv");
    csv.href = `api/v1/transactions.csv?${query()}`;
  }

  async function loadList() {
    message("tx-message", "");
    try {
      const page = await api("GET", `transactions?${query({ limit: state.limit, offset: state.offset })}`);
      if (state.shown !== "list") return;
      renderPage(page);
    } catch (error) {
      message("tx-message", error.message, true);
    }
  }

  async function loadChargePointNames() {
    try {
      const page = await api("GET", "chargepoints?limit=500");
      const list = document.getElementById("tx-chargepoints");
      if (list) list.replaceChildren(...page.items.map((cp) => element("option", { value: cp.identity })));
    } catch (error) { /* the filter is typed then */ }
  }

  function renderList(main) {
    main.replaceChildren();
    state.shown = "list";
    const section = element("section", { id: "tx-history-section", class: "card wide" },
      element("div", { class: "card-head" },
        element("h2", {}, "Transactions"),
        element("span", { id: "tx-totals", class: "muted" }),
        element("span", { class: "spacer" }),
        csvLink("tx-csv", `api/v1/transactions.csv?${query()}`, "transactions.csv", "Download CSV",
          (text) => message("tx-message", text, true))),
      filterForm(),
      element("p", { id: "tx-message", class: "message", hidden: true }),
      element("table", { id: "tx-history", class: "list" },
        element("thead", {}, element("tr", {},
          ...["Id", "Charge point", "Connector", "Id tag", "Started", "Stopped", "Energy", "Stop reason"].map((h, i) =>
            element("th", { class: i === 2 || i === 6 ? "num" : null }, h)))),
        element("tbody")),
      element("p", { id: "tx-history-empty", class: "empty", hidden: true }, "No transaction matches."),
      element("div", { class: "pager" },
        element("button", { type: "button", id: "tx-previous", class: "quiet", onclick: () => {
          state.offset = Math.max(0, state.offset - state.limit); loadList();
        } }, "← Previous"),
        element("span", { id: "tx-range", class: "muted" }),
        element("button", { type: "button", id: "tx-next", class: "quiet", onclick: () => {
          state.offset += state.limit; loadList();
        } }, "Next →"),
        element("label", { class: "muted" }, "Per page ",
          element("select", { id: "tx-page-size", onchange: (event) => {
            state.limit = Number(event.target.value); state.offset = 0; loadList();
          } }, ...[10, 25, 50, 100].map((n) => element("option", { selected: n === state.limit }, String(n)))))));
    main.append(section);
    loadList();
    loadChargePointNames();
  }

  // -- one transaction ---------------------------------------------------------

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceTop(value) {
    // A round axis top at or above value.
    if (!(value > 0) || !Number.isFinite(value)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  // Energy delivered (kWh, left axis) and power (kW, right axis) over the
  // transaction's time.
  function drawChart(box, data) {
    const tx = data.transaction;
    const energy = data.energy.map((p) => ({ t: new Date(p.timestamp).getTime(), v: (p.wh - tx.meterStart) / 1000 }))
      .filter((p) => Number.isFinite(p.t));
    const power = data.power.map((p) => ({ t: new Date(p.timestamp).getTime(), v: p.w / 1000 }))
      .filter((p) => Number.isFinite(p.t));
    if (energy.length + power.length < 2) {
      box.replaceChildren(element("p", { class: "muted" }, "No meter values to draw yet."));
      return;
    }
    const times = [...energy, ...power].map((p) => p.t);
    const start = Math.min(...times);
    const end = Math.max(...times, start + 1);
    const energyTop = niceTop(Math.max(0, ...energy.map((p) => p.v)));
    const powerTop = niceTop(Math.max(0, ...power.map((p) => p.v)));
    const width = 760, height = 260, left = 58, right = 58, upper = 16, lower = 34;
    const x = (t) => left + ((t - start) / (end - start)) * (width - left - right);
    const yEnergy = (v) => upper + (1 - Math.max(0, v) / energyTop) * (height - upper - lower);
    const yPower = (v) => upper + (1 - Math.max(0, v) / powerTop) * (height - upper - lower);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "tx-chart", role: "img",
      "aria-label": "energy and power over time" });
    const base = yEnergy(0);
    chart.append(
      svg("line", { x1: left, y1: base, x2: width - right, y2: base, class: "axis" }),
      svg("line", { x1: left, y1: upper, x2: left, y2: base, class: "axis" }),
      svg("line", { x1: width - right, y1: upper, x2: width - right, y2: base, class: "axis" }),
      svg("text", { x: left - 6, y: base, class: "tick", "text-anchor": "end" }, "0"),
      svg("text", { x: left - 6, y: upper + 4, class: "tick energy", "text-anchor": "end" }, `${energyTop} kWh`),
      svg("text", { x: width - right + 6, y: base, class: "tick" }, "0"),
      svg("text", { x: width - right + 6, y: upper + 4, class: "tick power" }, `${powerTop} kW`),
      svg("text", { x: left, y: height - 10, class: "tick" }, ui.formatTime(new Date(start).toISOString())),
      svg("text", { x: width - right, y: height - 10, class: "tick", "text-anchor": "end" }, ui.formatTime(new Date(end).toISOString())),
    );
    const series = (points, y, name) => {
      if (!points.length) return;
      const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`).join(" ");
      const group = svg("g", { class: `series ${name}`, "data-points": points.length });
      group.append(svg("path", { d, class: `line ${name}` }));
      for (const p of points) {
        const dot = svg("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3, class: `point ${name}` });
        dot.append(svg("title", {}, `${ui.formatTime(new Date(p.t).toISOString())}: ${p.v.toFixed(3)} ${name === "energy" ? "kWh" : "kW"}`));
        group.append(dot);
      }
      chart.append(group);
    };
    series(energy, yEnergy, "energy");
    series(power, yPower, "power");
    const legend = element("p", { class: "legend muted" },
      element("span", { class: "key energy" }), `energy delivered (kWh, ${energy.length} points)`,
      element("span", { class: "key power" }), `power (kW, ${power.length} points)`,
      data.skipped ? ` · ${data.skipped} unreadable value(s) left out` : "");
    box.replaceChildren(chart, legend);
  }

  function facts(tx) {
    const items = [
      ["Charge point", element("a", { href: ui.hashOf("chargepoints", tx.chargePoint) }, tx.chargePoint)],
      ["Connector", tx.connectorId],
      ["Id tag", tx.idTag],
      ["State", tx.active ? "active" : "stopped"],
      ["Started", ui.formatTime(tx.startTimestamp)],
      ["Stopped", tx.active ? "—" : ui.formatTime(tx.stopTimestamp)],
      ["Duration", duration(tx.startTimestamp, tx.active ? new Date().toISOString() : tx.stopTimestamp) + (tx.active ? " so far" : "")],
      ["Meter start", `${tx.meterStart} Wh`],
      ["Meter stop", tx.meterStop === null ? "—" : `${tx.meterStop} Wh`],
      ["Energy", ui.formatEnergy(tx.energyWh) + (tx.active ? " so far" : "")],
      ["Stop reason", tx.stopReason || "—"],
      ["Stopped by", tx.stopIdTag || "—"],
      ["Reservation", tx.reservationId ?? "—"],
    ];
    return element("dl", { id: "tx-facts", class: "facts" },
      ...items.flatMap(([name, value]) => [element("dt", { text: name }), element("dd", {}, value ?? "—")]));
  }

  function valuesTable(values) {
    return element("table", { id: "tx-values", class: "list compact" },
      element("thead", {}, element("tr", {},
        ...["Time", "Measurand", "Phase", "Value", "Unit", "Context"].map((h, i) => element("th", { class: i === 3 ? "num" : null }, h)))),
      element("tbody", {}, ...values.map((v) => element("tr", {},
        element("td", { text: ui.formatTime(v.timestamp) }),
        element("td", { text: v.measurand || "Energy.Active.Import.Register" }),
        element("td", { text: v.phase || "" }),
        element("td", { class: "num", text: v.value }),
        element("td", { text: v.unit || "" }),
        element("td", { class: "muted", text: v.context || "" })))));
  }

  async function remoteStop(tx) {
    if (!confirm(`Stop transaction ${tx.transactionId} on ${tx.chargePoint} connector ${tx.connectorId}? Charging ends.`)) return;
    message("tx-detail-message", "RemoteStopTransaction sent…");
    try {
      const answer = await api("POST", `chargepoints/${encodeURIComponent(tx.chargePoint)}/actions/RemoteStopTransaction`,
        { transactionId: tx.transactionId });
      message("tx-detail-message", `The charge point answered ${answer.status}.`, answer.status !== "Accepted");
    } catch (error) {
      message("tx-detail-message", error.message, true);
    }
  }

  async function loadDetail(id) {
    const section = document.getElementById("tx-detail");
    if (!section) return;
    let data;
    try {
      data = await api("GET", `transactions/${encodeURIComponent(id)}/metervalues`);
    } catch (error) {
      section.replaceChildren(element("h2", {}, `Transaction ${id}`), element("p", { class: "message bad" }, error.message));
      return;
    }
    if (state.shown !== String(id)) return;
    const tx = data.transaction;
    section.dataset.active = tx.active ? "true" : "false";
    section.replaceChildren(
      element("div", { class: "card-head" },
        element("h2", {}, `Transaction #${tx.transactionId}`),
        element("span", { class: `pill ${tx.active ? "on" : "off"}` }, tx.active ? "active" : "stopped"),
        element("span", { class: "spacer" }),
        tx.active ? element("button", { type: "button", id: "tx-remote-stop", class: "danger", onclick: () => remoteStop(tx) }, "Remote stop") : null,
        csvLink("tx-values-csv", `api/v1/transactions/${tx.transactionId}/metervalues.csv`,
          `transaction-${tx.transactionId}-meter-values.csv`, "Meter values CSV",
          (text) => message("tx-detail-message", text, true)),
        element("a", { href: ui.hashOf("transactions"), class: "quiet" }, "← All transactions")),
      element("p", { id: "tx-detail-message", class: "message", hidden: true }),
      facts(tx),
      element("div", { id: "tx-chart", class: "chart" }),
      element("h3", {}, `Meter values (${data.meterValues.length})`),
      data.meterValues.length ? valuesTable(data.meterValues) : element("p", { class: "empty" }, "No meter value was sent."));
    drawChart(document.getElementById("tx-chart"), data);
  }

  function renderDetail(main, id) {
    state.shown = String(id);
    main.append(element("section", { id: "tx-detail", class: "card wide", "data-transaction": id },
      element("h2", {}, `Transaction ${id}`), element("p", { class: "muted" }, "loading…")));
    loadDetail(id);
  }

  // -- the views and live updates ----------------------------------------------

  ui.view("transactions", {
    title: (params) => (params.length ? `Transaction ${params[0]}` : "Transactions"),
    nav: true,
    render(main, params) {
      if (params.length) renderDetail(main, params[0]);
      else renderList(main);
    },
    leave() { state.shown = null; },
  });

  const CHANGES = new Set(["transactionStarted", "transactionStopped", "meterValues"]);

  ui.onEvent((kind, data) => {
    if (!CHANGES.has(kind) || state.shown === null) return;
    const request = data.request || {};
    const id = request.transactionId ?? (data.response || {}).transactionId;
    if (state.shown !== "list" && String(id) !== state.shown) return;
    // Several events in a row (a meter value each): one reload.
    clearTimeout(state.reload);
    state.reload = setTimeout(() => {
      if (state.shown === "list") loadList();
      else if (state.shown !== null) loadDetail(state.shown);
    }, 200);
  });
})();
