"""Two `kmrepo serve` processes sharing one database (PostgreSQL in the PostgreSQL run,
with the search index in it; one SQLite instance folder otherwise), as behind a load
balancer: access counts, concurrent edits, reminders and a rebuild stay correct."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from kmrepo import create_app
from kmrepo.db import session as db_session

from .conftest import POSTGRES, database_url
from .helpers import PASSWORD

KMREPO = os.path.join(os.path.dirname(sys.executable), "kmrepo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def office(tmp_path, write_entry):
    """An instance with accounts, entries and a training report overdue, then two
    servers on it: yields ``(instance, database URL, [base URL, base URL], env)``."""
    from kmrepo.accounts.models import User
    from kmrepo.accounts.service import create_user
    from kmrepo.library.loader import load_paths
    from kmrepo.training.models import TrainingRecord

    instance = str(tmp_path / "instance")
    config = database_url(tmp_path)
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, **config})
    for i in range(30):
        write_entry(f"e{i}", f"ขั้นตอนที่ {i} ของการยื่นแบบภาษีป้าย", title=f"คู่มือภาษีป้าย ตอนที่ {i}", type="manual")
    with app.app_context():
        session = db_session()
        assert not load_paths(session, [str(write_entry.folder)]).errors
        for name in ("writer_a", "writer_b"):
            create_user(session, name, PASSWORD, full_name=name, department="กองคลัง", roles=["km_team"])
        trainee = session.scalar(select(User).where(User.username == "writer_a"))
        session.add(TrainingRecord(trainee=trainee, unit_id=trainee.department_id, course="การเขียนรายงาน",
                                   returned_on=date.today() - timedelta(days=40)))
        session.commit()
    url = config.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance, "kmrepo.sqlite3")
    env = {**os.environ, "KMREPO_INSTANCE": instance, "KMREPO_DATABASE_URL": url,
           "KMREPO_SEARCH_BACKEND": config.get("SEARCH_BACKEND", "sqlite")}
    ports = [_free_port(), _free_port()]
    logs = [open(tmp_path / f"server-{i}.log", "wb") for i in range(2)]  # noqa: SIM115 -- closed below
    servers = [subprocess.Popen([KMREPO, "serve", "--no-demo", "--port", str(p)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log) for p, log in zip(ports, logs, strict=True)]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base, server in zip(bases, servers, strict=True):
            for _ in range(300):
                try:
                    if requests.get(base + "/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    if server.poll() is not None:
                        pytest.fail((tmp_path / f"server-{servers.index(server)}.log").read_text()[-2000:])
                    time.sleep(0.1)
        yield instance, url, bases, env
    finally:
        for server, log in zip(servers, logs, strict=True):
            server.terminate()
            server.wait(timeout=30)
            log.close()


def _signed_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(base + "/account/login").text).group(1)
    resp = browser.post(base + "/account/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                        allow_redirects=False)
    assert resp.status_code in (302, 303), resp.text[:500]
    return browser


def _form(browser: requests.Session, page: str) -> dict:
    """The fields of the entry form at ``page`` as the browser would send them."""
    html = browser.get(page).text
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.DOTALL):
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', options) or re.search(
            r'<option[^>]*value="([^"]*)"', options)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def test_two_app_servers_share_one_database_without_losing_or_doubling_anything(office):
    _instance, url, (a, b), env = office
    engine = create_engine(url)

    # 1. Accesses: twelve readers each open one entry four times at once, on both
    #    servers: each counts once (one reader's views within 30 minutes count once).
    def view(i: int, base: str) -> int:
        agent = f"Mozilla/5.0 (X11; Linux x86_64) Firefox/13{i}.0"
        return requests.get(base + "/entries/e1", headers={"User-Agent": agent}, timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda job: view(*job), [(i, base) for i in range(12) for base in (a, b, a, b)]))
    assert set(codes) == {200}
    with engine.connect() as conn:
        counted = conn.execute(text("SELECT count(*) FROM access_logs a JOIN entries e ON e.id = a.entry_id "
                                    "WHERE e.slug = 'e1'")).scalar()
    assert counted == 12

    # 2. Two people save one entry at once, one on each server: one save lands, the
    #    other is told (409) with what differs, and nothing is silently overwritten.
    first, second = _signed_in(a, "writer_a"), _signed_in(b, "writer_b")
    forms = [_form(first, a + "/entries/e2/edit"), _form(second, b + "/entries/e2/edit")]
    assert forms[0]["base_revision"] == forms[1]["base_revision"]
    bodies = ["แก้โดยคนที่หนึ่ง ยื่นแบบภายในเดือนมีนาคม", "แก้โดยคนที่สอง ยื่นแบบภายในเดือนเมษายน"]
    start = threading.Barrier(2)

    def save(browser, base, form, body):
        start.wait()
        return browser.post(base + "/entries/e2/edit", data={**form, "body": body}, allow_redirects=False)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(save, (first, second), (a, b), forms, bodies))
    codes = sorted(r.status_code for r in results)
    assert codes in ([302, 409], [303, 409]), codes
    lost = next(r for r in results if r.status_code == 409)
    assert "<ins" in lost.text or "<del" in lost.text  # the diff of what the other saved
    kept = bodies[[r.status_code for r in results].index(min(codes))]
    with engine.connect() as conn:
        body, revisions = conn.execute(text(
            "SELECT e.body, (SELECT count(*) FROM revisions r WHERE r.entry_id = e.id) FROM entries e "
            "WHERE e.slug = 'e2'")).one()
    assert body.strip() == kept and revisions == 2  # the load, then one save

    # 3. Reminders: `kmrepo remind` on both servers at once sends each reminder once.
    both = [subprocess.Popen([KMREPO, "remind"], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in both]
    with engine.connect() as conn:
        reminders = conn.execute(text("SELECT kind, count(*) FROM reminders GROUP BY kind")).all()
        notes = conn.execute(select(func.count()).select_from(text("notifications"))).scalar()
    assert reminders == [("overdue", 1)] and notes == 1, (reminders, outputs)

    # 4. A rebuild of the index (`kmrepo reindex`) while both servers search: every
    #    search during it answers, with every entry found.
    done = threading.Event()
    answers: list[int] = []

    def keep_searching():
        while not done.is_set():
            for base in (a, b):
                resp = requests.get(base + "/api/search", params={"q": "ภาษีป้าย", "per_page": 5}, timeout=30)
                answers.append(resp.json()["total"] if resp.ok else resp.status_code)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        rebuilt = subprocess.run([KMREPO, "reindex"], env=env, capture_output=True, text=True, timeout=300,
                                 check=False)
    finally:
        done.set()
        searcher.join()
    assert rebuilt.returncode == 0 and "indexed 30 entries" in rebuilt.stdout, rebuilt.stderr[-1000:]
    assert answers and set(answers) == {30}, answers
    engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="the PostgreSQL run only (python -m tests.postgres)")
def test_the_postgres_index_is_one_for_every_server(office):
    """What one server indexes, the other finds at once: the index lives in the database."""
    _instance, _url, (a, b), _env = office
    writer = _signed_in(a, "writer_a")
    form = _form(writer, a + "/entries/e3/edit")
    resp = writer.post(a + "/entries/e3/edit", data={**form, "body": "ระเบียบใหม่เรื่องค่าธรรมเนียมจอดรถ"},
                       allow_redirects=False)
    assert resp.status_code in (302, 303)
    found = requests.get(b + "/api/search", params={"q": "ค่าธรรมเนียมจอดรถ"}, timeout=30).json()
    assert [h["slug"] for h in found["results"]] == ["e3"]
