"""Hostile input: an XSS corpus in every place users type, a fuzzed Markdown renderer,
and uploads that must be refused."""

from __future__ import annotations

import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kmrepo.accounts.models import AuditEvent
from kmrepo.db import session as db_session
from kmrepo.library.models import Attachment
from kmrepo.library.rendering import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, render_markdown

PAYLOADS = [
    line for line in Path(__file__).with_name("xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
# <details> is the site's own (folding filters and contents); in what users write it is not
# allowed at all (ALLOWED_TAGS, checked below), and no tag may carry an event handler.
DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math",
                  "style", "template", "video", "audio", "source"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "data", "xlink:href", "poster"}


class _Inspector(HTMLParser):
    """Collects everything in a page that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        local_script = tag == "script" and dict(attrs).get("src", "").startswith("/static/")
        if tag in DANGEROUS_TAGS and not local_script:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.problems.append("<meta http-equiv>")
        href = dict(attrs).get("href", "")
        feed = dict(attrs).get("rel") == "alternate" and href.startswith("/") and not href.startswith("//")
        if tag == "link" and not href.startswith("/static/") and not feed:  # a feed of the site itself loads nothing
            self.problems.append("<link> off /static")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value is not None:
                compact = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()
                if compact.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def script_problems(html: str) -> list[str]:
    """What in ``html`` could execute script (empty when the page is safe)."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def assert_safe(html: str, where: str) -> None:
    problems = script_problems(html)
    assert not problems, f"{where}: {problems}"
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in html, f"{where}: payload appears unescaped: {payload}"


def test_the_inspector_catches_what_it_should():
    assert script_problems('<p><img src=x onerror="alert(1)"></p>')
    assert script_problems('<a href=" JaVa\tScript:alert(1)">x</a>')
    assert script_problems("<script>alert(1)</script>")
    assert not script_problems('<a href="/entries/x">x</a><script src="/static/kmrepo.js"></script>')
    assert len(PAYLOADS) >= 50


def test_xss_corpus_in_markdown_titles_tags_and_queries(client, auth, load, write_entry):
    for i, payload in enumerate(PAYLOADS):
        write_entry(f"x{i}", f"คำค้นทดสอบ ลำดับ {i}\n\n{payload}\n\n* {payload}\n\n| {payload} |\n|---|\n| ก |\n",
                    title=json.dumps(payload), tags=json.dumps([payload, "xss"]), summary=json.dumps(payload),
                    department=json.dumps(payload[:120]))  # a unit name is at most 200 characters
    report = load(write_entry.folder)
    assert not report.errors and len(report.created) == len(PAYLOADS)
    pages = ["/", "/entries/", "/entries/?page=2", "/tags/", "/tags/xss", "/search?q=คำค้นทดสอบ",
             "/search?q=คำค้นทดสอบ&page=2", "/search?q=alert", "/search?q=script", "/search?q=onerror"]
    pages += [f"/entries/x{i}" for i in range(len(PAYLOADS))]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert_safe(resp.get_data(as_text=True), url)
    for payload in PAYLOADS:
        for url in ("/search", "/entries/"):
            resp = client.get(url, query_string={"q": payload, "type": payload, "department": payload,
                                                 "sort": payload, "page": payload})
            assert_safe(resp.get_data(as_text=True), f"{url}?q={payload}")
        resp = client.get(f"/tags/{payload}")
        assert_safe(resp.get_data(as_text=True), f"/tags/{payload}")
    # what the KM team and CKO see: the same payloads as file names, titles and tags in
    # the entry page, the audit log and the workspace. A file name cannot hold a path
    # (/ \\ :) or start with a dot, so those characters are replaced by ones it can; a
    # browser sends a double quote in a file name as %22, so it becomes a single one.
    auth.login("km_team")
    for i, payload in enumerate(PAYLOADS[:20]):
        name = re.sub(r"[/\\\\:]", "_", payload).replace('"', "'").lstrip(".")[:190] + ".txt"  # 200 at most
        resp = auth.post("/entries/x0/files", {"file": (io.BytesIO(b"text"), name)},
                         content_type="multipart/form-data")
        assert resp.status_code == 302, (i, name, resp.status_code)
        resp = auth.post("/entries/new", {"title": payload, "type": "manual", "body": payload, "tags": payload,
                                          "visibility": "internal", "department": "0"})
        assert resp.status_code == 302, (i, payload)
    names = [f["filename"] for f in client.get("/api/entries/x0").get_json()["attachments"]]
    assert len(names) == 20 and all("<" in n or ">" in n or '"' in n or "'" in n for n in names)
    for url in ("/entries/x0", "/workspace", "/entries/x0/edit"):
        assert_safe(client.get(url).get_data(as_text=True), url)
    auth.logout()
    auth.login("cko")
    assert_safe(client.get("/admin/audit").get_data(as_text=True), "/admin/audit")
    assert_safe(client.get("/admin/audit?page=2").get_data(as_text=True), "/admin/audit?page=2")


_FRAGMENTS = [
    "<", ">", "/", "script", "img", "a", "svg", "iframe", "style", " src=", " href=", " onerror=", " onload=",
    "javascript:", "JaVaScRiPt:", "data:text/html,", "vbscript:", "&#106;", "&#x6A", "&lt;", "\"", "'", "`",
    "=", "(", ")", "[", "](", "![", "<!--", "-->", "<![CDATA[", "]]>", "\n", "\n\n", "    ", "\t", "|", "---",
    "*", "_", "#", "> ", "alert(1)", '<a href="', "<a href=", '<img src="', "<img src=", "[x](", "![y](", '">',
    "<p ", "<div ", "<table>", "<td ", " title=", " class=", " align=", "คู่มือ", "การลา", "๑๕", "\u200b", "\x00", "&", ";", "%0a", " ", "x",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=5)), max_size=40).map("".join))
def test_fuzzed_markdown_always_passes_the_allow_list(text):
    html = render_markdown(text)
    for problem in script_problems(html):
        raise AssertionError(f"{problem} from {text!r}")

    class AllowList(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in ALLOWED_TAGS, (tag, text)
            # the table wrapper the renderer adds (rendering.py): class, and reachable by keyboard
            allowed = set(ALLOWED_ATTRIBUTES.get(tag, [])) | (
                {"class", "tabindex", "role", "aria-label"} if tag == "div" else set())
            for name, value in attrs:
                assert name in allowed, (tag, name, text)
                if name in ("href", "src") and value:
                    scheme = _scheme(value)
                    assert scheme is None or scheme in ALLOWED_PROTOCOLS, (value, text)

    AllowList().feed(html)


def _scheme(url: str) -> str | None:
    """The scheme a browser would read from ``url`` (WHATWG URL parsing: leading and
    trailing C0 controls and spaces stripped, tabs and new lines removed), or None for
    a relative URL."""
    url = url.strip("".join(chr(c) for c in range(0x21))).replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


def _upload(auth, name, data, slug="a"):
    return auth.post(f"/entries/{slug}/files", {"file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")


def _nothing_written(app):
    folder = os.path.join(app.instance_path, "uploads")
    files = os.listdir(folder) if os.path.isdir(folder) else []
    with app.app_context():
        s = db_session()
        rows = s.scalar(select(func.count(Attachment.id)))
        audits = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "file_uploaded"))
    return files == [] and rows == 0 and audits == 0


def test_uploads_are_checked_by_content_not_name(app, client, auth, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    auth.login("km_team")
    refused = {
        "renamed executable": ("รายงาน.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        "ELF binary as docx": ("manual.docx", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
        "HTML as text": ("notes.txt", b"<html><script>alert(1)</script></html>"),
        "SVG as image": ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        "PNG named as PDF": ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        "path traversal": ("../../instance/secret_key.txt", b"hello"),
        "windows path": ("..\\..\\boot.ini.txt", b"hello"),
        "hidden file": (".htaccess.txt", b"hello"),
        "empty file": ("empty.txt", b""),
    }
    for why, (name, data) in refused.items():
        resp = _upload(auth, name, data)
        assert resp.status_code == 400, why
        assert "ไม่รับไฟล์" in resp.get_data(as_text=True), why
    app.config["UPLOAD_MAX_BYTES"] = 1024
    resp = _upload(auth, "big.txt", "ก".encode() * 2000)
    assert resp.status_code == 400 and "ไฟล์มีขนาดใหญ่เกิน" in resp.get_data(as_text=True)
    assert _nothing_written(app)


def test_accepted_upload_is_stored_under_a_random_name_and_served_safely(app, client, auth, load, write_entry):
    write_entry("a", "เนื้อหา", visibility="internal")
    load(write_entry.folder)
    auth.login("km_team")
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    assert _upload(auth, "คู่มือ การลา.pdf", pdf).status_code == 302
    assert _upload(auth, "สรุป.txt", "สรุปผลการอบรม".encode()).status_code == 302
    stored = os.listdir(os.path.join(app.instance_path, "uploads"))
    assert len(stored) == 2 and all(len(n) == 32 and "." not in n for n in stored)
    files = client.get("/api/entries/a").get_json()["attachments"]
    assert [f["filename"] for f in files] == ["คู่มือ การลา.pdf", "สรุป.txt"]
    resp = client.get(files[0]["url"])
    assert resp.data == pdf and resp.mimetype == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    text = client.get(files[1]["url"])
    assert text.headers["Content-Disposition"].startswith("attachment")
    auth.logout()
    assert client.get(files[0]["url"]).status_code == 404  # the entry is internal
