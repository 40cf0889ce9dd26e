// Learning pages: the "read to the end" beacon, bite clips in quizzes, the question editor, printing certificates.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A playbook counts as read once its end scrolls into view: tell the server once.
  function watchEnd(marker, url, onDone) {
    var sent = false;
    function send() {
      if (sent) { return; }
      sent = true;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (response.ok && onDone) { onDone(); }
        if (!response.ok) { sent = false; }
      }).catch(function () { sent = false; });
    }
    if (!("IntersectionObserver" in window)) { send(); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { send(); observer.disconnect(); }
      });
    });
    observer.observe(marker);
  }

  document.querySelectorAll("[data-read-beacon]").forEach(function (marker) {
    var status = marker.querySelector("[data-read-status]");
    watchEnd(marker, marker.dataset.readBeacon, function () {
      marker.classList.add("is-read");
      if (status) { status.textContent = marker.dataset.doneText; }
    });
  });
  // The playbook page of the playbooks capability marks its end the same way.
  document.querySelectorAll("#playbook-end[data-playbook-id]").forEach(function (marker) {
    if (csrfToken()) { watchEnd(marker, "/learning/read/" + encodeURIComponent(marker.dataset.playbookId)); }
  });

  // A bite clip plays from its start and stops at its end (for browsers that ignore #t=start,end).
  // Seconds heard are reported to the bite's play beacon (with where it was heard: a quiz, the daily review), so a
  // clip listened to while learning counts as usage in every report.
  document.querySelectorAll("audio[data-learning-clip]").forEach(function (media) {
    var start = parseFloat(media.dataset.start), end = parseFloat(media.dataset.end);
    var heard = 0, last = null;
    function report() {
      if (!media.dataset.playUrl || heard < 0.5) { return; }
      var data = new FormData();
      data.append("csrf_token", media.dataset.csrf || "");
      data.append("seconds", heard.toFixed(2));
      data.append("source", media.dataset.source || "");
      heard = 0;
      if (navigator.sendBeacon && navigator.sendBeacon(media.dataset.playUrl, data)) { return; }
      fetch(media.dataset.playUrl, {method: "POST", body: data, credentials: "same-origin", keepalive: true})
        .catch(function () { /* usage is best effort */ });
    }
    media.addEventListener("timeupdate", function () {
      var t = media.currentTime;
      if (!media.paused && last !== null && t > last && t - last < 2) { heard += t - last; }
      last = t;
    });
    media.addEventListener("seeking", function () { last = null; });
    media.addEventListener("pause", report);
    media.addEventListener("ended", report);
    window.addEventListener("pagehide", report);
    media.addEventListener("loadedmetadata", function () {
      if (media.currentTime < start || media.currentTime > end) { media.currentTime = start; }
    });
    media.addEventListener("timeupdate", function () {
      if (media.currentTime >= end) { media.pause(); }
    });
    media.addEventListener("play", function () {
      if (media.currentTime >= end - 0.25) { media.currentTime = start; }
    });
  });

  // The question editor shows the true/false choice or the option rows, as the kind needs.
  document.querySelectorAll("form.question-form").forEach(function (form) {
    var kind = form.querySelector('select[name="kind"]');
    function update() {
      var trueFalse = kind.value === "true_false";
      form.querySelectorAll('[data-kind-group="true_false"]').forEach(function (el) { el.hidden = !trueFalse; });
      form.querySelectorAll('[data-kind-group="options"]').forEach(function (el) { el.hidden = trueFalse; });
    }
    kind.addEventListener("change", update);
    update();
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
