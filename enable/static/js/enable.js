// Small behaviours shared by every page; no inline scripts (the CSP forbids them).
(function () {
  "use strict";
  document.querySelectorAll("select.autosubmit").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  // A table wider than the page scrolls sideways inside .table-wrap: that region must take the keyboard focus
  // (arrow keys scroll it) and say what it holds.
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        var table = wrap.querySelector("table");
        var caption = table && table.querySelector("caption");
        var heading = wrap.closest("section") && wrap.closest("section").querySelector("h2, h3");
        var name = (caption || heading || {}).textContent || document.title;
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name.trim());
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  scrollableTables();
  window.addEventListener("resize", scrollableTables);
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
