"""Rulebooks: each published version of a rulebook, for one assessment or for every one

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rulebook_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("rulebook_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column(
            "title",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_rulebook_versions_assessment_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_rulebook_versions_published_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rulebook_versions")),
        sa.UniqueConstraint(
            "assessment_id", "rulebook_id", "version", name=op.f("uq_rulebook_versions_assessment_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("rulebook_versions")
