/* Kehu front-end behaviour. No inline scripts anywhere: everything lives here (strict CSP). */
(function () {
  "use strict";

  function showToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".toast:not(.kehu-toast-shown)").forEach(function (element) {
      element.classList.add("kehu-toast-shown");
      window.bootstrap.Toast.getOrCreateInstance(element).show();
    });
  }

  function toast(message) {
    var template = document.getElementById("toast-template");
    var container = document.getElementById("toasts");
    if (!template || !container) return;
    var element = template.content.firstElementChild.cloneNode(true);
    element.querySelector(".toast-body").textContent = message;
    container.appendChild(element);
    showToasts(container);
  }

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

  document.addEventListener("htmx:responseError", function () {
    toast(document.body.getAttribute("data-error-message"));
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.getAttribute("data-offline-message"));
  });
})();
