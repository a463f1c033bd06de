// Kepu console: comfort only. Every page works without this script.
"use strict";
// A "select all" box checks or clears every box named by its data-select-all attribute.
document.querySelectorAll("[data-select-all]").forEach(function (all) {
  all.hidden = false;
  var box = all.querySelector("input");
  var name = all.getAttribute("data-select-all");
  box.addEventListener("change", function () {
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
      b.checked = box.checked;
    });
  });
});
// Choosing teams to offer an order to selects the "chosen teams" option.
document.querySelectorAll("input[name=team_ids]").forEach(function (b) {
  b.addEventListener("change", function () {
    var chosen = document.getElementById("offer-chosen");
    if (chosen && b.checked) chosen.checked = true;
  });
});
// The certificate's print button (printing from the browser's menu works without it).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
