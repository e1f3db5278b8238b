"""Loading entries from files: Markdown with YAML front matter, plain text, and an
office's existing documents (PDF, DOCX, XLSX).

``kmrepo load PATH...`` and the first start of the site use :func:`load_paths`. Files
are parsed first (pure functions, no database), then upserted by slug: a file loaded
twice changes nothing, a changed file updates its entry. A file that cannot be read or
parsed is reported with its path and reason, and every other file still loads.

Front matter keys (all optional): ``title``, ``slug`` (default: file stem), ``type``
(a key of :data:`kmrepo.library.models.ENTRY_TYPES`, default ``article``), ``tags``,
``knowledge_items``, ``department``, ``fiscal_year`` (Buddhist Era, Thai or Arabic
digits), ``visibility`` (public | internal, default public), ``summary``, ``featured``.

A PDF, DOCX or XLSX file becomes an entry whose body is the document's text (DOCX
headings and tables, XLSX sheets as tables; :mod:`kmrepo.library.extract`) and to which
the file itself is attached, to download as it was. Its title is the document's title
(metadata), else its first heading, else the file name; its type is guessed from the title
(คู่มือ → manual, แผนการจัดการความรู้ → KM plan, ระเบียบ/ประกาศ/คำสั่ง → regulation,
else article). A document with no text (a scan) is still loaded, its file attached.

A ``knowledge-items.yaml`` file in a loaded folder (or named directly) describes
knowledge items: a list of mappings with ``name``, ``owner``, ``kind``
(explicit | tacit), ``strategic_issue`` and ``description``.
"""

from __future__ import annotations

import hashlib
import html
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import frontmatter
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.backend import IndexDocument
from indexer.normalize import fold_digits

from .. import clock
from ..accounts.models import Department
from ..base import named
from ..errors import BadInput
from . import extract, index_sync, policy, revisions, uploads
from .models import ENTRY_TYPES, KNOWLEDGE_KINDS, VISIBILITIES, Attachment, Entry, KnowledgeItem, Tag
from .rendering import markup_problem, plain_text

#: Part of every file's hash: bump when parsing changes, so the next load re-applies it.
LOADER_VERSION = "2"
#: Documents an office already has: loaded as entries with the file attached.
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".xlsx")
ENTRY_SUFFIXES = (".md", ".markdown", ".txt", *DOCUMENT_SUFFIXES)
KNOWLEDGE_ITEMS_FILE = "knowledge-items.yaml"
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Documents (:data:`DOCUMENT_SUFFIXES`) may be larger: the size an upload may have.
MAX_DOCUMENT_BYTES = uploads.DEFAULT_MAX_BYTES


#: The front-matter keys the library reads (:func:`parse_markdown`); others are kept in
#: :attr:`ParsedEntry.extra` for other areas.
LIBRARY_KEYS = frozenset({"title", "slug", "type", "summary", "department", "fiscal_year", "tags",
                          "knowledge_items", "visibility", "featured", "date", "updated"})


class LoadError(Exception):
    """A file that cannot be loaded; the message says why, in plain words."""


@dataclass(frozen=True)
class ParsedEntry:
    """An entry as read from a file, validated, not yet stored."""

    slug: str
    title: str
    type: str
    body: str
    source_path: str
    source_hash: str
    summary: str = ""
    department: str = ""
    fiscal_year: int | None = None
    tags: tuple[str, ...] = ()
    knowledge_items: tuple[str, ...] = ()
    visibility: str = "public"
    featured: bool = False
    #: The body's plain text for the index, when already rendered (:func:`_parsed`).
    plain: str | None = None
    #: The search backend's analysis of the entry, made in the worker that parsed it
    #: (:attr:`indexer.backend.IndexDocument.prepared`), or None.
    prepared: object = None
    #: Front-matter keys the library does not use itself (another area's: a training
    #: report's ``trainee``, ``returned_on`` …), as written.
    extra: tuple[tuple[str, object], ...] = ()
    #: A document (PDF, DOCX, XLSX) the entry was made from: ``(file name, bytes, checked
    #: content type)``, attached to the entry.
    document: tuple[str, bytes, str] | None = None
    #: The document's own date (:func:`document_date`), None when it states none.
    document_date: date | None = None
    #: A unit and knowledge items the text names in its header lines (a plan's
    #: "เจ้าภาพผู้รับผิดชอบองค์ความรู้ :", "ชื่อองค์ความรู้ที่เลือก :"): linked when they exist.
    named_unit: str = ""
    named_items: tuple[str, ...] = ()


@dataclass
class LoadReport:
    """What a load did: slugs created, updated and unchanged, and ``errors`` as
    ``(path, reason)`` pairs for files that were not loaded."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    knowledge_items: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: Every entry file parsed, whether it changed anything or not.
    parsed: list[ParsedEntry] = field(default_factory=list)


# -- finding files -------------------------------------------------------------------


def find_files(paths: Iterable[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Expand ``paths`` (files or folders, searched recursively, in name order) into
    ``(entry_files, knowledge_item_files, errors)``. Hidden files are skipped."""
    entries, items, errors = [], [], []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    full = os.path.join(root, name)
                    if name == KNOWLEDGE_ITEMS_FILE:
                        items.append(full)
                    elif name.lower().endswith(ENTRY_SUFFIXES):
                        entries.append(full)
        elif os.path.isfile(path):
            if os.path.basename(path) == KNOWLEDGE_ITEMS_FILE:
                items.append(path)
            elif path.lower().endswith(ENTRY_SUFFIXES):
                entries.append(path)
            else:
                errors.append((path, "not a Markdown (.md), text (.txt), PDF, Word (.docx) or Excel (.xlsx) file"))
        else:
            errors.append((path, "no such file or folder"))
    return entries, items, errors


# -- parsing -------------------------------------------------------------------------


def read_bytes(path: str, limit: int) -> bytes:
    """The bytes of ``path``; :class:`LoadError` when it cannot be read or is larger
    than ``limit`` bytes (nothing is read then)."""
    try:
        size = os.path.getsize(path)
        if size > limit:
            raise LoadError(f"file is too large ({size // 1024} KiB; the limit is {limit // 1024} KiB)")
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc


def read_text(path: str) -> tuple[str, str]:
    """Read ``path`` as UTF-8 text; return ``(text, sha256)``. Raises :class:`LoadError`."""
    data = read_bytes(path, MAX_FILE_BYTES)
    if b"\x00" in data:
        raise LoadError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from exc
    digest = hashlib.sha256(LOADER_VERSION.encode() + data).hexdigest()
    return text, digest


def parse_file(path: str) -> ParsedEntry:
    """Parse one entry file (.md/.markdown with front matter, .txt, or a document:
    :func:`parse_document`). Raises :class:`LoadError`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if path.lower().endswith(DOCUMENT_SUFFIXES):
        return parse_document(path, stem)
    text, digest = read_text(path)
    if path.lower().endswith(".txt"):
        parsed = parse_plain_text(text, stem, path, digest)
        sidecar = os.path.splitext(path)[0] + ".yaml"
        return _with_sidecar(parsed, sidecar) if os.path.isfile(sidecar) else parsed
    return parse_markdown(text, stem, path, digest)


def _with_sidecar(parsed: ParsedEntry, sidecar: str) -> ParsedEntry:
    """A .txt file's entry with what its sidecar file (``<same name>.yaml``) says: the
    front-matter keys a Markdown file would carry (``title``, ``slug``, ``type``,
    ``date``, ``department``, ``knowledge_items``, ``tags`` …) win over what was read
    from the text. The sidecar is part of the file's hash: changing it reloads."""
    text, digest = read_text(sidecar)
    try:
        meta = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"{os.path.basename(sidecar)} is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoadError(f"{os.path.basename(sidecar)} must be a mapping of front-matter keys")
    given = {
        "title": _text(meta, "title")[:500] or None,
        "slug": _slug(meta["slug"]) if meta.get("slug") else None,
        "type": _choice(meta, "type", ENTRY_TYPES, parsed.type) if "type" in meta else None,
        "summary": _text(meta, "summary") or None,
        "department": _text(meta, "department") or None,
        "fiscal_year": _fiscal_year(meta.get("fiscal_year")) if "fiscal_year" in meta else None,
        "tags": _names(meta.get("tags"), "tags") or None,
        "knowledge_items": _names(meta.get("knowledge_items"), "knowledge_items") or None,
        "visibility": _choice(meta, "visibility", VISIBILITIES, parsed.visibility) if "visibility" in meta else None,
        "document_date": _meta_date(meta.get("updated") or meta.get("date")),
    }
    changes = {k: v for k, v in given.items() if v is not None}
    return replace(parsed, **changes, source_hash=hashlib.sha256((parsed.source_hash + digest).encode()).hexdigest())


def parse_markdown(text: str, stem: str, path: str = "", digest: str = "") -> ParsedEntry:
    """Parse Markdown with optional YAML front matter. Raises :class:`LoadError`."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise LoadError(f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    meta = dict(post.metadata)
    body = post.content.strip() + "\n"
    title = _text(meta, "title")
    if not title:
        heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
        title = heading.group(1).strip() if heading else stem
    return ParsedEntry(
        slug=_slug(meta.get("slug", stem)),
        title=title[:500],
        type=_choice(meta, "type", ENTRY_TYPES, "article"),
        body=body,
        summary=_text(meta, "summary"),
        department=_text(meta, "department"),
        fiscal_year=_fiscal_year(meta.get("fiscal_year")),
        tags=_names(meta.get("tags"), "tags"),
        knowledge_items=_names(meta.get("knowledge_items"), "knowledge_items"),
        visibility=_choice(meta, "visibility", VISIBILITIES, "public"),
        extra=tuple((k, v) for k, v in meta.items() if k not in LIBRARY_KEYS),
        featured=bool(meta.get("featured", False)),
        document_date=_meta_date(meta.get("updated") or meta.get("date")),
        source_path=path,
        source_hash=digest,
    )


#: Words in a document's title that say its type (:func:`parse_document`), in order.
_TYPE_WORDS = (("คู่มือ", "manual"), ("แผนการจัดการความรู้", "km_plan"), ("ระเบียบ", "regulation"),
               ("ประกาศ", "regulation"), ("คำสั่ง", "regulation"), ("หนังสือสั่งการ", "regulation"))


def parse_document(path: str, stem: str) -> ParsedEntry:
    """Parse a PDF, DOCX or XLSX file into an entry with the file attached (see the
    module docstring). The file is checked as an upload is (type from its bytes, no
    macros, no zip bomb: :func:`kmrepo.library.uploads.check`). Raises :class:`LoadError`."""
    data = read_bytes(path, MAX_DOCUMENT_BYTES)
    try:
        checked = uploads.check(os.path.basename(path), data, MAX_DOCUMENT_BYTES)
    except uploads.UploadRefused as exc:
        raise LoadError(str(exc)) from exc
    found = extract.extract(checked.content_type, data)
    title = found.title or stem
    note = f"เอกสารต้นฉบับ: {_escape(checked.filename)} (ไฟล์แนบ)"
    body = (found.markdown or "") + "\n\n" if found.status == "ok" else ""
    if found.status != "ok":
        body += f"{extract.STATUSES[found.status]}\n\n"
    years = list(_FY_IN_TEXT.finditer(found.text[:20_000]))
    m = next((y for y in years if y.group(1)), years[0] if years else None)
    return ParsedEntry(
        slug=_slug(stem),
        title=title[:500],
        type=next((t for word, t in _TYPE_WORDS if word in title), "article"),
        body=body + note + "\n",
        fiscal_year=int(fold_digits(m.group(2))) if m else None,
        source_path=path,
        source_hash=hashlib.sha256(LOADER_VERSION.encode() + data).hexdigest(),
        document=(checked.filename, data, checked.content_type),
    )


_FY_IN_TEXT = re.compile(r"(ประจำ)?ปีงบประมาณ\s*(?:พ\.\s*ศ\.\s*)?([0-9๐-๙]{4})")


def parse_plain_text(text: str, stem: str, path: str = "", digest: str = "") -> ParsedEntry:
    """Parse a plain-text document such as a KM plan pasted from PDF or Word.

    Title: :func:`plan_title`. Body: :func:`text_to_markdown`. Type ``km_plan``. Date:
    :func:`document_date`. The unit and knowledge item its header lines name are linked
    when kmrepo knows them.
    Fiscal year: the first "ประจำปีงบประมาณ (พ.ศ.) NNNN" ("for the fiscal year", how a
    plan names its own year), else the first "ปีงบประมาณ NNNN", if any. The plain form
    also names other years: "ตั้งแต่ปีงบประมาณ ๒๕๖๒ เป็นต้นมา" comes first in the 2566
    plan of อบจ.ปทุมธานี (pathumthani-pao-2566-plan1-risk.txt).
    """
    body = text_to_markdown(text)
    title = plan_title(text)
    if not title:
        raise LoadError("the file is empty")
    years = list(_FY_IN_TEXT.finditer(text))
    m = next((y for y in years if y.group(1)), years[0] if years else None)
    fy = int(fold_digits(m.group(2))) if m else None
    header = _strip_html(text[:20_000])
    unit = _HEADER_UNIT.search(header)
    item = _HEADER_ITEM.search(header)
    return ParsedEntry(
        slug=_slug(stem),
        title=title,
        type="km_plan",
        body=body,
        fiscal_year=fy,
        source_path=path,
        source_hash=digest,
        document_date=document_date(text, fy),
        named_unit=" ".join(unit.group(1).split()) if unit else "",
        named_items=(" ".join(item.group(1).split()),) if item else (),
    )


_HEADER_UNIT = re.compile(r"เจ้าภาพ[^:\n]{0,40}:\s*([^\n]{2,200})")
_HEADER_ITEM = re.compile(r"ชื่อองค์ความรู้[^:\n]{0,20}:\s*([^\n]{2,300})")
_NUMBERING = re.compile(r"^(?:ตารางที่\s*[\d๐-๙.]+\s*|[\d๐-๙]+(?:\.[\d๐-๙]+)*\.?\s+|#+\s*|เรื่อง\s*)")
_PLAN_WORDS = re.compile(r"แผนการจัด(?:การ)?(?:องค์)?ความรู้")
#: An organisation's name: its kind, then its place, ending where a space or mark does
#: (Thai runs words together: the name is the one the text writes most often so).
_ORGANISATION = re.compile(r"(?:เทศบาล(?:ตำบล|เมือง|นคร)|องค์การบริหารส่วน(?:ตำบล|จังหวัด)|กรม)[ก-๙]{2,30}(?=[\s,.()\"“”:]|$)")


def _organisation(text: str) -> str:
    """The organisation a text is by: the name it writes most often (first of equals)."""
    counts: dict[str, int] = {}
    for m in _ORGANISATION.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else ""


def plan_title(text: str) -> str:
    """The name of a plan as a person would say it (an office's own words first):

    - the first line of the first 80 naming the plan ("แผนการจัดการความรู้…",
      "แผนการจัดองค์ความรู้…"), numbering ("๗.", "ตารางที่ ๒.๓", "เรื่อง") taken off, not a
      table-of-contents line (a tab and a page number), with the next line when that
      says the year ("ประจำปีงบประมาณ พ.ศ. ๒๕๖๒");
    - the organisation the text names first, put in when the name lacks it;
    - else "แผนการจัดการความรู้ <organisation>" when the text names one and a plan line
      comes later; else the first line. "" for an empty text."""
    raw = [ln for ln in _strip_html(text).splitlines() if ln.strip()]
    lines = [" ".join(ln.split()) for ln in raw]
    org_name = _organisation("\n".join(lines[:400]))
    for i, (line, original) in enumerate(zip(lines[:80], raw[:80], strict=False)):
        if not _PLAN_WORDS.search(line) or len(line) > 200 or "\t" in original.strip():
            continue
        named = _NUMBERING.sub("", line).strip(" :")
        if len(named) <= len("แผนการจัดการความรู้") or not _PLAN_WORDS.match(named):
            continue
        if i + 1 < len(lines) and lines[i + 1].startswith("ประจำปี") and "ประจำปี" not in named:
            named = f"{named} {lines[i + 1]}"
        if org_name and org_name not in named and "(KM Action Plan)" not in named:
            at = named.find("ประจำปี")
            named = f"{named[:at].rstrip()} {org_name} {named[at:]}" if at > 0 else f"{named} {org_name}"
        return named[:500]
    if org_name and any(_PLAN_WORDS.search(line) for line in lines):
        return f"แผนการจัดการความรู้ {org_name}"
    return lines[0][:500] if lines else ""


_SIGNED_ON = re.compile(r"ณ\s*วันที่\s*([0-9๐-๙]{1,2})\s*(?:เดือน\s*)?([ก-๙.]{3,12})\s*(?:พ\.?\s*ศ\.?\s*)?([0-9๐-๙]{4})")


def document_date(text: str, fiscal_year: int | None = None) -> date | None:
    """The date a document states as its own: the day it was signed or announced ("ประกาศ
    ณ วันที่ ๑๗ เดือน กันยายน พ.ศ. ๒๕๖๓"; dates it cites are not its own), else the first
    day of the fiscal year it is for (``fiscal_year``: "ประจำปีงบประมาณ พ.ศ. ๒๕๖๖" → 1
    October 2565), else None."""
    from ..thai_dates import fiscal_year_bounds, parse_date

    for m in _SIGNED_ON.finditer(text):
        try:
            found = parse_date(f"{m.group(1)} {m.group(2)} {m.group(3)}")
        except BadInput:
            continue
        if found and 1950 <= found.year <= 2100:
            return found
    return fiscal_year_bounds(fiscal_year)[0] if fiscal_year else None


def _meta_date(value) -> date | None:
    """Front matter ``date``/``updated``: a YAML date, or text as :func:`parse_date` reads."""
    from ..thai_dates import parse_date

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value in (None, ""):
        return None
    try:
        return parse_date(str(value))
    except BadInput as exc:
        raise LoadError(f"date {value!r} is not a date (use 2027-03-01 or 1 มี.ค. 2570)") from exc


_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>])")


def _strip_html(text: str) -> str:
    return html.unescape(_HTML_TAG.sub(" ", text))


#: Words of a plan table's column names: the header row is the row that has them.
_COLUMN_WORDS = ("ที่", "กิจกรรม", "ระยะเวลา", "ตัวชี้วัด", "เป้าหมาย", "ผู้รับผิดชอบ", "กลุ่มเป้าหมาย", "วิธีการ",
                 "งบประมาณ", "หมายเหตุ", "เอกสาร", "ขั้นตอน", "ผลการดำเนินงาน", "ลำดับ")
_PAGE_NUMBER = re.compile(r"^[-–\s(]*[0-9๐-๙]{1,3}[-–\s)]*$")
_PART = re.compile(r"^(?:บทที่|ส่วนที่|ภาคที่)\s*[0-9๐-๙]+")
_SECTION = re.compile(r"^[0-9๐-๙]{1,2}\.\s*\S")
_SUBSECTION = re.compile(r"^[0-9๐-๙]{1,2}\.[0-9๐-๙]{1,2}\.?\s*\S")
_TABLE_TITLE = re.compile(r"^ตารางที่\s*[0-9๐-๙]")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_CHAPTER_WORDS = frozenset({"สารบัญ", "ภาคผนวก", "บทสรุปผู้บริหาร", "คำนำ", "กิจกรรมการจัดการความรู้",
                            "กระบวนการจัดการความรู้", "กระบวนการบริหารจัดการการเปลี่ยนแปลง",
                            "กระบวนการบริหารการเปลี่ยนแปลง"})


def text_to_markdown(text: str) -> str:
    """Turn pasted plain text (a plan copied from Word or PDF) into Markdown with the
    structure it has:

    - headings: "บทที่ ๑ …", "ส่วนที่ ๒" (chapters), short numbered lines "๓. …" (chapters,
      or sections under บทที่/ส่วนที่), "๓.๑ …" (sections), "ตารางที่ ๒.๓ …" (a table's
      title), lines already written "## …", and "สารบัญ"/"ภาคผนวก"; a numbered line among
      numbered lines is a list item, not a heading;
    - tables: runs of tab-separated lines; the header is the row with the column names
      (ที่, กิจกรรม, ระยะเวลา, ตัวชี้วัด, เป้าหมาย …; rows above it go before the table as
      text); a table that goes on after a page break (only blank lines or a page number
      between, the same header again) stays one table with one header; page-number rows
      are dropped; a row that only names a group ("ขั้นตอนที่ ๑ …") stays a row;
    - each other line a paragraph; stray HTML tags removed; Markdown's special characters
      escaped so the text shows as written.
    """
    lines = _strip_html(text).splitlines()
    norm = [" ".join(line.split()) for line in lines]
    has_parts = any(_PART.match(line) for line in norm)
    numbered = [bool(_SECTION.match(line)) and not _SUBSECTION.match(line) for line in norm]
    blocks: list[str | list[list[str]]] = []
    rows: list[list[str]] = []
    gap = True  # only blank lines or page numbers since the last table

    def flush() -> None:
        nonlocal gap
        if not rows:
            return
        # A run of rows may hold several tables: a new one starts at each header row.
        starts = [i for i, r in enumerate(rows) if _column_words(r) >= 2] or [0]
        if starts[0] != 0:
            starts = [0, *starts]
        for n, at in enumerate(starts):
            part = rows[at:starts[n + 1]] if n + 1 < len(starts) else rows[at:]
            _add_table(blocks, part, gap or n > 0)
        rows.clear()
        gap = True

    nonempty = [i for i, line in enumerate(norm) if line]
    neighbours = {i: (nonempty[k - 1] if k else None, nonempty[k + 1] if k + 1 < len(nonempty) else None)
                  for k, i in enumerate(nonempty)}
    for i, raw in enumerate(lines):
        if "\t" in raw and raw.strip():
            cells = [" ".join(c.split()) for c in raw.split("\t")]
            filled = [c for c in cells if c]
            if len(filled) == 1 and _PAGE_NUMBER.match(filled[0]):
                continue  # a page number pasted into the table
            rows.append(cells)
            continue
        line = norm[i]
        if not line or _PAGE_NUMBER.match(line):
            continue  # a blank line or a page number: a table may go on after it
        flush()
        gap = False
        prev, nxt = neighbours[i]
        list_item = numbered[i] and ((prev is not None and numbered[prev]) or (nxt is not None and numbered[nxt]))
        level = _heading_level(line, has_parts, list_item, written=raw.startswith("#"))
        if level:
            md = _MD_HEADING.match(line) if raw.startswith("#") else None
            words = md.group(2) if md else line
            blocks.append("#" * level + " " + _escape(words))
        else:
            blocks.append(_escape(line))
    flush()
    out = []
    for block in blocks:
        if isinstance(block, list) and re.match(r"^[0-9๐-๙]", block[0][0].strip() if block[0] else ""):
            # numbered lines set out with tabs, no column names: a list, not a table
            out.append("\n".join("- " + " — ".join(_escape(c) for c in r if c) for r in block))
        elif isinstance(block, list):
            width = max(len(r) for r in block)
            cells = [[_escape(c) for c in r] + [""] * (width - len(r)) for r in block]
            table = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
            out.append("\n".join(table + ["| " + " | ".join(r) + " |" for r in cells[1:]]))
        else:
            out.append(block)
    return "\n\n".join(out) + "\n"


def _heading_level(line: str, has_parts: bool, list_item: bool, written: bool = False) -> int:
    """The heading level of a line of pasted text (0: not a heading); ``written``: the
    line starts with "#" at its very beginning (a Markdown heading as written); see
    :func:`text_to_markdown`."""
    md = _MD_HEADING.match(line) if written else None
    if md:
        return len(md.group(1))
    if line in _CHAPTER_WORDS:
        return 2
    if line == "หมายเหตุ":
        return 4
    if _PART.match(line) and len(line) <= 120:
        return 2
    if _TABLE_TITLE.match(line) and len(line) <= 200:
        return 4
    if _SUBSECTION.match(line) and len(line) <= 80:
        return 4 if has_parts else 3
    if _SECTION.match(line) and len(line) <= 70 and not list_item:
        return 3 if has_parts else 2
    return 0


def _add_table(blocks: list, rows: list[list[str]], may_continue: bool) -> None:
    """Add the table ``rows`` (its header first when it has one) to ``blocks``: as more
    rows of the table before when it has the same header and only a page break came
    between (``may_continue``, or lines repeating text seen before it: a page's running
    title, then dropped); a header repeated inside said once; a single row as text."""
    table = [list(r) for r in rows]
    table = [table[0], *_merge_continued(r for r in table[1:] if not _same_header(r, table[0]))]
    back = next((i for i in range(len(blocks) - 1, -1, -1) if isinstance(blocks[i], list)), None)
    between = blocks[back + 1:] if back is not None else []
    if back is not None and not may_continue and 0 < len(between) <= 2:
        earlier = {_plain_block(b) for b in blocks[:back] if isinstance(b, str)}
        if all(_plain_block(b) in earlier for b in between) and _same_header(table[0], blocks[back][0]):
            del blocks[back + 1:]
            may_continue = True
    last = blocks[-1] if blocks and isinstance(blocks[-1], list) else None
    if last is not None and may_continue and _same_header(table[0], last[0]):
        last[1:] = _merge_continued([*last[1:], *table[1:]])
    elif len(table) >= 2:
        blocks.append(table)
    else:
        blocks.append(" ".join(c for c in table[0] if c))


def _column_words(row: list[str]) -> int:
    """How many cells of ``row`` read as column names: short (at most 40 characters) and
    naming a column (:data:`_COLUMN_WORDS`); 0 for a data row (its first cell a number)
    or a group row ("ขั้นตอนที่ ๑ …")."""
    first = row[0].strip() if row else ""
    if re.match(r"^[0-9๐-๙]", first) or first.startswith("ขั้นตอนที่"):
        return 0
    return sum(1 for c in row if c and len(c) <= 40 and any(w in c.replace(" ", "") for w in _COLUMN_WORDS))


def _merge_continued(rows) -> list[list[str]]:
    """Rows with a row split by a page break put back together: a row numbered like the
    one before it (row ๑ twice in pathumthani-pao-2566-plan1-risk.txt), or with no number
    under a numbered one, joins it, each cell's text once."""
    out: list[list[str]] = []
    for row in rows:
        prev = out[-1] if out else None
        number = row[0].strip() if row else ""
        if prev is not None and prev[0].strip() and re.match(r"^[0-9๐-๙]", prev[0].strip()) and (
                number == prev[0].strip() or (not number and any(c.strip() for c in row[1:])
                                              and not row[1].startswith("ขั้นตอนที่"))):
            width = max(len(prev), len(row))
            prev.extend([""] * (width - len(prev)))
            for i, cell in enumerate(row[1:], 1):
                if cell and cell not in prev[i]:
                    prev[i] = f"{prev[i]} {cell}".strip() if prev[i] not in cell else cell
            continue
        out.append(list(row))
    return out


def _plain_block(block: str) -> str:
    return block.lstrip("#").strip()


def _same_header(a: list[str], b: list[str]) -> bool:
    """Whether two header rows name the same columns (spacing, empty cells and the
    number column "ที่" aside: a page break may drop it)."""
    def key(row):
        return [c.replace(" ", "") for c in row if c.strip() and c.strip() not in ("ที่", "ลำดับที่")]
    return bool(key(a)) and key(a) == key(b)


def _escape(line: str) -> str:
    line = _MD_SPECIAL.sub(r"\\\1", line)
    if line.startswith("#"):
        line = "\\" + line
    return line


# -- front matter values ---------------------------------------------------------------


def _text(meta: dict, key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise LoadError(f"'{key}' must be text, not a list")
    return " ".join(str(value).split())


def _choice(meta: dict, key: str, allowed: dict, default: str) -> str:
    value = _text(meta, key) or default
    if value not in allowed:
        raise LoadError(f"'{key}' is {value!r}; it must be one of: {', '.join(allowed)}")
    return value


def _names(value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise LoadError(f"'{key}' must be a list")
    out: list[str] = []
    for item in value:
        if isinstance(item, (list, dict)):
            raise LoadError(f"'{key}' must be a list of names")
        name = " ".join(str(item).split())[:100 if key == "tags" else 300]
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _slug(value) -> str:
    slug = "-".join(str(value).split()).strip("-")
    if not slug or "/" in slug or "\\" in slug or slug in (".", ".."):
        raise LoadError(f"slug {value!r} is not usable in an address")
    if slug in policy.RESERVED_SLUGS:
        raise LoadError(f"slug {slug!r} is reserved for the site's own page /entries/{slug}; rename the file "
                        "or give another 'slug:' in its front matter")
    if len(slug) > 200:
        raise LoadError("slug is longer than 200 characters")
    return slug


def _fiscal_year(value) -> int | None:
    """A Buddhist Era fiscal year from front matter: 2567, "๒๕๖๗", or two digits "67"."""
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime, bool)):
        raise LoadError("'fiscal_year' must be a Buddhist Era year such as 2568")
    text = fold_digits(str(value)).strip()
    if not text.isdigit():
        raise LoadError(f"'fiscal_year' is {value!r}; it must be a Buddhist Era year such as 2568")
    year = int(text)
    if year < 100:
        year += 2500
    if not 2400 <= year <= 2700:
        hint = f" (did you mean {year + 543}, in the Buddhist Era?)" if 1900 <= year <= 2200 else ""
        raise LoadError(f"'fiscal_year' {year} is not a Buddhist Era year{hint}")
    return year


# -- storing ---------------------------------------------------------------------------


class _Lookup:
    """Get-or-create departments, tags and knowledge items by name within one load."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[tuple[type, str], object] = {}

    def get(self, model, name: str):
        key = (model, name)
        if key not in self.cache:
            self.cache[key] = named(self.session, model, name)
        return self.cache[key]


def load_paths(
    session: Session,
    paths: Iterable[str],
    progress: Callable[[int], None] | None = None,
    on_files: Callable[[int], None] | None = None,
    upload_folder: str | None = None,
) -> LoadReport:
    """Load every entry file and knowledge-item file under ``paths``; commit once.

    ``on_files`` is told how many entry files were found, ``progress`` is called with
    1 after each. Documents (PDF, DOCX, XLSX) are attached to their entries, stored in
    ``upload_folder`` (when None, only their text is loaded). Returns a
    :class:`LoadReport`; never raises for a bad file.
    """
    report = LoadReport()
    entry_files, item_files, report.errors = find_files(paths)
    lookup = _Lookup(session)
    for path in item_files:
        try:
            report.knowledge_items += _load_knowledge_items(path, lookup)
        except LoadError as exc:
            report.errors.append((path, str(exc)))
    if on_files:
        on_files(len(entry_files))
    seen: dict[str, str] = {}
    files = _Files(upload_folder)
    with files, session.no_autoflush:  # one flush at the commit, not one per looked-up tag
        backend = session.info.get(index_sync.BACKEND_KEY)
        for batch in _batches(_parsed(entry_files, getattr(backend, "prepare", None)), 200):
            slugs = [p.slug for _path, p in batch if not isinstance(p, LoadError)]
            existing = {e.slug: e for e in session.scalars(select(Entry).where(Entry.slug.in_(slugs)))}
            for path, parsed in batch:
                try:
                    if isinstance(parsed, LoadError):
                        raise parsed
                    if parsed.slug in seen:
                        raise LoadError(f"slug {parsed.slug!r} is already used by {seen[parsed.slug]}")
                    seen[parsed.slug] = path
                    outcome = _upsert(session, lookup, parsed, existing.get(parsed.slug), files)
                    getattr(report, outcome).append(parsed.slug)
                    report.parsed.append(replace(parsed, plain=None, document=None, prepared=None))
                except LoadError as exc:
                    report.errors.append((path, str(exc)))
                if progress:
                    progress(1)
        session.commit()
    return report


class _Files:
    """The documents a load attaches: written to ``folder`` as they come, the files they
    replace deleted once the load commits; on failure the new files are deleted instead."""

    def __init__(self, folder: str | None):
        self.folder = folder
        self.written: list[str] = []
        self.replaced: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for name in (self.written if exc_type else self.replaced):
            uploads.discard(self.folder, name)

    def attach(self, entry: Entry, document: tuple[str, bytes, str]) -> None:
        """Attach ``document`` (name, bytes, type) to ``entry`` in place of the file of
        that name an earlier load attached."""
        if self.folder is None:
            return
        name, data, content_type = document
        for old in [a for a in entry.attachments if a.filename == name and a.uploaded_by_id is None]:
            entry.attachments.remove(old)
            self.replaced.append(old.stored_name)
        stored = uploads.store(self.folder, data)
        self.written.append(stored)
        entry.attachments.append(Attachment(
            stored_name=stored, filename=name, content_type=content_type, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), created_at=clock.now(), text="", text_status="in_body"))


#: A batch of parsed files is written when it has this many files or this many bytes of
#: documents to attach, whichever comes first.
BATCH_FILES = 200
BATCH_BYTES = 64 * 1024 * 1024


def _batches(items: Iterable, size: int = BATCH_FILES) -> Iterator[list]:
    batch: list = []
    held = 0
    for item in items:
        batch.append(item)
        parsed = item[1]
        if isinstance(parsed, ParsedEntry) and parsed.document is not None:
            held += len(parsed.document[1])
        if len(batch) == size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


#: Loads of at least this many files, or this many bytes, parse and render them in
#: worker processes (as a rebuild segments), while this process writes the database.
PARALLEL_MIN_FILES = 200
PARALLEL_MIN_BYTES = 1_000_000


def _parse_and_render(path: str) -> ParsedEntry | LoadError:
    """:func:`parse_file` with its body's plain text already rendered (for the index:
    :func:`kmrepo.library.rendering.plain_text`), or the LoadError (also for a body that
    cannot be rendered within bounds, :func:`kmrepo.library.rendering.markup_problem`)."""
    try:
        parsed = parse_file(path)
        _check_names(parsed)
    except LoadError as exc:
        return exc
    if problem := markup_problem(parsed.body):
        return LoadError(problem[0])
    return replace(parsed, plain=plain_text(parsed.body))


#: The longest names the tables keep (every database holds them to it).
NAME_LIMITS = {"department": 200, "tags": 100, "knowledge_items": 300}


def _check_names(p: ParsedEntry) -> None:
    """:class:`LoadError` for a unit, tag or knowledge item name longer than its column
    (:data:`NAME_LIMITS`): said plainly for that file, instead of failing the load."""
    for key, limit in NAME_LIMITS.items():
        value = getattr(p, key)
        for name in (value,) if isinstance(value, str) else value:
            if len(name) > limit:
                raise LoadError(f"{key}: {name[:40]!r}… is longer than {limit} characters")


#: The search backend's ``prepare`` for the workers of one load (set before they fork).
_PREPARE = None


def _parse_render_prepare(path: str) -> ParsedEntry | LoadError:
    """:func:`_parse_and_render`, then the search backend's analysis of the entry made
    here too (:data:`_PREPARE`), so the index is written without analysing it again:
    the whole of a bulk load's segmentation runs in the workers, as a rebuild's does."""
    parsed = _parse_and_render(path)
    if isinstance(parsed, LoadError) or _PREPARE is None:
        return parsed
    doc = IndexDocument(id=parsed.slug, title=parsed.title, body=parsed.plain or "", summary=parsed.summary or "",
                        tags=list(parsed.tags), knowledge_item_names=list(parsed.knowledge_items),
                        fiscal_year=parsed.fiscal_year)
    return replace(parsed, prepared=_PREPARE(doc))


def _parsed(paths: list[str], prepare=None) -> Iterator[tuple[str, ParsedEntry | LoadError]]:
    """``(path, parsed entry or LoadError)`` for each of ``paths``, in order; parsed,
    rendered and (with ``prepare``, the search backend's) analysed for the index by a
    pool of worker processes (one per CPU) for large loads."""
    global _PREPARE
    size = 0
    for path in paths:
        try:
            size += os.path.getsize(path)
        except OSError:
            pass
    workers = os.cpu_count() or 1
    large = len(paths) >= PARALLEL_MIN_FILES or size >= PARALLEL_MIN_BYTES
    if workers < 2 or not large or "fork" not in multiprocessing.get_all_start_methods():
        yield from ((path, _parse_and_render(path)) for path in paths)
        return
    _PREPARE = prepare
    if prepare is not None:
        prepare(IndexDocument(id="warm-up", title="การจัดการความรู้"))  # dictionaries loaded before forking
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, min(16, len(paths) // (workers * 4)))
            yield from zip(paths, pool.imap(_parse_render_prepare, paths, chunksize=chunk), strict=True)
    finally:
        _PREPARE = None


def _load_knowledge_items(path: str, lookup: _Lookup) -> int:
    text, _ = read_text(path)
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise LoadError(f"not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise LoadError("expected a list of knowledge items")
    for i, row in enumerate(data, 1):
        if not isinstance(row, dict) or not _text(row, "name"):
            raise LoadError(f"item {i} has no 'name'")
        _choice(row, "kind", KNOWLEDGE_KINDS, "explicit")
    for row in data:
        item = lookup.get(KnowledgeItem, _text(row, "name"))
        item.kind = _choice(row, "kind", KNOWLEDGE_KINDS, "explicit")
        item.description = _text(row, "description")
        item.strategic_issue = _text(row, "strategic_issue")
        owner = _text(row, "owner")
        item.owner = lookup.get(Department, owner) if owner else None
    return len(data)


def _upsert(session: Session, lookup: _Lookup, p: ParsedEntry, entry: Entry | None, files: _Files) -> str:
    """Create or update the entry of ``p`` (``entry``: the one stored under its slug, if
    any); "created", "updated" or "unchanged" (same file hash)."""
    if entry is not None and entry.source_hash == p.source_hash:
        return "unchanged"
    outcome = "updated"
    before = None if entry is None else revisions.content_of(entry)
    if entry is None:
        entry = Entry(slug=p.slug, created_at=clock.now())
        session.add(entry)
        outcome = "created"
    entry.title = p.title
    entry.type = p.type
    entry.body = p.body
    if p.plain is not None:
        index_sync.remember_plain_text(entry, p.plain)
    if p.prepared is not None:
        index_sync.remember_prepared(entry, p.prepared)
    entry.summary = p.summary
    entry.department = lookup.get(Department, p.department) if p.department else None
    entry.fiscal_year = p.fiscal_year
    entry.visibility = p.visibility
    entry.featured = p.featured
    entry.status = policy.PUBLISHED
    entry.tags = [lookup.get(Tag, name) for name in p.tags]
    entry.knowledge_items = [lookup.get(KnowledgeItem, name) for name in p.knowledge_items]
    entry.document_date = p.document_date
    if p.named_unit and not p.department:
        entry.department = session.scalar(select(Department).where(Department.name == p.named_unit))
    named = [k for k in (session.scalar(select(KnowledgeItem).where(KnowledgeItem.name == n)) for n in p.named_items)
             if k is not None]
    for k in named:
        if k not in entry.knowledge_items:
            entry.knowledge_items.append(k)
    entry.source_path = os.path.abspath(p.source_path) if p.source_path else ""
    entry.source_hash = p.source_hash
    entry.updated_at = clock.now()
    if p.document is not None:
        files.attach(entry, p.document)
    name = os.path.basename(p.source_path) if p.source_path else "ไฟล์"
    revisions.record(session, entry, None, f"นำเข้าจากไฟล์ {name}", before)
    return outcome

