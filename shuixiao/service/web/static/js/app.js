/* Small behaviours of the shuixiao pages (no inline scripts: CSP default-src 'self').
 * - forms marked data-autosubmit submit when one of their selects changes (period pickers);
 * - forms marked data-confirm ask before submitting.
 */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
