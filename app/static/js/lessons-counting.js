// The counting lesson: count again as soon as a ballot is ticked or the money changes, without reloading the page.
// Without JavaScript the form's "Count again" button does the same through an ordinary GET.
(function () {
  "use strict";
  var form = document.getElementById("counting-form");
  var results = document.getElementById("count-results");
  if (!form || !results || !window.fetch || !window.URLSearchParams) { return; }
  var pending = null;

  function recount() {
    var url = form.action.split("#")[0] + "?" + new URLSearchParams(new FormData(form)).toString();
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { signal: pending.signal, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("count-results");
        var alert = page.querySelector(".counting .error-summary");
        var oldAlert = form.parentNode.querySelector(".error-summary");
        if (oldAlert) { oldAlert.remove(); }
        if (alert) { form.parentNode.insertBefore(document.importNode(alert, true), form); }
        if (fresh) { results.innerHTML = fresh.innerHTML; }
        history.replaceState(null, "", url + "#count-results");
      })
      .catch(function () { /* a newer count replaced this one, or the network failed: the button still works */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "ballot") { recount(); }
  });
  document.getElementById("count-budget").addEventListener("change", recount);
})();
