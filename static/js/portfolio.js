// The portfolio page: the quadrant chart, click-through to accounts, and
// the progress of a requested score run.
(function () {
  "use strict";

  function accountIdOf(point) {
    var data = point.customdata;
    if (Array.isArray(data)) {
      data = data[0];
    }
    if (data && typeof data === "object") {
      data = data.id || data.account_id;
    }
    return data;
  }

  // The page loads plotly.js's strict bundle, whose WebGL traces need no
  // eval, so WebGL counts wherever the browser opens a context. Where it
  // does not, the server sends a figure drawn without WebGL.
  function webglUsable() {
    var canvas = document.createElement("canvas");
    try {
      return Boolean(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
    } catch (error) {
      return false;
    }
  }

  function figureUrl(holder, webgl) {
    var url = holder.getAttribute("data-figure-url");
    return webgl ? url : url + (url.indexOf("?") < 0 ? "?" : "&") + "renderer=svg";
  }

  function fetchFigure(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("figure " + response.status);
      }
      return response.json();
    });
  }

  function plotFigure(holder, figure) {
    var layout = Object.assign({}, figure.layout || {}, { autosize: true });
    delete layout.width;
    delete layout.height;
    return window.Plotly.newPlot(holder, figure.data || [], layout, {
      displayModeBar: false,
      responsive: true
    });
  }

  function drawQuadrant() {
    var holder = document.getElementById("quadrant");
    if (!holder || !window.Plotly) {
      return;
    }
    var webgl = webglUsable();
    holder.setAttribute("data-renderer", webgl ? "webgl" : "svg");
    // The figure comes separately, so the page stays small at any size.
    fetchFigure(figureUrl(holder, webgl))
      .then(function (payload) {
        var figure = payload.figure;
        holder.textContent = "";
        if (!figure) {
          holder.textContent = "No chart is stored for this run yet.";
          return null;
        }
        return plotFigure(holder, figure).then(function () {
          // Should WebGL still fail, plotly shows its notice (linking to
          // an outside site): draw the figure without WebGL instead.
          if (!holder.querySelector(".no-webgl")) {
            return null;
          }
          holder.setAttribute("data-renderer", "svg");
          window.Plotly.purge(holder);
          return fetchFigure(figureUrl(holder, false)).then(function (again) {
            return plotFigure(holder, again.figure);
          });
        });
      })
      .then(function () {
        if (!holder.on) {
          return;
        }
        holder.on("plotly_click", function (event) {
          var id = event.points.length ? accountIdOf(event.points[0]) : null;
          if (id) {
            window.location.href = "/accounts/" + encodeURIComponent(id) + "/";
          }
        });
      })
      .catch(function () {
        holder.textContent = "The chart could not be loaded; reload the page to try again.";
      });
  }

  function watchRun() {
    var source = document.getElementById("pending-run");
    var box = document.getElementById("run-pending");
    var holder = document.getElementById("progress-url");
    if (!source || !box || !holder) {
      return;
    }
    var pending = JSON.parse(source.textContent);
    if (!pending) {
      return;
    }
    var url = holder.getAttribute("data-url");

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (!state.pending) {
            // The run finished (or failed): the page shows its outcome.
            window.location.reload();
            return;
          }
          document.getElementById("run-status").textContent =
            state.pending.status_label.toLowerCase();
          document.getElementById("run-progress").value = state.pending.progress;
          document.getElementById("run-percent").textContent = state.pending.progress;
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawQuadrant();
    watchRun();
  });
})();
