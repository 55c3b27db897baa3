// openocpp console: the charge point's firmware and diagnostics state, its
// reservations and its local list, in its detail panel. Loaded after
// console.js; uses window.openocppConsole (see the end of console.js).
(() => {
  "use strict";

  const con = window.openocppConsole;
  const { api, element, answerEntry, payloadOf, formatTime } = con;
  const $ = (selector) => document.querySelector(selector);
  const path = (identity, rest) => `chargepoints/${encodeURIComponent(identity)}/${rest}`;

  let shown = null; // the identity whose reservations and list are shown
  let loading = false;
  let again = false;

  // -- firmware and diagnostics ---------------------------------------------------

  function report(value) {
    return value ? `${value.status} (${formatTime(value.receivedAt)})` : "—";
  }

  function renderFirmware(cp) {
    $("#firmware-state").replaceChildren(
      element("dt", { text: "Firmware" }), element("dd", { id: "firmware-status", text: report(cp.firmware) }),
      element("dt", { text: "Diagnostics" }), element("dd", { id: "diagnostics-status", text: report(cp.diagnostics) }),
    );
  }

  async function updateFirmware(event) {
    event.preventDefault();
    const form = event.target;
    const identity = con.selected();
    if (!identity) return;
    const body = payloadOf(form);
    if (!body) return;
    if (body.retrieveDate) body.retrieveDate = new Date(body.retrieveDate).toISOString();
    const entry = answerEntry(identity, "UpdateFirmware");
    try {
      entry.done(await api("POST", path(identity, "firmware"), body));
      form.reset();
    } catch (error) { entry.failed(error); }
  }

  // -- reservations -----------------------------------------------------------------

  function renderReservations(identity, page, connected) {
    const rows = page.items.map((item) => element("tr", { "data-reservation": item.reservationId, "data-state": item.state },
      element("td", { text: item.reservationId }),
      element("td", { text: item.connectorId === 0 ? "any" : item.connectorId }),
      element("td", { text: item.idTag }),
      element("td", { text: formatTime(item.expiryDate) }),
      element("td", { class: "state", text: item.state }),
      element("td", {}, item.state === "active"
        ? element("button", { type: "button", class: "danger cancel", disabled: !connected,
                              onclick: () => cancelReservation(identity, item.reservationId) }, "Cancel")
        : null)));
    $("#reservations tbody").replaceChildren(...rows);
    $("#reservations-empty").hidden = rows.length > 0;
  }

  async function reserve(event) {
    event.preventDefault();
    const form = event.target;
    const identity = con.selected();
    if (!identity) return;
    const body = payloadOf(form);
    if (!body) return;
    body.expiryDate = new Date(body.expiryDate).toISOString();
    const entry = answerEntry(identity, "ReserveNow");
    try {
      const answer = await api("POST", path(identity, "reservations"), body);
      entry.done(answer);
      if (answer.status === "Accepted") form.elements.idTag.value = "";
    } catch (error) { entry.failed(error); }
    load(identity);
  }

  async function cancelReservation(identity, reservationId) {
    if (!window.confirm(`Cancel reservation ${reservationId} at ${identity}?`)) return;
    const entry = answerEntry(identity, "CancelReservation");
    try {
      entry.done(await api("DELETE", path(identity, `reservations/${reservationId}`)));
    } catch (error) { entry.failed(error); }
    load(identity);
  }

  // -- local list -------------------------------------------------------------------

  function renderLocalList(list) {
    let text = list.listVersion ? `Version ${list.listVersion} held` : "No list sent yet";
    if (list.listVersion && !list.complete) text += " (incomplete: send full)";
    else if (list.pendingChanges !== null) text += `, ${list.pendingChanges} change(s) pending`;
    if (list.last) text += `; last: ${list.last.updateType} v${list.last.listVersion} ${list.last.status} ${formatTime(list.last.at)}`;
    $("#locallist-state").textContent = text;
  }

  async function sendLocalList(updateType) {
    const identity = con.selected();
    if (!identity) return;
    const message = $("#locallist-answer");
    if (updateType === "Full" && !(await con.confirmEffect(`SendLocalList Full → ${identity}?`,
      "Send the full local list of this central system's id tags: it replaces the charge point's whole list."))) return;
    const entry = answerEntry(identity, `SendLocalList ${updateType}`);
    try {
      const answer = await api("POST", path(identity, "locallist"), { updateType });
      entry.done(answer);
      const parts = answer.status === null ? ["no change to send"] : [`${answer.status}: version ${answer.listVersion} held`];
      if (answer.requests.length > 1) parts.push(`${answer.requests.length} requests`);
      if (answer.hint) parts.push(answer.hint);
      message.textContent = parts.join("; ");
      message.className = answer.status === null || answer.status === "Accepted" ? "message" : "message bad";
    } catch (error) {
      entry.failed(error);
      message.textContent = (error.body && error.body.description) || error.message;
      message.className = "message bad";
    }
    message.hidden = false;
    load(identity);
  }

  // -- drawing ----------------------------------------------------------------------

  // One load at a time; one asked meanwhile runs after it (for whichever
  // charge point is selected then).
  async function load(identity) {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const [reservations, list] = await Promise.all([
        api("GET", path(identity, "reservations")), api("GET", path(identity, "locallist")),
      ]);
      if (con.selected() !== identity) return;
      renderReservations(identity, reservations, !$("#reserve-send").disabled);
      renderLocalList(list);
    } catch (error) {
      if (error.status !== 401) console.warn("openocpp console:", error);
    } finally {
      loading = false;
      if (again) {
        again = false;
        if (con.selected()) load(con.selected());
      }
    }
  }

  con.onDetail((cp) => {
    renderFirmware(cp);
    for (const button of document.querySelectorAll("#management button")) {
      if (!button.classList.contains("cancel")) button.disabled = !cp.connected;
    }
    if (shown !== cp.identity) {
      shown = cp.identity;
      $("#locallist-answer").hidden = true;
    }
    load(cp.identity);
  });

  // What the charge point reports changes the panel: a firmware or
  // diagnostics status, a transaction using a reservation.
  const REPORTS = new Set(["FirmwareStatusNotification", "DiagnosticsStatusNotification"]);
  // What any operator's console did (the API's live events).
  const OPERATIONS = new Set(["localListSent", "reservationMade", "reservationCancelled"]);

  con.onEvent(async (kind, data) => {
    const identity = con.selected();
    if (!identity || data.chargePoint !== identity) return;
    if (kind === "transactionStarted" || OPERATIONS.has(kind)) load(identity);
    if (kind === "notification" && REPORTS.has(data.action)) {
      try {
        const cp = await api("GET", `chargepoints/${encodeURIComponent(identity)}`);
        if (con.selected() === identity) renderFirmware(cp);
      } catch (error) {
        if (error.status !== 401) console.warn("openocpp console:", error);
      }
    }
  });

  con.onSetup(() => {
    $("#firmware-form").addEventListener("submit", updateFirmware);
    $("#reserve-form").addEventListener("submit", reserve);
    $("#locallist-full").addEventListener("click", () => sendLocalList("Full"));
    $("#locallist-diff").addEventListener("click", () => sendLocalList("Differential"));
  });
})();
