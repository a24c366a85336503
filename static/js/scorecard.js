// The value scorecard (team and customer views): one trend chart per
// measure, and the figures form posting to the chosen quarter.
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

  function drawTrend(holder, data) {
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
        legend: { orientation: "h", y: -0.25 },
        shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: measure.baseline,
          y1: measure.baseline, line: { color: "#d9e2ec", width: 1 } }],
        // Half a quarter of room at each end keeps the first quarter's
        // label clear of the value axis and its lowest number.
        xaxis: { type: "category", fixedrange: true,
          range: [-0.5, data.quarters.length - 0.5] },
        yaxis: { fixedrange: true, automargin: true, nticks: 5,
          range: paddedRange(measure), ticklabelstandoff: 4 }
      }, { displayModeBar: false, responsive: true });
    });
  }

  var source = document.getElementById("scorecard-chart");
  var holder = document.getElementById("trend");
  if (source && holder && window.Plotly) {
    var data = JSON.parse(source.textContent);
    if (data.measures.length) {
      drawTrend(holder, data);
    }
  }

  var form = document.querySelector("[data-quarter-form]");
  if (form) {
    var select = form.querySelector("[data-quarter-select]");
    form.action = select.value;
    select.addEventListener("change", function () {
      form.action = select.value;
    });
  }

  var link = document.querySelector("[data-new-link]");
  if (link) {
    link.addEventListener("focus", function () {
      link.select();
    });
  }
})();
