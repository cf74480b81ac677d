// Inquiry and claim-message pages: choosing a standard reply puts its text in the box below,
// where the agent can still change it before sending.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("select[data-canned-for]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var target = document.getElementById(select.getAttribute("data-canned-for"));
      if (target && option && option.getAttribute("data-body") !== null) {
        target.value = option.getAttribute("data-body");
      }
    });
  });
});
