// Import detail: poll the job's progress until it finishes, then reload
// the page so the counts and the issue report appear.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("import-config").textContent);
  if (config.finished) {
    return;
  }

  var fill = document.getElementById("import-fill");
  var bar = fill.parentElement;
  var percent = document.getElementById("import-percent");
  var message = document.getElementById("import-message");
  var status = document.getElementById("import-status");
  var delay = 1000;

  function show(data) {
    fill.style.width = data.progress + "%";
    fill.className = "fill status-" + data.status;
    bar.setAttribute("aria-valuenow", data.progress);
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
