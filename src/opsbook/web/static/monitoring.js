// Draw each Key Metric as a uPlot chart with its warning and critical thresholds as lines.
(function () {
  "use strict";
  var COLORS = { value: "#2563eb", warning: "#d97706", critical: "#dc2626" };

  function thresholdLines(warning, critical) {
    return function (u) {
      var ctx = u.ctx;
      [[warning, COLORS.warning], [critical, COLORS.critical]].forEach(function (pair) {
        if (pair[0] === null || pair[0] === undefined) { return; }
        var y = Math.round(u.valToPos(pair[0], "y", true));
        ctx.save();
        ctx.strokeStyle = pair[1];
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
        ctx.restore();
      });
    };
  }

  function draw(el, data) {
    var width = Math.max(el.clientWidth, 240);
    var lines = [data.warning, data.critical].filter(function (v) { return v !== null; });
    var opts = {
      width: width,
      height: 180,
      series: [{}, { label: el.dataset.name, stroke: COLORS.value, width: 2, spanGaps: false }],
      scales: {
        y: {
          range: function (u, min, max) {
            var lo = Math.min.apply(null, [min].concat(lines).filter(isFinite));
            var hi = Math.max.apply(null, [max].concat(lines).filter(isFinite));
            if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
            var pad = (hi - lo) * 0.1 || 1;
            return [lo - pad, hi + pad];
          }
        }
      },
      hooks: { draw: [thresholdLines(data.warning, data.critical)] }
    };
    el.textContent = "";
    if (!data.times.length) {
      el.textContent = "No samples yet.";
      el.className += " muted small";
      return;
    }
    el.dataset.points = String(data.times.length);
    new window.uPlot(opts, [data.times, data.values], el);
  }

  function load(el) {
    fetch("/api/v1/monitoring/metrics/" + encodeURIComponent(el.dataset.metric) + "/series?hours=6",
          { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { draw(el, data); })
      .catch(function (e) { el.textContent = "Could not load the samples (" + e.message + ")."; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var charts = document.querySelectorAll(".chart[data-metric]");
    Array.prototype.forEach.call(charts, load);
  });
})();
