// The claim case page: choosing a canned response fills in the message to the claimant.
// (A file, not an inline handler: the Content-Security-Policy runs scripts from our origin only.)
document.addEventListener("DOMContentLoaded", function () {
  var canned = document.getElementById("canned");
  if (!canned) { return; }
  canned.addEventListener("change", function () {
    document.getElementById("info-message").value = canned.value;
  });
});
