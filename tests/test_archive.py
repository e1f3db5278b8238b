"""Moving an office: `kmrepo export` / `kmrepo import` between SQLite and PostgreSQL.

In the SQLite run the round trip is SQLite → SQLite → SQLite; in the PostgreSQL run
(tests/postgres.py) it is SQLite → PostgreSQL → SQLite, compared record by record."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import date
from urllib.parse import unquote

from sqlalchemy import select

from kmrepo import archive, create_app
from kmrepo.cli import cli
from kmrepo.db import session as db_session

from .conftest import database_url
from .helpers import SAMPLE_PLAN, AuthActions, folder_files, search


def _engine(app):
    return app.extensions["kmrepo.db"][0]


def _seed(app, client, auth, load, write_entry):
    """An office with something in every table: entries with revisions, an attachment,
    comments and useful marks, a training record, an imported plan, accesses, audit
    events, notifications, the KM team's vocabulary."""
    write_entry("sign", "ยื่นแบบภาษีป้าย ภ.ป.๑ ภายในเดือนมีนาคม", title="คู่มือภาษีป้าย", department="กองคลัง",
                type="manual", knowledge_items=["การจัดเก็บภาษีป้าย"], tags=["ภาษี", "ป้าย"])
    load(write_entry.folder)
    auth.login("km_team")
    form = {"title": "แนวปฏิบัติการรับเรื่องร้องเรียน", "type": "best_practice", "summary": "ขั้นตอน",
            "body": "# ขั้นตอน\n\nรับเรื่องภายใน ๓ วัน", "tags": "ร้องเรียน", "department": "0",
            "fiscal_year": "๒๕๖๙", "visibility": "public"}
    slug = unquote(auth.post("/entries/new", form).headers["Location"].rsplit("/", 1)[-1])
    auth.post(f"/entries/{slug}/edit", {**form, "body": form["body"] + "\n\nตอบกลับภายใน ๑๕ วัน"})
    for action in ("submit", "approve", "publish"):
        auth.post(f"/entries/{slug}/status", {"action": action})
    auth.post("/entries/sign/files", {"file": (io.BytesIO("แบบ ภ.ป.๑".encode()), "แบบฟอร์ม.txt")},
              content_type="multipart/form-data")
    auth.logout()
    reader = AuthActions(client)
    reader.login("reader")
    client.get("/entries/sign")
    reader.post("/entries/sign/useful")
    reader.post("/entries/sign/comments", {"body": "ขอบคุณครับ ใช้ได้จริง"})
    reader.logout()
    with app.app_context():
        from kmrepo.accounts.models import User
        from kmrepo.plans.service import import_plan
        from kmrepo.training.models import TrainingRecord

        session = db_session()
        trainee = session.scalar(select(User).where(User.username == "reader"))
        session.add(TrainingRecord(trainee=trainee, unit_id=trainee.department_id, course="การจัดเก็บภาษีป้าย",
                                   returned_on=date(2026, 11, 20)))
        session.commit()
        import_plan(session, SAMPLE_PLAN, "sample-plan.txt")
        _fill_the_rest(session)
    os.makedirs(os.path.join(app.instance_path, "vocabulary"), exist_ok=True)
    with open(os.path.join(app.instance_path, "vocabulary", "words.txt"), "w", encoding="utf-8") as f:
        f.write("ภาษีป้าย\n")
    return slug


def _assert_same(before: dict, site) -> None:
    """Every table of ``site`` holds the rows of ``before``, record by record, but for
    the audit lines of the sites it passed through (the search index each built after
    its import)."""
    after = dict(archive.table_rows(_engine(site)))
    audit, n = after["audit_events"], len(before["audit_events"])
    assert audit[n:] and {e["action"] for e in audit[n:]} == {"index_repaired"}
    after["audit_events"] = audit[:n]
    assert after == before


def _fill_the_rest(session):
    """A row in each table the steps above leave empty (approval chains, delegations,
    reminders, holidays, the corner, evidence, old addresses), written directly."""
    from datetime import datetime

    from sqlalchemy import func as f
    from sqlalchemy import insert

    from kmrepo.base import all_models

    t = all_models().metadata.tables
    first = {name: session.scalar(select(f.min(t[name].c.id))) for name in
             ("users", "departments", "entries", "training_records", "km_plan_activities", "knowledge_items")}
    last_user = session.scalar(select(f.max(t["users"].c.id)))
    now = datetime(2026, 11, 30, 9, 30)
    session.execute(insert(t["office_holidays"]).values(day=date(2026, 12, 7), name="วันหยุดชดเชย"))
    session.execute(insert(t["chain_steps"]).values(unit_id=first["departments"], position=1,
                                                    approver_id=first["users"], position_title="ผู้อำนวยการกองคลัง"))
    session.execute(insert(t["delegations"]).values(approver_id=first["users"], acting_id=last_user,
                                                    starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 5)))
    session.execute(insert(t["approval_steps"]).values(record_id=first["training_records"], position=1,
                                                       decision="approved", actor_id=last_user,
                                                       acting_for_id=first["users"], comment="เห็นชอบ", at=now))
    session.execute(insert(t["reminders"]).values(record_id=first["training_records"], kind="due", sent_at=now,
                                                  emailed=False))
    session.execute(insert(t["km_plan_evidence"]).values(activity_id=first["km_plan_activities"], stored_name="x" * 32,
                                                         filename="รายงานการประชุม.pdf", content_type="application/pdf",
                                                         size=10, sha256="0" * 64, uploaded_by_id=first["users"],
                                                         created_at=now))
    session.execute(insert(t["corner_entries"]).values(department_id=None, entry_id=first["entries"], position=1,
                                                       note="แนะนำ", added_by_id=first["users"], added_at=now))
    session.execute(insert(t["slug_aliases"]).values(old_slug="entry-0a1b2c", entry_id=first["entries"]))
    session.execute(insert(t["training_knowledge_items"]).values(record_id=first["training_records"],
                                                                 knowledge_item_id=first["knowledge_items"]))
    session.commit()


def test_an_office_moves_to_another_database_and_back_with_every_record(app, client, auth, load, write_entry,
                                                                        tmp_path):
    slug = _seed(app, client, auth, load, write_entry)
    source = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "office-a")})  # SQLite, always
    first = str(tmp_path / "a.zip")
    assert app.test_cli_runner().invoke(cli, ["export", first]).exit_code == 0
    imported = source.test_cli_runner().invoke(cli, ["import", first])
    assert imported.exit_code == 0, imported.output
    before = dict(archive.table_rows(_engine(app)))
    assert [name for name, rows in before.items() if not rows] == []  # every table holds something
    _assert_same(before, source)

    # SQLite → the other database (PostgreSQL in the PostgreSQL run) → SQLite again
    second, third = str(tmp_path / "b.zip"), str(tmp_path / "c.zip")
    other = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "office-b"), **database_url(tmp_path / "b")})
    assert other.test_cli_runner().invoke(cli, ["import", first]).exit_code == 0
    _assert_same(before, other)
    assert other.test_cli_runner().invoke(cli, ["export", second]).exit_code == 0
    back = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "office-c")})
    assert back.test_cli_runner().invoke(cli, ["import", second]).exit_code == 0
    _assert_same(before, back)
    uploads = folder_files(os.path.join(app.instance_path, "uploads"))
    assert uploads and folder_files(os.path.join(other.instance_path, "uploads")) == uploads
    assert folder_files(os.path.join(back.instance_path, "uploads")) == uploads
    assert os.path.exists(os.path.join(back.instance_path, "vocabulary", "words.txt"))

    # the moved sites work: found by search, signed in with the old password, and new
    # records get new ids (PostgreSQL's sequences were moved on past the imported rows)
    for site in (other, back):
        browser = site.test_client()
        assert [h["slug"] for h in search(browser, "ร้องเรียน")["results"]] == [slug]
        mover = AuthActions(browser)
        mover.login("km_team")
        resp = mover.post("/entries/new", {"title": "หลังย้ายระบบ", "type": "manual", "body": "ใหม่",
                                           "department": "0", "visibility": "public"})
        assert resp.status_code == 302
    assert other.test_cli_runner().invoke(cli, ["export", third]).exit_code == 0


def test_an_import_refuses_a_damaged_archive_or_a_site_with_data_and_changes_nothing(app, client, auth, load,
                                                                                     write_entry, tmp_path):
    _seed(app, client, auth, load, write_entry)
    path = str(tmp_path / "a.zip")
    assert app.test_cli_runner().invoke(cli, ["export", path]).exit_code == 0
    again = app.test_cli_runner().invoke(cli, ["export", path])
    assert again.exit_code == 1 and "exists" in again.output
    nowhere = app.test_cli_runner().invoke(cli, ["export", str(tmp_path / "no-such-folder" / "a.zip")])
    assert nowhere.exit_code == 1 and "cannot write" in nowhere.output and not (tmp_path / "no-such-folder").exists()

    busy = app.test_cli_runner().invoke(cli, ["import", path])  # this site has data
    assert busy.exit_code == 1 and "new, empty site" in busy.output

    damaged = str(tmp_path / "damaged.zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            out.writestr(item, data.replace("ภาษีป้าย".encode(), "ภาษีโรงเรือน".encode())
                         if item.filename == "tables/entries.jsonl" else data)
    fresh = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "fresh")})
    result = fresh.test_cli_runner().invoke(cli, ["import", damaged])
    assert result.exit_code == 1 and "damaged" in result.output
    assert [name for name, rows in archive.table_rows(_engine(fresh)) if rows] == ["audit_events"]  # its own start
    unsafe = str(tmp_path / "unsafe.zip")  # a file that would land outside the uploads folder
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(unsafe, "w") as out:
        manifest = json.loads(src.read("manifest.json"))
        manifest["files"]["uploads/../../escaped.txt"] = hashlib.sha256(b"x").hexdigest()
        for item in src.infolist():
            if item.filename != "manifest.json":
                out.writestr(item, src.read(item))
        out.writestr("uploads/../../escaped.txt", b"x")
        out.writestr("manifest.json", json.dumps(manifest))
    result = fresh.test_cli_runner().invoke(cli, ["import", unsafe])
    assert result.exit_code == 1 and "unsafe" in result.output
    assert not (tmp_path / "escaped.txt").exists() and not os.path.exists(os.path.join(fresh.instance_path, "..",
                                                                                          "escaped.txt"))
    not_one = tmp_path / "notes.zip"
    not_one.write_bytes(b"PK not really")
    result = fresh.test_cli_runner().invoke(cli, ["import", str(not_one)])
    assert result.exit_code == 1 and "not a kmrepo archive" in result.output
