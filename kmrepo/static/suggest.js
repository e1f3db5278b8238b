// Suggestions while typing in any search box: GET /api/suggest?q= fills the shared
// <datalist id="kmrepo-suggest"> with entry titles, knowledge items and tags. Picking
// one opens it (the entry, the knowledge item or the tag), as search boxes of the
// sites staff know do; typing on and pressing Enter searches as before.
// No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var list = null, timer = null, last = "", offered = {};
  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    offered = {};
    items.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.text;
      list.appendChild(option);
      if (!(s.text in offered)) { offered[s.text] = s.url; }
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
  // A choice from the list arrives as one replacement of the whole value (typed
  // letters arrive one by one): that is when the choice is opened.
  function picked(event, input) {
    var url = offered[input.value];
    return url && (event.inputType === "insertReplacementText" || event.inputType === undefined) ? url : null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    list = document.getElementById("kmrepo-suggest");
    if (!list) { return; }
    document.querySelectorAll("input[list=kmrepo-suggest]").forEach(function (input) {
      input.addEventListener("input", function (event) {
        var url = picked(event, input);
        if (url) { window.location.assign(url); return; }
        clearTimeout(timer);
        timer = setTimeout(function () { ask(input.value.trim()); }, 150);
      });
    });
  });
})();
