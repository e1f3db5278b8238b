"""the KM corner: curated entries per unit and for the organisation

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corner_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id", ondelete="CASCADE"), nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("department_id", "entry_id", name="uq_corner_entry"),
    )
    op.create_index("ix_corner_entries_department_id", "corner_entries", ["department_id"])
    op.create_index("ix_corner_entries_entry_id", "corner_entries", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_corner_entries_entry_id", "corner_entries")
    op.drop_index("ix_corner_entries_department_id", "corner_entries")
    op.drop_table("corner_entries")
