"""The text of attached documents, for search: PDF (pypdf), DOCX (python-docx), XLSX
(openpyxl) and plain text.

Extraction never fails an upload: a file whose text cannot be had (a scanned PDF, a
damaged or encrypted file, an image) is still attached, with a status saying why
(:data:`STATUSES`). Text is kept as the document gives it; the index's analysis repairs
what Thai PDFs get wrong (SARA AM split into NIKHAHIT + SARA AA, spaces inside words:
:func:`indexer.normalize.normalize`), and :func:`extract` repairs SARA AM for the
snippets readers see.

Bounded whatever the file: at most :data:`MAX_PAGES` pages, :data:`MAX_ROWS` rows per
sheet and :data:`MAX_CHARS` characters of text are read.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: Attachment text statuses, with what a reader is told (Thai).
STATUSES = {
    "ok": "ค้นหาข้อความในไฟล์นี้ได้",
    "empty": "ไม่พบข้อความในไฟล์ (เช่น เอกสารสแกนเป็นภาพ) จึงค้นหาเนื้อหาในไฟล์นี้ไม่ได้",
    "failed": "อ่านข้อความในไฟล์ไม่ได้ (ไฟล์เสียหายหรือมีรหัสผ่าน) จึงค้นหาเนื้อหาในไฟล์นี้ไม่ได้",
    "unsupported": "ไฟล์ประเภทนี้ไม่มีข้อความให้ค้นหา",
    "in_body": "ข้อความของไฟล์นี้อยู่ในเนื้อหาของรายการแล้ว",
    "pending": "ยังไม่ได้อ่านข้อความในไฟล์ (ผู้ดูแลระบบสั่ง kmrepo extract-text ได้)",
}
MAX_PAGES = 1000
MAX_ROWS = 20_000
MAX_CHARS = 2_000_000

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
#: The types whose text is read.
EXTRACTABLE = frozenset({PDF, DOCX, XLSX, TEXT})


@dataclass(frozen=True)
class Extracted:
    """``text`` of a document (at most :data:`MAX_CHARS` characters), ``status`` a key
    of :data:`STATUSES`, ``title`` from the document's metadata or first heading ("" when
    none) and ``markdown``: the text as Markdown, headings and tables kept (DOCX, XLSX)
    or one paragraph per block (PDF, text)."""

    text: str
    status: str
    title: str = ""
    markdown: str = ""


_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_BLANKS = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """NFC, SARA AM put back together where a PDF split it ("นํ้า" → "น้ำ"), NUL and other
    control characters but newlines and tabs removed, runs of blank lines made one."""
    text = unicodedata.normalize("NFC", text)
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return _BLANKS.sub("\n\n", text).strip()


def extract(content_type: str, data: bytes) -> Extracted:
    """The text of ``data`` (a file of the checked ``content_type``); never raises."""
    if content_type not in EXTRACTABLE:
        return Extracted("", "unsupported")
    try:
        title, blocks = _READERS[content_type](data)
    except Exception as exc:  # noqa: BLE001 -- a damaged, encrypted or hostile file: attached all the same
        log.info("could not extract text from a %s file: %s: %s", content_type, type(exc).__name__, exc)
        return Extracted("", "failed")
    markdown = tidy("\n\n".join(md for md, _ in blocks))[:MAX_CHARS]
    text = tidy("\n\n".join(plain for _, plain in blocks))[:MAX_CHARS]
    if not text.strip():
        return Extracted("", "empty", title)
    return Extracted(text, "ok", " ".join(title.split())[:500], markdown)


Blocks = list[tuple[str, str]]  # (Markdown, plain text) of each paragraph, heading or table


def _paragraphs(text: str) -> Blocks:
    return [(_escape(p), p) for p in (p.strip() for p in re.split(r"\n\s*\n", text)) if p]


def _pdf(data: bytes) -> tuple[str, Blocks]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # many office PDFs are "encrypted" with an empty password
    title = str((reader.metadata or {}).get("/Title") or "")
    blocks, size = [], 0
    for page in reader.pages[:MAX_PAGES]:
        text = page.extract_text() or ""
        blocks.extend(_paragraphs(text))
        size += len(text)
        if size > MAX_CHARS:
            break
    return title, blocks


def _docx(data: bytes) -> tuple[str, Blocks]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    title = document.core_properties.title or ""
    blocks, size = [], 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = " ".join(item.text.split())
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            level = _heading_level(style)
            if level and not title:
                title = text
            blocks.append(((("#" * level + " ") if level else "") + _escape(text), text))
        elif isinstance(item, Table):
            blocks.append(_table([[cell.text for cell in row.cells] for row in item.rows[:MAX_ROWS]]))
        size += len(blocks[-1][1]) if blocks else 0
        if size > MAX_CHARS:
            break
    return title, blocks


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    m = re.fullmatch(r"Heading (\d)", style)
    return min(int(m.group(1)) + 1, 6) if m else 0


def _xlsx(data: bytes) -> tuple[str, Blocks]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        title = book.properties.title or ""
        blocks, size = [], 0
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows(max_row=MAX_ROWS, values_only=True):
                cells = ["" if v is None else str(v) for v in row]
                if any(c.strip() for c in cells):
                    rows.append(cells)
            if rows:
                blocks.append((f"## {_escape(sheet.title)}", sheet.title))
                blocks.append(_table(rows))
                size += len(blocks[-1][1])
            if size > MAX_CHARS:
                break
    finally:
        book.close()
    return title, blocks


def _text(data: bytes) -> tuple[str, Blocks]:
    return "", _paragraphs(data.decode("utf-8-sig", errors="replace")[:MAX_CHARS])


_READERS = {PDF: _pdf, DOCX: _docx, XLSX: _xlsx, TEXT: _text}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def _escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _table(rows: list[list[str]]) -> tuple[str, str]:
    """``(Markdown, plain text)`` of a table of ``rows`` (the first the header): a
    Markdown table, cells on one line each; the plain text one line per row."""
    width = max(len(r) for r in rows)
    words = [[" ".join(c.split()) for c in r] + [""] * (width - len(r)) for r in rows]
    plain = "\n".join(" ".join(c for c in r if c) for r in words)
    cells = [[_escape(c) for c in r] for r in words]
    if len(cells) == 1:
        return " ".join(c for c in cells[0] if c), plain
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells[1:]]), plain
