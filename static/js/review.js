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

  // Both axes show the whole 0-100 score range with a little room at each
  // end, as the portfolio quadrant does, so 100 is labelled and a point at
  // 0 or 100 is not cut in half.
  var AXIS = [-3, 103];
  var MARGIN = { l: 50, r: 14, t: 10, b: 40 };
  var HEIGHT = 360;
  var LABEL_FONT = 11;

  function path(holder, data) {
    var points = data.path;
    var t = data.thresholds;
    var last = points.length - 1;
    var line = "#1565c0";
    var traces = [{
      name: "Quarters, oldest to newest",
      x: points.map(function (p) { return p.performance; }),
      y: points.map(function (p) { return p.potential; }),
      // The hover reads as the list below the chart does; the point is
      // drawn at the exact score, on its own side of the threshold.
      customdata: points.map(function (p) {
        return [p.quarter, p.performance_text, p.potential_text];
      }),
      mode: "lines+markers",
      marker: { size: 8, color: line },
      line: { color: line },
      hovertemplate: "%{customdata[0]}<br>performance %{customdata[1]}" +
        "<br>potential %{customdata[2]}<extra></extra>"
    }, {
      name: "Latest quarter",
      x: [points[last].performance],
      y: [points[last].potential],
      mode: "markers",
      marker: { size: 14, color: line, line: { color: "#fff", width: 2 } },
      hoverinfo: "skip"
    }, {
      // The thresholds are a trace rather than shapes so the legend names them.
      name: "Quadrant thresholds",
      x: [t.performance, t.performance, null, 0, 100],
      y: [0, 100, null, t.potential, t.potential],
      mode: "lines",
      line: { color: "#9aa5b1", dash: "dot", width: 1 },
      hoverinfo: "skip"
    }];
    var corners = [
      { x: 100, y: 100, text: "Grow", xanchor: "right", yanchor: "top" },
      { x: 0, y: 100, text: "Expand", xanchor: "left", yanchor: "top" },
      { x: 100, y: 0, text: "Maintain", xanchor: "right", yanchor: "bottom" },
      { x: 0, y: 0, text: "Monitor", xanchor: "left", yanchor: "bottom" }
    ].map(function (corner) {
      return Object.assign({ showarrow: false, font: { color: "#52606d" } }, corner);
    });
    window.Plotly.newPlot(holder, traces, {
      height: HEIGHT,
      margin: MARGIN,
      xaxis: { range: AXIS, title: { text: "Performance" }, fixedrange: true,
        zeroline: false, dtick: 20 },
      yaxis: { range: AXIS, title: { text: "Potential" }, fixedrange: true,
        zeroline: false, dtick: 20 },
      showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top",
        font: { size: 11 } },
      annotations: corners
    }, CONFIG).then(function () {
      // The quarter names are placed once the plot area's size is known.
      var area = holder.querySelector(".nsewdrag").getBoundingClientRect();
      var labels = endLabels(points, t, plotBox(area.width, area.height), corners);
      return window.Plotly.relayout(holder, { annotations: corners.concat(labels) });
    });
  }

  // The plot area in pixels and a way to turn scores into its positions.
  function plotBox(width, height) {
    var span = AXIS[1] - AXIS[0];
    return {
      width: width,
      height: height,
      at: function (x, y) {
        return {
          x: (x - AXIS[0]) / span * width,
          y: (AXIS[1] - y) / span * height
        };
      }
    };
  }

  var measurer = document.createElement("canvas").getContext("2d");

  function textWidth(text) {
    measurer.font = LABEL_FONT + "px sans-serif";
    return measurer.measureText(text).width;
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function inside(point, box) {
    return point.x > box.left && point.x < box.right &&
      point.y > box.top && point.y < box.bottom;
  }

  // How much a label at `box` would cover: path points and the other label
  // weigh most, then the plot's edge, the path's segments, the quadrant
  // names and last the threshold lines.
  function cost(box, scene) {
    var total = 0;
    scene.marks.forEach(function (mark) {
      var around = { left: mark.x - mark.r, right: mark.x + mark.r,
        top: mark.y - mark.r, bottom: mark.y + mark.r };
      if (overlaps(box, around)) total += 10;
    });
    scene.placed.forEach(function (other) {
      if (overlaps(box, other)) total += 10;
    });
    scene.segments.forEach(function (segment) {
      for (var step = 0; step <= 40; step += 1) {
        var along = {
          x: segment.from.x + (segment.to.x - segment.from.x) * step / 40,
          y: segment.from.y + (segment.to.y - segment.from.y) * step / 40
        };
        if (inside(along, box)) {
          total += segment.weight;
          return;
        }
      }
    });
    scene.corners.forEach(function (corner) {
      if (overlaps(box, corner)) total += 2;
    });
    if (box.left < 0 || box.top < 0 || box.right > scene.width || box.bottom > scene.height) {
      total += 5;
    }
    return total;
  }

  // The first and last quarters are named beside their points; the others
  // are in the hover and the numbered list below. Each name takes the
  // place around its point that covers the least of the path, the other
  // name and the quadrant names: next to the point where that is clear,
  // further out on a thin leader line where the points are bunched. The
  // side away from its neighbour on the path is tried first; a white box
  // keeps a threshold line from running through the name.
  function endLabels(points, thresholds, plot, corners) {
    var last = points.length - 1;
    var at = points.map(function (p) { return plot.at(p.performance, p.potential); });
    var scene = {
      width: plot.width,
      height: plot.height,
      marks: at.map(function (p, index) { return { x: p.x, y: p.y, r: index === last ? 8 : 5 }; }),
      segments: at.slice(1).map(function (p, index) {
        return { from: at[index], to: p, weight: 3 };
      }).concat([
        { from: plot.at(thresholds.performance, 0), to: plot.at(thresholds.performance, 100), weight: 1 },
        { from: plot.at(0, thresholds.potential), to: plot.at(100, thresholds.potential), weight: 1 }
      ]),
      corners: corners.map(function (corner) {
        var p = plot.at(corner.x, corner.y);
        var w = textWidth(corner.text) + 4;
        var left = corner.xanchor === "left" ? p.x : p.x - w;
        var top = corner.yanchor === "top" ? p.y : p.y - 18;
        return { left: left, right: left + w, top: top, bottom: top + 18 };
      }),
      placed: []
    };
    var ends = last === 0 ? [last] : [last, 0];
    return ends.map(function (index) {
      var point = points[index];
      var text = (index === 0 && last > 0 ? "from " : "") + point.quarter;
      var neighbour = at[index === 0 ? Math.min(1, last) : Math.max(last - 1, 0)];
      var here = at[index];
      var across = here.x >= neighbour.x ? 1 : -1;
      var down = here.y > neighbour.y ? 1 : -1;
      var w = textWidth(text) + 8;
      var h = LABEL_FONT + 8;
      var gap = index === last ? 9 : 6;
      var sides = [
        [across, down], [across, -down], [-across, down], [-across, -down],
        [across, 0], [-across, 0], [0, down], [0, -down]
      ];
      var best = null;
      [0, 28, 56].forEach(function (further, ring) {
        sides.forEach(function (side, order) {
          var dx = side[0] * (w / 2 + gap + further);
          var dy = side[1] * (h / 2 + gap + further);
          var box = { left: here.x + dx - w / 2, right: here.x + dx + w / 2,
            top: here.y + dy - h / 2, bottom: here.y + dy + h / 2 };
          var score = cost(box, scene) * 100 + ring * 10 + order;
          if (best === null || score < best.score) {
            best = { score: score, box: box, dx: dx, dy: dy, leader: further > 0 };
          }
        });
      });
      scene.placed.push(best.box);
      var label = {
        x: point.performance,
        y: point.potential,
        text: text,
        xanchor: "center",
        yanchor: "middle",
        bgcolor: "rgba(255, 255, 255, 0.9)",
        bordercolor: "#c9d2dc",
        borderpad: 2,
        font: { size: LABEL_FONT, color: "#102a43" }
      };
      if (best.leader) {
        return Object.assign(label, { showarrow: true, ax: best.dx, ay: best.dy,
          arrowhead: 0, arrowwidth: 1, arrowcolor: "#9aa5b1", standoff: gap - 3 });
      }
      return Object.assign(label, { showarrow: false, xshift: best.dx, yshift: -best.dy });
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
