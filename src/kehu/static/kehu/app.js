/* Kehu front-end behaviour. No inline scripts anywhere: everything lives here (strict CSP). */
(function () {
  "use strict";

  function showToasts(root) {
    if (!window.bootstrap) return;
    // The root itself may be the toast (an HTMX swap of a single toast element).
    var found = Array.prototype.slice.call(root.querySelectorAll(".toast:not(.kehu-toast-shown)"));
    if (root.matches && root.matches(".toast:not(.kehu-toast-shown)")) found.push(root);
    found.forEach(function (element) {
      element.classList.add("kehu-toast-shown");
      window.bootstrap.Toast.getOrCreateInstance(element).show();
    });
  }

  // The template is an error toast; other levels ("success", …) turn it into a polite one that
  // hides by itself.
  function toast(message, level) {
    var template = document.getElementById("toast-template");
    var container = document.getElementById("toasts");
    if (!template || !container || !message) return;
    var element = template.content.firstElementChild.cloneNode(true);
    element.querySelector(".toast-body").textContent = message;
    if (level && level !== "danger") {
      element.classList.replace("text-bg-danger", "text-bg-" + level);
      element.setAttribute("role", "status");
      element.setAttribute("aria-live", "polite");
      element.removeAttribute("data-bs-autohide");
    }
    container.appendChild(element);
    showToasts(container);
  }

  // <a data-export-base="/…/customers.xlsx">: the list's filters update the address bar
  // (hx-push-url) without reloading the page, so export what the address bar shows.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-export-base]");
    if (link) link.href = link.dataset.exportBase + window.location.search;
  });

  // A server response says what happened with HX-Trigger: {"kehu:toast": {message, level}}.
  document.addEventListener("kehu:toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message, detail.level || "success");
  });

  // <a data-kehu-reveal="#collapse">: open a collapsed section on this page (e.g. the quick
  // entry form), scroll to it and focus its first field; without it, the link is followed.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-kehu-reveal]");
    if (!link || !window.bootstrap) return;
    var target = document.querySelector(link.getAttribute("data-kehu-reveal"));
    if (!target) return;
    event.preventDefault();
    var focusFirst = function () {
      target.scrollIntoView({ behavior: "smooth", block: "start" });
      var field = target.querySelector("input:not([type=hidden]), select, textarea");
      if (field) field.focus({ preventScroll: true });
    };
    if (target.classList.contains("show")) {
      focusFirst();
    } else {
      target.addEventListener("shown.bs.collapse", focusFirst, { once: true });
      window.bootstrap.Collapse.getOrCreateInstance(target, { toggle: false }).show();
    }
  });

  // <button data-copy-target="#input" data-copied-message="…">: copy the input's value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    if (!input) return;
    var done = function () { toast(button.getAttribute("data-copied-message"), "success"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
      });
    } else {
      // Plain http (an intranet server): select the text so Ctrl+C / ⌘C copies it.
      input.focus();
      input.select();
      if (document.execCommand && document.execCommand("copy")) done();
    }
  });

  // Destructive actions: <form data-confirm="…"> asks before it submits (plain or HTMX).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    showToasts(document);
  });

  // Content swapped in by HTMX may carry toasts too.
  document.addEventListener("htmx:load", function (event) {
    showToasts(event.target);
  });

  // Keep filter URLs short and shareable: drop empty GET parameters.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var parameters = event.detail.parameters;
    Object.keys(parameters).forEach(function (name) {
      var value = parameters[name];
      if (value === "" || (Array.isArray(value) && value.every(function (v) { return v === ""; }))) {
        delete parameters[name];
      }
    });
  });

  // <div class="progress-bar" data-progress="42.5">: the width is set here, not in a style
  // attribute, so the page needs no inline styles; HTMX swaps (live progress) redo it.
  function sizeProgressBars(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-progress")) || 0));
      bar.style.width = value + "%";
    });
  }
  sizeProgressBars(document);
  document.addEventListener("htmx:afterSettle", function (event) { sizeProgressBars(event.target); });

  document.addEventListener("htmx:responseError", function () {
    toast(document.body.getAttribute("data-error-message"));
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.getAttribute("data-offline-message"));
  });
})();
