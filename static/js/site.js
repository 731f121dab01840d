// Progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Quick exit: leave for a neutral site through /exit/ (which forgets the wizard's answers),
  // replacing this page in the history so Back does not return to it. Also on three presses of
  // Shift within a second (GOV.UK's "Exit this page").
  function quickExit(event) {
    var link = document.querySelector("[data-quick-exit]");
    if (!link) return;
    if (event) event.preventDefault();
    document.body.hidden = true;
    document.title = "";
    window.location.replace(link.href);
  }
  var shiftPresses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) return;
    var now = Date.now();
    shiftPresses = shiftPresses.filter(function (t) { return now - t < 1000; });
    shiftPresses.push(now);
    if (shiftPresses.length >= 3) quickExit();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-quick-exit]");
    if (target) quickExit(event);
    var print = event.target.closest && event.target.closest("[data-print]");
    if (print) window.print();
  });

  // "None of these" in a multi-choice question clears the others, and the others clear it.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "checkbox" || !input.checked) return;
    var group = input.form ? input.form.querySelectorAll("input[type=checkbox][name='" + input.name + "']") : [];
    group.forEach(function (other) {
      if (other === input) return;
      if (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) other.checked = false;
    });
  });

  function reveal(root) {
    root.querySelectorAll("[data-print]").forEach(function (el) { el.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });

  // After htmx swaps a wizard step: focus the error summary, else the first urgent notice, else the heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    var step = document.getElementById("wizard-step");
    if (!step) return;
    reveal(step);
    var target = step.querySelector(".error-summary") || step.querySelector(".notice-urgent") || step.querySelector("h1");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
    var heading = step.querySelector("h1");
    if (heading) document.title = heading.textContent.trim() + " · " + document.title.split(" · ").pop();
  });
})();
