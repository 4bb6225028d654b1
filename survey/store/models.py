"""The database: SQLAlchemy 2 typed models, the same on SQLite and PostgreSQL.

    Assessment ─┬─ Site
                ├─ Membership ── User ── ApiToken, Session
                └─ Submission ── FormVersion ── FormRecord
    Conflict (a record kept aside), Assignment (form × site × fieldworker), AuditLog, Secret

Relationships are ``lazy="raise"``: every load is explicit. Answers are JSON (JSONB on
PostgreSQL). A published :class:`FormVersion` is never updated; submissions pin it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "planner", "designer", "fieldworker")
REVIEW_STATES = ("received", "approved", "rejected")

Json = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (a callable default, never a value computed at import)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations diff cleanly."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar = {dict[str, Any]: Json, list[Any]: Json, datetime: DateTime(timezone=True)}


class Assessment(Base):
    """A needs assessment: who is assessed, where and when."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    populations: Mapped[list[Any]] = mapped_column(default=list)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Site(Base):
    """A community, care home or school where fieldwork happens."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))  # community | care_home | school | other
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))


class FormRecord(Base):
    """A form, across its versions."""

    __tablename__ = "forms"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    kind: Mapped[str] = mapped_column(String(40))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[FormVersion]] = relationship(back_populates="form", lazy="raise")


class FormVersion(Base):
    """One published, immutable version of a form: its definition (JSON) and its hash."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("forms.id"))
    version: Mapped[str] = mapped_column(String(100))
    definition: Mapped[str] = mapped_column(Text)  # the form as JSON text, exactly as published
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form: Mapped[FormRecord] = relationship(back_populates="versions", lazy="raise")


class User(Base):
    """A person who signs in: a fieldworker, planner, designer or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A role a user holds in an assessment (``assessment_id`` empty: in every assessment)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "assessment_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    role: Mapped[str] = mapped_column(String(20))


class ApiToken(Base):
    """A bearer token for scripts and devices; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class Session(Base):
    """A browser login, kept in the database so every worker shares it; only its hash is stored."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class Assignment(Base):
    """A form a fieldworker is asked to fill, optionally at one site."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("user_id", "form_id", "site_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(ForeignKey("forms.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))


class Submission(Base):
    """One record from a tablet, stored exactly once (its client UUID is unique)."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_form_version", "form_id", "form_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("forms.id"))
    form_version: Mapped[str] = mapped_column(String(100))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict[str, Any]] = mapped_column()
    dropped: Mapped[list[Any]] = mapped_column(default=list)  # answers removed as not relevant
    content_hash: Mapped[str] = mapped_column(String(64))
    review_state: Mapped[str] = mapped_column(String(20), default="received")


class Conflict(Base):
    """A record that reused a stored UUID with different content: kept aside, never overwriting."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("uuid", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), index=True)
    form_id: Mapped[str] = mapped_column(String(200))
    form_version: Mapped[str] = mapped_column(String(100))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    collected_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict[str, Any]] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(20))  # kept_stored | replaced | superseded
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column()


class AuditLog(Base):
    """Who did what: publishing, exports of personal data, role changes, conflict decisions."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Secret(Base):
    """Server secrets generated on first run (the CSRF signing key), shared by every worker."""

    __tablename__ = "secrets"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
