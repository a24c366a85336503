// The value scorecard (team and customer views): one trend chart per
// measure, and the figures form posting to the chosen quarter.
(function () {
  "use strict";

  function drawTrend(holder, data) {
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
        legend: { orientation: "h", y: -0.25 },
        shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: measure.baseline,
          y1: measure.baseline, line: { color: "#d9e2ec", width: 1 } }],
        xaxis: { type: "category", fixedrange: true },
        yaxis: { fixedrange: true }
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
