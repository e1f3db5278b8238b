"""Moving an office: a portable archive of everything kmrepo stores, between databases.

``kmrepo export ARCHIVE`` writes one ZIP file; ``kmrepo import ARCHIVE`` reads it into an
empty database of the same schema, SQLite or PostgreSQL, either way round. The archive
holds:

- ``manifest.json``: the format, the schema revision (Alembic's), when it was made,
  how many rows each table has and the SHA-256 of every other member;
- ``tables/<table>.jsonl``: every row of every table kmrepo's models define (entries,
  revisions, attachments, knowledge items, accounts, training records, plans, access
  logs and the rest), one JSON object a line, columns by name; dates and times as ISO
  8601, bytes as base64, so nothing depends on the database it came from;
- ``uploads/…``: every stored file (attachments, report files, evidence);
- ``vocabulary/…``: the KM team's own words and synonyms, when there are any.

The search index is not in it (derived; rebuilt by the importing site), nor the secret
key (the new site has its own; everyone signs in again).

No Flask here: the command line passes an engine and folders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.sql.schema import Column, Table

from . import clock
from .base import all_models
from .errors import BadInput

FORMAT = "kmrepo-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Rows inserted per statement on import.
BATCH = 500
#: Folders of the instance carried along, beside the database: member prefix → what the caller passes.
FOLDERS = ("uploads", "vocabulary")


def tables() -> list[Table]:
    """Every table of kmrepo's models, parents before children (foreign keys)."""
    return list(all_models().metadata.sorted_tables)


def export(engine: Engine, dest: str, folders: dict[str, str], revision: str) -> dict:
    """Write the archive ``dest`` (a new file; BadInput if it exists) from the database
    of ``engine`` and the ``folders`` (``{"uploads": path, "vocabulary": path}``, missing
    folders skipped), read in one transaction so the rows agree with each other.
    ``revision`` is the database's schema revision. Returns the manifest. BadInput when
    ``dest`` cannot be written (nothing is left behind then)."""
    target = Path(dest)
    if target.exists():
        raise BadInput(f"{dest} exists; name a new file", "มีไฟล์นี้อยู่แล้ว")
    manifest: dict = {"format": FORMAT, "version": FORMAT_VERSION, "schema": revision,
                      "created_at": clock.now().isoformat(), "tables": {}, "files": {}}
    partial = target.with_name(target.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf, \
                engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            for table in tables():
                name = f"tables/{table.name}.jsonl"
                digest, n = hashlib.sha256(), 0
                with zf.open(name, "w", force_zip64=True) as out:
                    for record in _records(conn, table):
                        line = json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                        out.write(line)
                        digest.update(line)
                        n += 1
                manifest["tables"][table.name] = n
                manifest["files"][name] = digest.hexdigest()
            for prefix, folder in folders.items():
                for path in _files(folder):
                    member = f"{prefix}/{path.relative_to(folder).as_posix()}"
                    zf.write(path, member)
                    manifest["files"][member] = _sha256(path)
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(partial, target)
    except OSError as err:  # no such folder, no right to write there, a full disk
        raise BadInput(f"cannot write {dest}: {err.strerror or err}", "เขียนไฟล์ส่งออกไม่ได้") from err
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def read_manifest(src: str) -> dict:
    """The manifest of archive ``src``; BadInput when it is not a kmrepo archive of a
    format this version reads."""
    try:
        with zipfile.ZipFile(src) as zf:
            manifest = json.loads(zf.read(MANIFEST))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as err:
        raise BadInput(f"{src} is not a kmrepo archive ({err})", "ไฟล์นี้ไม่ใช่ไฟล์ส่งออกของคลังความรู้") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BadInput(f"{src} is not a kmrepo archive of format {FORMAT_VERSION}",
                       "ไฟล์นี้ไม่ใช่ไฟล์ส่งออกของคลังความรู้รุ่นนี้")
    return manifest


def import_(engine: Engine, src: str, folders: dict[str, str], revision: str) -> dict:
    """Read archive ``src`` into the empty database of ``engine`` (schema ``revision``,
    which must be the archive's) and its files into ``folders``, in one transaction:
    all or nothing. Every member is checked against the manifest's SHA-256 first.

    Raises BadInput when the archive is not one, is damaged, comes from another schema
    revision (upgrade the older kmrepo first, export again), or when the database
    already holds data (importing merges nothing: it moves an office into a new site).
    Returns the manifest."""
    manifest = read_manifest(src)
    if manifest["schema"] != revision:
        raise BadInput(f"the archive has schema {manifest['schema']}, this database {revision}: export it again "
                       "from a kmrepo of this version", "ไฟล์ส่งออกมาจากคลังความรู้ต่างรุ่น")
    with zipfile.ZipFile(src) as zf:
        for member, expected in manifest["files"].items():
            if not _safe(member) or _member_sha256(zf, member) != expected:
                raise BadInput(f"{member} in {src} is damaged or unsafe; nothing was imported",
                               "ไฟล์ส่งออกเสียหาย")
        with engine.begin() as conn:
            _check_empty(conn)
            later: list[tuple[Table, dict, dict]] = []
            order = tables()
            for table in order:
                if f"tables/{table.name}.jsonl" not in manifest["files"]:
                    continue
                deferred = _deferred_columns(table, order)
                batch = []
                for row in _rows(zf, table):
                    if deferred:
                        keep = {c: row[c] for c in deferred if row.get(c) is not None}
                        if keep:
                            later.append((table, _key(table, row), keep))
                            row = {**row, **dict.fromkeys(keep)}
                    batch.append(row)
                    if len(batch) >= BATCH:
                        conn.execute(table.insert(), batch)
                        batch = []
                if batch:
                    conn.execute(table.insert(), batch)
            for table, key, values in later:
                conn.execute(update(table).where(*(table.c[k] == v for k, v in key.items())).values(**values))
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
        for prefix, folder in folders.items():
            for member in manifest["files"]:
                if member.startswith(prefix + "/"):
                    path = Path(folder, *PurePosixPath(member).parts[1:])
                    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    with zf.open(member) as data, open(path, "wb") as out:
                        shutil.copyfileobj(data, out)
    return manifest


def table_rows(engine: Engine) -> Iterator[tuple[str, list[dict]]]:
    """``(table name, rows as the archive writes them, in key order)`` for every table:
    what a comparison of two databases reads."""
    with engine.connect() as conn:
        for table in tables():
            yield table.name, list(_records(conn, table))


# -- helpers --------------------------------------------------------------------------


def _records(conn, table: Table) -> Iterator[dict]:
    """Every row of ``table`` in key order, as the archive writes it (column name →
    :func:`_to_json` value), read :data:`BATCH` rows at a time."""
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order)):
        yield {c.name: _to_json(c, v) for c, v in zip(table.columns, row, strict=True)}


def _to_json(column: Column, value):
    """``value`` of ``column`` as the archive writes it. A time with a time zone is
    written in UTC with its offset (SQLite hands it back without one: it was stored in
    UTC), so a row reads the same from either database."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        if getattr(column.type, "timezone", False):
            value = value.replace(tzinfo=UTC)
        else:
            value = value.replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):  # an Enum
        return value.value
    return value


def _from_json(column: Column, value):
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:  # SQLAlchemy's way to say a type has no Python type: kept as read
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is time:
        return time.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    if kind is Decimal:
        return Decimal(value)
    return value


def _rows(zf: zipfile.ZipFile, table: Table) -> Iterator[dict]:
    """The archive's rows of ``table`` as values for an insert (columns the table no
    longer has are refused: the schema revisions matched, so that is damage)."""
    with zf.open(f"tables/{table.name}.jsonl") as lines:
        for line in lines:
            row = json.loads(line)
            unknown = set(row) - set(table.columns.keys())
            if unknown:
                raise BadInput(f"{table.name} rows have unknown columns {sorted(unknown)}", "ไฟล์ส่งออกเสียหาย")
            yield {name: _from_json(table.c[name], value) for name, value in row.items()}


def _check_empty(conn) -> None:
    """BadInput unless the database is a new site's: no rows but the audit events the
    site wrote itself on starting (no one acting; they are dropped, the archive brings
    the office's own)."""
    audit = all_models().metadata.tables["audit_events"]
    for table in tables():
        query = select(func.count()).select_from(table)
        if table is audit:
            query = query.where(audit.c.actor_id.is_not(None))
        if conn.execute(query).scalar():
            raise BadInput(f"this database already has {table.name} rows; import into a new, empty site",
                           "นำเข้าได้เฉพาะระบบใหม่ที่ยังไม่มีข้อมูล")
    conn.execute(audit.delete())


def _deferred_columns(table: Table, order: list[Table]) -> list[str]:
    """The nullable foreign-key columns of ``table`` that point at itself or at a table
    inserted after it (a cycle): inserted empty, then set once every row is in."""
    position = {t.name: i for i, t in enumerate(order)}
    here = position[table.name]
    return [fk.parent.name for fk in table.foreign_keys
            if fk.parent.nullable and position.get(fk.column.table.name, -1) >= here]


def _key(table: Table, row: dict) -> dict:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _reset_sequences(conn) -> None:
    """After rows were inserted with their own ids, PostgreSQL's sequences must start
    above them, or the next insert collides."""
    for table in tables():
        for column in table.primary_key.columns:  # PostgreSQL names the sequence of those that have one
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": column.name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval('{seq}', coalesce((SELECT max({column.name}) "
                                  f"FROM {table.name}), 0) + 1, false)"))


def _files(folder: str) -> list[Path]:
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _member_sha256(zf: zipfile.ZipFile, member: str) -> str | None:
    try:
        with zf.open(member) as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except KeyError:
        return None


def _safe(member: str) -> bool:
    """A member name that stays inside the folder it is unpacked into."""
    parts = PurePosixPath(member).parts
    return bool(parts) and not member.startswith("/") and ".." not in parts and "\\" not in member
