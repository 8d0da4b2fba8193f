/* Search as you type on the call screen. Without JavaScript the form is a plain GET search. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  var results = document.getElementById("call-results");
  if (!form || !results || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var endpoint = form.getAttribute("data-live-search");
  var timer = null;
  var latest = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var ticket = ++latest;
      var query = input.value.trim();
      var url = endpoint + "?q=" + encodeURIComponent(query);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok || response.status === 422 ? response.text() : ""; })
        .then(function (html) {
          if (ticket !== latest) { return; }
          results.innerHTML = html;
          var record = document.getElementById("record-call");
          if (record) { record.href = record.href.split("?")[0] + (query ? "?q=" + encodeURIComponent(query) : ""); }
          if (window.history && window.history.replaceState) {
            window.history.replaceState(null, "", form.action + (query ? "?q=" + encodeURIComponent(query) : ""));
          }
        })
        .catch(function () { /* the plain form still works */ });
    }, 200);
  });
})();
