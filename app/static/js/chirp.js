// Progressive enhancement only: every page works without this file.
"use strict";

// Live "characters left" counters for textareas that declare data-counter and data-max.
function setUpCounters() {
  document.querySelectorAll("textarea[data-counter][data-max]").forEach((box) => {
    const output = document.getElementById(box.dataset.counter);
    const max = Number(box.dataset.max);
    if (!output || !max) return;
    const update = () => {
      // Count characters as the server does: code points, so an emoji is one, not two.
      const left = max - [...box.value.trim()].length;
      output.textContent = left >= 0 ? `${left} characters left` : `${-left} characters too many`;
      output.classList.toggle("counter-over", left < 0);
    };
    box.addEventListener("input", update);
    update();
  });
}

document.addEventListener("DOMContentLoaded", setUpCounters);
