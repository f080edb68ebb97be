/* The Media Center wall's per-second work, done in the browser: scene rotation, the clock, SLA countdowns,
 * elapsed times and feed ages. The server sends times (epoch ms), never seconds left. Times follow the
 * server's clock (a wall screen's own clock may be wrong) and are shown in WIB. */
(function () {
  "use strict";
  var WIB_OFFSET_MS = 7 * 3600 * 1000; // Indonesia keeps UTC+7 all year
  var ALERT_HOLD_MS = 60000; // a new priority-1 incident keeps the 112 scene up at least this long
  var SLA_CLASSES = ["is-on_track", "is-at_risk", "is-critical", "is-breached"];

  var pad = window.pantauText.pad, ago = window.pantauText.ago;

  // 23:59:59 left, or "lewat 01:02:03" once past; hours grow past 24 for a long-overdue complaint.
  function countdown(ms, texts, sep) {
    var over = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
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
  var watched = null, pending = false, lastTexts = null, lastReceived = null;
  function watchNewRows(page, texts, received) {
    lastTexts = texts;
    lastReceived = received;
    if (watched === page) return;
    watched = page;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        tickPanels(page, Date.now() - (lastReceived ? lastReceived.skew : 0), lastTexts || {});
      });
    }).observe(page.querySelector(".wall-main") || page, {childList: true, subtree: true});
  }

  // Dash's renderer keeps an undo history of every property a component sets, and a dcc.Interval sets
  // n_intervals at each firing: three entries a second here, never dropped, the whole list copied at each
  // new one (window.store.getState().history.past grew to 95 entries in 30 s). A wall that runs for weeks
  // would carry millions. Nobody undoes anything on a wall: keep the newest few hundred.
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

  // Only outputs that changed go back to Dash: each one re-renders its component, and the page's class
  // and the scene title would otherwise re-render every second on ten walls for nothing.
  var lastOutputs = [];
  function unchanged(outputs) {
    var noUpdate = window.dash_clientside.no_update;
    return outputs.map(function (value, i) {
      var text = JSON.stringify(value);
      if (value === noUpdate || lastOutputs[i] === text) return noUpdate;
      lastOutputs[i] = text;
      return value;
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      received: window.pantauText.received,

      // The next poll goes out only once the last one is answered (or given up after poll_timeout_ms),
      // so a slow answer never has a second request queued behind it.
      gate: function (n, poll, received, config) {
        var now = Date.now();
        var timeout = (config && config.poll_timeout_ms) || 5000;
        var answered = !poll || (received && received.at >= poll.sent_at);
        if (!answered && now - poll.sent_at < timeout) return window.dash_clientside.no_update;
        // a 4K wall gets a map drawn for 4K (legend and notes twice the pixels)
        return {n: n || 0, sent_at: now, scale: window.innerHeight >= 1600 ? 2 : 1};
      },

      tick: function (_n, received, feed, config, rotation) {
        var noUpdate = window.dash_clientside.no_update;
        if (!config) return [noUpdate, noUpdate, noUpdate, noUpdate, noUpdate, noUpdate, noUpdate];
        var texts = config.texts || {};
        var now = Date.now() - (received ? received.skew : 0);
        var wib = new Date(now + WIB_OFFSET_MS);
        var sep = texts.time_sep || ".";
        var clock = [wib.getUTCHours(), wib.getUTCMinutes(), wib.getUTCSeconds()].map(pad).join(sep) + " WIB";
        var weekday = texts.weekdays ? texts.weekdays[(wib.getUTCDay() + 6) % 7] : "";
        var month = texts.months ? texts.months[wib.getUTCMonth()] : String(wib.getUTCMonth() + 1);
        var date = weekday + ", " + wib.getUTCDate() + " " + month + " " + wib.getUTCFullYear();

        trimHistory();
        var page = document.getElementById("wall-page");
        if (page) {
          tickPanels(page, now, texts);
          watchNewRows(page, texts, received);
        }

        // Stale when the server said so, or has not answered for stale_after_ms (four polls).
        var staleAfter = config.stale_after_ms || 2000;
        var stale = received && (!received.ok || Date.now() - received.at > staleAfter);
        var status, statusClass;
        if (!received) {
          status = noUpdate;
          statusClass = noUpdate;
        } else if (stale) {
          status = texts.stale;
          statusClass = "wall-status is-stale";
        } else {
          status = texts.live;
          statusClass = "wall-status is-live";
        }
        var state = rotate(rotation, config, feed, now);
        var pageClass = "wall-page scene-" + state.scene + (stale ? " is-stale" : "") + (state.alert ? " is-alert" : "");
        var title = (config.scene_titles || {})[state.scene] || "";
        return unchanged([clock, date, status, statusClass, pageClass, title, state]);
      }
    }
  });
})();
