// The borrower's tools: copy, SMS counting, the contact log (kept only in this browser), budget.
(function () {
  "use strict";
  var STORE = "contact-log-v1";

  function status(form, text) {
    var el = form && form.querySelector(".copy-status");
    if (el) el.textContent = text;
  }

  // Focus what the reader should read first: an error summary, or the finished message.
  var first = document.querySelector("[data-autofocus]");
  if (first) first.focus();

  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var done = function () { status(button.form, button.textContent + " ✓"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          field.select(); document.execCommand("copy"); done();
        });
      } else {
        field.select(); document.execCommand("copy"); done();
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });

  // SMS counter: Chinese text travels as UCS-2, 70 characters in one SMS, 67 per part when split.
  var GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\\[~\]|€]*$/;
  function segments(text) {
    var gsm = GSM.test(text);
    var length = gsm ? text.length + (text.match(/[\^{}\\\[~\]|€]/g) || []).length : text.length;
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    return { length: length, segments: length === 0 ? 0 : (length <= single ? 1 : Math.ceil(length / multi)) };
  }
  window.smsSegments = segments;

  // Contact log, in localStorage only.
  var i18n = document.getElementById("log-i18n");
  function entries() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(STORE, JSON.stringify(list)); }
  function label(key) { return (i18n && i18n.getAttribute("data-" + key)) || key; }
  function flagText(flags) { return (flags || []).map(function (f) { return label("flag-" + f); }).join("、"); }
  function when(value) { return (value || "").replace("T", " "); }

  function renderLog() {
    var table = document.getElementById("log-table");
    if (!table) return;
    var body = table.tBodies[0];
    var list = entries().sort(function (a, b) { return a.when < b.when ? 1 : -1; });
    body.textContent = "";
    if (!list.length) {
      var row = body.insertRow(); var cell = row.insertCell(); cell.colSpan = 6; cell.textContent = label("empty");
    }
    list.forEach(function (entry) {
      var row = body.insertRow();
      [when(entry.when), label(entry.channel), entry.who, entry.what, flagText(entry.flags)].forEach(function (text) {
        row.insertCell().textContent = text || "";
      });
      var button = document.createElement("button");
      button.type = "button"; button.className = "link"; button.textContent = label("delete");
      button.addEventListener("click", function () {
        save(entries().filter(function (e) { return e.id !== entry.id; })); renderLog();
      });
      row.insertCell().appendChild(button);
    });
    document.getElementById("log-actions").hidden = false;
  }

  var logForm = document.getElementById("log-form");
  if (logForm) {
    logForm.hidden = false;
    var whenField = document.getElementById("log-when");
    var now = new Date(); now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    if (!whenField.value) whenField.value = now.toISOString().slice(0, 16);
    if (location.hash === "#new") {
      // Only the call page links here: this entry is the call the reader just had.
      document.getElementById("log-channel").value = "call";
      document.getElementById("log-what").focus();
    }
    logForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!logForm.reportValidity()) return;
      var data = new FormData(logForm);
      var list = entries();
      list.push({
        id: String(Date.now()) + Math.random().toString(16).slice(2),
        when: data.get("when"), channel: data.get("channel"), who: data.get("who"),
        what: data.get("what"), flags: data.getAll("flags")
      });
      save(list);
      logForm.reset();
      whenField.value = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      status(logForm, label("saved"));
      renderLog();
    });
    renderLog();
  }

  function csvCell(text) {
    text = String(text == null ? "" : text);
    if (/^[=+\-@]/.test(text)) text = "'" + text;  // keep spreadsheets from running formulas
    return '"' + text.replace(/"/g, '""') + '"';
  }
  document.querySelectorAll("[data-log-export]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rows = [label("headers").split(",")].concat(entries().map(function (e) {
        return [when(e.when), label(e.channel), e.who, e.what, flagText(e.flags)];
      }));
      var csv = "\ufeff" + rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n");
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
      link.download = "contact-log.csv";
      document.body.appendChild(link); link.click(); link.remove();
    });
  });
  document.querySelectorAll("[data-log-clear]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (window.confirm(label("confirm"))) { localStorage.removeItem(STORE); renderLog(); }
    });
  });

  // The complaint letter can take its incidents from the log.
  document.querySelectorAll("[data-log-to]").forEach(function (button) {
    if (!entries().length) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-log-to"));
      field.value = entries().sort(function (a, b) { return a.when < b.when ? -1 : 1; }).map(function (e) {
        var flags = flagText(e.flags);
        return [when(e.when), e.who, e.what, flags ? "(" + flags + ")" : ""].filter(Boolean).join(" ").replace(/\s+/g, " ");
      }).join("\n");
      field.focus();
    });
  });

  // Budget: the same sum the server makes, as the reader types.
  var budget = document.querySelector("[data-budget]");
  if (budget) {
    var result = document.getElementById("budget-result");
    var costs = ["housing", "food", "transport", "children", "medical", "other_debts", "other"];
    var number = function (name) {
      var v = parseFloat((budget.elements[name].value || "").replace(/[,，¥￥元\s]/g, ""));
      return isFinite(v) && v > 0 ? v : 0;
    };
    budget.addEventListener("input", function () {
      if (!budget.elements.income.value) return;
      var spent = costs.reduce(function (sum, name) { return sum + number(name); }, 0);
      var left = number("income") - spent;
      result.hidden = false;
      result.querySelector("[data-out=costs]").textContent = spent.toFixed(2);
      result.querySelector("[data-out=left]").textContent = left.toFixed(2);
      result.querySelectorAll("[data-when=short]").forEach(function (el) { el.hidden = left > 0; });
      result.querySelectorAll("[data-when=ok]").forEach(function (el) { el.hidden = left <= 0; });
      var link = result.querySelector("[data-out-link]");
      link.href = link.href.split("?")[0] + "?offer_amount=" + Math.max(0, Math.floor(left));
    });
  }
})();
