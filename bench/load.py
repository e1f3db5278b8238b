"""Load: 50 simulated staff against the real ``kmrepo serve``, with locust.

``python -m bench.load [--users 50] [--minutes 2]`` makes a fresh instance (the demo
content, the five KM plans when ``../shared`` is there, one account per simulated
editor), serves it with waitress on a loopback port, and runs locust headless in this
process: most users search and read (anonymous or signed in), a few sign in as the KM
team and edit entries and attach files. It reports requests per second, p50/p95 and
errors per kind of request (goal: no errors), and checks that the access rows the
server wrote equal the entry views locust counted (nothing lost, nothing counted twice).

Requests go to 127.0.0.1 only; the run stops by itself after ``--minutes``. Needs the
``load`` extra (``pip install -e '.[load]'``). Figures only; nothing is asserted but the
exit code, which is 1 when there were errors or the access rows do not match.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

from .http import HOST, free_port, kmrepo_command, start_kmrepo

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "load test pass phrase"
QUERIES = ["รายงานผล ภายใน 15 วัน", "ภาษีป้าย", "การจัดการความรู้", "ขออนุญาตก่อสร้าง", "ความเสี่ยง", "KM",
           "ศูนย์พัฒนาเด็กเล็ก", "จัดซื้อจัดจ้าง", "ตัวชี้วัด", "อบรม", "พรบ", "เบี้ยยังชีพ"]
SLUGS: list[str] = []
EDITORS: list[str] = []
VIEWS = {"count": 0}


@events.request.add_listener
def _count_views(request_type, name, response, exception, **_kwargs):
    """Every successful read of an entry (page or JSON) is one access the server must write."""
    if exception is None and name in ("/entries/[slug]", "/api/entries/[slug]") and response.status_code == 200:
        VIEWS["count"] += 1


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    return match.group(1) if match else ""


class Staff(HttpUser):
    """A member of staff: searches as staff type, opens results, sometimes signed in."""

    weight = 9
    wait_time = between(0.5, 2.0)

    def on_start(self):
        if random.random() < 0.3:
            self.client.get("/account/login", name="/account/login")

    @task(5)
    def search(self):
        q = random.choice(QUERIES)
        self.client.get("/search", params={"q": q}, name="/search")
        self.client.get("/api/search", params={"q": q}, name="/api/search")

    @task(4)
    def read(self):
        slug = random.choice(SLUGS)
        self.client.get(f"/entries/{slug}", name="/entries/[slug]")

    @task(1)
    def read_json(self):
        self.client.get(f"/api/entries/{random.choice(SLUGS)}", name="/api/entries/[slug]")

    @task(1)
    def browse(self):
        self.client.get("/", name="/")
        self.client.get("/items/", name="/items/")


class Editor(HttpUser):
    """The KM team: signs in, edits an entry of its own, attaches a file."""

    weight = 1
    wait_time = between(2.0, 5.0)

    def on_start(self):
        self.username = EDITORS.pop() if EDITORS else "editor0"
        page = self.client.get("/account/login", name="/account/login").text
        self.client.post("/account/login", data={"username": self.username, "password": PASSWORD,
                                                 "csrf_token": _csrf(page)}, name="/account/login [POST]")
        page = self.client.get("/entries/new", name="/entries/new").text
        resp = self.client.post("/entries/new", name="/entries/new [POST]", allow_redirects=False, data={
            "title": f"บันทึกทดสอบโหลด {self.username}", "type": "lessons_learned", "body": "บทเรียนจากการทดสอบ",
            "visibility": "internal", "department": "0", "csrf_token": _csrf(page)})
        self.slug = resp.headers.get("Location", "/entries/x").rsplit("/", 1)[-1]

    @task(3)
    def edit(self):
        page = self.client.get(f"/entries/{self.slug}/edit", name="/entries/[slug]/edit").text
        self.client.post(f"/entries/{self.slug}/edit", name="/entries/[slug]/edit [POST]", data={
            "title": f"บันทึกทดสอบโหลด {self.username}", "type": "lessons_learned",
            "body": f"บทเรียนจากการทดสอบ ปรับปรุงเมื่อ {time.time():.0f}", "visibility": "internal",
            "department": "0", "csrf_token": _csrf(page)})

    @task(1)
    def upload(self):
        page = self.client.get("/workspace", name="/workspace").text
        self.client.post(f"/entries/{self.slug}/files", name="/entries/[slug]/files [POST]",
                         data={"csrf_token": _csrf(page)},
                         files={"file": ("สรุป.txt", "สรุปผลการทดสอบโหลด".encode(), "text/plain")})


def prepare(instance: Path, editors: int) -> list[str]:
    """Load the demo (and the plans) into ``instance``, add the editors; return the slugs."""
    env = {**os.environ, "KMREPO_INSTANCE": str(instance), "KMREPO_ADMIN_PASSWORD": PASSWORD}
    from kmrepo.cli import demo_content_path

    paths = [demo_content_path()]
    plans = REPO.parent / "shared" / "km-plans"
    if plans.is_dir():
        paths.append(str(plans))
    subprocess.run(kmrepo_command("load", *paths), env=env, check=True, stdout=subprocess.DEVNULL)
    code = ("from kmrepo import create_app\nfrom kmrepo.db import session\nfrom kmrepo.accounts.service import "
            "create_user\napp = create_app()\nwith app.app_context():\n"
            f"    for i in range({editors}):\n"
            f"        create_user(session(), f'editor{{i}}', {PASSWORD!r}, full_name='ทีม KM', roles={{'km_team'}})\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    db = sqlite3.connect(instance / "kmrepo.sqlite3")
    slugs = [s for (s,) in db.execute("SELECT slug FROM entries WHERE status = 'published' AND visibility = 'public'")]
    db.close()
    return slugs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=2.0)
    args = ap.parse_args()
    editors = max(1, args.users // 10)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        SLUGS.extend(prepare(instance, editors))
        EDITORS.extend(f"editor{i}" for i in range(editors))
        port = free_port()
        server = start_kmrepo(instance, port)
        try:
            # stop_timeout: at the end each user finishes the request it is making, so no
            # view the server recorded goes uncounted here (a killed request would be)
            env = Environment(user_classes=[Staff, Editor], host=f"http://{HOST}:{port}", events=events,
                              stop_timeout=30)
            runner = env.create_local_runner()
            runner.start(args.users, spawn_rate=10)
            def finish() -> None:
                runner.stop()  # waits up to stop_timeout for the requests in flight
                runner.quit()

            gevent.spawn_later(args.minutes * 60, finish)
            runner.greenlet.join()
            time.sleep(1)  # the last access rows are committed by then
        finally:
            server.terminate()
            server.wait(timeout=60)
        db = sqlite3.connect(instance / "kmrepo.sqlite3")
        rows = db.execute("SELECT count(*) FROM access_logs").fetchone()[0]
        db.close()
        server_errors = [line for line in (instance / "serve.log").read_text(errors="replace").splitlines()
                         if "Error" in line or "Traceback" in line]
    stats = env.stats
    print(f"{args.users} users for {args.minutes:g} min against kmrepo serve (waitress, 8 threads), 2 cores")
    print(f"{'request':38} {'n':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7}")
    for entry in sorted(stats.entries.values(), key=lambda e: -e.num_requests):
        print(f"{entry.method + ' ' + entry.name:38} {entry.num_requests:6} {entry.num_failures:5} "
              f"{entry.get_response_time_percentile(0.5):7.0f} {entry.get_response_time_percentile(0.95):7.0f}")
    total = stats.total
    print(f"{'all':38} {total.num_requests:6} {total.num_failures:5} {total.get_response_time_percentile(0.5):7.0f} "
          f"{total.get_response_time_percentile(0.95):7.0f}")
    print(f"throughput           {total.total_rps:.1f} requests/s")
    for line in server_errors[:10]:
        print(f"server log           {line[:200]}")
    for error in stats.errors.values():
        print(f"error                {error.method} {error.name}: {error.error} ×{error.occurrences}")
    print(f"entry views counted  {VIEWS['count']}; access rows written {rows}"
          f" ({'equal' if rows == VIEWS['count'] else 'DIFFERENT'})")
    sys.exit(0 if total.num_failures == 0 and rows == VIEWS["count"] else 1)


if __name__ == "__main__":
    main()
