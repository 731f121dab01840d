// A "preview" button under each Markdown field in the admin: the text is rendered by the same
// code (and the same sanitiser) as the public pages.
(function () {
  "use strict";
  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function addButton(textarea) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button markdown-preview-button";
    button.textContent = document.documentElement.lang === "en" ? "Preview" : "预览";
    var output = document.createElement("div");
    output.className = "markdown-preview";
    output.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      var body = new URLSearchParams({ text: textarea.value });
      fetch("/admin/guidance/markdown-preview/", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf() }
      }).then(function (r) { return r.json(); }).then(function (data) {
        output.innerHTML = data.html;  // sanitised on the server
      });
    });
    textarea.insertAdjacentElement("afterend", output);
    textarea.insertAdjacentElement("afterend", button);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[name*='body'], textarea[name*='when_'], textarea[name*='letter']").forEach(addButton);
  });
})();
