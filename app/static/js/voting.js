/* Live counter on the ballot: projects chosen and budget left (or cost of the choices), per envelope.
   Progressive enhancement only: the server checks every rule again when the ballot is reviewed and confirmed. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "fr";
  var money = new Intl.NumberFormat(lang, {
    style: "currency", currency: "EUR", minimumFractionDigits: 0, maximumFractionDigits: 2
  });

  function euros(cents) {
    return money.format(cents / 100);
  }

  function setUp(envelope) {
    var counter = envelope.querySelector("[data-counter]");
    if (!counter) { return; }
    var boxes = envelope.querySelectorAll("input[type=checkbox][data-cost]");
    var budget = Number(envelope.getAttribute("data-budget")) || 0;
    var max = envelope.getAttribute("data-max") ? Number(envelope.getAttribute("data-max")) : null;
    var knapsack = envelope.getAttribute("data-kind") === "knapsack";
    var count = counter.querySelector("[data-count]");
    var left = counter.querySelector("[data-left]");
    var total = counter.querySelector("[data-total]");
    var tooMany = counter.querySelector("[data-too-many]");
    var overBudget = counter.querySelector("[data-over-budget]");

    function update() {
      var chosen = 0;
      var cost = 0;
      Array.prototype.forEach.call(boxes, function (box) {
        if (box.checked) {
          chosen += 1;
          cost += Number(box.getAttribute("data-cost")) || 0;
        }
      });
      var over = max !== null && chosen > max;
      var overSpent = knapsack && cost > budget;
      count.textContent = String(chosen);
      if (left) { left.textContent = euros(budget - cost); }
      if (total) { total.textContent = euros(cost); }
      if (tooMany) { tooMany.hidden = !over; }
      if (overBudget) { overBudget.hidden = !overSpent; }
      envelope.classList.toggle("envelope-over", over || overSpent);
    }

    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", update);
    });
    counter.hidden = false;
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-envelope]"), setUp);
}());
