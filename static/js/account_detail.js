// The account page: revenue by quarter, stacked by product.
(function () {
  "use strict";

  function drawRevenue() {
    var holder = document.getElementById("revenue-chart");
    var source = document.getElementById("revenue-data");
    if (!holder || !source || !window.Plotly) {
      return;
    }
    var rows = JSON.parse(source.textContent);
    var currency = holder.dataset.currency || "USD";
    // Every decimal the currency has, as amounts read elsewhere on the page.
    var digits = Number(holder.dataset.minorDigits || "2");
    var quarters = [];
    var byProduct = {};
    rows.forEach(function (row) {
      if (quarters.indexOf(row.quarter) === -1) {
        quarters.push(row.quarter);
      }
      byProduct[row.product] = byProduct[row.product] || {};
      byProduct[row.product][row.quarter] = row.amount;
    });
    var traces = Object.keys(byProduct).sort().map(function (product) {
      return {
        type: "bar",
        name: product,
        x: quarters,
        y: quarters.map(function (q) { return byProduct[product][q] || 0; }),
        hovertemplate: "%{fullData.name}<br>%{x|%Y Q%q}: %{y:,." + digits + "f} " + currency + "<extra></extra>"
      };
    });
    var layout = {
      barmode: "stack",
      margin: { l: 60, r: 10, t: 10, b: 40 },
      xaxis: { type: "date", tickformat: "%Y Q%q", dtick: "M3" },
      yaxis: { title: { text: currency }, tickformat: ",.0f" },
      legend: { orientation: "h", y: -0.2 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)"
    };
    window.Plotly.newPlot(holder, traces, layout, {
      displayModeBar: false,
      responsive: true
    });
  }

  document.addEventListener("DOMContentLoaded", drawRevenue);
})();
