// The console's Smart Charging page: a form that builds a charging profile
// (no raw JSON) and sends SetChargingProfile, ClearChargingProfile, the
// profiles the charge point accepted, and GetCompositeSchedule drawn as a
// step chart (inline SVG, drawn here). Loaded after console.js; uses its
// window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { api, element, send } = ui;
  const $ = (selector, root = document) => root.querySelector(selector);
  const SVG = "http://www.w3.org/2000/svg";
  let shownFor = null;

  // -- building a profile ------------------------------------------------------

  function periodRow(start = "", limit = "", phases = "") {
    const row = element("tr", { class: "period" },
      element("td", {}, element("input", { name: "startPeriod", type: "number", min: "0", step: "1", value: start, required: true })),
      element("td", {}, element("input", { name: "limit", type: "number", min: "0", step: "0.1", value: limit, required: true })),
      element("td", {}, element("select", { name: "numberPhases" },
        element("option", { value: "" }, "—"), element("option", {}, "1"), element("option", {}, "2"), element("option", {}, "3"))),
      element("td", {}, element("button", { type: "button", class: "quiet remove-period", title: "Remove this period",
        onclick: () => { if ($("#profile-periods tbody").rows.length > 1) row.remove(); } }, "×")),
    );
    if (phases) row.querySelector("select").value = String(phases);
    return row;
  }

  function isoTime(value) {
    // datetime-local inputs hold local time without a zone.
    return value ? new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
  }

  function number(value) {
    return value === "" || value === undefined ? undefined : Number(value);
  }

  function prune(object) {
    for (const [key, value] of Object.entries(object)) {
      if (value === undefined || value === "" || Number.isNaN(value)) delete object[key];
    }
    return object;
  }

  // The SetChargingProfile.req payload the form describes.
  function profilePayload(form) {
    const field = (name) => form.elements[name].value.trim();
    const periods = [...$("#profile-periods tbody").rows].map((row) => prune({
      startPeriod: Number.parseInt(row.querySelector('[name="startPeriod"]').value, 10),
      limit: Number(row.querySelector('[name="limit"]').value),
      numberPhases: number(row.querySelector('[name="numberPhases"]').value),
    }));
    periods.sort((a, b) => a.startPeriod - b.startPeriod);
    const schedule = prune({
      chargingRateUnit: field("chargingRateUnit"),
      duration: number(field("duration")),
      startSchedule: isoTime(field("startSchedule")),
      minChargingRate: number(field("minChargingRate")),
      chargingSchedulePeriod: periods,
    });
    const profile = prune({
      chargingProfileId: Number.parseInt(field("chargingProfileId"), 10),
      transactionId: number(field("transactionId")),
      stackLevel: Number.parseInt(field("stackLevel"), 10),
      chargingProfilePurpose: field("chargingProfilePurpose"),
      chargingProfileKind: field("chargingProfileKind"),
      recurrencyKind: field("recurrencyKind") || undefined,
      validFrom: isoTime(field("validFrom")),
      validTo: isoTime(field("validTo")),
      chargingSchedule: schedule,
    });
    return { connectorId: Number.parseInt(field("connectorId"), 10), csChargingProfiles: profile };
  }

  function clearPayload(form) {
    return prune({
      id: number(form.elements.id.value.trim()),
      connectorId: number(form.elements.connectorId.value.trim()),
      chargingProfilePurpose: form.elements.chargingProfilePurpose.value || undefined,
      stackLevel: number(form.elements.stackLevel.value.trim()),
    });
  }

  // -- the profiles the charge point accepted ----------------------------------

  async function showProfiles(identity) {
    const body = $("#charging-profiles tbody");
    let answer;
    try {
      answer = await api("GET", `chargepoints/${encodeURIComponent(identity)}/chargingprofiles`);
    } catch (error) {
      body.replaceChildren(element("tr", {}, element("td", { colspan: "7", class: "muted" }, error.message)));
      return;
    }
    if (ui.selected() !== identity) return;
    $("#charging-empty").hidden = answer.items.length > 0;
    body.replaceChildren(...answer.items.map((item) => {
      const schedule = item.chargingProfile.chargingSchedule || {};
      const periods = (schedule.chargingSchedulePeriod || [])
        .map((period) => `${period.startPeriod}s: ${period.limit}`).join(", ");
      return element("tr", { "data-profile": item.chargingProfileId },
        element("td", { text: item.connectorId }),
        element("td", { text: item.chargingProfileId }),
        element("td", { text: item.chargingProfilePurpose }),
        element("td", { text: item.stackLevel }),
        element("td", { text: item.chargingProfile.chargingProfileKind }),
        element("td", { text: `${periods} ${schedule.chargingRateUnit || ""}` }),
        element("td", { class: "muted", text: ui.formatTime(item.acceptedAt) }));
    }));
  }

  // -- the composite schedule as a step chart ----------------------------------

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(seconds) {
    if (seconds % 3600 === 0) return `${seconds / 3600} h`;
    if (seconds % 60 === 0) return `${seconds / 60} min`;
    return `${seconds} s`;
  }

  // Periods over time: each limit held from its startPeriod to the next one
  // (the last to the schedule's duration).
  function drawChart(answer, asked) {
    const box = $("#composite-chart");
    const schedule = answer && answer.chargingSchedule;
    if (!answer || answer.status !== "Accepted") {
      box.replaceChildren(element("p", { class: "muted" }, "The charge point could not report a schedule."));
      return;
    }
    if (!schedule || !schedule.chargingSchedulePeriod.length) {
      box.replaceChildren(element("p", { class: "muted" }, "No limit: no charging profile applies."));
      return;
    }
    const periods = schedule.chargingSchedulePeriod;
    const end = Math.max(schedule.duration ?? asked, periods[periods.length - 1].startPeriod + 1);
    // Some room above the highest limit; a limit near the largest double
    // (the schema sets no maximum) would make it Infinity, and every limit
    // drawn at 0.
    const highest = Math.max(...periods.map((period) => period.limit));
    const top = (Number.isFinite(highest * 1.15) ? highest * 1.15 : highest) || 1;
    const width = 640, height = 220, left = 56, right = 12, upper = 14, lower = 30;
    const x = (seconds) => left + (seconds / end) * (width - left - right);
    const y = (limit) => upper + (1 - limit / top) * (height - upper - lower);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "step-chart", role: "img",
      "aria-label": "composite schedule" });
    chart.append(
      svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), class: "axis" }),
      svg("line", { x1: left, y1: upper, x2: left, y2: y(0), class: "axis" }),
      svg("text", { x: left - 6, y: y(0), class: "tick", "text-anchor": "end" }, "0"),
      svg("text", { x: width - right, y: height - 8, class: "tick", "text-anchor": "end" }, duration(end)),
      svg("text", { x: left, y: height - 8, class: "tick" }, ui.formatTime(answer.scheduleStart)),
    );
    let path = "";
    periods.forEach((period, index) => {
      const until = index + 1 < periods.length ? periods[index + 1].startPeriod : end;
      path += `${index ? "V" : "M" + x(period.startPeriod)} ${y(period.limit)} H ${x(until)} `;
      chart.append(svg("text", { x: x(period.startPeriod) + 4, y: y(period.limit) - 4, class: "limit" },
        `${period.limit} ${schedule.chargingRateUnit}${period.numberPhases ? " · " + period.numberPhases + "φ" : ""}`));
    });
    chart.append(svg("path", { d: path.trim(), class: "step" }));
    box.replaceChildren(chart, element("p", { class: "muted" },
      `Connector ${answer.connectorId}, ${periods.length} period${periods.length === 1 ? "" : "s"} over ${duration(end)}.`));
  }

  // -- wiring ----------------------------------------------------------------

  function setup() {
    const periods = $("#profile-periods tbody");
    periods.replaceChildren(periodRow(0, 16));
    $("#add-period").addEventListener("click", () => {
      const rows = [...periods.rows];
      const last = rows.length ? Number(rows[rows.length - 1].querySelector('[name="startPeriod"]').value) || 0 : -3600;
      periods.append(periodRow(last + 3600, ""));
    });
    $("#profile-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const identity = ui.selected();
      if (!identity) return;
      const answer = await send(identity, "SetChargingProfile", profilePayload(event.target));
      if (answer) showProfiles(identity);
    });
    $("#clear-profile-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const identity = ui.selected();
      if (!identity) return;
      const answer = await send(identity, "ClearChargingProfile", clearPayload(event.target));
      if (answer) showProfiles(identity);
    });
    $("#composite-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const identity = ui.selected();
      if (!identity) return;
      const form = event.target;
      const asked = Number.parseInt(form.elements.duration.value, 10);
      const payload = prune({
        connectorId: Number.parseInt(form.elements.connectorId.value, 10),
        duration: asked,
        chargingRateUnit: form.elements.chargingRateUnit.value || undefined,
      });
      drawChart(await send(identity, "GetCompositeSchedule", payload), asked);
    });
  }

  ui.onSetup(setup);
  ui.onDetail((cp) => {
    // The panel is drawn again on every live event: the list is read when
    // another charge point is selected, and after each change sent.
    if (cp.identity === shownFor) return;
    shownFor = cp.identity;
    $("#composite-chart").replaceChildren();
    showProfiles(cp.identity);
  });
})();
