"""KM plans of each fiscal year, their activity rows with parsed periods and targets

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "km_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("knowledge_item_name", sa.String(300), nullable=False),
        sa.Column("knowledge_item_id", sa.Integer(), sa.ForeignKey("knowledge_items.id", ondelete="SET NULL")),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("departments.id", ondelete="SET NULL")),
        sa.Column("strategic_issue", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("source_path", sa.String(1000), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_km_plans_fiscal_year", "km_plans", ["fiscal_year"])
    op.create_table(
        "km_plan_activities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("km_plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("number", sa.String(10), nullable=False),
        sa.Column("step", sa.Integer()),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("period_text", sa.String(300), nullable=False),
        sa.Column("period_start", sa.Date()),
        sa.Column("period_end", sa.Date()),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("target_comparator", sa.String(2), nullable=False),
        sa.Column("target_value", sa.Float()),
        sa.Column("target_unit", sa.String(50), nullable=False),
        sa.Column("target_group", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("manual_actual", sa.Float()),
        sa.Column("manual_evidence", sa.Text(), nullable=False),
    )
    op.create_index("ix_km_plan_activities_plan_id", "km_plan_activities", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_km_plan_activities_plan_id", "km_plan_activities")
    op.drop_table("km_plan_activities")
    op.drop_index("ix_km_plans_fiscal_year", "km_plans")
    op.drop_table("km_plans")
