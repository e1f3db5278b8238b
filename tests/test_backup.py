"""kmrepo backup while the site serves, and kmrepo restore: every row and file comes back."""

from __future__ import annotations

import io
import os
import sqlite3
import threading

import pytest

from kmrepo import create_app
from kmrepo.cli import cli

from .helpers import folder_files, search


def _rows(path: str) -> dict[str, list]:
    """Every row of every table of the SQLite database at ``path``."""
    db = sqlite3.connect(path)
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: db.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}


pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KMREPO_TEST_POSTGRES")),
    reason="kmrepo backup/restore copy a SQLite instance; a PostgreSQL deployment is backed up with pg_dump "
           "(docs/deployment.md)")


def test_backup_and_restore_round_trip_a_populated_instance(tmp_path, app, client, auth, load, write_entry):
    write_entry("a", "คู่มือการสำรองข้อมูล", title="สำรองข้อมูล", tags=["ไอที"])
    load(write_entry.folder)
    auth.login("km_team")
    auth.post("/entries/a/files", {"file": (io.BytesIO("บันทึกแนบ".encode()), "แนบ.txt")},
              content_type="multipart/form-data")
    client.get("/entries/a")  # an access row
    database = os.path.join(app.instance_path, "kmrepo.sqlite3")
    before_rows, before_files = _rows(database), folder_files(os.path.join(app.instance_path, "uploads"))

    dest = tmp_path / "backup-1"
    busy = threading.Event()

    def readers():  # the site serves meanwhile: every view writes an access row
        other = app.test_client()
        while not busy.is_set():
            other.get("/entries/a")

    thread = threading.Thread(target=readers)
    thread.start()
    try:
        result = app.test_cli_runner().invoke(cli, ["backup", str(dest)])
    finally:
        busy.set()
        thread.join()
    assert result.exit_code == 0 and "backed up" in result.output
    copy = sqlite3.connect(dest / "kmrepo.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    before_rows = _rows(str(dest / "kmrepo.sqlite3"))  # what the backup holds is what comes back
    assert oct(os.stat(dest / "kmrepo.sqlite3").st_mode & 0o777) == "0o600"
    again = app.test_cli_runner().invoke(cli, ["backup", str(dest)])
    assert again.exit_code == 1 and "not empty" in again.output  # never over an earlier backup

    # the site goes on and changes things; then the backup is put back
    auth.post("/entries/new", {"title": "หลังสำรอง", "type": "manual", "body": "ใหม่", "visibility": "internal",
                               "department": "0"})
    os.remove(os.path.join(app.instance_path, "uploads", os.listdir(os.path.join(app.instance_path, "uploads"))[0]))
    result = app.test_cli_runner().invoke(cli, ["restore", str(dest), "--yes"])
    assert result.exit_code == 0, result.output
    assert _rows(database) == before_rows
    assert folder_files(os.path.join(app.instance_path, "uploads")) == before_files
    restarted = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path})  # the index is rebuilt
    assert [r["slug"] for r in search(restarted.test_client(), "สำรองข้อมูล")["results"]] == ["a"]


def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path, app, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(cli, ["backup", str(dest)]).exit_code == 0
    (dest / "secret_key").write_text("tampered")
    database = os.path.join(app.instance_path, "kmrepo.sqlite3")
    before = _rows(database)
    result = app.test_cli_runner().invoke(cli, ["restore", str(dest), "--yes"])
    assert result.exit_code == 1 and "damaged: secret_key" in result.output
    assert _rows(database) == before


def test_a_backup_carries_the_attached_files_of_a_configured_uploads_folder(tmp_path, load, write_entry):
    """UPLOAD_DIR outside the instance (a shared folder): backed up and put back there."""
    from .helpers import PASSWORD, ROLE_ACCOUNTS, AuthActions

    shared = tmp_path / "shared-uploads"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "UPLOAD_DIR": str(shared)})
    with app.app_context():
        from kmrepo.accounts.service import create_user
        from kmrepo.db import session as db_session

        create_user(db_session(), "km_team", PASSWORD, full_name="ทีม KM", department="กองคลัง",
                    roles=ROLE_ACCOUNTS["km_team"])
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("km_team")
    resp = auth.post("/entries/new", {"title": "คู่มือแนบไฟล์", "type": "manual", "body": "ดูไฟล์แนบ",
                                      "visibility": "internal", "department": "0"})
    slug = resp.headers["Location"].rsplit("/", 1)[-1]
    auth.post(f"/entries/{slug}/files", {"file": (io.BytesIO("แบบฟอร์ม".encode()), "แบบฟอร์ม.txt")},
              content_type="multipart/form-data")
    files = folder_files(str(shared))
    assert len(files) == 1 and not os.path.exists(os.path.join(app.instance_path, "uploads"))

    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(cli, ["backup", str(dest)]).exit_code == 0
    assert folder_files(str(dest / "uploads")) == files
    for name in os.listdir(shared):
        os.remove(shared / name)
    assert app.test_cli_runner().invoke(cli, ["restore", str(dest), "--yes"]).exit_code == 0
    assert folder_files(str(shared)) == files
