"""attachment text for search, retired knowledge items, readers' feedback

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("text_status", sa.String(20), nullable=False, server_default="pending"))
    with op.batch_alter_table("knowledge_items") as batch:
        batch.add_column(sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "useful_marks",
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_useful_marks_marked_at", "useful_marks", ["marked_at"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_comments_entry_id", "comments", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_comments_entry_id", "comments")
    op.drop_table("comments")
    op.drop_index("ix_useful_marks_marked_at", "useful_marks")
    op.drop_table("useful_marks")
    with op.batch_alter_table("knowledge_items") as batch:
        batch.drop_column("retired")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("text_status")
        batch.drop_column("text")
