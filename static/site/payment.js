// The payment form shows only the chosen method's details; without this script all show.
// (A file, not an inline script: the Content-Security-Policy runs scripts from our origin only.)
(function () {
  var radios = document.querySelectorAll("input[name=payout_method]");
  function update() {
    var chosen = document.querySelector("input[name=payout_method]:checked");
    document.querySelectorAll("[data-payout-details]").forEach(function (group) {
      group.hidden = !chosen || group.getAttribute("data-payout-details") !== chosen.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
