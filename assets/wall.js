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
  // per refresh and per poll asked. A wall that runs for weeks would carry millions. Nobody undoes
  // anything on a wall: keep the newest few hundred.
  var HISTORY_KEEP = 300;
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

  // The pulse (callbacks/wall.py says why it is outside Dash): every refresh_ms after its last answer, the
  // data version and the server's clock. A refresh is asked of Dash (one at a time) only when the version
  // moved or what the screen shows is due (known.until_ms, by the server's clock), so an idle wall costs
  // the page one small fetch and no store update. `received` is the newest answer, for the clock's skew
  // and the "live" state; a failed refresh (the server could not read the figures) keeps the wall stale
  // until one succeeds, though the pulse itself still answers.
  // The page's configuration (layouts/wall.py, config_data), given by `start`.
  var pageConfig = null;

  var pulse = {running: false, received: null, known: null, asked: null, answered: false,
               refreshed: false, failing: false, n: 0, feed: null};

  function startPulse() {
    if (pulse.running) return;
    pulse.running = true;
    pulse.asked = pulse.asked || Date.now(); // the page's own first refresh is already on its way
    beat();
  }

  function beat() {
    var config = pageConfig;
    if (!document.getElementById("wall-page")) { pulse.running = false; return; }
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
        setTimeout(beat, Math.max(0, (config.refresh_ms || 500) - (Date.now() - sent)));
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
    var waiting = !pulse.answered && pulse.asked !== null && now - pulse.asked < (pageConfig.poll_timeout_ms || 5000);
    if (!due || waiting) return;
    pulse.asked = now;
    pulse.answered = false;
    pulse.n += 1;
    // a 4K wall gets a map drawn for 4K (legend and notes twice the pixels)
    window.dash_clientside.set_props("wall-poll", {data: {n: pulse.n, sent_at: now, scale: window.innerHeight >= 1600 ? 2 : 1}});
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

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      // The page is there (its configuration arrived): start the pulse and the clock.
      start: function (config) {
        if (config && typeof config === "object") {
          pageConfig = config;
          startPulse();
          startTicking();
        }
        return window.dash_clientside.no_update;
      },

      // A refresh answered: what the screen now shows (its data version, until when it holds), and the
      // newest priority-1 incident, which brings the 112 scene forward.
      answered: function (heartbeat, known, feed) {
        var received = window.pantauText.received(heartbeat);
        if (received === window.dash_clientside.no_update) return;
        pulse.answered = true;
        pulse.refreshed = true;
        pulse.failing = !received.ok;
        if (known && typeof known === "object" && typeof known.version === "string") {
          pulse.known = {version: known.version, until_ms: known.until_ms};
        }
        if (feed && typeof feed === "object") pulse.feed = feed;
        if (!pulse.received || received.at >= pulse.received.at) pulse.received = received;
        tick(); // "live" as soon as the first figures are in, not at the next second
      }
    }
  });
})();
