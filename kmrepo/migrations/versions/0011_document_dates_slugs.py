"""documents' own dates; readable addresses for Thai titles, the old ones kept as aliases

Revision ID: 0011
Revises: 0010
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_UNSAFE = re.compile(r"[^0-9a-z\u0e00-\u0e7f]+")


def _readable(title: str) -> str:
    """As kmrepo.library.service.readable_slug does, frozen here for this migration."""
    base = _UNSAFE.sub("-", (title or "").lower()).strip("-")
    if len(base) > 60:
        base = base[:60].rsplit("-", 1)[0] or base[:60]
    return base


def conn_rows(sql: str) -> list:
    return op.get_bind().execute(sa.text(sql)).all()


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("document_date", sa.Date(), nullable=True))
        batch.create_index("ix_entries_document_date", ["document_date"])
    op.create_table(
        "slug_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("old_slug", sa.String(200), nullable=False, unique=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_slug_aliases_entry_id", "slug_aliases", ["entry_id"])
    # Entries written in the site are dated the day they were made; loaded files get their
    # own date when next loaded (the loader's version changed).
    for entry_id, created in conn_rows("SELECT id, created_at FROM entries WHERE source_path = ''"):
        day = created if not isinstance(created, str) else created[:10]
        op.get_bind().execute(sa.text("UPDATE entries SET document_date = :d WHERE id = :id"),
                              {"d": str(day)[:10], "id": entry_id})
    # Entries made in the site with a Thai title got "entry-<8 hex>": give them their title.
    conn = op.get_bind()
    taken = {row[0] for row in conn.execute(sa.text("SELECT slug FROM entries"))}
    for entry_id, slug, title in conn.execute(sa.text(
            "SELECT id, slug, title FROM entries WHERE slug LIKE 'entry-%'")).all():
        if not re.fullmatch(r"entry-[0-9a-f]{8}", slug):
            continue
        base = _readable(title)
        if len(base) < 3 or base == "new":
            continue
        new, n = base, 2
        while new in taken:
            new, n = f"{base}-{n}", n + 1
        taken.add(new)
        conn.execute(sa.text("UPDATE entries SET slug = :new WHERE id = :id"), {"new": new, "id": entry_id})
        conn.execute(sa.text("INSERT INTO slug_aliases (old_slug, entry_id) VALUES (:old, :id)"),
                     {"old": slug, "id": entry_id})


def downgrade() -> None:
    conn = op.get_bind()
    for old, entry_id in conn.execute(sa.text("SELECT old_slug, entry_id FROM slug_aliases")).all():
        if re.fullmatch(r"entry-[0-9a-f]{8}", old):
            conn.execute(sa.text("UPDATE entries SET slug = :old WHERE id = :id"), {"old": old, "id": entry_id})
    op.drop_index("ix_slug_aliases_entry_id", "slug_aliases")
    op.drop_table("slug_aliases")
    with op.batch_alter_table("entries") as batch:
        batch.drop_index("ix_entries_document_date")
        batch.drop_column("document_date")
