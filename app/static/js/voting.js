/* Live counter on the ballot, per envelope: projects chosen and budget left (approval, knapsack), points left
   (cumulative), projects graded (majority judgment). Progressive enhancement only: the server checks every rule
   again when the ballot is reviewed and confirmed. Also keeps the choices made when a voter adds another district. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "fr";
  var money = new Intl.NumberFormat(lang, {
    style: "currency", currency: "EUR", minimumFractionDigits: 0, maximumFractionDigits: 2
  });

  function euros(cents) {
    return money.format(cents / 100);
  }

  function numberOf(envelope, name) {
    var value = envelope.getAttribute(name);
    return value ? Number(value) : null;
  }

  function find(root, selector) {
    return root.querySelector(selector);
  }

  function show(element, visible) {
    if (element) { element.hidden = !visible; }
  }

  function setText(element, text) {
    if (element) { element.textContent = text; }
  }

  function ticks(envelope, counter) {
    var boxes = envelope.querySelectorAll("input[type=checkbox][data-cost]");
    var budget = numberOf(envelope, "data-budget") || 0;
    var max = numberOf(envelope, "data-max");
    var knapsack = envelope.getAttribute("data-kind") === "knapsack";
    return function () {
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
      setText(find(counter, "[data-count]"), String(chosen));
      setText(find(counter, "[data-left]"), euros(budget - cost));
      setText(find(counter, "[data-total]"), euros(cost));
      show(find(counter, "[data-too-many]"), over);
      show(find(counter, "[data-over-budget]"), overSpent);
      return over || overSpent;
    };
  }

  function points(envelope, counter) {
    var inputs = envelope.querySelectorAll("input[data-points-input]");
    var total = numberOf(envelope, "data-points") || 0;
    var perProject = numberOf(envelope, "data-per-project");
    var max = numberOf(envelope, "data-max");
    return function () {
      var given = 0;
      var projects = 0;
      var overProject = false;
      Array.prototype.forEach.call(inputs, function (input) {
        var value = Number(input.value);
        var valid = input.value.trim() === "" || (Number.isInteger(value) && value >= 0);
        if (valid && value > 0) {
          given += value;
          projects += 1;
        }
        var tooMuch = !valid || (perProject !== null && value > perProject);
        overProject = overProject || tooMuch;
        input.classList.toggle("points-input-over", tooMuch);
      });
      var over = given > total;
      var tooMany = max !== null && projects > max;
      setText(find(counter, "[data-points-left]"), String(total - given));
      setText(find(counter, "[data-count]"), String(projects));
      show(find(counter, "[data-over-points]"), over);
      show(find(counter, "[data-over-project]"), overProject);
      show(find(counter, "[data-too-many]"), tooMany);
      return over || overProject || tooMany;
    };
  }

  function gradesOf(envelope, counter) {
    var items = envelope.querySelectorAll("[data-graded-item]");
    return function () {
      var graded = 0;
      Array.prototype.forEach.call(items, function (item) {
        if (item.querySelector("input[type=radio]:checked")) {
          graded += 1;
          item.classList.remove("grade-missing");  // the server's "no grade yet" is answered
          show(item.querySelector("[id$='-missing']"), false);
        }
      });
      setText(find(counter, "[data-graded]"), String(graded));
      return false;
    };
  }

  function setUp(envelope) {
    var counter = find(envelope, "[data-counter]");
    if (!counter) { return; }
    var kind = envelope.getAttribute("data-kind");
    var count = kind === "cumulative" ? points(envelope, counter)
      : kind === "majority_judgment" ? gradesOf(envelope, counter) : ticks(envelope, counter);

    function update() {
      envelope.classList.toggle("envelope-over", count());
    }

    envelope.addEventListener("change", update);
    envelope.addEventListener("input", update);
    counter.hidden = false;
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-envelope]"), setUp);

  /* Adding another district reloads the ballot: send the choices made so far with it (the ballot page shows
     the choices it receives), instead of the picker's plain link that would start from an empty ballot. */
  var picker = document.querySelector("[data-district-picker]");
  var ballot = document.getElementById("ballot-form");
  if (picker && ballot) {
    picker.addEventListener("submit", function (event) {
      event.preventDefault();
      var also = ballot.querySelector("input[name=also]");
      if (!also) {
        also = document.createElement("input");
        also.type = "hidden";
        also.name = "also";
        ballot.appendChild(also);
      }
      also.value = picker.querySelector("select[name=also]").value;
      ballot.action = picker.action;
      ballot.submit();
    });
  }
}());
