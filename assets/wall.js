/* The Media Center wall's per-second work, done in the browser: scene rotation, the clock, SLA countdowns,
 * elapsed times and feed ages. The server sends times (epoch ms), never seconds left. Times follow the
 * server's clock (a wall screen's own clock may be wrong) and are shown in WIB. */
(function () {
  "use strict";
  var WIB_OFFSET_MS = 7 * 3600 * 1000; // Indonesia keeps UTC+7 all year
  var ALERT_HOLD_MS = 60000; // a new priority-1 incident keeps the 112 scene up at least this long
  var SLA_CLASSES = ["is-on_track", "is-at_risk", "is-critical", "is-breached"];

  var pad = window.pantauText.pad, ago = window.pantauText.ago;

  // 23:59:59 left, or "lewat 01:02:03" once past; a day or more past, "lewat 12 hari": the seconds of a
  // complaint that late are noise from five metres.
  function countdown(ms, texts, sep) {
    var over = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    if (over && s >= 86400 && texts.over_days) return window.pantauText.fill(texts.over_days, Math.floor(s / 86400), texts);
    var text = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map(pad).join(sep);
    return over ? texts.over + " " + text : text;
  }

  function numberAttr(el, name) {
    var value = Number(el.getAttribute(name));
    return el.getAttribute(name) && isFinite(value) ? value : null;
  }

  // Only a changed text is written: a write is a DOM mutation, and watchNewRows would answer it again.
  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function tickPanels(page, now, texts) {
    var sep = texts.time_sep || ".";
    page.querySelectorAll("[data-due-ms]").forEach(function (row) {
      var due = numberAttr(row, "data-due-ms");
      if (due === null) return;
      var atRisk = numberAttr(row, "data-at-risk-ms"), critical = numberAttr(row, "data-critical-ms");
      var state = now >= due ? "is-breached" : (critical !== null && now >= critical) ? "is-critical"
        : (atRisk !== null && now >= atRisk) ? "is-at_risk" : "is-on_track";
      SLA_CLASSES.forEach(function (c) { if (c !== state) row.classList.remove(c); });
      row.classList.add(state);
      var cell = row.querySelector(".wall-countdown");
      if (cell) setText(cell, countdown(due - now, texts, ":"));
    });
    // information requests (UU KIP): a request due today counts down to its 23:59:59 WIB; a late one shows its
    // working days late, one more from the start of the next working day (the server sends when that is)
    page.querySelectorAll("[data-ppid-due-ms]").forEach(function (row) {
      var due = numberAttr(row, "data-ppid-due-ms"), daysLeft = numberAttr(row, "data-ppid-days-left");
      if (due === null || daysLeft === null) return;
      var next = numberAttr(row, "data-ppid-next-ms"), cell = row.querySelector(".wall-countdown"), text;
      var overdue = now >= due;
      row.classList.toggle("is-overdue", overdue);
      row.classList.toggle("is-due-today", !overdue);
      if (!overdue) {
        text = countdown(due - now, texts, ":");
      } else {
        var late = Math.max(0, -daysLeft) + (next !== null && now >= next ? 1 : 0);
        text = late === 0 ? (texts.states || {}).breached || ""
          : window.pantauText.fill(late === 1 ? texts.ppid_late_one : texts.ppid_late, late, texts);
      }
      if (cell && text) setText(cell, text);
    });
    page.querySelectorAll("[data-since-ms]").forEach(function (el) {
      var since = numberAttr(el, "data-since-ms");
      if (since !== null) setText(el, ago(Math.max(0, now - since) / 1000, texts));
    });
    page.querySelectorAll("[data-newest-ms]").forEach(function (el) {
      var newest = numberAttr(el, "data-newest-ms");
      if (newest !== null) setText(el, String(texts.newest).replace("{ago}", ago(Math.max(0, now - newest) / 1000, texts)));
    });
    return sep;
  }

  // A row patched in between two ticks would show an empty countdown or age for up to a second: fill it
  // in as soon as it is added (one observer per page, coalesced to one pass per frame).
  var watched = null, pending = false;
  function watchNewRows(page) {
    if (watched === page) return;
    watched = page;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        tickPanels(page, serverNow(), pageConfig.texts || {});
      });
    }).observe(page.querySelector(".wall-main") || page, {childList: true, subtree: true});
  }

  // Dash's renderer keeps an undo history of every property a component sets, never dropped, the whole
  // list copied at each new one: with a dcc.Interval three entries a second (95 in 30 s), and still one
  // per refresh and per poll asked. A wall that runs for weeks would carry millions, and each refresh's
  // entry holds its whole view (panels and map, tens of kilobytes). Nobody undoes anything on a wall:
  // keep the newest few.
  var HISTORY_KEEP = 20;
  function trimHistory() {
    var state = window.store && window.store.getState && window.store.getState();
    var past = state && state.history && state.history.past;
    if (Array.isArray(past) && past.length > 2 * HISTORY_KEEP) past.splice(0, past.length - HISTORY_KEEP);
  }

  // Which scene shows now: pinned, brought forward by a new priority-1 incident, or the next in turn.
  function rotate(rotation, config, feed, now) {
    var scenes = config.scenes, period = config.rotate_ms;
    var state = rotation && typeof rotation === "object" ? Object.assign({}, rotation)
      : {scene: config.pin || scenes[0], until: now + period, p1: null, seen: false};
    var p1 = feed && feed.p1 && typeof feed.p1.incident_id === "string" ? feed.p1.incident_id : null;
    if (feed) {
      // The first answer only tells what is already known: no alert for what was there before the page.
      if (state.seen && p1 !== null && p1 !== state.p1 && !config.pin) {
        state.scene = "112";
        state.until = now + Math.max(period, ALERT_HOLD_MS);
        state.alert_until = state.until;
      }
      state.p1 = p1;
      state.seen = true;
    }
    if (config.pin) {
      state.scene = config.pin;
    } else if (now >= state.until) {
      var i = scenes.indexOf(state.scene);
      state.scene = scenes[(i + 1) % scenes.length];
      state.until = now + period;
    }
    state.alert = !!(state.alert_until && now < state.alert_until);
    return state;
  }

  // Only a changed class is written: the page's class decides which panels show, and a write restyles it.
  function setClass(el, name) {
    if (el.className !== name) el.className = name;
  }

  // How the wall hears of a change (callbacks/wall.py): the server pushes the data version and its clock
  // (Server-Sent Events, once a second when nothing changes), and while the push is down or silent the
  // pulse asks for the same every refresh_ms. A refresh is asked of Dash (one at a time) only when the
  // version moved or what the screen shows is due (known.until_ms, by the server's clock), so an idle wall
  // costs the page one small message a second and no store update. `received` is the newest word, for
  // the clock's skew and the "live" state; a failed refresh (the server could not read the figures) keeps
  // the wall stale until one succeeds, though the pulse itself still answers.
  // The page's configuration (layouts/wall.py, config_data), given by the first render.
  var pageConfig = null;

  var pulse = {running: false, received: null, known: null, asked: null, answered: false,
               refreshed: false, failing: false, n: 0, feed: null, missed: null};
  var push = {source: null, open: false, heard: 0, failures: 0, retry: null};

  function startPulse() {
    if (pulse.running) return;
    pulse.running = true;
    pulse.asked = pulse.asked || Date.now(); // the page's own first refresh is already on its way
    openPush();
    beat();
  }

  // The push speaks for the pulse while it is open and has spoken within two of its heartbeats.
  function pushAlive() {
    return push.open && Date.now() - push.heard < 2 * (pageConfig.push_heartbeat_ms || 1000);
  }

  function openPush() {
    var config = pageConfig;
    push.retry = null;
    if (!config.push_url || typeof window.EventSource !== "function") return;
    if (!document.getElementById("wall-page")) return;
    var source = new window.EventSource(config.push_url), openedAt = 0;
    push.source = source;
    source.onopen = function () { push.open = true; openedAt = Date.now(); push.heard = openedAt; };
    source.onmessage = function (event) {
      var answer = null;
      try { answer = JSON.parse(event.data); } catch (error) { return; }
      push.heard = Date.now();
      onPulse(answer);
    };
    // Closed by the server (its connection's life is bounded), refused (no slot free: 503), or lost: the
    // pulse takes over at once, and the push is tried again, soon after a connection that lived, later
    // and later after one that did not.
    source.onerror = function () {
      source.close();
      if (push.source === source) push.source = null;
      push.open = false;
      var lived = openedAt && Date.now() - openedAt > 5000;
      push.failures = lived ? 0 : push.failures + 1;
      if (push.retry === null) push.retry = setTimeout(openPush, lived ? 200 : Math.min(30000, 1000 * Math.pow(2, push.failures)));
    };
  }

  function beat() {
    var config = pageConfig;
    if (!document.getElementById("wall-page")) {
      pulse.running = false;
      if (push.source) push.source.close();
      return;
    }
    var next = function (sent) { setTimeout(beat, Math.max(0, (config.refresh_ms || 500) - (Date.now() - sent))); };
    if (pushAlive()) { next(Date.now()); return; }
    var sent = Date.now();
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, config.poll_timeout_ms || 5000);
    window.fetch(config.pulse_url, {credentials: "same-origin", cache: "no-store",
                                    signal: controller ? controller.signal : undefined})
      .then(function (response) { return response.ok ? response.json() : null; })
      // unreachable, or not an answer (a proxy's page): no word, and the status turns stale in time
      .then(null, function () { return null; })
      .then(onPulse)
      .catch(function (error) { console.error("wall pulse:", error); })
      .then(function () { // whatever happened, the next pulse: a wall must never stop asking
        clearTimeout(timer);
        next(sent);
      });
  }

  function onPulse(answer) {
    if (!answer || typeof answer !== "object") return;
    var now = Date.now();
    var serverMs = typeof answer.server_ms === "number" ? answer.server_ms : now;
    pulse.received = {ok: answer.ok === true, at: now, skew: now - serverMs};
    if (answer.ok !== true) return;
    var known = pulse.known;
    var due = !known || known.version !== answer.version || !(serverMs < known.until_ms);
    if (!due) return;
    var waiting = !pulse.answered && pulse.asked !== null && now - pulse.asked < (pageConfig.poll_timeout_ms || 5000);
    if (waiting) { pulse.missed = answer; return; } // asked again as soon as the refresh in flight answers
    pulse.missed = null;
    pulse.asked = now;
    pulse.answered = false;
    pulse.n += 1;
    window.dash_clientside.set_props("wall-poll", {data: {n: pulse.n, want: answer.version, known: known}});
  }

  // The freshest word from the server: none before the first figures are on screen ("loading"); not ok
  // while the last refresh failed or has gone unanswered for stale_after_ms, though the pulse answers.
  function pulseReceived() {
    var r = pulse.received;
    if (!r || !pulse.refreshed) return null;
    var late = !pulse.answered && Date.now() - pulse.asked > (pageConfig.stale_after_ms || 2000);
    return pulse.failing || late ? {ok: false, at: r.at, skew: r.skew} : r;
  }

  // The per-second work on a plain timer, not a dcc.Interval: a Dash callback a second is a dozen store
  // updates (callbacks/wall.py, the pulse), and what it did (a clock, a status, a class, a title) needs no
  // server and no store. These elements are rendered once by Dash and never given new props by it, so
  // React leaves what is written here alone. The timer is aligned to the clock's second.
  // The server's clock, as well as this browser knows it.
  function serverNow() {
    var received = pulseReceived();
    return Date.now() - (received ? received.skew : 0);
  }

  var ticking = {rotation: null, timer: null};

  function startTicking() {
    if (ticking.timer !== null) return;
    (function next() {
      ticking.timer = setTimeout(function () {
        if (!document.getElementById("wall-page")) { ticking.timer = null; return; }
        try { tick(); } finally { next(); } // an error is reported, and the clock goes on
      }, 1000 - (Date.now() % 1000) + 5);
    })();
    tick();
  }

  function tick() {
    var config = pageConfig, page = document.getElementById("wall-page");
    if (!config || !page) return;
    var texts = config.texts || {};
    var received = pulseReceived();
    var now = serverNow();
    var wib = new Date(now + WIB_OFFSET_MS);
    var sep = texts.time_sep || ".";
    var weekday = texts.weekdays ? texts.weekdays[(wib.getUTCDay() + 6) % 7] : "";
    var month = texts.months ? texts.months[wib.getUTCMonth()] : String(wib.getUTCMonth() + 1);
    setTextById("wall-clock", [wib.getUTCHours(), wib.getUTCMinutes(), wib.getUTCSeconds()].map(pad).join(sep) + " WIB");
    setTextById("wall-date", weekday + ", " + wib.getUTCDate() + " " + month + " " + wib.getUTCFullYear());

    trimHistory();
    tickPanels(page, now, texts);
    watchNewRows(page);

    // Stale when the server said so, or has not answered for stale_after_ms (four pulses).
    var stale = received && (!received.ok || Date.now() - received.at > (config.stale_after_ms || 2000));
    var status = document.getElementById("wall-status");
    if (received && status) {
      setText(status, stale ? texts.stale : texts.live);
      setClass(status, stale ? "wall-status is-stale" : "wall-status is-live");
    }
    var state = ticking.rotation = rotate(ticking.rotation, config, pulse.feed, now);
    setClass(page, "wall-page scene-" + state.scene + (stale ? " is-stale" : "") + (state.alert ? " is-alert" : ""));
    setTextById("wall-scene-title", (config.scene_titles || {})[state.scene] || "");
  }

  function setTextById(id, text) {
    var el = document.getElementById(id);
    if (el) setText(el, text);
  }

  // --- the render: the refresh's view into the page -------------------------------------------------

  // One element from its HTML text (a <tr> needs a template to be parsed whole).
  function element(text) {
    var template = document.createElement("template");
    template.innerHTML = text;
    return template.content.firstElementChild;
  }

  // A panel: its head and the wrapper of its rows are rebuilt only when their text changed; a row is kept
  // when its text is the same (its ticking countdown with it), else made anew, and the rows put in order.
  function renderPanel(section, panel) {
    var drawn = section.__wall || (section.__wall = {head: null, shell: null, empty: null, rows: {}});
    if (panel.rows === null) {
      if (drawn.head !== panel.head || drawn.empty !== panel.empty || drawn.shell !== null) {
        section.innerHTML = panel.head + panel.empty;
        section.__wall = {head: panel.head, shell: null, empty: panel.empty, rows: {}};
      }
      return;
    }
    if (drawn.head !== panel.head || drawn.shell !== panel.shell || drawn.empty !== "") {
      section.innerHTML = panel.head + panel.shell;
      drawn = section.__wall = {head: panel.head, shell: panel.shell, empty: "", rows: {},
                                offset: panel.shell ? 0 : section.children.length};
    }
    var box = panel.shell ? section.querySelector("[data-wall-rows]") : section;
    if (!box) return;
    var rows = {}, previous = drawn.rows;
    panel.rows.forEach(function (row) {
      var key = row[0], text = row[1], el = previous[key];
      if (!el || el.__wallText !== text) {
        el = element(text);
        if (!el) return;
        el.__wallText = text;
      }
      rows[key] = el;
    });
    Object.keys(previous).forEach(function (key) {
      if (rows[key] !== previous[key] && previous[key].parentNode === box) box.removeChild(previous[key]);
    });
    var at = box.children[drawn.offset || 0] || null;
    panel.rows.forEach(function (row) {
      var el = rows[row[0]];
      if (!el) return;
      if (el !== at) box.insertBefore(el, at);
      else at = at.nextElementSibling;
    });
    drawn.rows = rows;
  }

  // The map: one image, its source the SVG text. A new image is decoded before it replaces the old one,
  // so the panel never flashes empty.
  function renderMap(section, map) {
    if (!map || typeof map.svg !== "string") return;
    var url = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(map.svg);
    var img = new Image();
    img.className = "wall-map";
    img.alt = (pageConfig && pageConfig.map_alt) || "";
    img.setAttribute("data-map-key", String(map.key));
    img.src = url;
    var place = function () { section.replaceChildren(img); };
    if (typeof img.decode === "function") img.decode().then(place, place);
    else place();
  }

  var PANEL_IDS = {tiles: "wall-tiles", ticker: "wall-ticker", sla: "wall-sla", ppid: "wall-ppid",
                   egov: "wall-egov", health: "wall-health"};

  function render(view) {
    var panels = view.panels || {};
    Object.keys(PANEL_IDS).forEach(function (name) {
      var section = document.getElementById(PANEL_IDS[name]);
      if (section && panels[name] && typeof panels[name] === "object") renderPanel(section, panels[name]);
    });
    // The map after the frame that shows the panels: a new row is on screen before the image is decoded.
    var mapSection = document.getElementById("wall-map");
    if (mapSection && view.map) {
      requestAnimationFrame(function () { setTimeout(function () { renderMap(mapSection, view.map); }, 0); });
    }
  }

  // A refresh answered: what the screen now shows (its data version, until when it holds), and the
  // newest priority-1 incident, which brings the 112 scene forward.
  function answered(view) {
    var received = window.pantauText.received(view.heartbeat);
    if (received === window.dash_clientside.no_update) return;
    pulse.answered = true;
    pulse.refreshed = true;
    pulse.failing = !received.ok;
    var known = view.known;
    if (known && typeof known === "object" && typeof known.version === "string") pulse.known = known;
    if (view.feed && typeof view.feed === "object") pulse.feed = view.feed;
    if (!pulse.received || received.at >= pulse.received.at) pulse.received = received;
    tick(); // "live" as soon as the first figures are in, not at the next second
    if (pulse.missed) onPulse(pulse.missed); // a change announced while this refresh was on its way
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      // The view store changed: the page's first state (each panel "loading"), then each refresh's answer.
      // The first call starts the push, the pulse and the clock.
      render: function (view, config) {
        if (config && typeof config === "object" && pageConfig === null) {
          pageConfig = config;
          startPulse();
          startTicking();
        }
        if (view && typeof view === "object") {
          try { render(view); } finally { if (view.heartbeat) answered(view); }
        }
        return window.dash_clientside.no_update;
      }
    }
  });
})();
