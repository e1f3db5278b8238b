// The editor's live preview. The server renders and sanitises the Markdown exactly as
// the published page does (POST /api/entries/preview); this script only shows the
// answer. Loaded as a file, never inline (the Content-Security-Policy forbids it).
(function () {
  var pane = document.querySelector("[data-preview-url]");
  var source = document.querySelector("textarea[name=body]");
  var token = document.querySelector("meta[name=csrf-token]");
  if (!pane || !source) return;
  var out = pane.querySelector(".body");
  var note = pane.querySelector(".preview-problem");
  var timer = null, sent = null, busy = false;

  function show(data) {
    out.innerHTML = data.html;  // already sanitised by the server, as on the published page
    note.textContent = data.problem || "";
    note.hidden = !data.problem;
  }

  function refresh() {
    var text = source.value;
    if (text === sent) return;
    if (busy) { timer = setTimeout(refresh, 300); return; }
    busy = true; sent = text;
    fetch(pane.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.content : ""},
      body: JSON.stringify({body: text})
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data && typeof data.html === "string") show(data);
      else if (data && data.error) { note.textContent = data.error; note.hidden = false; }
    }).catch(function () {
      note.textContent = "แสดงตัวอย่างไม่ได้ในขณะนี้ (เนื้อหาที่พิมพ์ยังอยู่ครบ)"; note.hidden = false;
    }).then(function () { busy = false; });
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 500);
  });
  refresh();
})();
