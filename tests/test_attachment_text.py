"""Attached documents are searched with their entry; an office's PDF, DOCX and XLSX files
load as entries with the file attached."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from kmrepo.db import session as db_session
from kmrepo.library.models import Entry, Revision

from .helpers import search

FONTS = __import__("pathlib").Path(__file__).parent.parent / "kmrepo" / "static" / "fonts"


@pytest.fixture(scope="session")
def thai_ttf(tmp_path_factory):
    """Sarabun (the site's own Thai font) as a TTF file a PDF writer can embed."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONTS / "sarabun-thai-400-normal.woff2"))
    font.flavor = None
    path = tmp_path_factory.mktemp("font") / "sarabun.ttf"
    font.save(str(path))
    return str(path)


def thai_pdf(ttf: str, text: str, title: str = "") -> bytes:
    """A PDF with ``text`` in Thai, written as a word processor writes one (an embedded
    TrueType subset and its ToUnicode map)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Sarabun", fname=ttf)
    pdf.set_font("Sarabun", size=14)
    if title:
        pdf.set_title(title)
    pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def thai_docx(heading: str, text: str, table=()) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def thai_xlsx(sheet: str, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(auth, slug, name, data):
    return auth.post(f"/entries/{slug}/files", {"file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data", follow_redirects=True)


def test_a_thai_docx_and_pdf_are_found_by_words_only_they_contain(app, client, auth, load, write_entry, thai_ttf):
    write_entry("memo", "ดูรายละเอียดในไฟล์แนบ", title="หนังสือเวียนเรื่องการประปา", department="กองคลัง")
    load(write_entry.folder)
    auth.login("km_team")
    pdf = thai_pdf(thai_ttf, "การจัดเก็บค่าธรรมเนียมน้ำประปาหมู่บ้าน ให้ดำเนินการภายในสิบห้าวัน")
    page = _upload(auth, "memo", "ระเบียบค่าน้ำประปา.pdf", pdf).get_data(as_text=True)
    assert "แนบไฟล์ ระเบียบค่าน้ำประปา.pdf แล้ว" in page
    docx = thai_docx("บันทึกข้อความ", "ขอความอนุเคราะห์ตรวจสอบมาตรวัดน้ำของครัวเรือน",
                     table=[["ที่", "ตำบล"], ["1", "บางพรม"]])
    _upload(auth, "memo", "บันทึกมาตรวัด.docx", docx)
    auth.logout()

    for word, name in (("ค่าธรรมเนียม", "ระเบียบค่าน้ำประปา.pdf"), ("มาตรวัดน้ำ", "บันทึกมาตรวัด.docx"),
                       ("บางพรม", "บันทึกมาตรวัด.docx")):
        hits = search(client, word)["results"]
        assert [h["slug"] for h in hits] == ["memo"], word
        assert hits[0]["found_in"] == name and "<mark>" in hits[0]["snippet"], word
    html = client.get("/search", query_string={"q": "ค่าธรรมเนียม"}).get_data(as_text=True)
    assert "พบในไฟล์แนบ <strong>ระเบียบค่าน้ำประปา.pdf</strong>" in html
    # a word of the entry's own text names no file
    assert search(client, "หนังสือเวียน")["results"][0]["found_in"] == ""

    # a removed file is no longer searched
    entry = client.get("/api/entries/memo").get_json()
    pdf_id = next(a["id"] for a in entry["attachments"] if a["filename"].endswith(".pdf"))
    auth.login("km_team")
    assert auth.post(f"/entries/memo/files/{pdf_id}/remove").status_code in (302, 303)
    assert search(client, "ค่าธรรมเนียม")["results"] == []
    assert search(client, "มาตรวัดน้ำ")["total"] == 1


def test_a_file_whose_text_cannot_be_read_is_attached_with_a_note(app, client, auth, load, write_entry):
    write_entry("scan", "เอกสารสแกน", title="คำสั่งที่สแกนไว้")
    load(write_entry.folder)
    auth.login("km_team")
    broken = b"%PDF-1.4\n" + b"\x00\x01garbage" * 200
    page = _upload(auth, "scan", "คำสั่ง.pdf", broken).get_data(as_text=True)
    assert "แนบไฟล์ คำสั่ง.pdf แล้ว" in page and "อ่านข้อความในไฟล์ไม่ได้" in page
    entry = client.get("/api/entries/scan").get_json()
    assert [(a["filename"], a["searchable"]) for a in entry["attachments"]] == [("คำสั่ง.pdf", False)]
    assert client.get(f"/files/{entry['attachments'][0]['id']}/คำสั่ง.pdf").data == broken


def test_kmrepo_load_takes_pdf_docx_and_xlsx_files(app, client, runner, tmp_path, thai_ttf):
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    (folder / "manual-water.docx").write_bytes(thai_docx(
        "คู่มือการจัดเก็บค่าน้ำประปา", "ผู้ใช้น้ำชำระค่าน้ำภายในวันที่สิบของเดือน",
        table=[["ขั้นตอน", "ผู้รับผิดชอบ"], ["อ่านมาตรวัด", "กองการประปา"]]))
    (folder / "memo-waste.pdf").write_bytes(thai_pdf(thai_ttf, "ประกาศเรื่องการคัดแยกขยะอันตรายจากครัวเรือน",
                                                      title="ประกาศการคัดแยกขยะ"))
    (folder / "budget.xlsx").write_bytes(thai_xlsx("งบประมาณ", [["โครงการ", "งบประมาณ"],
                                                                 ["อบรมการจัดการความรู้", 25000]]))
    result = runner.invoke(["load", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output

    water = client.get("/api/entries/manual-water").get_json()
    assert water["title"] == "คู่มือการจัดเก็บค่าน้ำประปา" and water["type"] == "manual"
    assert "<table>" in water["html"] and "กองการประปา" in water["html"]
    assert [a["filename"] for a in water["attachments"]] == ["manual-water.docx"]
    waste = client.get("/api/entries/memo-waste").get_json()
    assert waste["title"] == "ประกาศการคัดแยกขยะ" and waste["type"] == "regulation"
    assert "ขยะอันตราย" in waste["body"]
    budget = client.get("/api/entries/budget").get_json()
    assert budget["title"] == "budget" and "อบรมการจัดการความรู้" in budget["html"]
    assert [h["slug"] for h in search(client, "ขยะอันตราย")["results"]] == ["memo-waste"]
    assert [h["slug"] for h in search(client, "วันที่สิบ")["results"]] == ["manual-water"]

    # unchanged files change nothing; a changed one updates its entry, with one revision
    # more and its attached file replaced (not added)
    again = runner.invoke(["load", str(folder)])
    assert "0 created, 0 updated, 3 unchanged" in again.output
    (folder / "manual-water.docx").write_bytes(thai_docx(
        "คู่มือการจัดเก็บค่าน้ำประปา", "ผู้ใช้น้ำชำระค่าน้ำภายในวันที่ยี่สิบของเดือน"))
    assert "1 updated" in runner.invoke(["load", str(folder)]).output
    water = client.get("/api/entries/manual-water").get_json()
    assert "ยี่สิบ" in water["body"] and len(water["attachments"]) == 1
    with app.app_context():
        entry = db_session().scalar(select(Entry).where(Entry.slug == "manual-water"))
        assert db_session().query(Revision).filter_by(entry_id=entry.id).count() == 2
    assert client.get(water["attachments"][0]["url"]).status_code == 200


def test_a_document_that_is_not_what_its_name_says_is_reported_and_the_rest_load(runner, tmp_path):
    folder = tmp_path / "drive"
    folder.mkdir()
    (folder / "fake.pdf").write_text("not a pdf at all", encoding="utf-8")
    (folder / "ok.md").write_text("# เรื่องที่โหลดได้\n\nเนื้อหา\n", encoding="utf-8")
    result = runner.invoke(["load", str(folder)])
    assert "1 created" in result.output and "fake.pdf" in result.output
