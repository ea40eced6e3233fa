// Seatline admin UI: small improvements on top of plain forms, which work without this file.
// - Provision: checks the 3-5 digit rule and the seat count as you type, then asks the
//   server (/ui/provision/check) whether the keys are free, offering the next free start;
//   the Provision button stays disabled while the form is invalid.
// - Extension page: choosing a number raises the Number add-on count it needs.
// - Forms with data-confirm ask before submitting (Deprovision).
// - The navigation's Settings menu (a <details>) closes on Escape or a click elsewhere, as
//   menus do; without this file it closes by clicking its summary again.
"use strict";

(function () {
  function provision(form) {
    var count = form.querySelector("#count");
    var start = form.querySelector("#start");
    var button = form.querySelector("#provision-submit");
    var preview = form.querySelector("#provision-preview");
    var countError = form.querySelector("#count-error");
    var startError = form.querySelector("#start-error");
    var available = parseInt(form.dataset.available, 10);
    var maxKey = parseInt(form.dataset.maxKey, 10);
    // Errors the server rendered stay until the user edits that field, and no preview is
    // shown under them: it would describe a request the server just refused.
    var touched = { count: false, start: false };
    var serverError = !!(countError.textContent.trim() || startError.textContent.trim() || form.parentNode.querySelector(".alert"));
    var asked = 0;
    var timer = null;

    function show(input, box, message, field, nextFree) {
      if (!touched[field]) return;
      box.textContent = message;
      if (nextFree) {
        var use = document.createElement("button");
        use.type = "button";
        use.className = "btn btn-small";
        use.id = "use-next-free";
        use.textContent = "Use " + nextFree;
        use.addEventListener("click", function () { useStart(nextFree); });
        box.appendChild(document.createTextNode(" "));
        box.appendChild(use);
      }
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }

    function useStart(value) {
      start.value = value;
      touched.start = true;
      check();
      start.focus();
    }

    // What the server would answer: taken keys (with the next free start) and seats.
    function ask(n, s) {
      var mine = ++asked;
      fetch("/ui/provision/check?count=" + encodeURIComponent(n) + "&start=" + encodeURIComponent(s), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer || mine !== asked) return;
          if (answer.ok) {
            preview.textContent = answer.message;
            button.disabled = false;
            return;
          }
          preview.textContent = "";
          button.disabled = true;
          touched[answer.field === "count" ? "count" : "start"] = true;
          if (answer.field === "count") show(count, countError, answer.message, "count");
          else show(start, startError, answer.message, "start", answer.next_free_start);
        })
        .catch(function () { /* the server checks again on submit */ });
    }

    function check() {
      var n = count.value.trim();
      var s = start.value.trim();
      var countMsg = "";
      var startMsg = "";
      var num = /^[0-9]+$/.test(n) ? parseInt(n, 10) : NaN;
      if (!(num >= 1)) countMsg = "Enter how many users, at least 1.";
      else if (num > available) countMsg = available === 1 ? "Only 1 Phone System license is available." : "Only " + available + " Phone System licenses are available.";
      if (!/^[1-9][0-9]{2,4}$/.test(s)) {
        startMsg = s === "" ? "Enter the first extension, e.g. 1001." : "An extension is 3 to 5 digits and cannot start with 0.";
      } else if (num >= 1 && parseInt(s, 10) + num - 1 > maxKey) {
        startMsg = "The last extension would be " + (parseInt(s, 10) + num - 1) + ", past " + maxKey + ". Start lower or provision fewer.";
      }
      show(count, countError, countMsg, "count");
      show(start, startError, startMsg, "start");
      preview.textContent = "";
      asked++;
      clearTimeout(timer);
      var ok = !countMsg && !startMsg;
      button.disabled = !ok;
      if (ok && !(serverError && !touched.count && !touched.start)) {
        // Disabled until the server has looked at the keys.
        button.disabled = true;
        timer = setTimeout(function () { ask(num, s); }, 200);
      }
    }

    count.addEventListener("input", function () { touched.count = true; check(); });
    start.addEventListener("input", function () { touched.start = true; check(); });
    var useNext = form.querySelector("#use-next-free");
    if (useNext) {
      useNext.addEventListener("click", function (e) {
        e.preventDefault();
        useStart(useNext.dataset.start);
      });
    }
    check();
  }

  // Extension page: choosing a number raises the Number add-on count to cover it.
  function parts(form) {
    var qty = form.querySelector("#addon-license_number");
    var note = form.querySelector("#numbers-note");
    if (!qty) return;
    function chosen() {
      var n = 0;
      form.querySelectorAll(".number-choice").forEach(function (el) {
        if (el.type === "checkbox") { if (el.checked) n++; }
        else if (!el.disabled && el.value.trim() !== "") n++;
      });
      return n;
    }
    form.querySelectorAll(".number-choice").forEach(function (el) {
      el.addEventListener("change", function () {
        var need = chosen();
        if ((parseInt(qty.value, 10) || 0) < need) {
          qty.value = need;
          if (note) note.textContent = "Number add-ons raised to " + need + " for the chosen numbers.";
        }
      });
    });
  }

  function menu(details) {
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && details.open) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (details.open && !details.contains(e.target)) details.open = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("details.navmenu").forEach(menu);
    var form = document.getElementById("provision-form");
    if (form) provision(form);
    var partsForm = document.getElementById("parts-form");
    if (partsForm) parts(partsForm);
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.dataset.confirm)) e.preventDefault();
      });
    });
  });
})();
