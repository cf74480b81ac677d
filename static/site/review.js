// A double click sends one request; the server also accepts only one claim per draft.
// (A file, not an inline script: the Content-Security-Policy runs scripts from our origin only.)
document.getElementById("submit-form").addEventListener("submit", function (event) {
  var button = document.getElementById("submit-claim");
  if (button.dataset.sent) { event.preventDefault(); return; }
  button.dataset.sent = "1"; button.setAttribute("aria-disabled", "true");
});
