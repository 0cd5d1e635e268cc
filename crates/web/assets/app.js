// cirtkit's one script, for comfort only: every page works without it.
// - Forms (or submit buttons) marked data-partial="#id" are sent in the background and the element #id is replaced
//   by the answer (the server answers those requests with the fragment alone).
// - Keyboard: "/" goes to the search box, "n" to the next page of a list.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var target = (submitter && submitter.getAttribute("data-partial")) || form.getAttribute("data-partial");
    if (!target || !window.fetch) { return; }
    var element = document.querySelector(target);
    if (!element) { return; }
    event.preventDefault();
    var body = new FormData(form);
    if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
    fetch(submitter && submitter.formAction ? submitter.formAction : form.action, {
      method: "POST",
      body: new URLSearchParams(body),
      headers: { "X-Partial": "1" },
      credentials: "same-origin"
    }).then(function (answer) {
      return answer.text().then(function (html) { return { ok: answer.ok, html: html }; });
    }).then(function (answer) {
      element.outerHTML = answer.html;
      var fresh = document.querySelector(target);
      if (fresh) { fresh.setAttribute("tabindex", "-1"); fresh.focus(); }
    }).catch(function () { form.submit(); });
  });
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
    if (event.key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "n") {
      var next = document.querySelector("a[rel=next]");
      if (next) { window.location.href = next.href; }
    }
  });
})();
