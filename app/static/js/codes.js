/* Voting-code pages. The sheet: a Print button (the browser's own Print command works without it).
   The staff desk: fetch the figures again every few seconds, while the page is visible, and replace them in place. */
(function () {
  "use strict";

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }

  var figures = document.querySelector("[data-desk-figures]");
  if (figures && window.fetch) {
    var url = figures.getAttribute("data-desk-figures");
    var seconds = Math.max(5, Number(figures.getAttribute("data-refresh")) || 15);
    window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html) { figures.innerHTML = html; } })
        .catch(function () { /* keep the figures shown; the next round tries again */ });
    }, seconds * 1000);
  }
}());
