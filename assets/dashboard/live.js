// Keeps a dashboard page current without a reload: every 3 seconds, while the page is
// visible, fetch the same address and swap in the parts marked data-live. The forms are
// outside those parts, so nothing being typed is lost. Without JavaScript the page works
// the same and is current on every reload.
(function () {
  "use strict";
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (part) {
          var now = fresh.getElementById(part.id);
          if (now && now.innerHTML !== part.innerHTML) part.innerHTML = now.innerHTML;
        });
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { busy = false; });
  }
  setInterval(refresh, 3000);
})();
