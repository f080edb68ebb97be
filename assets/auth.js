/* When the session ends (logged out elsewhere, password changed, user removed, lifetime over) the server
 * answers the page's Dash requests with 401 JSON. Reload the page then: the gate sends the browser to the
 * login form, which brings it back here afterwards. A wall screen opened with its token gets back in on
 * the reload, since the token stays in its address. */
(function () {
  if (!window.fetch || window.__pantauAuthWatch) { return; }
  window.__pantauAuthWatch = true;
  var originalFetch = window.fetch.bind(window);
  var reloading = false;
  window.fetch = function (resource, init) {
    return originalFetch(resource, init).then(function (response) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (response.status === 401 && !reloading && (url.indexOf("/_dash-") !== -1 || url.indexOf("/_wall/") !== -1)) {
        reloading = true;
        window.setTimeout(function () { window.location.reload(); }, 500);
      }
      return response;
    });
  };
})();
