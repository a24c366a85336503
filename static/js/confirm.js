// Ask before a destructive form is sent. A form opts in with a
// data-confirm attribute holding the question; our CSP forbids inline
// script, so the pages that have such forms load this file instead.
(function () {
  "use strict";

  // Capture, so a page's own submit handler never runs when the user says no.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
