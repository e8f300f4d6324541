// The moderation queue without the mouse: j/k move, x selects, a/s/d/u act on the
// current comment, p picks or unpicks it, P (shift) pins or unpins it. Select-all, and a confirm() before deleting forever.
(function () {
  "use strict";
  var form = document.getElementById("mod-queue");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll(".mod__row"));
  var current = -1;
  var all = document.getElementById("mod-select-all");
  if (all) all.addEventListener("change", function () {
    rows.forEach(function (row) { row.querySelector("input[name=ids]").checked = all.checked; });
  });
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
  });
  function focus(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    rows[current].focus();
  }
  var keys = { a: "approve", s: "spam", d: "trash", u: "unapprove", p: "pick", P: "pin" };
  document.addEventListener("keydown", function (event) {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") focus(current + 1);
    else if (event.key === "k") focus(current - 1);
    else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[name=ids]");
      box.checked = !box.checked;
    } else if (keys[event.key] && current >= 0) {
      var button = rows[current].querySelector('[data-key-action="' + keys[event.key] + '"]');
      if (button) button.click();
    } else return;
    event.preventDefault();
  });
})();
