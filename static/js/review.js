// The executive review page: scorecard trend charts, one per measure, and
// the account's path across the quadrant. Data comes from json_script.
(function () {
  "use strict";

  var CONFIG = { displayModeBar: false, responsive: true };

  function trend(holder, data) {
    data.measures.forEach(function (measure) {
      var box = document.createElement("div");
      box.className = "trend-chart";
      holder.appendChild(box);
      var unit = measure.unit ? " (" + measure.unit + ")" : "";
      window.Plotly.newPlot(box, [
        { x: data.quarters, y: measure.target, name: "Target", mode: "lines+markers",
          line: { dash: "dot", color: "#9aa5b1" }, connectgaps: true },
        { x: data.quarters, y: measure.actual, name: "Actual", mode: "lines+markers",
          line: { color: "#1f6feb", width: 3 }, connectgaps: true }
      ], {
        title: { text: measure.name + unit, font: { size: 14 } },
        height: 230,
        margin: { l: 50, r: 10, t: 40, b: 40 },
        showlegend: true,
        legend: { orientation: "h", y: -0.25 },
        shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: measure.baseline,
          y1: measure.baseline, line: { color: "#d9e2ec", width: 1 } }],
        xaxis: { type: "category", fixedrange: true },
        yaxis: { fixedrange: true }
      }, CONFIG);
    });
  }

  function path(holder, data) {
    var points = data.path;
    var t = data.thresholds;
    window.Plotly.newPlot(holder, [{
      x: points.map(function (p) { return p.performance; }),
      y: points.map(function (p) { return p.potential; }),
      text: points.map(function (p, i) { return i === 0 || i === points.length - 1 ? p.quarter : ""; }),
      customdata: points.map(function (p) { return p.quarter; }),
      mode: "lines+markers+text",
      textposition: "top center",
      marker: { size: points.map(function (_, i) { return i === points.length - 1 ? 14 : 8; }),
        color: "#1565c0" },
      line: { color: "#1565c0" },
      hovertemplate: "%{customdata}<br>performance %{x}<br>potential %{y}<extra></extra>"
    }], {
      height: 320,
      margin: { l: 50, r: 10, t: 10, b: 45 },
      xaxis: { range: [0, 100], title: { text: "Performance" }, fixedrange: true },
      yaxis: { range: [0, 100], title: { text: "Potential" }, fixedrange: true },
      shapes: [
        { type: "line", x0: t.performance, x1: t.performance, y0: 0, y1: 100,
          line: { color: "#9aa5b1", dash: "dot" } },
        { type: "line", x0: 0, x1: 100, y0: t.potential, y1: t.potential,
          line: { color: "#9aa5b1", dash: "dot" } }
      ],
      annotations: [
        { x: 97, y: 97, text: "Grow", showarrow: false, xanchor: "right" },
        { x: 3, y: 97, text: "Expand", showarrow: false, xanchor: "left" },
        { x: 97, y: 3, text: "Maintain", showarrow: false, xanchor: "right" },
        { x: 3, y: 3, text: "Monitor", showarrow: false, xanchor: "left" }
      ]
    }, CONFIG);
  }

  var source = document.getElementById("review-chart");
  if (!source || !window.Plotly) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var trendHolder = document.getElementById("trend");
  if (trendHolder && data.measures.length) {
    trend(trendHolder, data);
  }
  var pathHolder = document.getElementById("path-chart");
  if (pathHolder && data.path.length) {
    path(pathHolder, data);
  }
})();
