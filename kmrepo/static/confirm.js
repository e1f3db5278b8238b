// Asks before a destructive form is sent: <form data-confirm="ข้อความ">.
// Loaded as a file, never inline (the Content-Security-Policy forbids inline script).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
