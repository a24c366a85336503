// Ask before a destructive form is sent. A form opts in with a
// data-confirm attribute holding the question; our CSP forbids inline
// script, so the pages that have such forms load this file instead.
(function () {
  "use strict";

  // Pages made of sections may load this twice; ask only once.
  if (window.lodeConfirmReady) return;
  window.lodeConfirmReady = true;

  // Capture, so a page's own submit handler never runs when the user says no.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A button that acts by script, outside any form, opts in the same way.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button[data-confirm]");
    if (!button || button.form) return;
    if (!window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
