/* Segment builder: removing a condition row (and its group once empty), and a fresh count
   whenever rows were added, redrawn or removed. The rows themselves come from the server
   (HTMX); this file only wires the buttons. No inline JS (strict CSP). */
(function () {
  "use strict";

  function builderOf(node) {
    return node && node.closest ? node.closest("[data-segment-builder]") : null;
  }

  function recount(form) {
    if (form && window.htmx) window.htmx.trigger(form, "kehu:conditions-changed");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) return;
    var form = builderOf(button);
    var row = button.closest("[data-segment-row]");
    var group = button.closest("[data-segment-group]");
    if (!form || !row) return;
    row.remove();
    if (group && !group.querySelector("[data-segment-row]")) {
      var separator = group.previousElementSibling;
      if (separator && separator.classList.contains("segment-or")) separator.remove();
      group.remove();
    }
    recount(form);
  });

  // Rows and groups swapped in by HTMX: count again (not for the count itself).
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id === "segment-count") return;
    recount(builderOf(target));
  });
})();
