// The /embed gallery's copy buttons (the widget pages do not load this file: see assets_ignore).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var box = document.getElementById(button.getAttribute("data-copy"));
  box.select();
  var done = function () { button.textContent = button.getAttribute("data-done"); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
