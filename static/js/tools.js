// The borrower's tools: copy, SMS counting, the contact log and the complaint ladder (both kept
// only in this browser), budget.
(function () {
  "use strict";
  var STORE = "contact-log-v1";  // the log's entries
  var CHOICE = "contact-log-choice-v1";  // which entries go into a complaint
  var PLAN = "complaint-plan-v1";  // the complaint ladder: route, date sent, steps done

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
  function read(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function entries() { return read(STORE, []); }
  function save(list) { localStorage.setItem(STORE, JSON.stringify(list)); }
  function label(key) { return (i18n && i18n.getAttribute("data-" + key)) || key; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, name) { return values[name]; });
  }
  function flagText(flags) {
    return (flags || []).map(function (f) { return label("flag-" + f); }).join(label("list-separator"));
  }
  function when(value) { return (value || "").replace("T", " "); }
  function oldestFirst(list) { return list.sort(function (a, b) { return a.when < b.when ? -1 : 1; }); }
  function oneLine(text) { return String(text || "").replace(/\s+/g, " ").trim(); }

  // One entry as a line of the complaint's timeline: "2026-11-02 22:40 电话，号码：经过（越界）".
  // guidance/composer.py reads these lines back (the date, the kind, the flags) to count them.
  function timelineLine(entry) {
    var line = when(entry.when) + " " + label("channel-" + entry.channel);
    if (oneLine(entry.who)) line += label("before-who") + oneLine(entry.who);
    line += label("before-what") + oneLine(entry.what);
    if ((entry.flags || []).length) line += label("flags-open") + flagText(entry.flags) + label("flags-close");
    return line;
  }

  // The entries the reader chose for a complaint: all, a date range, or those with given flags.
  function chosen(list, choice) {
    choice = choice || { pick: "all" };
    return list.filter(function (entry) {
      var day = (entry.when || "").slice(0, 10);
      if (choice.pick === "range") {
        return (!choice.from || day >= choice.from) && (!choice.to || day <= choice.to);
      }
      if (choice.pick === "flags") {
        return (choice.flags || []).some(function (f) { return (entry.flags || []).indexOf(f) >= 0; });
      }
      return true;
    });
  }

  function renderLog() {
    var table = document.getElementById("log-table");
    if (!table) return;
    var body = table.tBodies[0];
    var list = entries().sort(function (a, b) { return a.when < b.when ? 1 : -1; });
    var picked = chosen(list, pickChoice());
    body.textContent = "";
    if (!list.length) {
      var row = body.insertRow(); var cell = row.insertCell(); cell.colSpan = 6; cell.textContent = label("empty");
    }
    list.forEach(function (entry) {
      var row = body.insertRow();
      if (picked.indexOf(entry) < 0) row.className = "not-chosen";
      [when(entry.when), label("channel-" + entry.channel), entry.who, entry.what, flagText(entry.flags)].forEach(function (text) {
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
    var count = document.getElementById("pick-count");
    if (count) {
      count.textContent = list.length ? (picked.length ? fill(label("chosen"), { chosen: picked.length, total: list.length }) : label("none-chosen")) : label("empty");
    }
  }

  // Forms drawn disabled by the server (they need this script) come alive here; enabling them
  // moves nothing on the page.
  document.querySelectorAll("[data-needs-script]").forEach(function (el) { el.disabled = false; });

  var logForm = document.getElementById("log-form");
  if (logForm) {
    var whenField = document.getElementById("log-when");
    var localNow = function () { return new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16); };
    // The server wrote its own time (China's) so the field is never empty; this is the
    // reader's clock.
    whenField.value = localNow();
    if (location.hash === "#new") document.getElementById("log-what").focus();
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
      whenField.value = localNow();
      status(logForm, label("saved"));
      renderLog();
    });
  }

  // Choosing entries for a complaint (on the log page); the choice is kept with the log.
  var pick = document.getElementById("log-pick");
  function pickChoice() {
    if (!pick) return read(CHOICE, { pick: "all" });
    var data = new FormData(pick);
    return { pick: data.get("pick") || "all", from: data.get("from"), to: data.get("to"), flags: data.getAll("pick-flags") };
  }
  if (pick) {
    var kept = read(CHOICE, null);
    if (kept) {
      var radio = pick.querySelector("input[name=pick][value='" + kept.pick + "']");
      if (radio) radio.checked = true;
      pick.elements.from.value = kept.from || "";
      pick.elements.to.value = kept.to || "";
      pick.querySelectorAll("input[name=pick-flags]").forEach(function (box) {
        box.checked = (kept.flags || []).indexOf(box.value) >= 0;
      });
    }
    var choose = function (event) {
      // Typing a date or ticking a flag means that way of choosing.
      var name = event && event.target.name;
      if (name === "from" || name === "to") pick.querySelector("#pick-range").checked = true;
      if (name === "pick-flags") pick.querySelector("#pick-flags").checked = true;
      localStorage.setItem(CHOICE, JSON.stringify(pickChoice()));
      renderLog();
    };
    pick.addEventListener("change", choose);
    pick.addEventListener("input", choose);
    pick.addEventListener("submit", function (event) {
      event.preventDefault();
      localStorage.setItem(CHOICE, JSON.stringify(pickChoice()));
      var link = document.querySelector("#complaint-from-log a[href*='/messages/']");
      location.href = link.getAttribute("href").split("#")[0] + "#from-log";
    });
  }
  renderLog();

  function csvCell(text) {
    text = String(text == null ? "" : text);
    // Keep spreadsheets from running formulas: = + - @ (or their full-width forms) after any
    // leading spaces, and a leading tab or carriage return.
    if (/^[\t\r]|^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/.test(text)) text = "'" + text;
    return '"' + text.replace(/"/g, '""') + '"';
  }
  document.querySelectorAll("[data-log-export]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rows = [label("headers").split(",")].concat(entries().map(function (e) {
        return [when(e.when), label("channel-" + e.channel), e.who, e.what, flagText(e.flags)];
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

  // A complaint letter takes its incidents from the log: the entries chosen on the log page,
  // oldest first, one timeline line each. Arriving with #from-log fills them in at once.
  document.querySelectorAll("[data-log-to]").forEach(function (button) {
    if (!entries().length) return;
    button.hidden = false;
    var field = document.getElementById(button.getAttribute("data-log-to"));
    var importLog = function () {
      var list = oldestFirst(chosen(entries(), read(CHOICE, null)));
      field.value = list.map(timelineLine).join("\n");
      var complainedOn = document.getElementById("id_complained_on");
      var plan = read(PLAN, {});
      if (complainedOn && !complainedOn.value && plan.sent) complainedOn.value = plan.sent;
      status(button.closest("p"), fill(label("imported"), { count: list.length }));
      field.focus();
    };
    button.addEventListener("click", importLog);
    // Arriving with #from-log: fill in once the page has loaded, after the browser has moved to
    // the fragment (which would otherwise take the focus away from the filled-in field).
    if (location.hash === "#from-log" && !field.value) window.addEventListener("load", importLog);
  });

  // The complaint ladder: the route and date the reader chose, and which steps are done, are
  // kept in this browser only; coming back without them in the address shows the same plan.
  var planForm = document.querySelector("[data-plan-form]");
  if (planForm) {
    var params = new URLSearchParams(location.search);
    var plan = read(PLAN, {});
    var valid = params.get("route") && !document.querySelector(".error-summary");
    if (valid) {
      if (plan.route !== params.get("route") || plan.sent !== (params.get("sent") || "")) {
        plan = { route: params.get("route"), sent: params.get("sent") || "", done: {} };
        localStorage.setItem(PLAN, JSON.stringify(plan));
      }
    } else if (!location.search && plan.route) {
      location.replace("?" + new URLSearchParams({ route: plan.route, sent: plan.sent || "" }).toString());
    }
    document.querySelectorAll("[data-progress]").forEach(function (box) {
      var step = box.getAttribute("data-progress");
      box.checked = Boolean(plan.done && plan.done[step]);
      box.addEventListener("change", function () {
        var current = read(PLAN, {});
        current.done = current.done || {};
        current.done[step] = box.checked;
        localStorage.setItem(PLAN, JSON.stringify(current));
      });
    });
  }

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
