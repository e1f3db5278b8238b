// On a phone, an entry opens at its text: the document's details (metadata) and the
// sidebar's table of contents start folded. Same-origin script: the CSP allows no inline code.
document.addEventListener("DOMContentLoaded", function () {
  if (window.matchMedia("(max-width: 800px)").matches) {
    document.querySelectorAll("details.meta[open], details.facets-toggle[open]").forEach(function (d) { d.removeAttribute("open"); });
  }
});
