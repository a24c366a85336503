// The import wizard: mark unmapped columns as the user chooses, ask before
// an undo, and follow a running import until it finishes.
(function () {
  "use strict";

  document.querySelectorAll("table.mapping select").forEach(function (select) {
    select.addEventListener("change", function () {
      select.classList.toggle("unmapped", select.value === "");
    });
  });

  // A ticked duplicate updates an account instead of creating one: check
  // again so the counts and the changes follow the ticks.
  var recheck = document.querySelector("button[data-recheck]");
  if (recheck) {
    document.querySelectorAll("input[name=merge]").forEach(function (box) {
      box.addEventListener("change", function () {
        recheck.click();
      });
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  var configNode = document.getElementById("wizard-config");
  if (!configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  if (config.finished) {
    return;
  }

  var fill = document.getElementById("import-fill");
  var percent = document.getElementById("import-percent");
  var message = document.getElementById("import-message");
  var status = document.getElementById("import-status");
  var delay = 1000;

  function show(data) {
    fill.style.width = data.progress + "%";
    fill.className = "fill status-" + data.status;
    fill.parentElement.setAttribute("aria-valuenow", data.progress);
    percent.textContent = data.progress + "%";
    message.textContent = data.message || "Waiting for a worker";
    status.textContent = data.status_label;
    status.className =
      "status status-" +
      (data.status_label === "Stalled" ? "stalled" : data.status);
  }

  function poll() {
    fetch(config.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting; back off rather than hammer it.
        delay = Math.min(delay * 2, 15000);
        message.textContent = "Lost contact with the server; retrying…";
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, 500);
})();
