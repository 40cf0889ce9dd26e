// Comments at the second: place the timeline's markers, and give a new comment the player's time when none is typed.
(function () {
  "use strict";

  document.querySelectorAll(".comment-marker[data-fraction]").forEach(function (marker) {
    marker.style.left = (parseFloat(marker.getAttribute("data-fraction")) * 100).toFixed(2) + "%";
  });

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
