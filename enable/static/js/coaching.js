// Scoring a call: a "Now" button beside each moment field fills in the player's current second.
(function () {
  "use strict";
  var media = document.getElementById("call-media");
  if (!media) { return; }
  document.querySelectorAll("button[data-moment-for]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-moment-for"));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { input.value = String(Math.floor(media.currentTime || 0)); });
  });
})();
