"""Files attached to entries: checked by content, limited in size, stored under random
names in ``<instance>/uploads`` (outside the web root).

Rules (docs/roles.md, "Attachments"): a file's type is found from its bytes,
never from its name, and the name's extension must agree with it; executables, HTML,
SVG and anything unknown are refused; the size limit is ``UPLOAD_MAX_BYTES`` (default
10 MB); a name with a path in it is refused. A refused file writes nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import filetype

from ..errors import BadInput

#: Accepted types: MIME type → extensions a file of that type may be named with.
ACCEPTED = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {"pptx"},
    "application/msword": {"doc", "xls", "ppt"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.ms-powerpoint": {"ppt"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/vnd.oasis.opendocument.presentation": {"odp"},
    "text/plain": {"txt", "md", "csv"},
}
#: Types a browser may show inline; everything else downloads.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class UploadRefused(BadInput):
    """A refused upload: ``str(err)`` is English, ``err.thai`` is Thai."""


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed :func:`check`: its safe ``filename``, detected
    ``content_type``, ``size`` in bytes and ``sha256`` (hex)."""

    filename: str
    content_type: str
    size: int
    sha256: str


def check_filename(name: str | None) -> str:
    """The trimmed, NFC-normalised file name; UploadRefused for an empty name, one with
    a path or traversal in it, control characters, a leading dot or over 200 characters."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise UploadRefused("no file was chosen", "กรุณาเลือกไฟล์")
    if (
        "/" in name or "\\" in name or ".." in name or name.startswith(".") or ":" in name
        or any(unicodedata.category(c) in ("Cc", "Cf") for c in name) or len(name) > 200
    ):
        raise UploadRefused(
            f"file name not allowed: {name!r} (no paths, control characters or leading dot; at most 200 characters)",
            "ชื่อไฟล์ไม่ถูกต้อง: ห้ามมีเส้นทางโฟลเดอร์ (/ \\ ..) อักขระควบคุม หรือขึ้นต้นด้วยจุด",
        )
    return name


def check(name: str | None, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedFile:
    """Check an upload's name, size and content; UploadRefused (with the reason) otherwise."""
    filename = check_filename(name)
    if len(data) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise UploadRefused(
            f"file is larger than the limit of {mb:g} MB",
            f"ไฟล์มีขนาดใหญ่เกิน {mb:g} MB",
        )
    if not data:
        raise UploadRefused("the file is empty", "ไฟล์ว่างเปล่า")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = _detect(data)
    if content_type is None:
        raise UploadRefused(
            "file type not accepted (accepted: PDF, images, Office and OpenDocument files, plain text)",
            "ไม่รับไฟล์ประเภทนี้ (รับเฉพาะ PDF รูปภาพ เอกสาร Office/OpenDocument และข้อความธรรมดา)",
        )
    if ext not in ACCEPTED[content_type]:
        raise UploadRefused(
            f"the file's content ({content_type}) does not match its name ({filename})",
            "เนื้อหาของไฟล์ไม่ตรงกับนามสกุลของชื่อไฟล์",
        )
    if content_type in ZIP_TYPES:
        check_archive(data)
    return CheckedFile(filename, content_type, len(data), hashlib.sha256(data).hexdigest())


#: Office Open XML and OpenDocument files are zip archives.
ZIP_TYPES = frozenset(t for t in ACCEPTED if "openxmlformats" in t or "opendocument" in t)
#: What an archive may unpack to: at most this many bytes in all, this many times its
#: own size, and this many members. A real 10 MB document stays far below each; a zip
#: bomb (42 kB that unpack to petabytes) is refused before anything reads it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10_000


def check_archive(data: bytes) -> None:
    """Refuse (UploadRefused) an Office or OpenDocument file that carries macros (a
    ``vbaProject.bin`` or OpenDocument ``Basic/`` scripts), or whose zip directory
    announces more than :data:`MAX_UNPACKED_BYTES`, :data:`MAX_RATIO` times its size or
    :data:`MAX_MEMBERS` files. Only the zip's directory is read, nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRefused(f"the document is damaged ({exc})", "ไฟล์เอกสารเสียหาย เปิดอ่านไม่ได้") from exc
    names = [m.filename.lower() for m in members]
    if any(n.endswith("vbaproject.bin") or n.startswith("basic/") for n in names):
        raise UploadRefused("documents with macros are not accepted; save it without macros (.docx, .xlsx, .pptx)",
                            "ไม่รับเอกสารที่มีแมโคร (macro) กรุณาบันทึกเป็นไฟล์แบบไม่มีแมโครก่อน")
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(data), 1):
        raise UploadRefused(f"the archive would unpack to {unpacked} bytes in {len(members)} files: refused",
                            "ไฟล์นี้ขยายตัวได้ใหญ่ผิดปกติ (อาจเป็น zip bomb) จึงไม่รับ")


def _detect(data: bytes) -> str | None:
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime if kind.mime in ACCEPTED else None
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text[:1024].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script")) or "<script" in text.lower():
        return None
    return "text/plain"


def store(folder: str, data: bytes) -> str:
    """Write ``data`` under a new random name in ``folder`` (created 0700) and return
    the name (32 hex characters). The file appears whole or not at all."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    stored = secrets.token_hex(16)
    tmp = os.path.join(folder, f".{stored}.part")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, os.path.join(folder, stored))
    return stored


@contextmanager
def stored_unless_failed(folder: str, data: bytes) -> Iterator[str]:
    """``with stored_unless_failed(folder, data) as name:`` store ``data`` (:func:`store`)
    for the block to record; when the block raises, the file is deleted again and the
    error goes on, so no file is left that nothing records."""
    stored = store(folder, data)
    try:
        yield stored
    except BaseException:
        discard(folder, stored)
        raise


def discard(folder: str, stored: str) -> None:
    """Delete the stored file ``stored`` (a name :func:`store` gave) from ``folder``;
    a file already gone is no error."""
    try:
        os.unlink(os.path.join(folder, stored))
    except FileNotFoundError:
        pass
