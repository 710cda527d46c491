/* The opportunity kanban (/sales/opportunities/board/): HTML5 drag and drop of cards between
   stage columns. A drop posts to the card's move URL; the server applies the stage rules. The
   card moves only when the server agrees, so a refused move leaves it where it was (snap
   back) and the translated reason shows as a toast. A lost column asks for the loss reason. */
(function () {
  "use strict";

  var board = document.getElementById("pipeline-board");
  if (!board) return;
  var dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function toast(message, level) {
    document.dispatchEvent(new CustomEvent("kehu:toast", { detail: { message: message, level: level } }));
  }

  function updateTotals(answer) {
    Object.keys(answer.columns || {}).forEach(function (stageId) {
      var column = board.querySelector('.board-column[data-stage="' + stageId + '"]');
      if (!column) return;
      var figures = answer.columns[stageId];
      ["count", "total", "weighted"].forEach(function (name) {
        var slot = column.querySelector('[data-role="' + name + '"]');
        if (slot) slot.textContent = figures[name];
      });
    });
    var weighted = document.getElementById("weighted-total");
    if (weighted && answer.weighted_total) weighted.textContent = answer.weighted_total;
  }

  function move(card, column, extra) {
    var body = new URLSearchParams();
    body.append("stage", column.getAttribute("data-stage"));
    body.append("version", card.getAttribute("data-version"));
    Object.keys(extra || {}).forEach(function (name) { body.append(name, extra[name]); });
    return fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (answer) { return { status: response.status, answer: answer }; });
    }).then(function (result) {
      var answer = result.answer;
      if (result.status === 200 && answer.ok) {
        column.querySelector("[data-drop-zone]").appendChild(card);
        card.setAttribute("data-version", answer.version);
        card.setAttribute("data-closed", column.getAttribute("data-closed"));
        updateTotals(answer);
        toast(answer.message, "success");
        return;
      }
      if (result.status === 400 && answer.needs_loss_reason && !(extra && extra.loss_reason)) {
        askLossReason(card, column, extra);
        return;
      }
      toast(answer.message || board.getAttribute("data-failed-message"), "danger");
    }).catch(function () {
      toast(board.getAttribute("data-failed-message"), "danger");
    });
  }

  function askLossReason(card, column, extra) {
    var modalElement = document.getElementById("loss-reason-modal");
    var form = document.getElementById("loss-reason-form");
    if (!modalElement || !form || !window.bootstrap) return;
    var modal = window.bootstrap.Modal.getOrCreateInstance(modalElement);
    form.reset();
    var submit = function (event) {
      event.preventDefault();
      var reason = form.querySelector("[name=loss_reason]").value.trim();
      if (!reason) return;
      form.removeEventListener("submit", submit);
      modal.hide();
      move(card, column, Object.assign({}, extra, { loss_reason: reason }));
    };
    form.addEventListener("submit", submit);
    modalElement.addEventListener("hidden.bs.modal", function () {
      form.removeEventListener("submit", submit);
    }, { once: true });
    modal.show();
    modalElement.addEventListener("shown.bs.modal", function () {
      form.querySelector("[name=loss_reason]").focus();
    }, { once: true });
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
  });

  board.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (card) card.classList.remove("is-dragging");
    board.querySelectorAll(".is-drop-target").forEach(function (c) { c.classList.remove("is-drop-target"); });
  });

  board.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-drop-target");
  });

  board.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-drop-target");
  });

  board.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    var card = dragged;
    dragged = null;
    if (!column || !card) return;
    event.preventDefault();
    column.classList.remove("is-drop-target");
    if (card.closest(".board-column") === column) return;
    var extra = {};
    if (card.getAttribute("data-closed") === "1") {
      if (!window.confirm(board.getAttribute("data-reopen-question"))) return;
      extra.reopen = "on";
    }
    if (column.getAttribute("data-lost") === "1") {
      askLossReason(card, column, extra);
      return;
    }
    move(card, column, extra);
  });
})();
