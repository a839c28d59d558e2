// The grid's selection: Shift-click a check box to select the range from the last one clicked,
// a live count of what is selected, and the actions shown only once something is. Without this script the
// check boxes still work one by one and the actions are always shown.
(function () {
  "use strict";
  let last = null;

  function boxes(form) {
    return Array.from(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
  }

  function updateCount(form) {
    const label = form.querySelector("[data-selected-count]");
    if (!label) return;
    const all = form.querySelector('input[name="all"]');
    const n = boxes(form).filter((b) => b.checked).length;
    // The actions show once something is picked, so the bar stays one line while browsing on a phone.
    form.dataset.picked = n || (all && all.checked) ? "yes" : "no";
    if (all && all.checked) {
      label.textContent = "Every file matching the filter is selected.";
    } else {
      label.textContent = n ? n + " selected (Shift-click selects a range)." : "Select files with their check boxes (Shift-click selects a range).";
    }
  }

  document.addEventListener("click", function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "ids") return;
    const form = box.closest("form[data-select-range]") || document.getElementById(box.getAttribute("form"));
    if (!form) return;
    const list = boxes(form);
    if (event.shiftKey && last && list.includes(last)) {
      const [a, b] = [list.indexOf(last), list.indexOf(box)].sort((x, y) => x - y);
      list.slice(a, b + 1).forEach((other) => { other.checked = box.checked; });
    }
    last = box;
    updateCount(form);
  });

  // On load (and when the back button restores a page with boxes still ticked).
  function updateAll() {
    document.querySelectorAll("form[data-select-range]").forEach(updateCount);
  }
  document.addEventListener("DOMContentLoaded", updateAll);

  // On a phone the filter form would fill the first screen: fold it to its summary line.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(max-width: 40rem)").matches) return;
    document.querySelectorAll("details[data-fold-on-phones]").forEach(function (d) { d.open = false; });
  });
  window.addEventListener("pageshow", updateAll);

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.name === "all" && target.form) updateCount(target.form);
  });
})();
