// Times as people read them: every <time data-when> shows how long ago (or until) it is,
// kept current, with the exact time in the reader's own time zone on hover. The server
// renders the same relative text (src/opsbook/moments.py), so pages read without this too.
(function () {
  "use strict";
  var WEEK = 7 * 86400;
  var exact = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
  });
  var day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds));
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min"; }
    if (s < 86400) {
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      return m ? h + " h " + m + " min" : h + " h";
    }
    var d = Math.floor(s / 86400);
    return d + (d === 1 ? " day" : " days");
  }

  function relative(at, now, due) {
    var seconds = (at - now) / 1000;
    if (Math.abs(seconds) >= WEEK) { return "on " + day.format(at); }
    if (Math.abs(seconds) < 45 && !due) { return "just now"; }
    if (seconds >= 0) { return "in " + span(seconds); }
    return due ? "overdue by " + span(seconds) : span(seconds) + " ago";
  }

  function refresh(root) {
    var now = Date.now();
    (root || document).querySelectorAll("time[data-when]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      var due = el.dataset.when === "due";
      el.textContent = relative(at, now, due);
      el.title = exact.format(at);
      el.classList.toggle("overdue", due && at < now);
    });
  }

  window.opsbookMoments = { relative: relative, refresh: refresh, span: span };
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    setInterval(refresh, 15000);
    document.body.addEventListener("htmx:afterSwap", function (e) { refresh(e.target); });
  });
})();
