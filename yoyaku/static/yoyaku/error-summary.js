// Moves the keyboard focus to a form's error summary when a page is shown with errors, so a
// screen reader reads it first and the links to each field are next. The page works the same
// without this file: the summary is at the top of the form and announced as an alert.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && !window.location.hash) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
