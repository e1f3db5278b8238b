"""review dates of entries

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as entries:
        entries.add_column(sa.Column("review_by", sa.Date(), nullable=True))
        entries.create_index("ix_entries_review_by", ["review_by"])


def downgrade() -> None:
    with op.batch_alter_table("entries") as entries:
        entries.drop_index("ix_entries_review_by")
        entries.drop_column("review_by")
