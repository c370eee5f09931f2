// Draw each Key Metric as a uPlot chart on the time axis the server chose (at least the last
// hour, so one sample does not stretch the axis over years), with the warning and critical
// lines dashed, the hold (the rule's `for`) shaded from when an alert went pending, and a
// solid mark where it fired.
(function () {
  "use strict";
  var COLORS = { value: "#2563eb", warning: "#d97706", critical: "#dc2626", hold: "rgba(217,119,6,0.12)" };

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

  // The hold: from each pending mark, a band as long as the rule's `for`; a line where it fired.
  function alertMarks(data) {
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      var left = u.bbox.left, right = u.bbox.left + u.bbox.width;
      function x(t) { return Math.min(right, Math.max(left, u.valToPos(t, "x", true))); }
      ctx.save();
      if (data.hold) {
        ctx.fillStyle = COLORS.hold;
        data.pending.forEach(function (t) {
          var a = x(t), b = x(t + data.hold);
          ctx.fillRect(a, top, Math.max(b - a, 2), height);
        });
      }
      ctx.strokeStyle = COLORS.critical;
      ctx.fillStyle = COLORS.critical;
      ctx.lineWidth = 2;
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "left";  // uPlot leaves its axes' alignment set
      ctx.textBaseline = "alphabetic";
      var now = Date.now() / 1000;
      if (data.end > now + 1) {
        ctx.save();
        ctx.strokeStyle = "#6b7280";
        ctx.fillStyle = "#6b7280";
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(Math.round(x(now)), top);
        ctx.lineTo(Math.round(x(now)), top + height);
        ctx.stroke();
        ctx.textAlign = "right";
        ctx.fillText("now ", Math.round(x(now)), top + 12);
        ctx.restore();
      }
      data.fired.forEach(function (t) {
        var at = Math.round(x(t));
        ctx.beginPath();
        ctx.moveTo(at, top);
        ctx.lineTo(at, top + height);
        ctx.stroke();
        // The label on a white box, so the lines and points under it do not hide it.
        var lx = Math.min(at + 3, right - 34), ly = top + height / 2;
        ctx.fillStyle = "rgba(255,255,255,0.9)";
        ctx.fillRect(lx, ly - 11, 32, 15);
        ctx.fillStyle = COLORS.critical;
        ctx.fillText("fired", lx + 2, ly);
      });
      ctx.restore();
    };
  }

  function note(el, data) {
    var parts = [];
    var moments = window.opsbookMoments;
    if (data.hold !== null && data.hold !== undefined && moments) {
      parts.push("Hold: an alert fires after " + moments.span(data.hold) + " over a line (shaded).");
    }
    var fired = data.fired.length ? data.fired[data.fired.length - 1] : null;
    var pending = data.pending.length ? data.pending[data.pending.length - 1] : null;
    if (pending !== null && (fired === null || pending > fired) && data.hold !== null) {
      var due = (pending + data.hold) * 1000;
      if (due > Date.now() && moments) {
        parts.push("Pending: fires " + moments.relative(due, Date.now(), false) +
                   " if it stays over the line.");
      }
    }
    if (fired !== null && moments) {
      parts.push("Fired " + moments.relative(fired * 1000, Date.now(), false) + " (solid line).");
    }
    if (!parts.length) { return; }
    var p = document.createElement("p");
    p.className = "small muted chart-note";
    p.textContent = parts.join(" ");
    el.parentNode.insertBefore(p, el.nextSibling);
  }

  function draw(el, data) {
    var width = Math.max(el.clientWidth, 240);
    var lines = [data.warning, data.critical].filter(function (v) { return v !== null; });
    var opts = {
      width: width,
      height: 180,
      series: [{}, {
        label: el.dataset.name, stroke: COLORS.value, width: 2, spanGaps: false,
        points: { show: data.times.length < 60, size: 6 }
      }],
      scales: {
        x: { time: true, range: function () { return [data.start, data.end]; } },
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
      hooks: { draw: [thresholdLines(data.warning, data.critical), alertMarks(data), function (u) {
        // The axis as drawn, for tests and for anyone inspecting the chart.
        el.dataset.axisStart = String(u.scales.x.min);
        el.dataset.axisEnd = String(u.scales.x.max);
      }] }
    };
    el.textContent = "";
    if (!data.times.length) {
      el.textContent = "No samples yet.";
      el.className += " muted small";
      return;
    }
    el.dataset.points = String(data.times.length);
    new window.uPlot(opts, [data.times, data.values], el);
    note(el, data);
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
