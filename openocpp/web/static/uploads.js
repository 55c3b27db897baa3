// The console's diagnostics page: a "Get diagnostics" form for the selected
// charge point (GetDiagnostics with this central system's upload location,
// POST /api/v1/chargepoints/{identity}/diagnostics) and the files it
// uploaded (GET /api/v1/uploads?chargePoint=), each downloadable.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { element, api } = ui;
  let shown = null;
  let refreshed = 0;
  // The detail is rendered again on every live event: the list is asked
  // for at most every few seconds then, and at once for another charge
  // point or after a GetDiagnostics.
  const REFRESH_EVERY_MS = 5000;

  function isoOrNothing(value) {
    if (!value) return undefined;
    const moment = new Date(value);
    return Number.isNaN(moment.getTime()) ? undefined : moment.toISOString();
  }

  async function download(upload) {
    // Fetched with the API token (a plain link would not carry it).
    const response = await fetch(upload.href.replace(/^\//, ""), { headers: ui.headers({ Accept: "*/*" }) });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const link = element("a", { href: url, download: upload.fileName });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function refresh(identity) {
    const list = document.getElementById("uploads");
    if (!list || !identity) return;
    let page;
    try {
      page = await api("GET", `uploads?chargePoint=${encodeURIComponent(identity)}`);
    } catch (error) {
      return;
    }
    if (ui.selected() !== identity) return;
    list.replaceChildren(
      ...page.items.map((upload) =>
        element("li", { "data-upload": upload.id },
          element("a", {
            href: upload.href.replace(/^\//, ""),
            class: "upload-link",
            onclick: (event) => { event.preventDefault(); download(upload); },
          }, upload.fileName),
          element("span", { class: "muted" }, ` ${upload.size} bytes · ${ui.formatTime(upload.receivedAt)}`))),
    );
    if (!page.items.length) list.append(element("li", { class: "muted" }, "none yet"));
  }

  function setup() {
    const operations = document.getElementById("operations");
    const form = element("form", { class: "op", id: "op-diagnostics" },
      element("h3", {}, "Get diagnostics"),
      element("label", {}, "From ", element("input", { name: "startTime", type: "datetime-local" })),
      element("label", {}, "To ", element("input", { name: "stopTime", type: "datetime-local" })),
      element("label", {}, "Retries ", element("input", { name: "retries", type: "number", min: "0", placeholder: "charge point's" })),
      element("label", {}, "Location ", element("input", { name: "location", placeholder: "this central system", autocomplete: "off" })),
      element("button", { type: "submit" }, "Get diagnostics"),
      element("h3", {}, "Uploaded files"),
      element("ul", { id: "uploads", class: "uploads" }));
    operations.append(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const identity = ui.selected();
      if (!identity) return;
      const fields = form.elements;
      const body = {
        startTime: isoOrNothing(fields.startTime.value),
        stopTime: isoOrNothing(fields.stopTime.value),
        location: fields.location.value.trim() || undefined,
      };
      if (fields.retries.value !== "") body.retries = Number.parseInt(fields.retries.value, 10);
      const entry = ui.answerEntry(identity, "GetDiagnostics");
      try {
        entry.done(await api("POST", `chargepoints/${encodeURIComponent(identity)}/diagnostics`, body));
      } catch (error) {
        entry.failed(error);
      }
      refresh(identity);
    });
  }

  ui.onSetup(setup);
  ui.onDetail((cp) => {
    const button = document.querySelector("#op-diagnostics button[type=submit]");
    if (button) button.disabled = !cp.connected;
    const now = Date.now();
    if (shown !== cp.identity) {
      shown = cp.identity;
      const list = document.getElementById("uploads");
      if (list) list.replaceChildren();
    } else if (now - refreshed < REFRESH_EVERY_MS) {
      return;
    }
    refreshed = now;
    refresh(cp.identity);
  });
})();
