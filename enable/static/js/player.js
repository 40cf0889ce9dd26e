// The bite player: opens at the bite's first second and stops at its end, highlights the word being
// spoken, seeks when a word is clicked, answers the keyboard, reports seconds listened, copies share
// links, and on a playlist's "play all" page moves on to the next bite at each bite's end.
// No inline script anywhere (the CSP forbids it): everything is read from data-* attributes.
(function () {
  "use strict";

  var root = document.querySelector("[data-player]");
  var media = root && root.querySelector("audio, video");
  if (!media) { return; }

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var status = root.querySelector("[data-player-status]");
  var transcript = document.querySelector("[data-transcript]");
  var words = transcript ? Array.prototype.slice.call(transcript.querySelectorAll(".word[data-start]")) : [];
  var starts = words.map(function (w) { return parseFloat(w.dataset.start); });
  var queue = Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  var SEEK_STEP_S = 5;
  var END_SLACK_S = 0.05;

  var bite = null;          // {start, end, playUrl, dealId}
  var listened = 0;         // seconds heard since the last beacon
  var lastTime = null;      // media time at the previous tick, null after a seek
  var current = -1;         // index of the highlighted word
  var queueIndex = -1;
  var frame = 0;
  var roving = false;       // the transcript's words share one tab stop (set up below)

  function num(value, fallback) {
    var n = parseFloat(value);
    return isFinite(n) ? n : fallback;
  }

  function say(text) { if (status) { status.textContent = text; } }

  function biteFrom(el) {
    return {
      start: num(el.dataset.start, 0),
      end: num(el.dataset.end, Infinity),
      initial: num(el.dataset.initial, num(el.dataset.start, 0)),
      playUrl: el.dataset.playUrl,
      dealId: root.dataset.dealId || "",
      playlistId: root.dataset.playlistId || ""
    };
  }

  // Usage beacon: seconds listened since the last one (sendBeacon survives the page being closed).
  function flush() {
    if (!bite || !bite.playUrl || listened < 0.5) { return; }
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("seconds", listened.toFixed(2));
    if (bite.dealId) { data.append("deal_id", bite.dealId); }
    if (bite.playlistId) { data.append("playlist_id", bite.playlistId); }
    listened = 0;
    if (navigator.sendBeacon && navigator.sendBeacon(bite.playUrl, data)) { return; }
    fetch(bite.playUrl, {method: "POST", body: data, credentials: "same-origin", keepalive: true})
      .catch(function () { /* usage is best effort; playback goes on */ });
  }

  function seekTo(seconds) {
    lastTime = null;
    media.currentTime = Math.max(0, seconds);
    highlight(media.currentTime);
  }

  function highlight(t) {
    if (!words.length) { return; }
    // The last word starting at or before t (binary search over the start times).
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found >= 0 && t > num(words[found].dataset.end, starts[found]) + 1.5) { found = -1; }
    if (found === current) { return; }
    if (current >= 0) { words[current].classList.remove("is-current"); words[current].removeAttribute("aria-current"); }
    current = found;
    if (current < 0) { return; }
    var el = words[current];
    el.classList.add("is-current");
    el.setAttribute("aria-current", "true");
    if (roving && !transcript.contains(document.activeElement)) { rove(current, false); }
    if (!media.paused) { keepVisible(el); }
  }

  function keepVisible(el) {
    var box = transcript;
    var top = el.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - el.offsetHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function tick() {
    frame = 0;
    var t = media.currentTime;
    if (!media.paused && lastTime !== null) {
      var delta = t - lastTime;
      if (delta > 0 && delta < 1) { listened += delta; }
      // Stop when playback crosses the bite's end (seeking past it on purpose keeps playing).
      if (lastTime < bite.end - END_SLACK_S && t >= bite.end - END_SLACK_S) {
        media.pause();
        flush();
        reachedEnd();
      }
    }
    lastTime = t;
    highlight(t);
    if (!media.paused) { frame = window.requestAnimationFrame(tick); }
  }

  function reachedEnd() {
    if (queue.length && queueIndex < queue.length - 1) {
      load(queueIndex + 1, true);
    } else {
      say(root.dataset.endedText || "");
    }
  }

  function startAt(seconds) {
    if (media.readyState >= 1) {
      seekTo(seconds);
    } else {
      media.addEventListener("loadedmetadata", function once() {
        media.removeEventListener("loadedmetadata", once);
        seekTo(seconds);
      });
    }
  }

  // Each recording brings its own captions: the queue item names its WebVTT file and language.
  function captions(item) {
    Array.prototype.slice.call(media.querySelectorAll("track")).forEach(function (t) { t.remove(); });
    if (!item.dataset.captions) { return; }
    var track = document.createElement("track");
    track.kind = "captions";
    track.src = item.dataset.captions;
    track.srclang = item.dataset.lang || "en";
    track.label = root.dataset.captionsLabel || "Captions";
    track.default = true;
    media.appendChild(track);
  }

  // Playlist "play all": one media element, loaded with each bite in turn.
  function load(index, autoplay) {
    flush();
    var item = queue[index];
    queueIndex = index;
    queue.forEach(function (li, i) {
      li.classList.toggle("is-playing", i === index);
      if (i === index) { li.setAttribute("aria-current", "true"); } else { li.removeAttribute("aria-current"); }
    });
    bite = biteFrom(item);
    // Bites of the same call share one recording: seek within it instead of loading it again. The
    // fragment gives only the start: a fragment end would pause the next bite of the same recording.
    if (media.dataset.loaded !== item.dataset.src) {
      media.dataset.loaded = item.dataset.src;
      captions(item);
      media.setAttribute("src", item.dataset.src + "#t=" + bite.start.toFixed(2));
      media.load();
    }
    lastTime = null;
    startAt(bite.start);
    say(item.dataset.title || "");
    if (autoplay) {
      var played = media.play();
      if (played && played.catch) { played.catch(function () { say(root.dataset.pressPlayText || ""); }); }
    }
  }

  media.addEventListener("play", function () {
    // Pressing play after the bite ended starts it again from its first second.
    var t = media.currentTime;
    if (t >= bite.end - END_SLACK_S - 0.1 && t <= bite.end + 0.5) { seekTo(bite.start); }
    lastTime = media.currentTime;
    if (!frame) { frame = window.requestAnimationFrame(tick); }
  });
  media.addEventListener("pause", function () { flush(); });
  media.addEventListener("ended", function () { flush(); reachedEnd(); });
  media.addEventListener("seeking", function () { lastTime = null; highlight(media.currentTime); });
  media.addEventListener("timeupdate", function () { if (media.paused) { highlight(media.currentTime); } });
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () { if (document.hidden) { flush(); } });

  if (queue.length) {
    queue.forEach(function (li, i) {
      var button = li.querySelector("[data-queue-play]");
      if (button) { button.addEventListener("click", function () { load(i, true); }); }
    });
    load(0, false);
  } else {
    bite = biteFrom(root);
    startAt(bite.initial);
  }

  function playFrom(seconds) {
    seekTo(seconds);
    if (media.paused) {
      var played = media.play();
      if (played && played.catch) { played.catch(function () { /* the browser wants a gesture first */ }); }
    }
  }

  words.forEach(function (w) {
    w.addEventListener("click", function () { playFrom(num(w.dataset.start, bite.start)); });
  });

  // The transcript is one stop for Tab (a roving tabindex): the arrows move between its words, up and down
  // between its lines, Home and End to its first and last word; Enter or space plays from the focused word.
  // Tab lands on the word being spoken. Without this script every word is a button of its own.
  var lines = transcript ? Array.prototype.slice.call(transcript.querySelectorAll(".line")) : [];
  var rover = 0;
  function rove(index, focus) {
    if (!words.length) { return; }
    index = Math.max(0, Math.min(words.length - 1, index));
    words[rover].setAttribute("tabindex", "-1");
    rover = index;
    words[rover].setAttribute("tabindex", "0");
    if (focus) { words[rover].focus(); keepVisible(words[rover]); }
  }
  function lineStart(line) { return line ? words.indexOf(line.querySelector(".word[data-start]")) : -1; }
  if (words.length) {
    words.forEach(function (w) { w.setAttribute("tabindex", "-1"); });
    lines.forEach(function (line) {
      // The line's clock seeks too, but the arrows reach the same place: one stop for the whole transcript.
      var clockLink = line.querySelector("[data-seek]");
      if (clockLink) { clockLink.setAttribute("tabindex", "-1"); }
    });
    rove(0, false);
    roving = true;
    transcript.addEventListener("keydown", function (event) {
      var at = words.indexOf(event.target);
      if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var line = event.target.closest(".line");
      var lineAt = lines.indexOf(line);
      var to = null;
      if (event.key === "ArrowRight") { to = at + 1; }
      else if (event.key === "ArrowLeft") { to = at - 1; }
      else if (event.key === "ArrowDown") { to = lineStart(lines[lineAt + 1]); }
      else if (event.key === "ArrowUp") { to = at > lineStart(line) ? lineStart(line) : lineStart(lines[lineAt - 1]); }
      else if (event.key === "Home") { to = 0; }
      else if (event.key === "End") { to = words.length - 1; }
      if (to === null) { return; }
      event.preventDefault();
      event.stopPropagation();
      if (to >= 0) { rove(to, true); }
    });
    transcript.addEventListener("focusin", function (event) {
      var at = words.indexOf(event.target);
      if (at >= 0 && at !== rover) { rove(at, false); }
    });
  }
  document.querySelectorAll("[data-seek]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      playFrom(num(link.dataset.seek, bite.start));
      media.scrollIntoView({block: "nearest"});
    });
  });

  // Keyboard: space or k plays and pauses, arrows seek; typing in a field is left alone.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = target && target.tagName;
    if (event.altKey || event.ctrlKey || event.metaKey || target.isContentEditable ||
        tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    var onControl = tag === "BUTTON" || tag === "A" || target === media;
    if (event.key === "k" || (event.key === " " && !onControl)) {
      event.preventDefault();
      if (media.paused) { media.play(); } else { media.pause(); }
    } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && target !== media) {
      event.preventDefault();
      var step = event.key === "ArrowLeft" ? -SEEK_STEP_S : SEEK_STEP_S;
      seekTo(Math.min(Math.max(media.currentTime + step, 0), media.duration || Infinity));
    }
  });

  // Share: record the share and copy a link that opens at the current second.
  var shareForm = document.querySelector("form[data-share]");
  if (shareForm) {
    shareForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var t = shareForm.querySelector('input[name="t"]');
      if (t) { t.value = Math.floor(media.currentTime); }
      fetch(shareForm.action, {
        method: "POST", body: new FormData(shareForm), credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRFToken": csrf}
      }).then(function (r) { return r.json(); }).then(function (data) {
        var output = document.querySelector("[data-share-output]");
        if (output) { output.value = data.url; output.hidden = false; output.select(); }
        var copied = navigator.clipboard ? navigator.clipboard.writeText(data.url) : Promise.reject();
        copied.then(function () { say(shareForm.dataset.copiedText || data.url); },
                    function () { say(shareForm.dataset.copyText || data.url); });
      }).catch(function () { shareForm.submit(); });
    });
  }
})();
