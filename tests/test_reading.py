"""Reading real documents: contents and anchors, titles and dates plans give themselves,
readable Thai addresses, the last page instead of an empty one, a favicon."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sqlalchemy import select

from kmrepo.db import session as db_session
from kmrepo.library.loader import plan_title

from .helpers import search


def test_a_long_entry_has_a_table_of_contents_anchors_and_one_h1(client, load, write_entry):
    write_entry("manual", """
        # คู่มือการจัดเก็บภาษีป้าย

        ## บทที่ ๑ บทนำ

        เนื้อหา

        ### ๑.๑ ความเป็นมา

        เนื้อหา

        ## บทที่ ๒ ขั้นตอน

        เนื้อหา

        ## บทที่ ๒ ขั้นตอน

        ซ้ำชื่อ
        """, title="คู่มือการจัดเก็บภาษีป้าย")
    load(write_entry.folder)
    entry = client.get("/api/entries/manual").get_json()
    assert [(h["level"], h["text"]) for h in entry["toc"]] == [
        (2, "คู่มือการจัดเก็บภาษีป้าย"), (3, "บทที่ ๑ บทนำ"), (3, "บทที่ ๒ ขั้นตอน"), (3, "บทที่ ๒ ขั้นตอน")]
    ids = [h["id"] for h in entry["toc"]]
    assert len(ids) == len(set(ids))  # a heading named twice gets its own anchor
    page = client.get("/entries/manual").get_data(as_text=True)
    assert page.count("<h1") == 1  # the body's "#" heading is moved under the page's title
    assert f'href="#{ids[1]}"' in page and f'id="{ids[1]}"' in page
    assert "สารบัญ" in page and "กลับขึ้นด้านบน" in page


def test_headings_are_numbered_by_their_level_under_the_title(client, load, write_entry):
    write_entry("doc", "## หนึ่ง\n\nก\n\n### สอง\n\nข\n\n## สาม\n\nค\n", title="เอกสาร")
    load(write_entry.folder)
    toc = client.get("/api/entries/doc").get_json()["toc"]
    assert [(h["level"], h["text"]) for h in toc] == [(2, "หนึ่ง"), (3, "สอง"), (2, "สาม")]


def test_plans_get_the_title_and_date_they_give_themselves_and_their_unit_and_item(app, client, load, km_plans):
    from kmrepo.accounts.models import Department
    from kmrepo.library.models import Entry, KnowledgeItem

    with app.app_context():
        db_session().add_all([Department(name="กองยุทธศาสตร์และงบประมาณ"),
                              KnowledgeItem(name="การอบรมบุคลากรเพื่อพัฒนาความรู้")])
        db_session().commit()
    assert not load(km_plans).errors
    with app.app_context():
        rows = {e.source_path.rsplit("/", 1)[-1]: e for e in db_session().scalars(select(Entry))}
        banmai = rows["banmai-municipality.txt"]
        assert banmai.title == "แผนการจัดการความรู้ เทศบาลตำบลบ้านใหม่"
        sms = rows["samutsongkhram-municipality-2564-2566.txt"]
        assert sms.title == "แผนการจัดองค์ความรู้ในองค์กร เทศบาลเมืองสมุทรสงคราม ประจำปีงบประมาณ ๒๕๖๔-๒๕๖๖"
        assert sms.document_date == date(2020, 9, 17)  # "ประกาศ ณ วันที่ ๑๗ เดือน กันยายน พ.ศ. ๒๕๖๓"
        dla = rows["dla-2562.txt"]
        assert dla.title == "แผนการจัดการความรู้ของกรมส่งเสริมการปกครองท้องถิ่น ประจำปีงบประมาณ พ.ศ. ๒๕๖๒"
        training = rows["pathumthani-pao-2566-plan2-training.txt"]
        assert training.document_date == date(2022, 10, 1)  # "ประจำปีงบประมาณ ๒๕๖๖": its first day
        assert training.department.name == "กองยุทธศาสตร์และงบประมาณ"
        assert [k.name for k in training.knowledge_items] == ["การอบรมบุคลากรเพื่อพัฒนาความรู้"]
        risk = rows["pathumthani-pao-2566-plan1-risk.txt"]
        assert risk.knowledge_items == []  # an item kmrepo does not know is not made up
        slug = training.slug
    page = client.get(f"/entries/{slug}").get_data(as_text=True)
    assert "ลงวันที่ 1 ตุลาคม 2565" in page and "ปรับปรุงในระบบ" in page
    assert plan_title("") == ""


def test_thai_titles_get_readable_addresses_and_old_addresses_redirect(app, client, auth):
    from kmrepo.library.models import Entry, SlugAlias

    auth.login("contributor")
    resp = auth.post("/entries/new", {"title": "คู่มือ การเบิกค่าเช่าบ้าน (ฉบับปรับปรุง)", "type": "manual",
                                      "body": "เนื้อหา", "department": "0", "visibility": "public"})
    assert resp.headers["Location"].endswith("/entries/" + quote("คู่มือ-การเบิกค่าเช่าบ้าน-ฉบับปรับปรุง"))
    with app.app_context():
        entry = db_session().scalar(select(Entry).where(Entry.slug == "คู่มือ-การเบิกค่าเช่าบ้าน-ฉบับปรับปรุง"))
        db_session().add(SlugAlias(old_slug="entry-0badcafe", entry_id=entry.id))
        db_session().commit()
    old = client.get("/entries/entry-0badcafe")
    assert old.status_code == 308 and old.headers["Location"].endswith(quote("คู่มือ-การเบิกค่าเช่าบ้าน-ฉบับปรับปรุง"))
    assert client.get("/api/entries/entry-0badcafe").headers["Location"].startswith("/api/entries/")
    assert client.get("/entries/entry-deadbeef").status_code == 404


def test_a_page_past_the_last_shows_the_last(client, load, write_entry):
    for i in range(3):
        write_entry(f"e{i}", "ภาษีป้าย", title=f"ภาษีป้าย {i}")
    load(write_entry.folder)
    data = search(client, "ภาษีป้าย", page=99, limit=2)
    assert (data["page"], data["pages"]) == (2, 2) and len(data["results"]) == 1
    page = client.get("/search", query_string={"q": "ภาษีป้าย", "page": 99, "limit": 2}).get_data(as_text=True)
    assert "หน้า 2 จาก 2" in page and "<h1" in page


def test_the_site_has_a_favicon(client):
    assert client.get("/favicon.ico").status_code == 200
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_the_five_plans_load_with_titles_contents_and_tables_that_have_headers(app, client, load, km_plans):
    import re

    from kmrepo.library.loader import parse_file

    assert not load(km_plans).errors
    for path in sorted(km_plans.glob("*.txt")):
        parsed = parse_file(str(path))
        assert parsed.title.startswith(("แผนการจัด",)), (path.name, parsed.title)
        toc = client.get(f"/api/entries/{parsed.slug}").get_json()["toc"]
        assert len(toc) >= 2, path.name
        tables = [b for b in parsed.body.split("\n\n") if b.startswith("| ")]
        for table in tables:  # a table's first row is its header, never a numbered data row
            assert not re.match(r"^\| [0-9๐-๙]", table), (path.name, table[:80])
    dla = parse_file(str(km_plans / "dla-2562.txt")).body
    first = next(b for b in dla.split("\n\n") if b.replace(" ", "").startswith("|ที่|กิจกรรม|"))
    rows = first.split("\n")
    assert sum(1 for r in rows if r.replace(" ", "").startswith("|ที่|กิจกรรม|")) == 1  # one header, page breaks or not
    assert [n for n in range(1, 8) if any(f"ขั้นตอนที่ {'๐๑๒๓๔๕๖๗'[n]}" in r for r in rows)] == list(range(1, 8))
    risk = parse_file(str(km_plans / "pathumthani-pao-2566-plan1-risk.txt")).body
    kmp = next(b for b in risk.split("\n\n") if "กิจกรรมการจัดการความรู้ |" in b)
    assert [r.split("|")[1].strip() for r in kmp.split("\n")[2:]] == ["๑.", "๒.", "๓", "๔.", "๕.", "๖.", "๗.", "๘."]


def test_a_sidecar_file_names_and_dates_a_pasted_plan(app, client, load, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "plan-2570.txt").write_text("รายงานประจำปี\n\nบทที่ ๑ บทนำ\n\nเนื้อหา\n", encoding="utf-8")
    (folder / "plan-2570.yaml").write_text(
        "title: แผนการจัดการความรู้ เทศบาลตำบลตัวอย่าง ประจำปีงบประมาณ ๒๕๗๐\ndate: ๑ ต.ค. ๒๕๖๙\n"
        "department: กองคลัง\n", encoding="utf-8")
    report = load(folder)
    assert report.created == ["plan-2570"] and not report.errors
    entry = client.get("/api/entries/plan-2570").get_json()
    assert entry["title"] == "แผนการจัดการความรู้ เทศบาลตำบลตัวอย่าง ประจำปีงบประมาณ ๒๕๗๐"
    assert entry["document_date"] == "2026-10-01" and entry["department"] == "กองคลัง"
    assert [h["text"] for h in entry["toc"]] == ["บทที่ ๑ บทนำ"]
    (folder / "plan-2570.yaml").write_text("title: ชื่อใหม่\n", encoding="utf-8")
    assert load(folder).updated == ["plan-2570"]  # the sidecar is part of what is loaded
    (folder / "plan-2570.yaml").write_text("title: [ไม่ปิด\n", encoding="utf-8")
    assert "not valid YAML" in load(folder).errors[0][1]


def test_newest_first_means_the_documents_own_dates(client, load, write_entry, clock):
    from datetime import datetime

    from kmrepo.thai_dates import THAI_TZ

    clock.set_now(datetime(2026, 12, 1, 9, tzinfo=THAI_TZ))
    write_entry("order-2562", "คำสั่งแต่งตั้งคณะทำงาน", title="คำสั่ง ๒๕๖๒", date="2019-01-21")
    write_entry("order-2569", "คำสั่งแต่งตั้งคณะทำงาน", title="คำสั่ง ๒๕๖๙", date="๑ ต.ค. ๒๕๖๙")
    write_entry("order-undated", "คำสั่งแต่งตั้งคณะทำงาน", title="คำสั่งไม่ลงวันที่")
    load(write_entry.folder)  # all loaded today
    found = search(client, "คำสั่งแต่งตั้ง", sort="date")["results"]
    assert [r["slug"] for r in found] == ["order-undated", "order-2569", "order-2562"]
    assert [r["document_date"] for r in found] == [None, "2026-10-01", "2019-01-21"]
    listed = client.get("/api/entries").get_json()["entries"]
    assert [e["slug"] for e in listed] == ["order-undated", "order-2569", "order-2562"]
