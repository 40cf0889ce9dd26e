// The search page: ticking a filter or changing the sort runs the search again at once; the filters fold on a phone.
// A playlist page: its owner can drag bites into a new order (the up and down buttons work without this).
(function () {
  "use strict";

  var form = document.getElementById("search-form");
  if (form) {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    });
  }

  // On a phone the filters fold under a "Filters" button so the results come first; wider, they stay open.
  var facets = document.querySelector("details[data-facets]");
  if (facets && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 760px)");
    var fold = function () { facets.open = !narrow.matches; };
    fold();
    if (narrow.addEventListener) { narrow.addEventListener("change", fold); }
  }

  var list = document.querySelector(".playlist-items[data-order-url]");
  if (!list || !list.dataset.orderUrl) { return; }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var dragged = null;

  function save() {
    var data = new FormData();
    data.append("csrf_token", csrfMeta ? csrfMeta.getAttribute("content") : "");
    list.querySelectorAll("li[data-item-id]").forEach(function (li) { data.append("item_id", li.dataset.itemId); });
    fetch(list.dataset.orderUrl, {method: "POST", body: data, credentials: "same-origin"})
      .then(function () { window.location.reload(); });
  }

  list.querySelectorAll("li[data-item-id]").forEach(function (li) {
    li.draggable = true;
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.dataset.itemId);
    });
    li.addEventListener("dragend", function () { li.classList.remove("is-dragging"); });
    li.addEventListener("dragover", function (event) {
      event.preventDefault();
      if (!dragged || dragged === li) { return; }
      var box = li.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? li.nextSibling : li);
    });
  });
  list.addEventListener("drop", function (event) {
    event.preventDefault();
    if (dragged) { dragged = null; save(); }
  });
})();
