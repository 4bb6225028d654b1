"""Coding of interview and focus-group sessions: codings, coded segments, removed participants

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 04:48:00.211504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_uuid", sa.String(length=64), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("coded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["users.id"], name=op.f("fk_codings_coder_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_uuid"],
            ["submissions.uuid"],
            name=op.f("fk_codings_session_uuid_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codings")),
        sa.UniqueConstraint("session_uuid", "coder_id", name=op.f("uq_codings_session_uuid")),
    )
    with op.batch_alter_table("codings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_codings_session_uuid"), ["session_uuid"], unique=False)
    op.create_table(
        "session_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_uuid", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=100), nullable=False),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["removed_by"], ["users.id"], name=op.f("fk_session_exclusions_removed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_uuid"],
            ["submissions.uuid"],
            name=op.f("fk_session_exclusions_session_uuid_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_exclusions")),
        sa.UniqueConstraint("session_uuid", "participant", name=op.f("uq_session_exclusions_session_uuid")),
    )
    op.create_table(
        "coded_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coding_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["coding_id"],
            ["codings.id"],
            name=op.f("fk_coded_segments_coding_id_codings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coded_segments")),
        sa.UniqueConstraint("coding_id", "segment", "code", name=op.f("uq_coded_segments_coding_id")),
    )


def downgrade() -> None:
    op.drop_table("coded_segments")
    op.drop_table("session_exclusions")
    with op.batch_alter_table("codings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codings_session_uuid"))
    op.drop_table("codings")
