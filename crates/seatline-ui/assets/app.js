// Seatline admin UI: small improvements on top of plain forms, which work without this file.
// - Provision: checks the 3-5 digit rule and the seat count as you type, and keeps the
//   Provision button disabled while the form is invalid.
// - Forms with data-confirm ask before submitting (Deprovision).
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
    // Errors the server rendered stay until the user edits that field.
    var touched = { count: false, start: false };

    function show(input, box, message, field) {
      if (!touched[field]) return;
      box.textContent = message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }

    function check() {
      var n = count.value.trim();
      var s = start.value.trim();
      var countMsg = "";
      var startMsg = "";
      var num = /^[0-9]+$/.test(n) ? parseInt(n, 10) : NaN;
      if (!(num >= 1)) countMsg = "Enter how many users, at least 1.";
      else if (num > available) countMsg = "Only " + available + " Phone System license(s) are available.";
      if (!/^[1-9][0-9]{2,4}$/.test(s)) {
        startMsg = s === "" ? "Enter the first extension, e.g. 1001." : "An extension is 3 to 5 digits and cannot start with 0.";
      } else if (num >= 1 && parseInt(s, 10) + num - 1 > maxKey) {
        startMsg = "The last extension would be " + (parseInt(s, 10) + num - 1) + ", past " + maxKey + ". Start lower or provision fewer.";
      }
      show(count, countError, countMsg, "count");
      show(start, startError, startMsg, "start");
      var ok = !countMsg && !startMsg;
      button.disabled = !ok;
      if (ok) {
        var first = parseInt(s, 10);
        preview.textContent = num === 1 ? "Creates extension " + first + "." : "Creates extensions " + first + "–" + (first + num - 1) + ".";
      } else {
        preview.textContent = "";
      }
    }

    count.addEventListener("input", function () { touched.count = true; check(); });
    start.addEventListener("input", function () { touched.start = true; check(); });
    var useNext = form.querySelector("#use-next-free");
    if (useNext) {
      useNext.addEventListener("click", function (e) {
        e.preventDefault();
        start.value = useNext.dataset.start;
        touched.start = true;
        check();
        start.focus();
      });
    }
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("provision-form");
    if (form) provision(form);
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.dataset.confirm)) e.preventDefault();
      });
    });
  });
})();
