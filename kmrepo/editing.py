"""Writing entries on the web: create, edit, move through the lifecycle, attach files.

Permission checks are the caller's job, through :mod:`kmrepo.policy`; these functions
do the work, write the audit log (:mod:`kmrepo.audit`) and commit. The search index
follows each commit (:mod:`kmrepo.index_sync`).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, policy, uploads
from .models import Attachment, Department, Entry, KnowledgeItem, Tag, User, named, utcnow


@dataclass
class EntryFields:
    """What the entry form edits. ``tags`` are names, ``knowledge_items`` ids,
    ``department_id`` 0 for none, ``fiscal_year`` a Buddhist Era year or None."""

    title: str
    type: str
    summary: str
    body: str
    tags: list[str]
    knowledge_items: list[int]
    department_id: int
    fiscal_year: int | None
    visibility: str
    featured: bool = False


def split_tags(text: str) -> list[str]:
    """Tag names from "a, b, c" (commas, semicolons or new lines), trimmed, unique, in order."""
    out: list[str] = []
    for part in re.split(r"[,;\n]", text or ""):
        name = " ".join(part.split())[:100]
        if name and name not in out:
            out.append(name)
    return out


def new_slug(session: Session, title: str) -> str:
    """An address for a new entry: the Latin letters and digits of ``title`` if there are
    at least 3, else ``entry-<8 hex>``; made unique with a suffix."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    if len(base) < 3:
        base = f"entry-{secrets.token_hex(4)}"
    slug, n = base, 2
    while session.scalar(select(Entry.id).where(Entry.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_entry(session: Session, entry: Entry | None, fields: EntryFields, user: User) -> Entry:
    """Create (``entry`` None: a draft by ``user``) or update an entry; commits.
    Only the KM team may set ``featured``; others keep what was there."""
    created = entry is None
    if entry is None:
        entry = Entry(slug=new_slug(session, fields.title), status="draft", author_id=user.id, created_at=utcnow())
        session.add(entry)
    entry.title = fields.title.strip()
    entry.type = fields.type
    entry.summary = (fields.summary or "").strip()
    entry.body = fields.body
    entry.fiscal_year = fields.fiscal_year
    entry.visibility = fields.visibility
    if policy.has_role(user, "km_team"):
        entry.featured = bool(fields.featured)
    entry.department = session.get(Department, fields.department_id) if fields.department_id else None
    entry.tags = [named(session, Tag, name) for name in fields.tags]
    entry.knowledge_items = [
        k for k in (session.get(KnowledgeItem, i) for i in fields.knowledge_items) if k is not None
    ]
    entry.updated_at = utcnow()
    session.flush()
    audit.record(session, "entry_created" if created else "entry_edited", user, target=entry)
    session.commit()
    return entry


#: The audit action each lifecycle move is recorded as.
_AUDITED_AS = {"submit": "entry_submitted", "return": "entry_returned", "approve": "entry_approved",
               "publish": "entry_published", "retire": "entry_retired", "restore": "entry_published"}


def change_status(session: Session, entry: Entry, action: str, user: User) -> None:
    """Apply lifecycle ``action`` (a key of :data:`kmrepo.policy.ENTRY_TRANSITIONS`);
    PermissionError if ``user`` may not take it now. Commits and audits."""
    if action not in policy.entry_actions(user, entry):
        raise PermissionError(f"{action} is not allowed on this entry now")
    entry.status = policy.ENTRY_TRANSITIONS[action][1]
    entry.updated_at = utcnow()
    audit.record(session, _AUDITED_AS[action], user, target=entry)
    session.commit()


def attach_file(session: Session, entry: Entry, filename: str | None, data: bytes, user: User, folder: str,
                max_bytes: int) -> Attachment:
    """Check (:func:`kmrepo.uploads.check`, raising UploadRefused) and store a file
    for ``entry``; commits and audits. Nothing is written when the check fails."""
    checked = uploads.check(filename, data, max_bytes)
    stored = uploads.store(folder, data)
    try:
        att = Attachment(entry=entry, stored_name=stored, filename=checked.filename,
                         content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                         uploaded_by_id=user.id)
        session.add(att)
        session.flush()
        audit.record(session, "file_uploaded", user, target=entry, detail=checked.filename)
        session.commit()
    except Exception:
        session.rollback()
        os.unlink(os.path.join(folder, stored))
        raise
    return att
