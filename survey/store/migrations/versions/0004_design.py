"""Design plans: a designer's choices for one form's needs (settings, PEARL, targets, the proposal's plan)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "design_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column(
            "choices",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_design_plans_form_id_forms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_design_plans_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_design_plans")),
        sa.UniqueConstraint("form_id", name=op.f("uq_design_plans_form_id")),
    )


def downgrade() -> None:
    op.drop_table("design_plans")
