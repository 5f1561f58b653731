// Automatic log-off on screen: when the session has expired on the server, take the page
// (and the PHI on it) off the screen. Any page load or htmx request restarts the clock.
(function () {
  var script = document.currentScript;
  var seconds = parseInt(script.dataset.idleSeconds, 10) || 900;
  var loginUrl = script.dataset.loginUrl;
  var timer = null;
  function restart() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () {
      window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname) + "&expired=1");
    }, (seconds + 5) * 1000);
  }
  document.addEventListener("htmx:afterRequest", restart);
  restart();
})();
