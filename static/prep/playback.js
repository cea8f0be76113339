// Reviewers step through a candidate's code snapshots with a slider (one visible at a time).
(function () {
  "use strict";
  document.querySelectorAll("[data-playback]").forEach(function (box) {
    const range = box.querySelector("[data-playback-range]");
    const label = box.querySelector("[data-playback-label]");
    const shots = Array.from(box.querySelectorAll("[data-snapshot]"));
    function show() {
      const index = Number(range.value);
      shots.forEach(function (el, i) { el.hidden = i !== index; });
      const shot = shots[index];
      if (shot) label.textContent = (index + 1) + " of " + shots.length + " · " + shot.dataset.at + (shot.dataset.question ? " · " + shot.dataset.question : "");
    }
    range.addEventListener("input", show);
    show();
  });
})();
