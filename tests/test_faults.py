"""Faults: a failed index write, a process killed in the middle of a bulk load. The
database is the source of truth: it holds the whole of a change or none of it, and the
index is repaired from it when the site starts again."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import func, select

from kmrepo import create_app
from kmrepo.db import session as db_session
from kmrepo.library.models import Entry

from .helpers import search


def test_a_failed_index_write_keeps_the_edit_says_so_and_is_repaired_at_start(app, client, auth, caplog,
                                                                               monkeypatch):
    auth.login("km_team")
    backend = app.extensions["kmrepo.search"]

    def broken(docs):
        raise OSError("disk full")

    monkeypatch.setattr(backend, "add", broken)
    with caplog.at_level(logging.ERROR):
        resp = auth.post("/entries/new", {"title": "คู่มือใหม่", "type": "manual", "body": "ระเบียบการเบิกจ่ายค่าเช่าบ้าน",
                                          "visibility": "public", "department": "0"})
    assert resp.status_code == 302  # the writer is not failed: the entry is saved
    slug = unquote(resp.headers["Location"].rsplit("/", 1)[-1])
    assert auth.post(f"/entries/{slug}/status", {"action": "submit"}).status_code == 302
    assert auth.post(f"/entries/{slug}/status", {"action": "approve"}).status_code == 302
    assert auth.post(f"/entries/{slug}/status", {"action": "publish"}).status_code == 302
    assert "search index update failed" in caplog.text and "database is committed" in caplog.text
    assert search(client, "ค่าเช่าบ้าน")["total"] == 0  # not searchable yet
    auth.logout()
    auth.login("admin")
    assert "ดัชนีค้นหาปรับปรุงไม่สำเร็จ" in client.get("/admin/users").get_data(as_text=True)
    monkeypatch.undo()
    restarted = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path, "DATABASE_URL": app.config["DATABASE_URL"]})
    assert [r["slug"] for r in search(restarted.test_client(), "ค่าเช่าบ้าน")["results"]] == [slug]
    assert "ดัชนีค้นหาปรับปรุงไม่สำเร็จ" not in client.get("/admin/users").get_data(as_text=True)


def test_a_bulk_load_killed_midway_leaves_all_of_it_or_none(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(1500):
        (folder / f"e{i}.md").write_text(f"---\ntitle: เอกสาร {i}\n---\nเนื้อหาการทดสอบการหยุดกลางคัน ลำดับ {i}\n",
                                         encoding="utf-8")
    instance = tmp_path / "instance"
    kmrepo = str(Path(sys.executable).with_name("kmrepo"))
    env = {**os.environ, "KMREPO_INSTANCE": str(instance)}
    outcomes = set()
    for delay in (0.3, 0.8, 1.6, 2.4):  # the first may stop the schema being made: all or nothing too
        proc = subprocess.Popen([kmrepo, "load", str(folder)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the load and its worker processes
        proc.wait()
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance)})
        with app.app_context():
            n = db_session().scalar(select(func.count(Entry.id)))
        assert n in (0, 1500), n  # never half a load
        outcomes.add(n)
        found = search(app.test_client(), "หยุดกลางคัน", limit=1)["total"]
        assert found == n  # the index follows the database after the restart
    assert outcomes  # (which of the two a kill gives depends on the machine's speed)
