// The console's certificates page: the certificates the central system
// issued to the selected charge point answering SignCertificate
// (GET /api/v1/certificates?chargePoint=), each with its charge point's
// answer to CertificateSigned, and a button revoking it
// (POST /api/v1/certificates/{serial}/revoke). Uses window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { element, api } = ui;
  let shown = null;
  let refreshed = 0;
  // Drawn again on every live event: asked for at most every few seconds,
  // at once for another charge point or after a revocation.
  const REFRESH_EVERY_MS = 5000;

  async function revoke(identity, certificate) {
    const entry = ui.answerEntry(identity, `Revoke certificate ${certificate.serial}`);
    try {
      entry.done(await api("POST", `certificates/${encodeURIComponent(certificate.serial)}/revoke`, {}));
    } catch (error) {
      entry.failed(error);
    }
    refresh(identity);
  }

  function item(identity, certificate) {
    const state = certificate.revokedAt
      ? `revoked ${ui.formatTime(certificate.revokedAt)}`
      : `valid until ${ui.formatTime(certificate.notAfter)}`;
    const delivery = certificate.delivery ? ` · CertificateSigned: ${certificate.delivery}` : "";
    const row = element("li", { "data-serial": certificate.serial },
      element("code", {}, certificate.serial),
      element("span", { class: "muted" }, ` ${certificate.subject} · ${state}${delivery}`));
    if (!certificate.revokedAt) {
      row.append(" ", element("button", {
        type: "button", class: "revoke", onclick: () => revoke(identity, certificate),
      }, "Revoke"));
    }
    return row;
  }

  async function refresh(identity) {
    const list = document.getElementById("certificates");
    if (!list || !identity) return;
    let page;
    try {
      page = await api("GET", `certificates?chargePoint=${encodeURIComponent(identity)}`);
    } catch (error) {
      return;
    }
    if (ui.selected() !== identity) return;
    list.replaceChildren(...page.items.map((certificate) => item(identity, certificate)));
    if (!page.items.length) list.append(element("li", { class: "muted" }, "none issued"));
  }

  function setup() {
    const operations = document.getElementById("operations");
    operations.append(element("section", { class: "op", id: "op-certificates" },
      element("h3", {}, "Issued certificates"),
      element("ul", { id: "certificates", class: "uploads" })));
  }

  ui.onSetup(setup);
  ui.onDetail((cp) => {
    const now = Date.now();
    if (shown !== cp.identity) {
      shown = cp.identity;
      const list = document.getElementById("certificates");
      if (list) list.replaceChildren();
    } else if (now - refreshed < REFRESH_EVERY_MS) {
      return;
    }
    refreshed = now;
    refresh(cp.identity);
  });
})();
