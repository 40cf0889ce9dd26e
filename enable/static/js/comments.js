// Comments at the second: place the timeline's markers, and give a new comment the player's time when none is typed.
(function () {
  "use strict";

  var MIN_GAP_PX = 26;  // markers are 24 px targets: closer ones would overlap

  // On a narrow screen two slots' markers can touch: the later one is left out (its comments stay in the thread and
  // beside the transcript), so no two targets overlap.
  function placeMarkers() {
    var last = null;
    document.querySelectorAll(".comment-marker[data-fraction]").forEach(function (marker) {
      marker.hidden = false;
      marker.style.left = (parseFloat(marker.getAttribute("data-fraction")) * 100).toFixed(2) + "%";
      var x = marker.offsetLeft;
      if (last !== null && x - last < MIN_GAP_PX) { marker.hidden = true; return; }
      last = x;
    });
  }

  placeMarkers();
  window.addEventListener("resize", placeMarkers);

  function media() {
    return document.getElementById("call-media") || document.querySelector("[data-media]");
  }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(rest).padStart(2, "0");
  }

  document.querySelectorAll("form[data-comment-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var at = form.querySelector("input[name=at]");
      var player = media();
      if (at && !at.value.trim() && player) { at.value = clock(player.currentTime || 0); }
    });
  });
})();
