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
// A part of a form refilled by the server (the enterprise found by its credit code) changed
// values without a change event: tell the form, so that its live check looks again.
document.addEventListener("htmx:afterSettle", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("[data-refresh-form]") && el.form !== null) {
    var form = el.closest("form");
    if (form) { form.dispatchEvent(new Event("change", { bubbles: true })); }
  }
});
