"""training records, post-training reports, chains of approvers, delegations, office
holidays, reminders, notifications

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _user(name: str, nullable: bool = True, ondelete: str = "SET NULL", index: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("users.id", ondelete=ondelete), nullable=nullable, index=index)


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("email", sa.String(254), nullable=False, server_default=""))
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user("trainee_id", index=True),
        sa.Column("trainee_name", sa.String(200), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True, index=True),
        sa.Column("course", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organiser", sa.String(300), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=False, index=True),
        sa.Column("cost", sa.Numeric(12, 2), nullable=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        *(sa.Column(name, sa.Text(), nullable=False)
          for name in ("objectives", "content", "knowledge", "application", "suggestions")),
        sa.Column("internal_suggestions", sa.Boolean(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("chain_position", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="SET NULL"), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True),
        _user("followed_up_by_id"),
        sa.Column("source_path", sa.String(1000), nullable=False),
        _user("created_by_id"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "training_knowledge_items",
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("training_records.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("knowledge_item_id", sa.Integer(), sa.ForeignKey("knowledge_items.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_table(
        "approval_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("training_records.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        _user("actor_id"),
        _user("acting_for_id"),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chain_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("departments.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _user("approver_id"),
        sa.Column("position_title", sa.String(200), nullable=False),
        sa.UniqueConstraint("unit_id", "position"),
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user("approver_id", nullable=False, ondelete="CASCADE", index=True),
        _user("acting_id", nullable=False, ondelete="CASCADE", index=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "office_holidays",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("training_records.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emailed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("record_id", "kind"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user("user_id", nullable=False, ondelete="CASCADE", index=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    for table in ("notifications", "reminders", "office_holidays", "delegations", "chain_steps", "approval_steps",
                  "training_knowledge_items", "training_records"):
        op.drop_table(table)
    with op.batch_alter_table("users") as users:
        users.drop_column("email")
