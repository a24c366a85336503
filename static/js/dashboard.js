// Manager dashboard: apply a filter as soon as it changes, and draw each
// account's path across the quadrant over the last quarters.
(function () {
  "use strict";

  var COLOURS = {
    grow: "#2e7d32",
    expand: "#1565c0",
    maintain: "#b26a00",
    monitor: "#757575"
  };

  function applyFiltersOnChange() {
    var form = document.getElementById("dashboard-filters");
    if (!form) {
      return;
    }
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        form.requestSubmit();
      });
    });
  }

  // plotly.js reads hover text as a small HTML dialect: escape the name so
  // an account called "<a href=...>" shows as typed instead of as a link.
  function escapeLabel(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;");
  }

  function pathTrace(account) {
    var points = account.points;
    var last = points[points.length - 1];
    return {
      type: "scatter",
      mode: "lines+markers",
      name: escapeLabel(account.name),
      x: points.map(function (point) { return point[1]; }),
      y: points.map(function (point) { return point[2]; }),
      customdata: points.map(function () { return account.id; }),
      text: points.map(function (point) {
        return escapeLabel(account.name) + "<br>" + point[0] + ": " + point[3] +
          " (performance " + Math.round(point[1]) + ", potential " + Math.round(point[2]) + ")";
      }),
      hoverinfo: "text",
      line: { color: COLOURS[last[3]] || "#616e7c", width: 1.5 },
      marker: {
        color: COLOURS[last[3]] || "#616e7c",
        size: points.map(function (point, index) { return index === points.length - 1 ? 11 : 6; }),
        opacity: points.map(function (point, index) { return index === points.length - 1 ? 1 : 0.55; })
      },
      showlegend: false
    };
  }

  // Traces with no points that only explain the chart in its legend: which
  // end of a path is the latest quarter and what its colour says.
  function legendTraces(latestQuarter) {
    var grey = "#616e7c";
    var entry = function (name, mode, marker) {
      return { type: "scatter", mode: mode, name: name, x: [null], y: [null],
        marker: marker, line: { color: grey, width: 1.5 }, hoverinfo: "skip" };
    };
    return [
      entry("Earlier quarters (small dots)", "markers",
        { color: grey, size: 6, opacity: 0.55 }),
      entry("Latest quarter, " + latestQuarter + " (large dot)", "markers",
        { color: grey, size: 11 }),
      entry("Colour: quadrant in the latest quarter", "lines", { color: grey })
    ];
  }

  function drawPaths() {
    var holder = document.getElementById("path-chart");
    var source = document.getElementById("path-data");
    if (!holder || !source || !window.Plotly) {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.accounts.length) {
      holder.textContent = "No score runs kept in these quarters yet.";
      holder.classList.add("empty");
      return;
    }
    var px = data.performance_threshold;
    var py = data.potential_threshold;
    var line = { color: "#9aa5b1", width: 1, dash: "dot" };
    var layout = {
      autosize: true,
      height: 400,
      margin: { l: 48, r: 12, t: 8, b: 40 },
      xaxis: { title: { text: "Performance" }, range: [-2, 102], zeroline: false },
      yaxis: { title: { text: "Potential" }, range: [-2, 102], zeroline: false },
      hovermode: "closest",
      // The legend explains the dots; it does not hide paths when clicked.
      showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top",
        font: { size: 11 }, itemclick: false, itemdoubleclick: false },
      shapes: [
        { type: "line", x0: px, x1: px, y0: 0, y1: 100, line: line },
        { type: "line", x0: 0, x1: 100, y0: py, y1: py, line: line }
      ],
      annotations: [
        { x: 2, y: 98, text: "Expand", showarrow: false, xanchor: "left", font: { color: COLOURS.expand } },
        { x: 98, y: 98, text: "Grow", showarrow: false, xanchor: "right", font: { color: COLOURS.grow } },
        { x: 2, y: 2, text: "Monitor", showarrow: false, xanchor: "left", font: { color: COLOURS.monitor } },
        { x: 98, y: 2, text: "Maintain", showarrow: false, xanchor: "right", font: { color: COLOURS.maintain } }
      ]
    };
    var traces = data.accounts.map(pathTrace).concat(legendTraces(data.latest_quarter));
    window.Plotly.newPlot(holder, traces, layout, {
      displayModeBar: false,
      responsive: true
    });
    holder.on("plotly_click", function (event) {
      var id = event.points.length ? event.points[0].customdata : null;
      if (id) {
        window.location.href = "/accounts/" + encodeURIComponent(id) + "/";
      }
    });
  }

  // While the figures asked for are being prepared, look again now and then;
  // the server answers with the figures as soon as they are stored.
  function reloadWhilePreparing() {
    var notice = document.querySelector("[data-dashboard-preparing]");
    if (!notice) {
      return;
    }
    window.setTimeout(function () {
      window.location.reload();
    }, 5000);
  }

  applyFiltersOnChange();
  drawPaths();
  reloadWhilePreparing();
})();
