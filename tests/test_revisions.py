"""Revisions: every change of content kept, no-op saves and unchanged loads make none,
a Thai diff shows a changed word whole, any version comes back as a new one."""

from __future__ import annotations

from .helpers import search


def _revisions(client, slug):
    return client.get(f"/api/entries/{slug}/revisions").get_json()["revisions"]


def _edit(auth, slug, body, note="", title="คู่มือการรายงานผล", type_="manual"):
    return auth.post(f"/entries/{slug}/edit", {"title": title, "type": type_, "body": body,
                                               "visibility": "public", "department": "0", "note": note})


def test_a_changed_word_shows_whole_in_the_diff_and_restore_brings_it_back(client, auth, load, write_entry):
    write_entry("report", "การรายงานผลเป็นเรื่องสำคัญของทุกกอง", title="คู่มือการรายงานผล")
    load(write_entry.folder)
    assert [r["note"] for r in _revisions(client, "report")] == ["นำเข้าจากไฟล์ report.md"]
    auth.login("km_team")
    assert _edit(auth, "report", "การรายงานผลเป็นเรื่องจำเป็นของทุกกอง", note="ปรับถ้อยคำ").status_code == 302
    assert _edit(auth, "report", "การรายงานผลเป็นเรื่องจำเป็นของทุกกอง").status_code == 302  # nothing changed
    revs = _revisions(client, "report")
    assert [(r["number"], r["note"]) for r in revs] == [(1, "นำเข้าจากไฟล์ report.md"), (2, "ปรับถ้อยคำ")]
    assert revs[1]["author"] == "ทดสอบ km_team"
    diff = client.get("/api/entries/report/diff?from=1&to=2").get_json()
    assert diff["from"] == 1 and diff["to"] == 2
    assert [op for op in diff["ops"] if op["op"] != "equal"] == [{"op": "delete", "text": "สำคัญ"},
                                                                 {"op": "insert", "text": "จำเป็น"}]
    page = client.get("/entries/report/diff?from=1&to=2").get_data(as_text=True)
    assert "<del>สำคัญ</del><ins>จำเป็น</ins>" in page
    entry_page = client.get("/entries/report").get_data(as_text=True)
    assert "แก้ไขล่าสุดโดย ทดสอบ km_team" in entry_page
    assert auth.post("/entries/report/restore", {"number": "1"}).status_code == 303
    revs = _revisions(client, "report")
    assert (revs[-1]["number"], revs[-1]["note"]) == (3, "นำฉบับที่ 1 กลับมาใช้")
    assert [r["slug"] for r in search(client, "สำคัญ")["results"]] == ["report"]  # the index followed


def test_loading_an_unchanged_file_adds_no_revision_and_a_changed_one_adds_one(client, load, write_entry):
    path = write_entry("plan", "แผนฉบับแรก")
    load(write_entry.folder)
    load(write_entry.folder)
    assert len(_revisions(client, "plan")) == 1
    path.write_text(path.read_text(encoding="utf-8").replace("แผนฉบับแรก", "แผนฉบับปรับปรุง"), encoding="utf-8")
    load(write_entry.folder)
    assert [r["number"] for r in _revisions(client, "plan")] == [1, 2]


def test_readers_cannot_restore_and_unknown_revisions_are_404(client, auth, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    auth.login("reader")
    assert auth.post("/entries/a/restore", {"number": "1"}).status_code == 403
    for query in ("from=1&to=9", "from=x&to=1", "from=99999999999999999999&to=1"):
        assert client.get(f"/api/entries/a/diff?{query}").status_code in (400, 404), query
    assert client.get("/api/entries/none/revisions").status_code == 404


def test_recent_changes_and_the_atom_feed_show_public_entries_to_anonymous_readers(client, auth, load, write_entry):
    from xml.etree import ElementTree

    write_entry("open", "คู่มือเปิดเผย", title="คู่มือสาธารณะ")
    write_entry("inside", "บันทึกภายใน", title="บันทึกภายใน", visibility="internal")
    load(write_entry.folder)
    auth.login("km_team")
    _edit(auth, "open", "คู่มือเปิดเผย ฉบับปรับปรุง", note="เพิ่มขั้นตอน", title="คู่มือสาธารณะ")
    mine = [(c["slug"], c["number"]) for c in client.get("/api/changes").get_json()["changes"]]
    assert mine[0] == ("open", 2) and ("inside", 1) in mine
    auth.logout()
    anonymous = [(c["slug"], c["number"], c["note"]) for c in client.get("/api/changes").get_json()["changes"]]
    assert anonymous == [("open", 2, "เพิ่มขั้นตอน"), ("open", 1, "นำเข้าจากไฟล์ open.md")]
    feed = client.get("/changes.atom")
    assert feed.mimetype == "application/atom+xml"
    titles = [e.text for e in ElementTree.fromstring(feed.data).iter("{http://www.w3.org/2005/Atom}title")]
    assert titles[1:] == ["แก้ไข: คู่มือสาธารณะ", "เอกสารใหม่: คู่มือสาธารณะ"] and "บันทึกภายใน" not in feed.text
    assert "ดูสิ่งที่เปลี่ยน" in client.get("/changes").get_data(as_text=True)


def test_review_dates_follow_publication_and_revision_and_readers_are_told(client, auth, load, write_entry, clock):
    from datetime import datetime, timedelta

    from kmrepo.thai_dates import THAI_TZ

    clock.set_now(datetime(2027, 1, 10, 9, tzinfo=THAI_TZ))
    write_entry("qa", "ถาม ตอบ", title="ถาม–ตอบ ภาษีป้าย", type="qa")  # reviewed every 180 days
    write_entry("law", "สรุปกฎหมาย", title="สรุป พ.ร.บ.", type="regulation")  # every 365 days
    load(write_entry.folder)
    assert client.get("/api/entries/qa").get_json()["review_by"] == "2027-07-09"
    clock.advance(timedelta(days=170))
    auth.login("km_team")
    review = client.get("/api/review").get_json()
    assert [e["slug"] for e in review["due_soon"]] == ["qa"] and review["overdue"] == []
    clock.advance(timedelta(days=20))
    auth.login("km_team")  # a new day: a new session
    review = client.get("/api/review").get_json()
    assert [(e["slug"], e["days"]) for e in review["overdue"]] == [("qa", -10)]
    auth.logout()
    assert "เลยกำหนดทบทวน" in client.get("/entries/qa").get_data(as_text=True)
    assert "เลยกำหนดทบทวน" not in client.get("/entries/law").get_data(as_text=True)
    assert client.get("/api/review").status_code == 401
    auth.login("km_team")
    _edit(auth, "qa", "ถาม ตอบ ฉบับทบทวนแล้ว", title="ถาม–ตอบ ภาษีป้าย", type_="qa")  # revised: current again
    assert client.get("/api/review").get_json()["overdue"] == []
    assert client.get("/api/entries/qa").get_json()["review_by"] == "2028-01-15"
    # the editor may set the review date: typed as offices type dates
    entry = client.get("/api/entries/law").get_json()
    resp = auth.post("/entries/law/edit", {"title": entry["title"], "type": "regulation", "body": entry["body"],
                                           "department": "0", "visibility": "public", "review_by": "๓๑ มี.ค. ๒๕๗๑"})
    assert resp.status_code == 302 and client.get("/api/entries/law").get_json()["review_by"] == "2028-03-31"
    past = auth.post("/entries/law/edit", {"title": entry["title"], "type": "regulation", "body": entry["body"],
                                           "department": "0", "visibility": "public", "review_by": "1 ม.ค. 2570"})
    assert past.status_code == 400 and "วันที่ทบทวนต้องเป็นวันหลังจากวันนี้" in past.get_data(as_text=True)
    garbage = auth.post("/entries/law/edit", {"title": entry["title"], "type": "regulation", "body": entry["body"],
                                              "department": "0", "visibility": "public", "review_by": "พรุ่งนี้"})
    assert garbage.status_code == 400 and "ไม่ใช่วันที่ที่อ่านได้" in garbage.get_data(as_text=True)
    assert client.get("/api/entries/law").get_json()["review_by"] == "2028-03-31"


def test_two_people_saving_one_entry_the_second_is_told_with_a_diff_and_loses_nothing(app, client, auth, load,
                                                                                       write_entry):
    import re

    from kmrepo.library.models import Revision
    from tests.helpers import AuthActions

    write_entry("report", "การรายงานผลเป็นเรื่องสำคัญ", title="คู่มือการรายงานผล")
    load(write_entry.folder)
    auth.login("km_team")
    from kmrepo.accounts.service import create_user
    from kmrepo.db import session as db_session
    from tests.helpers import PASSWORD

    with app.app_context():
        create_user(db_session(), "km2", PASSWORD, full_name="ทีมงาน KM คนที่สอง", roles=("km_team",))
    other = AuthActions(app.test_client())
    other.login("km2")

    def opened(c):  # the editor as the browser got it: its hidden revision number
        page = c.client.get("/entries/report/edit").get_data(as_text=True) if hasattr(c, "client") else ""
        return re.search(r'name="base_revision" type="hidden" value="(\d+)"', page).group(1)

    km_base, contributor_base = opened(auth), opened(other)
    form = auth.client.get("/entries/report/edit").get_data(as_text=True)
    assert re.search(r'name="review_by" type="text" value=""', form)  # not sent back unless set
    fields = {"title": "คู่มือการรายงานผล", "type": "article", "department": "0", "visibility": "public"}
    assert auth.post("/entries/report/edit", {**fields, "body": "การรายงานผลเป็นเรื่องจำเป็น",
                                              "base_revision": km_base}).status_code == 302
    late = other.post("/entries/report/edit", {**fields, "body": "การรายงานผลเป็นเรื่องเร่งด่วน",
                                               "base_revision": contributor_base})
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and "มีผู้อื่นบันทึกเอกสารนี้ไปแล้ว" in page
    assert "<del>จำเป็น</del>" in page and "<ins>เร่งด่วน</ins>" in page  # what each wrote, word by word
    assert "การรายงานผลเป็นเรื่องเร่งด่วน" in page  # the late writer's text is still in the form
    assert client.get("/api/entries/report").get_json()["body"] == "การรายงานผลเป็นเรื่องจำเป็น\n"  # nothing lost
    # having seen it, the late writer saves again: now on the newest revision, it is kept
    newest = re.search(r'name="base_revision" type="hidden" value="(\d+)"', page).group(1)
    assert other.post("/entries/report/edit", {**fields, "body": "การรายงานผลเป็นเรื่องเร่งด่วน",
                                               "base_revision": newest}).status_code == 302
    assert client.get("/api/entries/report").get_json()["body"] == "การรายงานผลเป็นเรื่องเร่งด่วน\n"
    with app.app_context():
        from sqlalchemy import func, select

        assert db_session().scalar(select(func.count(Revision.id))) == 3  # loaded, then one save each


def test_two_saves_at_the_same_instant_meet_the_unique_key_and_the_second_is_told(app, load, write_entry,
                                                                                  users, monkeypatch):
    """The moment between reading the newest revision and writing the next one: another
    save took that number first. The revisions' unique key refuses the second, which is
    told as a conflict; the first stays."""
    import pytest
    from sqlalchemy import select

    from kmrepo.accounts.models import User
    from kmrepo.db import session as db_session
    from kmrepo.errors import Conflict
    from kmrepo.library import revisions, service
    from kmrepo.library.models import Entry

    write_entry("report", "ฉบับแรก", title="คู่มือการรายงานผล")
    load(write_entry.folder)
    with app.app_context():
        s = db_session()
        user = s.scalar(select(User).where(User.username == "km_team"))
        entry = s.scalar(select(Entry).where(Entry.slug == "report"))
        stale = revisions.latest(s, entry)  # what both writers read: revision 1

        def fields(body):
            return service.EntryFields(title=entry.title, type=entry.type, summary="", body=body, tags=[],
                                       knowledge_items=[], department_id=0, fiscal_year=None, visibility="public",
                                       base_revision=stale.number)

        service.save_entry(s, entry, fields("ฉบับของคนแรก"), user)  # takes revision 2
        monkeypatch.setattr(revisions, "latest", lambda session, e: stale)  # the second read before that
        with pytest.raises(Conflict) as caught:
            service.save_entry(s, s.get(Entry, entry.id), fields("ฉบับของคนที่สอง"), user)
        from sqlalchemy.exc import IntegrityError

        assert caught.value.status == 409 and isinstance(caught.value.__cause__, IntegrityError)
        monkeypatch.undo()
        assert s.get(Entry, entry.id).body == "ฉบับของคนแรก\n"
