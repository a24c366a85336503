// The executive review page: scorecard trend charts, one per measure, and
// the account's path across the quadrant. Data comes from json_script.
(function () {
  "use strict";

  // The value range of one measure, its baseline included, with a tenth of
  // room above and below so no point sits on the axis.
  function paddedRange(measure) {
    var values = measure.target.concat(measure.actual, [measure.baseline])
      .filter(function (value) { return value !== null && value !== undefined; });
    var low = Math.min.apply(null, values);
    var high = Math.max.apply(null, values);
    var room = (high - low) * 0.1 || Math.abs(high) * 0.1 || 1;
    return [low - room, high + room];
  }

  var CONFIG = { displayModeBar: false, responsive: true };

  function hasFigures(measure) {
    return measure.target.concat(measure.actual).some(function (value) {
      return value !== null && value !== undefined;
    });
  }

  // The title is plain HTML above the chart, not Plotly's: Plotly centres
  // and clips a long one on both sides, while this one ends in an ellipsis
  // and shows the whole name on hover.
  function chartTitle(measure) {
    var unit = measure.unit ? " (" + measure.unit + ")" : "";
    var title = document.createElement("h3");
    title.className = "trend-title";
    title.textContent = measure.name + unit;
    title.title = measure.name + unit;
    return title;
  }

  function trend(holder, data) {
    data.measures.forEach(function (measure) {
      var box = document.createElement("div");
      box.className = "trend-chart";
      box.appendChild(chartTitle(measure));
      holder.appendChild(box);
      if (!hasFigures(measure)) {
        var empty = document.createElement("p");
        empty.className = "trend-empty muted";
        empty.textContent = "No figures yet";
        box.appendChild(empty);
        return;
      }
      var plot = document.createElement("div");
      box.appendChild(plot);
      window.Plotly.newPlot(plot, [
        { x: data.quarters, y: measure.target, name: "Target", mode: "lines+markers",
          line: { dash: "dot", color: "#9aa5b1" }, connectgaps: true },
        { x: data.quarters, y: measure.actual, name: "Actual", mode: "lines+markers",
          line: { color: "#1f6feb", width: 3 }, connectgaps: true }
      ], {
        height: 200,
        margin: { l: 50, r: 10, t: 10, b: 40 },
        showlegend: true,
        legend: { orientation: "h", y: -0.25 },
        shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: measure.baseline,
          y1: measure.baseline, line: { color: "#d9e2ec", width: 1 } }],
        // Half a quarter of room at each end keeps the first quarter's
        // label clear of the value axis and its lowest number.
        xaxis: { type: "category", fixedrange: true,
          range: [-0.5, data.quarters.length - 0.5] },
        yaxis: { fixedrange: true, automargin: true, nticks: 5,
          range: paddedRange(measure), ticklabelstandoff: 4 }
      }, CONFIG);
    });
  }

  function path(holder, data) {
    var points = data.path;
    var t = data.thresholds;
    window.Plotly.newPlot(holder, [{
      x: points.map(function (p) { return p.performance; }),
      y: points.map(function (p) { return p.potential; }),
      // The hover reads as the list below the chart does; the point is
      // drawn at the exact score, on its own side of the threshold.
      customdata: points.map(function (p) {
        return [p.quarter, p.performance_text, p.potential_text];
      }),
      mode: "lines+markers",
      marker: { size: points.map(function (_, i) { return i === points.length - 1 ? 14 : 8; }),
        color: "#1565c0" },
      line: { color: "#1565c0" },
      hovertemplate: "%{customdata[0]}<br>performance %{customdata[1]}" +
        "<br>potential %{customdata[2]}<extra></extra>"
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
      ].concat(endLabels(points))
    }, CONFIG);
  }

  // The first and last quarters are named beside their points, each pushed
  // away from its neighbour on the path (and from each other when the two
  // ends sit close), on a white box so a threshold line never runs through.
  function endLabels(points) {
    if (!points.length) {
      return [];
    }
    var last = points.length - 1;
    var ends = last === 0 ? [0] : [0, last];
    var start = points[0];
    var end = points[last];
    // Ends within this many points of each other label away from each other.
    var close = last > 0 &&
      Math.abs(end.performance - start.performance) < 15 &&
      Math.abs(end.potential - start.potential) < 15;
    return ends.map(function (index) {
      var point = points[index];
      var other;
      if (close) {
        other = index === 0 ? end : start;
      } else {
        other = points[index === 0 ? Math.min(1, last) : last - 1];
      }
      var dx = point.performance - other.performance;
      var dy = point.potential - other.potential;
      if (dx === 0 && dy === 0) {
        // Same spot: the first quarter goes below left, the last above right.
        dx = dy = index === 0 ? -1 : 1;
      }
      var right = dx >= 0;
      var up = dy >= 0;
      return {
        x: point.performance,
        y: point.potential,
        text: (index === 0 && last > 0 ? "from " : "") + point.quarter,
        showarrow: false,
        xanchor: right ? "left" : "right",
        yanchor: up ? "bottom" : "top",
        xshift: right ? 6 : -6,
        yshift: up ? 4 : -4,
        bgcolor: "rgba(255, 255, 255, 0.9)",
        bordercolor: "#c9d2dc",
        borderpad: 2,
        font: { size: 11, color: "#102a43" }
      };
    });
  }

  // A refused review form says why beside itself, at the foot of a long
  // page: bring it into view once the charts above it have their height.
  function showRefusal() {
    var refused = document.getElementById("review-error");
    if (refused) {
      refused.scrollIntoView({ block: "center" });
    }
  }

  var source = document.getElementById("review-chart");
  if (!source || !window.Plotly) {
    showRefusal();
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
  showRefusal();
})();
