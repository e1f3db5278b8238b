"""Backups of an instance, taken while the site serves, and putting one back.

A backup is a folder: ``kmrepo.sqlite3`` (a consistent copy made with SQLite's online
backup API, so readers and writers go on meanwhile), ``uploads/`` (every attached file),
``secret_key``, and ``config.py`` and ``vocabulary/`` when the instance has them, with
``manifest.json`` listing every file and its SHA-256. The search index is not in it: it
is derived from the database and rebuilt when the restored site starts.

No Flask here: the command line (``kmrepo backup``, ``kmrepo restore``) passes paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

from . import clock
from .errors import BadInput

DATABASE = "kmrepo.sqlite3"
#: What a backup holds besides the database, when the instance has it.
EXTRAS = ("uploads", "secret_key", "config.py", "vocabulary")
MANIFEST = "manifest.json"


def backup(database_url: str, instance: str, dest: str, uploads: str | None = None) -> dict:
    """Copy the instance into the new folder ``dest`` (created 0700; BadInput if it
    exists and is not empty, or the database is not SQLite); ``uploads`` is the folder
    of attached files when it is not ``<instance>/uploads`` (``UPLOAD_DIR``). Returns
    the manifest: ``{"created_at", "files": {relative path: sha256}}``."""
    source = _sqlite_path(database_url)
    target = Path(dest)
    if target.exists() and any(target.iterdir()):
        raise BadInput(f"{dest} exists and is not empty; name a new folder", "โฟลเดอร์ปลายทางต้องว่าง")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target / DATABASE) as out:
        src.backup(out)  # page by page, consistent, while the site goes on
    os.chmod(target / DATABASE, 0o600)
    for name, path in _extras(instance, uploads).items():
        if path.is_dir():
            shutil.copytree(path, target / name, copy_function=shutil.copy2)
        elif path.is_file():
            shutil.copy2(path, target / name)
    manifest = {"created_at": clock.now().isoformat(), "files": _hashes(target)}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(database_url: str, instance: str, index_dir: str, src: str, uploads: str | None = None) -> dict:
    """Put the backup folder ``src`` back into the instance: the database (through the
    backup API, over the current one), the attached files (into ``uploads`` when given,
    as in :func:`backup`) and the other files of the backup, each checked against the
    manifest first (BadInput if any differs: nothing is changed then). The search index
    is removed, to be rebuilt at the next start. The site must be stopped. Returns the
    manifest."""
    origin = Path(src)
    try:
        manifest = json.loads((origin / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{src} is not a kmrepo backup ({exc})", "ไม่ใช่ไฟล์สำรองข้อมูลของ kmrepo") from exc
    found = _hashes(origin)
    damaged = sorted(p for p, h in manifest["files"].items() if found.get(p) != h)
    if damaged:
        raise BadInput(f"the backup is damaged: {', '.join(damaged[:5])}", "ไฟล์สำรองข้อมูลเสียหาย")
    target = _sqlite_path(database_url)
    with sqlite3.connect(origin / DATABASE) as copy, sqlite3.connect(target) as live:
        copy.backup(live)
    os.chmod(target, 0o600)
    for name, here in _extras(instance, uploads).items():
        path = origin / name
        if here.is_dir():
            shutil.rmtree(here)
        if path.is_dir():
            shutil.copytree(path, here, copy_function=shutil.copy2)
        elif path.is_file():
            shutil.copy2(path, here)
    shutil.rmtree(index_dir, ignore_errors=True)
    return manifest


def _extras(instance: str, uploads: str | None) -> dict[str, Path]:
    """Where each of :data:`EXTRAS` is kept: in the instance folder, but the attached
    files where ``uploads`` says."""
    places = {name: Path(instance) / name for name in EXTRAS}
    if uploads:
        places["uploads"] = Path(uploads)
    return places


def _sqlite_path(database_url: str) -> str:
    if not database_url.startswith("sqlite:///"):
        raise BadInput("kmrepo backup copies SQLite databases; back PostgreSQL up with pg_dump (docs/deployment.md)",
                       "คำสั่งนี้สำรองได้เฉพาะฐานข้อมูล SQLite")
    return database_url[len("sqlite:///"):]


def _hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` but the manifest: relative path → SHA-256."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            with open(path, "rb") as f:  # a chunk at a time: an upload may be large
                out[path.relative_to(folder).as_posix()] = hashlib.file_digest(f, "sha256").hexdigest()
    return out
