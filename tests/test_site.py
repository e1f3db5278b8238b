"""The site and its JSON twin, as a visitor sees them."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from kmrepo.db import session as db_session
from kmrepo.library.models import AccessLog

from .helpers import search


def _access_rows(app):
    with app.app_context():
        return db_session().scalar(select(func.count(AccessLog.id)))


def test_home_search_and_entry_pages(client, load, write_entry):
    write_entry("tax", "| ขั้นตอน | เวลา |\n| --- | --- |\n| ยื่นแบบ | ภายใน ๑๕ วัน |\n", title="คู่มือภาษีป้าย",
                type="manual", department="กองคลัง", tags=["ภาษีป้าย"], knowledge_items=["การจัดเก็บรายได้"])
    load(write_entry.folder)
    home = client.get("/").get_data(as_text=True)
    assert "คู่มือภาษีป้าย" in home and 'lang="th"' in home
    page = client.get("/search", query_string={"q": "15 วัน"}).get_data(as_text=True)
    assert "<mark>๑๕</mark>" in page and "พบ 1 รายการ" in page
    entry = client.get("/entries/tax").get_data(as_text=True)
    assert "<table>" in entry and "<td>ยื่นแบบ</td>" in entry and "กองคลัง" in entry
    assert client.get("/items/").status_code == 200
    assert "คู่มือภาษีป้าย" in client.get("/tags/ภาษีป้าย").get_data(as_text=True)


def test_search_filters_pagination_and_sort(client, load, write_entry):
    for i in range(12):
        write_entry(f"e{i}", f"ระเบียบการลา ฉบับ {i}", type="regulation" if i % 2 else "manual",
                    department="สำนักปลัด" if i < 6 else "กองช่าง",
                    knowledge_items=["การลา"] if i < 4 else ["การลา", "สวัสดิการ"], fiscal_year=2560 + i % 3)
    load(write_entry.folder)
    data = search(client, "ระเบียบ", limit=5)
    assert data["total"] == 12 and data["pages"] == 3 and len(data["results"]) == 5
    assert {f["value"]: f["count"] for f in data["facets"]["type"]} == {"manual": 6, "regulation": 6}
    page3 = search(client, "ระเบียบ", limit=5, page=3)
    assert len(page3["results"]) == 2
    only = search(client, "ระเบียบ", type="regulation", department="กองช่าง")
    assert only["total"] == 3 and all(r["type"] == "regulation" for r in only["results"])
    items = {f["label"]: f["count"] for f in data["facets"]["knowledge_item"]}
    assert items == {"การลา": 12, "สวัสดิการ": 8}
    html = client.get("/search", query_string={"q": "ระเบียบ", "type": "regulation"}).get_data(as_text=True)
    assert "ระเบียบ/หนังสือสั่งการ" in html and "สวัสดิการ" in html and "nav class=\"pages\"" not in html
    assert client.get("/search", query_string={"q": "ระเบียบ"}).status_code == 200


def test_markdown_is_sanitised(client, load, write_entry):
    write_entry("x", "<script>alert('x')</script>\n\n[คลิก](javascript:alert(1))\n\n"
                     "<img src=x onerror=alert(1)> <a href=\"data:text/html,x\">d</a>\n\n**ตัวหนา**",
                title="ทดสอบ")
    load(write_entry.folder)
    body = client.get("/entries/x").get_data(as_text=True)
    # markup that is not allowed is shown as the text it is, never run and never lost
    assert "<script>alert" not in body and "&lt;script&gt;alert('x')&lt;/script&gt;" in body
    assert "javascript:" not in body and "onerror" not in body and "data:text" not in body
    assert "<strong>ตัวหนา</strong>" in body


def test_no_text_is_lost_to_markup_and_rendering_is_bounded(app, client, auth, load, write_entry):
    """A code span keeps its text; an unclosed <textarea> or <embed> swallows nothing
    after it, on the page or in search; markup nested too deep or too many tags is
    refused on save with a Thai message, and shown as plain text if stored already."""
    write_entry("code", "ก่อน `<script>x</script>` กลาง <embed src=a> หลังแท็ก\n\n<textarea>\n\nย่อหน้าท้ายสุด",
                title="โค้ด")
    write_entry("deep", "<div>" * 5000 + "ข้อความลึก", title="ซ้อนลึก")
    report = load(write_entry.folder)
    assert [(p.rsplit("/", 1)[-1], "nests" in why) for p, why in report.errors] == [("deep.md", True)]
    page = client.get("/entries/code").get_data(as_text=True)
    assert "<code>&lt;script&gt;x&lt;/script&gt;</code>" in page and "หลังแท็ก" in page and "ย่อหน้าท้ายสุด" in page
    assert "<embed" not in page and "<textarea" not in page
    assert [r["slug"] for r in search(client, "ย่อหน้าท้ายสุด")["results"]] == ["code"]
    assert client.get("/api/entries/deep").status_code == 404  # loaded files are checked too

    auth.login("km_team")
    for body in ("<div>" * 5000, "***a" * 20000):
        resp = auth.post("/entries/new", {"title": "ซ้อน", "type": "manual", "body": body, "visibility": "internal",
                                          "department": "0"})
        assert resp.status_code == 400, body[:10]
        assert "กรุณาลดการซ้อนกัน" in resp.get_data(as_text=True) or "แท็กมากเกิน" in resp.get_data(as_text=True)
    assert client.get("/api/workspace").get_json()["mine"] == []  # nothing half-saved
    with app.app_context():  # stored before the limits: shown as its plain text, at once
        from kmrepo.library.models import Entry

        entry = db_session().scalar(select(Entry).where(Entry.slug == "code"))
        entry.body = "<div>" * 30000 + "ข้อความเก่า"
        db_session().commit()
    page = client.get("/entries/code").get_data(as_text=True)
    assert "<pre>&lt;div&gt;&lt;div&gt;" in page and "ข้อความเก่า" in page


def test_views_count_by_the_access_rule(app, client, auth, load, write_entry, clock):
    """One reader's views of one entry within 30 minutes count once (page and JSON twin
    alike); bots, health checks, machine reads and an author's own views never count;
    lists and searches are no access (library/access.py, docs/domain.md)."""
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    assert _access_rows(app) == 0
    browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"}
    for _ in range(5):  # five reloads
        client.get("/entries/a", headers=browser)
    client.get("/api/entries/a", headers=browser)
    assert _access_rows(app) == 1
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bingbot/2.0",
                  "kmrepo-healthcheck/1.0", "curl/8.5.0"):
        assert client.get("/entries/a", headers={"User-Agent": agent}).status_code == 200
    other = app.test_client()  # another reader: a different user agent from the same address
    other.get("/api/entries/a", headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1", "X-Machine-Read": "1"})
    assert _access_rows(app) == 1
    other.get("/api/entries/a", headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
    assert _access_rows(app) == 2
    clock.advance(timedelta(minutes=31))
    client.get("/entries/a", headers=browser)
    assert _access_rows(app) == 3
    client.get("/search", query_string={"q": "เนื้อหา"})
    client.get("/entries/")
    assert _access_rows(app) == 3
    assert client.get("/api/stats").status_code == 401  # the KPI is for the KM team
    auth.login("km_team")
    stats = client.get("/api/stats").get_json()
    assert stats["total"] == 3 and stats["by_entry"][0]["accesses"] == 3
    assert "3 ครั้ง" in client.get("/stats").get_data(as_text=True)


def test_internal_entries_are_hidden_from_anonymous_visitors(app, client, load, write_entry):
    write_entry("secret", "รายงานภายใน", visibility="internal")
    write_entry("open", "รายงานเปิดเผย")
    load(write_entry.folder)
    assert [r["slug"] for r in search(client, "รายงาน")["results"]] == ["open"]
    assert client.get("/entries/secret").status_code == 404
    assert client.get("/api/entries/secret").status_code == 404
    assert _access_rows(app) == 0


def test_signed_in_staff_read_internal_entries_and_are_logged_by_user_id(app, client, auth, load, write_entry):
    write_entry("secret", "รายงานภายใน", visibility="internal")
    load(write_entry.folder)
    auth.login("reader")
    assert [r["slug"] for r in search(client, "รายงาน")["results"]] == ["secret"]
    assert client.get("/entries/secret").status_code == 200
    with app.app_context():
        row = db_session().scalar(select(AccessLog))
        assert row.user_id is not None and row.visitor == ""


def test_api_shapes(client, load, write_entry):
    write_entry("a", "คู่มือการลา", title="การลาป่วย", type="manual")
    load(write_entry.folder)
    data = search(client, "ลา", limit=3)
    assert {"query", "total", "results"} <= data.keys()
    assert {"slug", "title", "type", "score", "snippet"} <= data["results"][0].keys()
    entry = client.get("/api/entries/a").get_json()
    assert entry["title"] == "การลาป่วย" and "<p>" in entry["html"] and entry["accesses"]["total"] == 1
    assert client.get("/api/entries/none").get_json()["status"] == 404


def test_errors_and_security_headers(site_client):
    client = site_client
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in resp.get_data(as_text=True)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/search", query_string={"q": '"', "page": "x", "limit": "-5"}).status_code == 200
    for url in ("/items/99999999999999999999999", "/api/items/99999999999999999999999", "/items/๑",
                "/files/99999999999999999999999/x.pdf", "/api/entries/" + "x" * 300):
        resp = client.get(url)
        assert resp.status_code == 404, url  # ids past 2**63 or in Thai digits are simply not found
    assert client.get("/api/items/99999999999999999999999").get_json() == {"error": "ไม่พบหน้าที่ต้องการ",
                                                                            "status": 404}


def test_pages_use_only_local_assets(site_client):
    client = site_client
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert client.get("/static/fonts/sarabun-thai-400-normal.woff2").status_code == 200


def test_no_inline_styles_or_scripts_that_the_csp_would_block(client, auth, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    auth.login("cko")
    for url in ("/", "/search?q=เนื้อหา", "/entries/a", "/entries/", "/items/", "/tags/", "/stats", "/nope",
                "/workspace", "/admin/audit", "/account/password", "/entries/a/edit"):
        html = client.get(url).get_data(as_text=True)
        scripts = re.findall(r"<script[^>]*>", html)
        assert all(re.fullmatch(r'<script src="/static/[\w.]+" defer>', s) for s in scripts), url
        assert "style=" not in html and "onclick" not in html and "</script>" in html, url


def test_an_authors_views_of_their_own_entry_never_count(app, client, auth):
    auth.login("contributor")
    auth.post("/entries/new", {"title": "คู่มือของฉัน", "type": "manual", "body": "เนื้อหา", "department": "0",
                               "visibility": "internal"})
    slug = client.get("/api/workspace").get_json()["mine"][0]["slug"]
    auth.post(f"/entries/{slug}/status", {"action": "submit"})
    auth.logout()
    auth.login("km_team")
    for action in ("approve", "publish"):
        auth.post(f"/entries/{slug}/status", {"action": action})
    auth.logout()
    auth.login("contributor")
    for _ in range(3):
        client.get(f"/entries/{slug}")
    assert _access_rows(app) == 0
    auth.logout()
    auth.login("reader")
    client.get(f"/entries/{slug}")
    assert _access_rows(app) == 1


def test_health_answers_monitors_and_counts_as_no_access(app, client, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    health = client.get("/health", headers={"User-Agent": "kmrepo-healthcheck/1.0"}).get_json()
    assert health["status"] == "ok" and health["entries"] == health["index"] == 1
    client.get("/entries/a", headers={"User-Agent": "kmrepo-healthcheck/1.0"})
    assert _access_rows(app) == 0
