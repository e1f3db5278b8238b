"""Search through HTTP against a peer, at real sizes: ``python -m bench.http [--long | --short N | --hostile]``.

Every figure is measured through the real ``kmrepo serve`` (waitress) on a loopback port,
beside a peer in the same run: a small HTTP server over SQLite FTS5 with the ``trigram``
tokenizer (the strongest embedded substring search), given the same documents.

- ``--long`` (default): 100 entries of ~30,000 Thai characters (paragraphs of the real
  plans, :func:`bench.__main__.generated_documents`) plus the judged corpus. Reports the
  wall time of ``kmrepo load`` of those files (and, loading them again in a process
  that times itself, how much of it is the start) against PyThaiNLP ``newmm``
  segmenting the same text in one process, then ``/api/search`` p50/p95 with snippets
  against the peer returning FTS5 ``snippet()``s.
  Goals (issue 16): load at least 3x faster than newmm; p95 at most half the peer's.
- ``--short N``: N entries of ~1,500 characters; the peer returns no snippets. Goal: p95
  at most 3x the peer's.
- ``--hostile``: the long corpus; ordinary searches timed alone, then while four clients
  send hostile queries (100,000 characters, NUL bytes, FTS syntax, base64) without pause.
  Goal: ordinary searches stay within a few hundred milliseconds.

Every request loop is bounded in count and time and talks only to 127.0.0.1. Figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from indexer.backend import IndexDocument

from .__main__ import QUERIES, corpus_documents, generated_documents, newmm_baseline

HOST = "127.0.0.1"
HOSTILE = [
    "การจัดการความรู้" * 6250,
    "a\x00b" * 10,
    'NEAR("a" "b", 2) AND title:x* OR {col}: ^start -"" ""',
    base64.b64encode(random.Random(7).randbytes(30_000)).decode(),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def write_corpus(docs: list[IndexDocument], folder: Path) -> None:
    """Each document as a Markdown entry file, as an office would load them."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in docs:
        title = json.dumps(d.title, ensure_ascii=False)
        text = f"---\ntitle: {title}\ntype: {d.type or 'article'}\n---\n{d.body}\n"
        (folder / f"{d.id}.md").write_text(text, encoding="utf-8")


# -- the peer: FTS5 trigram over HTTP --------------------------------------------------------


def peer_server(docs: list[IndexDocument], port: int, snippets: bool) -> ThreadingHTTPServer:
    """A threaded HTTP server answering ``/search?q=`` from an FTS5 trigram table, with
    ``snippet()`` when ``snippets``: ``{"total", "results": [{"id", "title", "snippet"}]}``."""
    path = tempfile.mktemp(suffix=".sqlite3")
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, title, body, tokenize='trigram')")
    db.executemany("INSERT INTO d VALUES (?, ?, ?)", [(d.id, d.title, d.body) for d in docs])
    db.commit()
    db.close()
    local = threading.local()
    columns = "id, title, snippet(d, 2, '<mark>', '</mark>', '…', 40)" if snippets else "id, title, ''"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            conn = getattr(local, "db", None)
            if conn is None:
                conn = local.db = sqlite3.connect(path, check_same_thread=False)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("q", [""])[0]
            terms = [t for t in q.replace('"', " ").split() if t]
            match = " ".join('"' + t + '"' for t in terms)
            try:
                total = conn.execute("SELECT count(*) FROM d WHERE d MATCH ?", (match,)).fetchone()[0]
                rows = conn.execute(f"SELECT {columns} FROM d WHERE d MATCH ? ORDER BY bm25(d, 0, 4.0, 1.0) "
                                    "LIMIT 10", (match,)).fetchall()
            except sqlite3.OperationalError:
                total, rows = 0, []
            body = json.dumps({"total": total, "results": [{"id": r[0], "title": r[1], "snippet": r[2]}
                                                          for r in rows]}, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((HOST, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- kmrepo serve ----------------------------------------------------------------------------


def kmrepo_command(*args: str) -> list[str]:
    """The installed ``kmrepo`` command beside this Python."""
    return [str(Path(sys.executable).with_name("kmrepo")), *args]


def start_kmrepo(instance: Path, port: int) -> subprocess.Popen:
    """``kmrepo serve`` on the instance; what it logs goes to ``<instance>/serve.log``."""
    env = {**os.environ, "KMREPO_INSTANCE": str(instance)}
    log = open(instance / "serve.log", "ab")  # noqa: SIM115 (kept open for the server's life)
    proc = subprocess.Popen(kmrepo_command("serve", "--no-demo", "--host", HOST, "--port", str(port)), env=env,
                            stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/api/me", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("kmrepo serve did not start")


def get(url: str, timeout: float = 30) -> float:
    """Milliseconds to fetch ``url`` whole."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        resp.read()
    return (time.perf_counter() - started) * 1000


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"p50 {statistics.median(ms):6.1f} ms, p95 {ms[max(0, int(len(ms) * .95) - 1)]:6.1f} ms (n={len(ms)})"


def race(kmrepo_url: str, peer_url: str, repeat: int) -> tuple[list[float], list[float]]:
    """Every query ``repeat`` times, kmrepo and the peer in turn (so drift hits both)."""
    ours, theirs = [], []
    for q in QUERIES:
        get(kmrepo_url + urllib.parse.quote(q))  # warm up both
        get(peer_url + urllib.parse.quote(q))
    for _ in range(repeat):
        for q in QUERIES:
            ours.append(get(kmrepo_url + urllib.parse.quote(q)))
            theirs.append(get(peer_url + urllib.parse.quote(q)))
    return ours, theirs


def load_instance(docs: list[IndexDocument], tmp: Path, baseline: bool) -> Path:
    files, instance = tmp / "files", tmp / "instance"
    write_corpus(docs, files)
    env = {**os.environ, "KMREPO_INSTANCE": str(instance)}
    started = time.perf_counter()
    subprocess.run(kmrepo_command("load", str(files)), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    chars = sum(len(d.body) + len(d.title) for d in docs)
    print(f"documents            {len(docs)} ({chars:,} characters)")
    print(f"kmrepo load (wall)   {wall:.2f} s, whole command from a cold start")
    print(f"  of which           {_load_in_process(files, tmp / 'again')}")
    if baseline:
        newmm = newmm_baseline(docs)
        print(f"newmm, one process   {newmm:.2f} s  (load is {newmm / wall:.1f}x faster)")
    return instance


_IN_PROCESS = """
import sys, time
started = time.perf_counter()
from kmrepo import create_app
from kmrepo.cli import _load
app = create_app()
ready = time.perf_counter()
with app.app_context():
    _load([sys.argv[1]])
print(f"{ready - started:.2f} {time.perf_counter() - ready:.2f}")
"""


def _load_in_process(files: Path, instance: Path) -> str:
    """The same load again into a new ``instance``, timed in the process: the start
    (imports, the app, the schema) and the load itself (parsing, segmenting, writing)."""
    env = {**os.environ, "KMREPO_INSTANCE": str(instance)}
    out = subprocess.run([sys.executable, "-c", _IN_PROCESS, str(files)], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    return f"start {out[-2]} s (imports, the app, a new schema), the load itself {out[-1]} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--long", action="store_true", help="100 entries of ~30,000 characters (default)")
    mode.add_argument("--short", type=int, metavar="N", help="N entries of ~1,500 characters, peer without snippets")
    mode.add_argument("--hostile", action="store_true", help="ordinary searches while four clients send hostile ones")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the query set")
    args = ap.parse_args()

    base = corpus_documents()
    if args.short:
        docs = generated_documents(base, args.short, size=1500)
    else:
        docs = generated_documents(base, 100, size=30_000) + base
    with tempfile.TemporaryDirectory() as tmp:
        instance = load_instance(docs, Path(tmp), baseline=not args.hostile)
        port, peer_port = free_port(), free_port()
        server = start_kmrepo(instance, port)
        peer = peer_server(docs, peer_port, snippets=not args.short)
        ours_url = f"http://{HOST}:{port}/api/search?q="
        try:
            if args.hostile:
                hostile_run(ours_url, args.repeat)
            else:
                ours, theirs = race(ours_url, f"http://{HOST}:{peer_port}/search?q=", args.repeat)
                label = "with snippets" if not args.short else "peer without snippets"
                print(f"kmrepo /api/search   {percentiles(ours)}  ({label})")
                print(f"FTS5 trigram peer    {percentiles(theirs)}")
                p95 = lambda xs: sorted(xs)[max(0, int(len(xs) * .95) - 1)]
                print(f"p95 ratio            {p95(ours) / p95(theirs):.2f} (kmrepo / peer)")
        finally:
            server.terminate()
            server.wait(timeout=30)
            peer.shutdown()


def hostile_run(url: str, repeat: int) -> None:
    """Ordinary searches alone, then with four clients sending :data:`HOSTILE` queries
    without pause (bounded: they stop when the ordinary searches are done, or after
    five minutes)."""
    alone = [get(url + urllib.parse.quote(q)) for _ in range(repeat) for q in QUERIES]
    print(f"ordinary, alone      {percentiles(alone)}")
    stop = threading.Event()
    hostile_ms: list[float] = []
    deadline = time.monotonic() + 300

    refused: list[int] = []

    def attack(i: int) -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                hostile_ms.append(get(url + urllib.parse.quote(HOSTILE[i % len(HOSTILE)]), timeout=60))
            except urllib.error.HTTPError as err:  # 431: a request line over waitress's limit
                refused.append(err.code)

    threads = [threading.Thread(target=attack, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    loaded = [get(url + urllib.parse.quote(q)) for _ in range(repeat) for q in QUERIES]
    stop.set()
    for t in threads:
        t.join()
    print(f"ordinary, 4 hostile  {percentiles(loaded)}")
    print(f"hostile queries      {percentiles(hostile_ms)}; refused before the app: {len(refused)} "
          f"({', '.join(sorted({str(c) for c in refused})) or 'none'})")


if __name__ == "__main__":
    main()
