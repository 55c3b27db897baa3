// The console's message log (#/messages, #/messages/<identity>): the OCPP
// frames the central system traced (--trace FILE), newest first, searchable,
// live from the stream's "frame" events, older pages on demand; a row shows
// its frame pretty-printed when clicked. Loaded after console.js; uses its
// window.openocppConsole.
"use strict";

(() => {
  const ui = window.openocppConsole;
  const { api, element } = ui;

  const PAGE = 100;
  const MOST_ROWS = 2000; // live frames push the oldest out past this
  const KINDS = { 2: "CALL", 3: "CALLRESULT", 4: "CALLERROR" };

  const state = {
    shown: false,
    identity: "",
    search: "",
    live: true,
    oldest: null, // the time of the oldest frame shown
    seen: new Set(), // keys of the frames shown at the oldest time
    actions: new Map(), // message id -> action, from the CALLs seen
    searchTimer: null,
  };

  const key = (entry) => `${entry.time} ${entry.identity} ${entry.direction} ${JSON.stringify(entry.frame)}`;
  const frameText = (entry) => (typeof entry.frame === "string" ? entry.frame : JSON.stringify(entry.frame));

  function message(text, bad) {
    const box = document.getElementById("messages-message");
    if (!box) return;
    box.textContent = text || "";
    box.className = bad ? "message bad" : "message";
    box.hidden = !text;
  }

  // -- rows --------------------------------------------------------------------

  function describe(entry) {
    const frame = entry.frame;
    if (entry.invalid || !Array.isArray(frame)) return { kind: "invalid", id: "", action: "", summary: frameText(entry) };
    const kind = KINDS[frame[0]] || String(frame[0]);
    const id = frame[1] === undefined ? "" : String(frame[1]);
    if (kind === "CALL") {
      state.actions.set(`${entry.identity} ${id}`, frame[2]);
      return { kind, id, action: frame[2] || "", summary: JSON.stringify(frame[3] ?? {}) };
    }
    const action = state.actions.get(`${entry.identity} ${id}`) || "";
    if (kind === "CALLERROR") return { kind, id, action, summary: `${frame[2] || ""}: ${frame[3] || ""}` };
    return { kind, id, action, summary: JSON.stringify(frame[2] ?? {}) };
  }

  function row(entry) {
    const about = describe(entry);
    const incoming = entry.direction === "in";
    const tr = element("tr", {
      class: `frame kind-${about.kind}`,
      "data-direction": entry.direction,
      "data-message-id": about.id,
      "data-action": about.action,
      onclick: () => toggle(tr, entry),
    },
    element("td", { class: "time", text: formatTime(entry.time) }),
    element("td", { text: entry.identity }),
    element("td", {
      class: `direction ${entry.direction}`,
      title: incoming ? "received from the charge point" : "sent to the charge point",
    }, incoming ? "← in" : "→ out"),
    element("td", { class: "kind", text: about.kind }),
    element("td", { class: "action", text: about.action }),
    element("td", { class: "message-id", text: about.id }),
    element("td", { class: "summary", text: about.summary }));
    return tr;
  }

  function formatTime(text) {
    // With milliseconds: frames come fast.
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) return text;
    // The milliseconds belong to the seconds ("6:12:44.607 PM"), not after
    // a locale's AM/PM ("6:12:44 PM.607").
    const time = moment.toLocaleTimeString([], {
      hour: "numeric", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3,
    });
    return `${moment.toLocaleDateString()} ${time}`;
  }

  function toggle(tr, entry) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("frame-detail")) { next.remove(); tr.classList.remove("open"); return; }
    const pretty = typeof entry.frame === "string" ? entry.frame : JSON.stringify(entry.frame, null, 2);
    tr.classList.add("open");
    tr.after(element("tr", { class: "frame-detail" },
      element("td", { colspan: "7" }, element("pre", { class: "payload" }, pretty))));
  }

  // -- loading -----------------------------------------------------------------

  function query(before) {
    const params = new URLSearchParams({ limit: PAGE });
    if (state.identity) params.set("chargePoint", state.identity);
    if (state.search) params.set("q", state.search);
    if (before) params.set("before", before);
    return params.toString();
  }

  // Frames older than the oldest shown. "before" is exclusive: asked one
  // millisecond later, frames of the oldest's millisecond are not lost,
  // and those shown already are left out.
  async function load(older) {
    const body = document.querySelector("#messages tbody");
    if (!body) return;
    let before = null;
    if (older && state.oldest) before = new Date(new Date(state.oldest).getTime() + 1).toISOString();
    let answer;
    try {
      answer = await api("GET", `messages?${query(before)}`);
    } catch (error) {
      message(error.message, true);
      return;
    }
    if (!state.shown) return;
    if (!answer.tracing) {
      message("The central system keeps no trace: start it with --trace FILE to see its OCPP frames here.", true);
      document.getElementById("messages-older").disabled = true;
      return;
    }
    message("");
    if (!older) { body.replaceChildren(); state.seen.clear(); state.oldest = null; }
    // Oldest first, so that each CALLRESULT finds its CALL's action.
    const fresh = answer.items.filter((entry) => !state.seen.has(key(entry))).reverse();
    const rows = fresh.map(row).reverse();
    body.append(...rows);
    for (const entry of answer.items) {
      if (state.oldest === null || entry.time < state.oldest) { state.oldest = entry.time; state.seen.clear(); }
      if (entry.time === state.oldest) state.seen.add(key(entry));
    }
    document.getElementById("messages-older").disabled = answer.items.length < PAGE;
    document.getElementById("messages-empty").hidden = body.children.length > 0;
    count();
  }

  function count() {
    const body = document.querySelector("#messages tbody");
    const frames = body ? body.querySelectorAll("tr.frame").length : 0;
    document.getElementById("messages-count").textContent = `${frames} frame${frames === 1 ? "" : "s"}`;
  }

  function matches(entry) {
    if (state.identity && entry.identity !== state.identity) return false;
    return !state.search || frameText(entry).toLowerCase().includes(state.search.toLowerCase());
  }

  function onFrame(data) {
    if (!state.shown || !state.live) return;
    const entry = { time: data.time, identity: data.chargePoint, direction: data.direction, frame: data.frame, invalid: data.invalid };
    if (!matches(entry)) return;
    const body = document.querySelector("#messages tbody");
    if (!body) return;
    body.prepend(row(entry));
    const frames = body.querySelectorAll("tr.frame");
    if (frames.length > MOST_ROWS) {
      for (const old of [...frames].slice(MOST_ROWS)) {
        if (old.nextElementSibling && old.nextElementSibling.classList.contains("frame-detail")) old.nextElementSibling.remove();
        old.remove();
      }
    }
    document.getElementById("messages-empty").hidden = true;
    count();
  }

  // -- the view ----------------------------------------------------------------

  async function loadChargePointNames() {
    try {
      const page = await api("GET", "chargepoints?limit=500");
      const list = document.getElementById("messages-chargepoints");
      if (list) list.replaceChildren(...page.items.map((cp) => element("option", { value: cp.identity })));
    } catch (error) { /* typed then */ }
  }

  function render(main, params) {
    state.shown = true;
    state.identity = params[0] || "";
    state.actions.clear();
    // Searched as typed (a pause first), and when the field is emptied or
    // left.
    const searched = (event) => {
      clearTimeout(state.searchTimer);
      state.searchTimer = setTimeout(() => {
        const text = event.target.value.trim();
        if (text === state.search) return;
        state.search = text;
        load(false);
      }, 250);
    };
    const search = element("input", {
      id: "messages-search", type: "search", value: state.search, placeholder: "search the frames (action, id tag, …)",
      autocomplete: "off", spellcheck: "false", oninput: searched, onchange: searched, onsearch: searched,
    });
    const identity = element("input", {
      id: "messages-chargepoint", list: "messages-chargepoints", value: state.identity, placeholder: "every charge point",
      autocomplete: "off",
      onchange: (event) => ui.go(event.target.value.trim() ? ui.hashOf("messages", event.target.value.trim()) : ui.hashOf("messages")),
    });
    main.append(element("section", { id: "messages-section", class: "card wide" },
      element("div", { class: "card-head" },
        element("h2", {}, state.identity ? `Messages of ${state.identity}` : "Messages"),
        element("span", { id: "messages-count", class: "muted" }),
        element("span", { class: "spacer" }),
        element("label", { class: "muted" },
          element("input", { type: "checkbox", id: "messages-live", checked: state.live,
            onchange: (event) => { state.live = event.target.checked; } }), " live")),
      element("div", { class: "filters" },
        element("label", {}, "Charge point", identity, element("datalist", { id: "messages-chargepoints" })),
        element("label", { class: "grow" }, "Search", search)),
      element("p", { id: "messages-message", class: "message", hidden: true }),
      element("table", { id: "messages", class: "list compact frames" },
        element("thead", {}, element("tr", {},
          ...["Time", "Charge point", "Direction", "Type", "Action", "Message id", "Payload"].map((h) => element("th", {}, h)))),
        element("tbody")),
      element("p", { id: "messages-empty", class: "empty", hidden: true }, "No frame."),
      element("div", { class: "pager" },
        element("button", { type: "button", id: "messages-older", class: "quiet", onclick: () => load(true) }, "Older frames ↓"))));
    load(false);
    loadChargePointNames();
  }

  ui.view("messages", {
    title: (params) => (params.length ? `Messages of ${params[0]}` : "Messages"),
    nav: true,
    render,
    leave() { state.shown = false; },
  });

  ui.onEvent((kind, data) => { if (kind === "frame") onFrame(data); });
})();
