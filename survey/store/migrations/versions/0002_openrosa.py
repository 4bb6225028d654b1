"""OpenRosa: the raw XML devices send, and their attachments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:36:34.965497
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openrosa_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_attachments")),
        sa.UniqueConstraint("uuid", "name", "sha256", name=op.f("uq_openrosa_attachments_uuid")),
    )
    op.create_table(
        "openrosa_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=300), nullable=False),
        sa.Column("deprecated_id", sa.String(length=300), nullable=True),
        sa.Column("instance_name", sa.String(length=300), nullable=True),
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("form_version", sa.String(length=100), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("xml_hash", sa.String(length=64), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["users.id"], name=op.f("fk_openrosa_instances_collector_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_instances")),
        sa.UniqueConstraint("uuid", "xml_hash", name=op.f("uq_openrosa_instances_uuid")),
    )


def downgrade() -> None:
    op.drop_table("openrosa_instances")
    op.drop_table("openrosa_attachments")
