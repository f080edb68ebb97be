/* The briefing's print button. A printed page is narrower than the screen, and grids and charts size
 * themselves in pixels: before printing, the page is laid out at the printable width of A4 landscape
 * (assets/briefing-print.css), and grids and charts are fitted to it; after printing, back to the screen. */
(function () {
  "use strict";
  var GRIDS = ["briefing-league", "briefing-segments", "briefing-incident-categories", "briefing-egov"];

  function fit() {
    GRIDS.forEach(function (id) {
      try {
        var api = window.dash_ag_grid && window.dash_ag_grid.getApi(id);
        if (api) { api.sizeColumnsToFit(); }
      } catch (e) { /* a grid not drawn yet keeps its widths */ }
    });
    if (window.Plotly) {
      document.querySelectorAll(".briefing-page .js-plotly-plot").forEach(function (el) {
        try { window.Plotly.Plots.resize(el); } catch (e) { /* nothing to resize */ }
      });
    }
  }

  function printLayout(on) {
    var page = document.querySelector(".briefing-page");
    if (!page) return false;
    page.classList.toggle("is-print-layout", !!on);
    fit();
    return true;
  }

  // A WebGL map does not print: keep a picture of it beside it, redrawn whenever the map is (the
  // print stylesheet shows the picture instead of the canvas).
  var pending = null;
  function pictureMap() {
    var graph = document.querySelector(".briefing-page .briefing-map .js-plotly-plot");
    var img = document.querySelector(".briefing-page .briefing-map-print");
    if (!graph || !img || !window.Plotly) return;
    window.Plotly.toImage(graph, {format: "png", width: 1000, height: 620, scale: 2}).then(function (url) {
      img.src = url;
      img.setAttribute("data-ready", "1");
    }).catch(function () { img.removeAttribute("data-ready"); });
  }
  window.setInterval(function () {
    var graph = document.querySelector(".briefing-page .briefing-map .js-plotly-plot");
    if (graph && graph.on && !graph.getAttribute("data-watched")) {
      graph.setAttribute("data-watched", "1");
      graph.on("plotly_afterplot", function () {
        window.clearTimeout(pending);
        pending = window.setTimeout(pictureMap, 600);
      });
      pending = window.setTimeout(pictureMap, 600);
    }
  }, 500);

  // Narrow screens fold the filter bar behind one button (assets/briefing.css); wide ones never see it.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("#briefing-filter-toggle");
    var filters = document.getElementById("briefing-filters");
    if (!toggle || !filters) return;
    var open = filters.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  window.pantauBriefingPrintLayout = printLayout;
  window.addEventListener("beforeprint", function () { printLayout(true); });
  window.addEventListener("afterprint", function () { printLayout(false); });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    briefing: {
      print: function (clicks) {
        if (clicks && printLayout(true)) {
          // let the charts redraw at the new width before the print dialog takes its picture
          window.setTimeout(function () { window.print(); }, 400);
        }
        return clicks || null;
      }
    }
  });
})();
