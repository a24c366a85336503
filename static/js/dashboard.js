// Manager dashboard: apply a filter as soon as it changes.
(function () {
  "use strict";
  var form = document.getElementById("dashboard-filters");
  if (!form) {
    return;
  }
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () {
      form.requestSubmit();
    });
  });
})();
