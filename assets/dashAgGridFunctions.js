/* Value formatters of the briefing's grids (dash-ag-grid looks them up here by name): the rows carry raw
 * numbers and UTC times, so sorting stays numeric; the text follows the page's language and WIB. */
(function () {
  "use strict";
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var WIB_OFFSET_MS = 7 * 3600 * 1000; // Indonesia keeps UTC+7 all year

  dagfuncs.pantauNumber = function (value, decimals, lang) {
    if (value === null || value === undefined || value === "" || isNaN(value)) return "–";
    var text = Number(value).toFixed(decimals);
    var parts = text.split(".");
    var thousands = lang === "en" ? "," : ".";
    var point = lang === "en" ? "." : ",";
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
    return parts.length > 1 ? whole + point + parts[1] : whole;
  };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  dagfuncs.pantauTime = function (value, months, sep) {
    if (!value) return "–";
    var ms = Date.parse(value);
    if (isNaN(ms)) return "–";
    var d = new Date(ms + WIB_OFFSET_MS);
    return d.getUTCDate() + " " + months[d.getUTCMonth()] + " " + d.getUTCFullYear() + " " +
      pad(d.getUTCHours()) + sep + pad(d.getUTCMinutes());
  };
})();

(function () {
  "use strict";
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  // An e-government value in its unit: 77,9% · Rp 4,3 M · 12,0 hari · 1.234 (the texts come from the server).
  dagfuncs.pantauEgov = function (value, unit, lang, texts) {
    if (value === null || value === undefined || isNaN(value)) return "–";
    var n = dagfuncs.pantauNumber;
    if (unit === "pct") return n(value, 1, lang) + "%";
    if (unit === "idr") return texts.idr.replace("{n}", n(value / 1e9, 1, lang));
    if (unit === "days") return texts.days.replace("{n}", n(value, 1, lang));
    return n(value, Math.abs(value) < 100 && value % 1 ? 1 : 0, lang);
  };
})();
