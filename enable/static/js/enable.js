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
  // A page view is counted by a POST (with the CSRF token) once the page is shown to its reader, never by fetching
  // the page, so an image, a prefetch or a prerender pointing at a page counts nothing.
  document.querySelectorAll("[data-usage-beacon]").forEach(function (beacon) {
    var sent = false;
    function send() {
      if (sent || document.visibilityState !== "visible" || document.prerendering) { return; }
      sent = true;
      fetch(beacon.dataset.usageBeacon, {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "X-CSRFToken": beacon.dataset.csrf, "Accept": "application/json" }
      }).catch(function () { sent = false; });
    }
    send();
    document.addEventListener("visibilitychange", send);
    document.addEventListener("prerenderingchange", send);
  });
  // The navigation's area menus (<details>): one open at a time; Escape closes the open one and gives the focus
  // back to its button; a click or the focus elsewhere closes it.
  var navmenus = Array.prototype.slice.call(document.querySelectorAll("details[data-navmenu]"));
  navmenus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) { navmenus.forEach(function (other) { if (other !== menu) { other.open = false; } }); }
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    menu.addEventListener("focusout", function (event) {
      if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) { menu.open = false; }
    });
  });
  document.addEventListener("click", function (event) {
    navmenus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) { menu.open = false; } });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
