// Small behaviours without inline scripts (keeps a strict Content-Security-Policy possible).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // A second click on a submit button while the first request is in flight does nothing.
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
});
