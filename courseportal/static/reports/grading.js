/* The grading page's keyboard: a TA grading hundreds of reports should rarely need the mouse.
 *
 *   1–9        apply or remove that rubric item of the current problem
 *   ] [        next / previous problem (the current one is outlined)
 *   Enter      save and go to the next ungraded report   Ctrl+S  save and stay
 *   N P        next / previous ungraded report, without saving (asks first if something changed)
 *   C A        write a comment / an adjustment for the current problem; Esc leaves the field
 *   → ← + − W  the report: next / previous page, zoom in / out, fit the width
 *   ?          show the shortcuts
 *
 * While typing in a field only Esc, Ctrl+Enter (save and next) and Ctrl+S act. Each problem's points
 * are recomputed as items are applied (full points plus the adjustments, within 0..full), as the
 * server will. The page also keeps the grader's lock on the report while it stays open.
 */
(function () {
  "use strict";

  var LOCK_RENEW_MS = 3 * 60 * 1000;
  var form = document.getElementById("grade-form");
  if (!form) { return; }
  var problems = Array.prototype.slice.call(form.querySelectorAll("fieldset.problem.editable"));
  var active = 0;
  var changed = false;

  function current() { return problems[active]; }

  function activate(index) {
    if (!problems.length) { return; }
    active = (index + problems.length) % problems.length;
    problems.forEach(function (problem, at) { problem.classList.toggle("active", at === active); });
    current().scrollIntoView({ block: "nearest" });
  }

  function points(problem) {
    var full = parseFloat(problem.dataset.full);
    var total = full;
    var touched = false;
    problem.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      total += parseFloat(box.dataset.points); touched = true;
    });
    var adjustment = problem.querySelector("input[name^='adjustment_']");
    if (adjustment && adjustment.value && !isNaN(parseFloat(adjustment.value))) {
      total += parseFloat(adjustment.value); touched = true;
    }
    var shown = problem.querySelector(".problem-points");
    shown.textContent = touched ? String(Math.round(Math.min(full, Math.max(0, total)) * 100) / 100) : "–";
  }

  function toggle(key) {
    var box = current() && current().querySelector("input[data-key='" + key + "']");
    if (!box) { return; }
    box.checked = !box.checked;
    changed = true;
    points(current());
  }

  function go(link) {
    if (link && (!changed || window.confirm(form.dataset.confirmLeave || "Leave without saving?"))) {
      window.location.href = link.href;
    }
  }

  function submit(then) {
    var button = form.querySelector("button[name=then][value=" + then + "]");
    if (!button) {  // nothing of this report is this grader's to save: "next" still moves on
      if (then === "next") { go(document.getElementById("next-ungraded")); }
      return;
    }
    changed = false;
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  function focusField(selector) {
    var field = current() && current().querySelector(selector);
    if (field) { field.focus(); }
  }

  var viewerKeys = {
    "ArrowRight": "next-page", "PageDown": "next-page", "ArrowLeft": "previous-page", "PageUp": "previous-page",
    "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "w": "fit-width", "W": "fit-width"
  };

  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) && event.target.type !== "checkbox";
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); submit("next"); return; }
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault(); submit("stay"); return;
    }
    if (typing) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key;
    // Enter on a focused link or button does what that link or button says, not "save and next".
    if (key === "Enter" && /^(A|BUTTON|SUMMARY)$/.test(event.target.tagName)) { return; }
    if (/^[1-9]$/.test(key)) { toggle(key); }
    else if (key === "]") { activate(active + 1); }
    else if (key === "[") { activate(active - 1); }
    else if (key === "Enter") { if (problems.length) { submit("next"); } else { go(document.getElementById("next-ungraded")); } }
    else if (key === "n" || key === "N") { go(document.getElementById("next-ungraded")); }
    else if (key === "p" || key === "P") { go(document.getElementById("previous-ungraded")); }
    else if (key === "c" || key === "C") { focusField("textarea[name^='comment_']"); }
    else if (key === "a" || key === "A") { focusField("input[name^='adjustment_']"); }
    else if (key === "?") { var help = document.getElementById("shortcuts"); help.open = !help.open; }
    else if (viewerKeys[key] && window.reportViewer) { window.reportViewer[viewerKeys[key]](); }
    else { return; }
    event.preventDefault();
  });

  problems.forEach(function (problem, index) {
    problem.addEventListener("focusin", function () { activate(index); });
    problem.addEventListener("click", function () { if (active !== index) { activate(index); } });
    problem.addEventListener("input", function () { changed = true; points(problem); });
  });
  activate(0);
  problems.forEach(points);

  // The lock: renewed while the page stays open, so nobody else grades this report meanwhile.
  var grading = document.getElementById("grading");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (grading && grading.dataset.lockUrl && token && problems.length) {
    window.setInterval(function () {
      fetch(grading.dataset.lockUrl, { method: "POST", credentials: "same-origin",
                                       headers: { "X-CSRFToken": token.value } }).catch(function () {});
    }, LOCK_RENEW_MS);
  }
})();
