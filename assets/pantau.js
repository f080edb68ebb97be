/* The live page's per-second work, done in the browser: the server sends times, not seconds.
 * Times follow the server's clock (a wall screen's own clock may be wrong) and are shown in WIB. */
(function () {
  "use strict";
  var WIB_OFFSET_MS = 7 * 3600 * 1000; // Indonesia keeps UTC+7 all year
  var STALE_AFTER_MS = 10000; // five missed 2-s checks

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function fill(template, n, texts) {
    var digits = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, texts.thousands || ".");
    return String(template).replace("{n}", digits);
  }

  function ago(seconds, texts) {
    var s = Math.floor(seconds);
    if (s < 5) return texts.now;
    if (s >= 86400) return fill(texts.days, Math.floor(s / 86400), texts);
    if (s >= 3600) return fill(texts.hours, Math.floor(s / 3600), texts);
    if (s >= 60) return fill(texts.minutes, Math.floor(s / 60), texts);
    return fill(texts.seconds, s, texts);
  }

  // Shared with the other views' scripts (assets load in name order: pantau.js comes before them).
  // When the server last answered, by this browser's clock, and how far the two clocks differ.
  function received(heartbeat) {
    if (!heartbeat || typeof heartbeat !== "object") return window.dash_clientside.no_update;
    var now = Date.now();
    var serverMs = typeof heartbeat.server_ms === "number" ? heartbeat.server_ms : now;
    return {ok: heartbeat.ok === true, at: now, skew: now - serverMs};
  }

  window.pantauText = { pad: pad, fill: fill, ago: ago, received: received };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pantau: {
      received: received,

      tick: function (_n, received, feed) {
        var texts = (feed && feed.texts) || {};
        var now = Date.now() - (received ? received.skew : 0);
        var wib = new Date(now + WIB_OFFSET_MS);
        var sep = texts.time_sep || ".";
        var clock = [wib.getUTCHours(), wib.getUTCMinutes(), wib.getUTCSeconds()].map(pad).join(sep) + " WIB";
        var weekday = texts.weekdays ? texts.weekdays[(wib.getUTCDay() + 6) % 7] : "";
        var month = texts.months ? texts.months[wib.getUTCMonth()] : String(wib.getUTCMonth() + 1);
        var date = weekday + ", " + wib.getUTCDate() + " " + month + " " + wib.getUTCFullYear();

        var last = feed && typeof feed.last_event_ms === "number" ? feed.last_event_ms : null;
        var lastAgo = last === null ? window.dash_clientside.no_update : ago(Math.max(0, now - last) / 1000, texts);

        var stale = received && (!received.ok || Date.now() - received.at > STALE_AFTER_MS);
        var status, statusClass;
        if (!received) {
          status = window.dash_clientside.no_update;
          statusClass = window.dash_clientside.no_update;
        } else if (stale) {
          status = texts.stale + " · " + texts.stale_hint;
          statusClass = "pantau-status is-stale";
        } else {
          status = texts.live;
          statusClass = "pantau-status is-live";
        }
        var pageClass = stale ? "pantau-page is-stale" : "pantau-page";
        return [clock, date, lastAgo, status, statusClass, pageClass];
      }
    }
  });
})();
