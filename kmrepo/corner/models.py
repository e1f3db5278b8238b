"""The KM corner (มุม KM): curated, ordered lists of entries, one for the whole
organisation and one per unit, each entry with a short curator's note
(docs/domain.md, "The KM corner")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..accounts.models import Department, User
from ..base import Base
from ..library.models import Entry


class CornerEntry(Base):
    """One entry shown in a corner: ``department`` None is the organisation's corner.
    ``position`` orders a corner (smallest first); ``note`` is the curator's line
    (at most 500 characters)."""

    __tablename__ = "corner_entries"
    __table_args__ = (UniqueConstraint("department_id", "entry_id", name="uq_corner_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    department: Mapped[Department | None] = relationship()
    entry: Mapped[Entry] = relationship()
    added_by: Mapped[User | None] = relationship()
