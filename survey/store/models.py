"""The database: SQLAlchemy 2 typed models, the same on SQLite and PostgreSQL.

    Assessment ─┬─ Site
                ├─ Membership ── User ── ApiToken, Session
                └─ Submission ── FormVersion ── FormRecord
    Conflict (a record kept aside), Assignment (form × site × fieldworker), AuditLog, Secret
    OpenRosaInstance (the raw XML a device sent) ── OpenRosaAttachment (its files)
    Submission (a session) ── Coding (a coder's pass) ── CodedSegment; SessionExclusion
    DesignPlan (a designer's choices for a form's needs) ── FormRecord
    RulebookVersion (a published rulebook, for one assessment or for every one) ── Assessment

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
    Integer,
    LargeBinary,
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


class OpenRosaInstance(Base):
    """The raw XML of a submission from ODK Collect, KoboCollect or Enketo, each distinct body kept once.

    ``uuid`` is the record it was stored (or kept aside, or refused) as; ``instance_id`` and
    ``deprecated_id`` are the device's own ids as sent. ``complete`` turns true when the last part
    of a submission split across several posts arrives.
    """

    __tablename__ = "openrosa_instances"
    __table_args__ = (UniqueConstraint("uuid", "xml_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64))  # found through the unique key
    instance_id: Mapped[str] = mapped_column(String(300))
    deprecated_id: Mapped[str | None] = mapped_column(String(300))
    instance_name: Mapped[str | None] = mapped_column(String(300))
    form_id: Mapped[str] = mapped_column(String(200))
    form_version: Mapped[str] = mapped_column(String(100))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20))  # the sync outcome: created, duplicate, conflict, invalid
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    xml_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes
    xml: Mapped[bytes] = mapped_column(LargeBinary)  # exactly as received


class OpenRosaAttachment(Base):
    """A file sent with a submission (a photo, a recording), kept in the database beside its record."""

    __tablename__ = "openrosa_attachments"
    __table_args__ = (UniqueConstraint("uuid", "name", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64))  # found through the unique key
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Coding(Base):
    """One coder's pass over one interview or focus-group session (the record with ``session_uuid``).

    Its :class:`CodedSegment` rows are the codes the coder confirmed; a session coded by two coders
    is double-coded, which is what Cohen's κ is computed on. Keyword suggestions are never stored.
    """

    __tablename__ = "codings"
    __table_args__ = (UniqueConstraint("session_uuid", "coder_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_uuid: Mapped[str] = mapped_column(ForeignKey("submissions.uuid", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    coded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodedSegment(Base):
    """A code a coder gave a segment: ``segment`` is its place (``n:TOPIC:2`` a sentence of the
    notes, ``q:3`` a quote); ``digest`` the segment text's hash, so a changed record drops it."""

    __tablename__ = "coded_segments"
    __table_args__ = (UniqueConstraint("coding_id", "segment", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coding_id: Mapped[int] = mapped_column(ForeignKey("codings.id", ondelete="CASCADE"))
    segment: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(16))


class SessionExclusion(Base):
    """A participant taken out of a session after it was sent: gone from every summary and export."""

    __tablename__ = "session_exclusions"
    __table_args__ = (UniqueConstraint("session_uuid", "participant"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_uuid: Mapped[str] = mapped_column(ForeignKey("submissions.uuid", ondelete="CASCADE"))
    participant: Mapped[str] = mapped_column(String(100))
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime] = mapped_column(default=utcnow)


class DesignPlan(Base):
    """A designer's choices for one form's needs (survey.domain.design.Choices as JSON): the
    prioritisation settings, PEARL and interventions per rule, targets, and the proposal's plan."""

    __tablename__ = "design_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), unique=True)
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RulebookVersion(Base):
    """One published, immutable version of a rulebook: the TOML text as uploaded, and its hash.

    ``assessment_id`` empty: published for every assessment that has none of its own (and for
    forms in no assessment). ``hash`` is the SHA-256 of the rulebook as read (comments aside), so
    ``rulebook_id@version`` names one content everywhere (survey.domain.rules).
    """

    __tablename__ = "rulebook_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "rulebook_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    rulebook_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
