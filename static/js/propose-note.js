/* The note box of the in-case search opens for the chosen service only
 * (templates/linkworkers/_search_result.html).
 *
 * Without this script each card's "Propose or refer" is a link to ?service=<uuid>,
 * which renders the page with that card's form open. With it, the link becomes a
 * button that shows the form from the card's <template> at once, closes any other
 * card's, and keeps what was typed if the same card is opened again.
 */
(function () {
  "use strict";

  function panelOf(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function close(toggle) {
    panelOf(toggle).hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  }

  function open(toggle) {
    document.querySelectorAll("[data-propose-toggle][aria-expanded='true']").forEach(function (other) {
      if (other !== toggle) {
        close(other);
      }
    });
    var panel = panelOf(toggle);
    if (!panel.firstElementChild) {
      var template = toggle.closest("[data-result]").querySelector("template[data-propose-form]");
      panel.appendChild(template.content.cloneNode(true));
    }
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    var note = panel.querySelector("textarea");
    if (note) {
      note.focus();
    }
  }

  document.querySelectorAll("[data-propose-toggle]").forEach(function (toggle) {
    if (!panelOf(toggle)) {
      return;
    }
    toggle.setAttribute("role", "button");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      if (toggle.getAttribute("aria-expanded") === "true") {
        close(toggle);
      } else {
        open(toggle);
      }
    });
    // A button answers the space bar as well as Enter.
    toggle.addEventListener("keydown", function (event) {
      if (event.key === " ") {
        event.preventDefault();
        toggle.click();
      }
    });
  });
})();
