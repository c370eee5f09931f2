// Live countdown to each incident's respond-by time; overdue turns red.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(seconds) {
    var s = Math.abs(Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h > 0 ? h + ":" + pad(m) : String(m)) + ":" + pad(r);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-respond-by]").forEach(function (el) {
      if (el.dataset.status !== "detected") { return; }
      var left = (Date.parse(el.dataset.respondBy) - now) / 1000;
      el.textContent = left >= 0 ? "respond within " + format(left) : "overdue by " + format(left);
      el.classList.toggle("overdue", left < 0);
      el.title = "respond by " + new Date(Date.parse(el.dataset.respondBy)).toLocaleString();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
})();
