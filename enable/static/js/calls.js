// Calls: live processing progress (polls the status endpoint) and click-to-seek on the call page.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var BADGES = { queued: "badge-info", ready: "badge-ok", failed: "badge-bad" };

  function activeRows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-call-id][data-active='1']"));
  }

  function statusUrl() {
    var holder = document.querySelector("[data-status-url]");
    return holder ? holder.getAttribute("data-status-url") : null;
  }

  function render(row, call) {
    var badge = row.querySelector(".call-status");
    if (badge) {
      badge.textContent = call.label;
      badge.setAttribute("data-status", call.status);
      badge.classList.remove("badge-info", "badge-ok", "badge-bad", "badge-warn");
      badge.classList.add(BADGES[call.status] || "badge-warn");
    }
    if (call.status !== "queued") {
      // A call being processed cannot be deleted; the button comes back when it is done.
      row.querySelectorAll(".call-actions form").forEach(function (f) { f.hidden = true; });
    }
    var bar = row.querySelector(".call-progress");
    if (bar) { bar.value = call.progress; bar.textContent = Math.round(call.progress * 100) + "%"; }
    var percent = row.querySelector(".call-percent");
    if (percent) { percent.textContent = Math.round(call.progress * 100) + "%"; }
    var bites = row.querySelector(".call-bites");
    if (bites) { bites.textContent = String(call.bites); }
  }

  function poll() {
    var rows = activeRows();
    var url = statusUrl();
    if (!rows.length || !url) { return; }
    var ids = rows.map(function (r) { return r.getAttribute("data-call-id"); });
    fetch(url + "?ids=" + encodeURIComponent(ids.join(",")), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (data) {
      var finished = false;
      data.calls.forEach(function (call) {
        var row = document.querySelector("[data-call-id='" + call.id + "']");
        if (!row) { return; }
        render(row, call);
        if (!call.active) { row.setAttribute("data-active", "0"); finished = true; }
      });
      // A finished call gains a retry button, bites or a transcript: show them with a fresh page.
      if (finished) { window.location.reload(); return; }
      window.setTimeout(poll, POLL_MS);
    }).catch(function () {
      window.setTimeout(poll, POLL_MS * 3);
    });
  }

  function seekers() {
    var media = document.getElementById("call-media");
    if (!media) { return; }
    document.querySelectorAll("button.seek[data-start]").forEach(function (button) {
      button.addEventListener("click", function () {
        media.currentTime = parseFloat(button.getAttribute("data-start")) || 0;
        var played = media.play();
        if (played && played.catch) { played.catch(function () {}); }
      });
    });
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1); }

  // The upload form sends its files with a progress bar: an hour-long recording over a slow link takes minutes.
  // The answer (the calls list with its messages, or the form with its errors) then replaces the page, as a plain
  // submit would show it; without JavaScript the form submits as usual.
  function uploadWithProgress() {
    var form = document.querySelector("form.upload-form");
    var box = document.querySelector(".upload-progress");
    if (!form || !box || !window.FormData || !window.XMLHttpRequest) { return; }
    var bar = box.querySelector("progress");
    var label = box.querySelector(".upload-percent");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var submit = form.querySelector("[type=submit]");
      if (submit) { submit.disabled = true; }
      box.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        bar.max = e.total;
        bar.value = e.loaded;
        label.textContent = box.getAttribute("data-sent")
          .replace("{percent}", String(Math.floor(100 * e.loaded / e.total)))
          .replace("{sent}", megabytes(e.loaded)).replace("{total}", megabytes(e.total));
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL) { window.history.replaceState(null, "", xhr.responseURL); }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        box.hidden = true;
        if (submit) { submit.disabled = false; }
        label.textContent = "";
        window.alert(box.getAttribute("data-failed"));
      });
      xhr.send(data);
    });
  }

  seekers();
  uploadWithProgress();
  if (activeRows().length) { window.setTimeout(poll, POLL_MS); }
})();
