// Suggestions while typing in any search box: GET /api/suggest?q= fills the shared
// <datalist id="kmrepo-suggest"> with entry titles, knowledge items and tags.
// No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var list = null, timer = null, last = "";
  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.text;
      list.appendChild(option);
    });
  }
  function ask(q) {
    if (q === last) { return; }
    last = q;
    if (q.length < 2) { fill([]); return; }
    fetch("/api/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (q === last) { fill(data.suggestions || []); } })
      .catch(function () { fill([]); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    list = document.getElementById("kmrepo-suggest");
    if (!list) { return; }
    document.querySelectorAll("input[list=kmrepo-suggest]").forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { ask(input.value.trim()); }, 150);
      });
    });
  });
})();
