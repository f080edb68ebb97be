/* The briefing's print button: the browser's own print dialog, with assets/briefing-print.css. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  briefing: {
    print: function (clicks) {
      if (clicks) { window.setTimeout(function () { window.print(); }, 0); }
      return clicks || null;
    }
  }
});
