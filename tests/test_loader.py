"""Loading Markdown and text files: idempotent, tolerant of bad files, real KM plans."""

from sqlalchemy import func, select

from kmrepo.db import session as db_session
from kmrepo.library.loader import text_to_markdown
from kmrepo.library.models import Entry, KnowledgeItem

from .helpers import search


def _entry(app, slug):
    with app.app_context():
        return db_session().scalar(select(Entry).where(Entry.slug == slug))


def test_loading_twice_changes_nothing(app, load, write_entry):
    write_entry("a", "เนื้อหา ก", type="manual", tags=["ภาษี"])
    write_entry("b", "เนื้อหา ข")
    first = load(write_entry.folder)
    assert sorted(first.created) == ["a", "b"] and not first.errors
    before = _entry(app, "a").updated_at
    second = load(write_entry.folder)
    assert second.created == [] and second.updated == [] and sorted(second.unchanged) == ["a", "b"]
    assert _entry(app, "a").updated_at == before


def test_changed_file_updates_its_entry_and_the_index(app, client, load, write_entry):
    write_entry("a", "คู่มือภาษีป้าย", title="เดิม")
    load(write_entry.folder)
    write_entry("a", "คู่มือภาษีโรงเรือน", title="ใหม่")
    report = load(write_entry.folder)
    assert report.updated == ["a"]
    assert _entry(app, "a").title == "ใหม่"
    assert search(client, "ภาษีป้าย")["total"] == 0
    assert [r["slug"] for r in search(client, "โรงเรือน")["results"]] == ["a"]


def test_broken_files_are_reported_and_the_rest_still_load(app, load, write_entry, tmp_path):
    folder = write_entry.folder
    write_entry("good", "ใช้ได้")
    (folder / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nx", encoding="utf-8")
    write_entry("bad-type", "x", type="memo")
    write_entry("bad-year", "x", fiscal_year=2024)
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02")
    write_entry("zz-dup", "x", slug="good")
    report = load(folder, tmp_path / "missing-folder")
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in report.errors}
    assert report.created == ["good"]
    assert "not valid YAML" in reasons["bad-yaml.md"]
    assert "'type' is 'memo'" in reasons["bad-type.md"]
    assert "did you mean 2567" in reasons["bad-year.md"]
    assert "not UTF-8" in reasons["latin1.md"]
    assert "binary" in reasons["binary.txt"]
    assert "already used by" in reasons["zz-dup.md"]
    assert "no such file" in reasons["missing-folder"]


def test_a_broken_file_does_not_touch_its_stored_entry(app, load, write_entry):
    write_entry("a", "ของเดิม", title="ฉบับดี")
    load(write_entry.folder)
    write_entry("a", "x", title="ฉบับเสีย", type="unknown")
    report = load(write_entry.folder)
    assert report.errors and _entry(app, "a").title == "ฉบับดี"


def test_front_matter_fields_are_stored(app, load, write_entry):
    write_entry("m", "# หัวเรื่อง\n\nเนื้อหา", title="คู่มือ", type="manual", department="กองคลัง",
                fiscal_year="๒๕๖๘", tags=["ภาษี", "รายได้"], knowledge_items=["การจัดเก็บภาษี"],
                visibility="internal", summary="สรุป")
    load(write_entry.folder)
    e = _entry(app, "m")
    with app.app_context():
        e = db_session().merge(e)
        assert (e.type, e.department.name, e.fiscal_year, e.visibility) == ("manual", "กองคลัง", 2568, "internal")
        assert [t.name for t in e.tags] == ["ภาษี", "รายได้"]
        assert [k.name for k in e.knowledge_items] == ["การจัดเก็บภาษี"]


def test_text_files_become_markdown_with_tables_and_no_html():
    md = text_to_markdown("หัวเรื่อง\n\nก\tข\tค\n1\t2\t3\n<p>ย่อหน้า</p> <b>หนา</b>\n    # ไม่ใช่หัวข้อ\n")
    assert "| ก | ข | ค |" in md and "| 1 | 2 | 3 |" in md
    assert "<p>" not in md and "<b>" not in md and "ย่อหน้า" in md
    assert "\\# ไม่ใช่หัวข้อ" in md


def test_the_five_real_km_plans_load_and_are_found(app, client, load, km_plans):
    report = load(km_plans)
    assert len(report.created) == 5 and not report.errors
    with app.app_context():
        types = db_session().scalars(select(Entry.type)).all()
    assert types == ["km_plan"] * 5
    with app.app_context():
        years = dict(db_session().execute(select(Entry.slug, Entry.fiscal_year)).all())
    # Each plan's own fiscal year, not the first year its text mentions.
    assert years == {"banmai-municipality": 2569, "dla-2562": 2562, "pathumthani-pao-2566-plan1-risk": 2566,
                     "pathumthani-pao-2566-plan2-training": 2566, "samutsongkhram-municipality-2564-2566": 2564}
    assert search(client, "รายงานผล ภายใน 15 วัน")["results"][0]["slug"] == "banmai-municipality"
    assert search(client, "รายงานผล ภายใน ๑๕ วัน")["results"][0]["slug"] == "banmai-municipality"
    found = [r["slug"] for r in search(client, "ขออนุญาตปลูกสร้างอาคาร")["results"]]
    assert found[0] == "samutsongkhram-municipality-2564-2566"


def test_demo_content_is_rich_enough(app, load):
    from kmrepo.cli import demo_content_path

    report = load(demo_content_path())
    assert not report.errors
    assert len(report.created) >= 40
    with app.app_context():
        s = db_session()
        used_items = s.scalar(select(func.count(func.distinct(KnowledgeItem.id))).join(KnowledgeItem.entries))
        units = s.scalar(select(func.count(func.distinct(Entry.department_id))))
        kinds = set(s.scalars(select(Entry.type)))
    assert used_items >= 6 and units >= 4
    assert {"manual", "best_practice", "training_report", "regulation", "qa"} <= kinds


def test_a_name_longer_than_its_column_is_reported_for_that_file_only(load, write_entry):
    write_entry("long-unit", "เนื้อหา", department="ก" * 201)
    write_entry("fine", "เนื้อหา", department="กองคลัง", tags=["ข" * 101])  # a tag is cut to 100
    report = load(write_entry.folder)
    assert report.created == ["fine"]
    assert [reason.split(":")[0] for _path, reason in report.errors] == ["department"]
