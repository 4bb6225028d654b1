"""What the admin pages show, and the rules for what an admin changes.

Reading functions return frozen Structs (never ORM objects). Changing functions return the
:class:`Issue` tuple of what is wrong with the request — empty when the change was made — so a
page can show every problem beside the field it concerns. Every change is written to the audit log.

    overview                                     forms, versions, submissions, conflicts, users, audit
    form_versions, publish_upload                one form's versions; publishing an uploaded file
    users, create_user, grant_role, revoke_role, set_active
    assignment_page, assign, unassign            which fieldworker fills which form, where
    open_conflicts, resolve_conflict             records kept aside, and deciding which one stands
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from msgspec import Struct
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as DbSession

from forms.errors import Problem
from survey.domain import accounts, publishing
from survey.store.models import (
    ROLES,
    Assignment,
    AuditLog,
    Conflict,
    FormRecord,
    Membership,
    Session,
    Site,
    Submission,
    User,
    utcnow,
)

UPLOAD_FORMATS: dict[str, Any] = {"toml": "toml", "json": "json", "xlsx": "xlsx"}
CHOICES = ("keep_stored", "use_new")  # how a conflict is resolved
RECENT = 15  # audit entries on the overview
_SHOW = msgspec.json.Encoder(order="sorted")


class Issue(Struct, frozen=True):
    """Something wrong with a request: the field it concerns and a code the pages translate."""

    where: str
    code: str


class Upload(Struct, frozen=True):
    """The outcome of publishing an upload: the version, or the issue and every problem found."""

    filename: str
    form_id: str = ""
    version: str = ""
    created: bool = False
    issue: str = ""  # a code: no_file, file_type, not_utf8
    problems: tuple[Problem, ...] = ()  # from the form checker: where and message
    status: int = 200

    @property
    def ok(self) -> bool:
        """True when the version is published (now or before, with the same content)."""
        return not self.issue and not self.problems


class VersionRow(Struct, frozen=True):
    """One published version of a form."""

    version: str
    hash: str
    published_at: datetime
    published_by: str
    submissions: int


class FormRow(Struct, frozen=True):
    """A form with its versions (oldest first) and its submissions across them."""

    form_id: str
    title: dict[str, str]
    kind: str
    versions: tuple[VersionRow, ...]
    submissions: int


class AuditRow(Struct, frozen=True):
    """An entry of the audit log, with the name of who did it."""

    at: datetime
    who: str
    action: str
    target: str
    detail: str


class Overview(Struct, frozen=True):
    """The admin's start page."""

    forms: tuple[FormRow, ...]
    open_conflicts: int
    users: int
    active_users: int
    audit: tuple[AuditRow, ...]


class UserRow(Struct, frozen=True):
    """A user and every role they hold."""

    id: int
    username: str
    roles: tuple[str, ...]
    active: bool
    created_at: datetime


class Option(Struct, frozen=True):
    """One entry of a choice list."""

    value: str
    label: str


ROLE_OPTIONS = tuple(Option(role, role) for role in ROLES)


class AssignmentRow(Struct, frozen=True):
    """A form a fieldworker is asked to fill; ``site`` is empty for any site."""

    id: int
    username: str
    form_id: str
    site: str


class AssignmentView(Struct, frozen=True):
    """The assignments and what a new one may name."""

    rows: tuple[AssignmentRow, ...]
    fieldworkers: tuple[Option, ...]
    forms: tuple[Option, ...]
    sites: tuple[Option, ...]


class DiffRow(Struct, frozen=True):
    """An answer that differs between the stored record and the one kept aside (empty: not answered)."""

    key: str
    stored: str
    new: str


class ConflictRow(Struct, frozen=True):
    """An open conflict beside the stored record with the same UUID."""

    id: int
    uuid: str
    form_id: str
    received_at: datetime
    collector: str
    version: str
    stored_received_at: datetime | None
    stored_collector: str
    stored_version: str
    diff: tuple[DiffRow, ...]


# --- the overview and forms ---------------------------------------------------------------------


def overview(db: DbSession) -> Overview:
    """Forms with versions and submission counts, open conflicts, users and the latest audit entries."""
    open_count = db.scalar(select(func.count()).select_from(Conflict).where(Conflict.resolution.is_(None)))
    users_total, active = db.execute(
        select(func.count(), func.count().filter(User.active)).select_from(User)
    ).one()
    return Overview(form_list(db), open_count or 0, users_total, active, _recent_audit(db))


def form_versions(db: DbSession, form_id: str) -> FormRow | None:
    """One form with its versions, or None when no form has that id."""
    return next((row for row in form_list(db) if row.form_id == form_id), None)


def form_list(db: DbSession) -> tuple[FormRow, ...]:
    """Every published form with its versions and submission counts, by id."""
    counts = {
        (form_id, version): n
        for form_id, version, n in db.execute(
            select(Submission.form_id, Submission.form_version, func.count()).group_by(
                Submission.form_id, Submission.form_version
            )
        )
    }
    records = {r.id: r for r in db.scalars(select(FormRecord))}
    found = publishing.versions(db)
    names = _names(db, (v.published_by for vs in found.values() for v in vs))
    rows = []
    for form_id, versions in sorted(found.items()):
        record = records[form_id]
        shown = tuple(
            VersionRow(
                v.version,
                v.hash[:12],
                v.published_at,
                names.get(v.published_by, ""),
                counts.get((form_id, v.version), 0),
            )
            for v in versions
        )
        total = sum(n for (f, _), n in counts.items() if f == form_id)
        rows.append(FormRow(form_id, dict(record.title), record.kind, shown, total))
    return tuple(rows)


def _recent_audit(db: DbSession) -> tuple[AuditRow, ...]:
    entries = db.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(RECENT)).all()
    names = _names(db, (e.user_id for e in entries))
    return tuple(
        AuditRow(e.at, names.get(e.user_id, ""), e.action, e.target, _show(e.detail) if e.detail else "")
        for e in entries
    )


def publish_upload(db: DbSession, filename: str, data: bytes, by: int | None) -> Upload:
    """Publish an uploaded .toml, .json or .xlsx definition; every problem when it cannot be."""
    if not filename or not data:
        return Upload(filename, issue="no_file", status=422)
    fmt = UPLOAD_FORMATS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    if fmt is None:
        return Upload(filename, issue="file_type", status=422)
    if fmt != "xlsx" and not _utf8(data):  # the form readers assume UTF-8 text
        return Upload(filename, issue="not_utf8", status=422)
    try:
        version, _warnings, created = publishing.publish(db, data, fmt, filename, by)
    except publishing.PublishError as err:
        return Upload(filename, problems=err.problems, status=err.status)
    return Upload(filename, version.form_id, version.version, created)


# --- users and roles ----------------------------------------------------------------------------


def users(db: DbSession) -> tuple[UserRow, ...]:
    """Every user by name, with the roles they hold."""
    held: dict[int, set[str]] = {}
    for user_id, role in db.execute(select(Membership.user_id, Membership.role)):
        held.setdefault(user_id, set()).add(role)
    return tuple(
        UserRow(u.id, u.username, tuple(r for r in ROLES if r in held.get(u.id, ())), u.active, u.created_at)
        for u in db.scalars(select(User).order_by(User.username))
    )


def create_user(db: DbSession, username: str, password: str, role: str, by: int | None) -> tuple[Issue, ...]:
    """Create a user with one role; the grant is audited."""
    username = username.strip()
    issues = []
    if not username:
        issues.append(Issue("username", "username_required"))
    elif len(username) > accounts.USERNAME_MAX:
        issues.append(Issue("username", "username_long"))
    elif db.scalar(select(User.id).where(User.username == username)) is not None:
        issues.append(Issue("username", "username_taken"))
    if len(password) < 8:
        issues.append(Issue("password", "password_short"))
    if role not in ROLES:
        issues.append(Issue("role", "role_unknown"))
    if not issues:
        accounts.add_user(db, username, password, role, by=by)
    return tuple(issues)


def grant_role(db: DbSession, user_id: int, role: str, by: int | None) -> tuple[Issue, ...]:
    """Give a user a role they do not hold yet (in every assessment); audited as ``role.grant``."""
    if db.get(User, user_id) is None:
        return (Issue("user", "user_unknown"),)
    if role not in ROLES:
        return (Issue("role", "role_unknown"),)
    if role in accounts.roles_of(db, user_id):
        return (Issue("role", "role_held"),)
    accounts.grant(db, user_id, role, by=by)
    return ()


def revoke_role(db: DbSession, user_id: int, role: str, by: int | None) -> tuple[Issue, ...]:
    """Take a role away everywhere; audited as ``role.revoke``. Admins cannot revoke their own admin role."""
    if db.get(User, user_id) is None:
        return (Issue("user", "user_unknown"),)
    if role not in accounts.roles_of(db, user_id):
        return (Issue("role", "role_not_held"),)
    if role == "admin" and user_id == by:
        return (Issue("role", "own_admin"),)
    db.execute(delete(Membership).where(Membership.user_id == user_id, Membership.role == role))
    db.add(AuditLog(user_id=by, action="role.revoke", target=f"user:{user_id}", detail={"role": role}))
    return ()


def set_active(db: DbSession, user_id: int, active: bool, by: int | None) -> tuple[Issue, ...]:
    """Deactivate a user (their sessions end, tokens stop working) or let them back in; audited."""
    user = db.get(User, user_id)
    if user is None:
        return (Issue("user", "user_unknown"),)
    if not active and user_id == by:
        return (Issue("user", "self_deactivate"),)
    user.active = active
    if not active:
        db.execute(delete(Session).where(Session.user_id == user_id))
    action = "user.activate" if active else "user.deactivate"
    db.add(AuditLog(user_id=by, action=action, target=f"user:{user_id}", detail={}))
    return ()


# --- assignments --------------------------------------------------------------------------------


def assignment_page(db: DbSession) -> AssignmentView:
    """Every assignment, and the fieldworkers, forms and sites a new one may name."""
    rows = db.execute(
        select(Assignment.id, User.username, Assignment.form_id, Site.name)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Site, Site.id == Assignment.site_id)
        .order_by(User.username, Assignment.form_id, Assignment.id)
    )
    return AssignmentView(
        rows=tuple(AssignmentRow(id_, name, form_id, site or "") for id_, name, form_id, site in rows),
        fieldworkers=tuple(Option(str(id_), name) for id_, name in _fieldworkers(db).items()),
        forms=tuple(
            Option(form_id, form_id) for form_id in db.scalars(select(FormRecord.id).order_by(FormRecord.id))
        ),
        sites=tuple(
            Option(str(s.id), f"{s.name} ({s.code})") for s in db.scalars(select(Site).order_by(Site.name))
        ),
    )


def assign(
    db: DbSession, user_id: int | None, form_ids: Iterable[str], site_id: int | None, by: int | None
) -> tuple[Issue, ...]:
    """Ask an active fieldworker to fill each form (at one site, or any); existing ones are kept once."""
    wanted = sorted(set(form_ids))
    issues = []
    if user_id not in _fieldworkers(db):
        issues.append(Issue("user_id", "not_fieldworker"))
    known = set(db.scalars(select(FormRecord.id).where(FormRecord.id.in_(wanted))))
    if not wanted or known != set(wanted):
        issues.append(Issue("form_id", "choose_form"))
    if site_id is not None and db.get(Site, site_id) is None:
        issues.append(Issue("site_id", "site_unknown"))
    if issues or user_id is None:
        return tuple(issues)
    held = set(
        db.scalars(
            select(Assignment.form_id).where(
                Assignment.user_id == user_id,
                Assignment.site_id.is_(None) if site_id is None else Assignment.site_id == site_id,
            )
        )
    )
    for form_id in wanted:
        if form_id not in held:
            db.add(Assignment(user_id=user_id, form_id=form_id, site_id=site_id))
            detail = {"form": form_id, "site": site_id}
            db.add(AuditLog(user_id=by, action="assignment.add", target=f"user:{user_id}", detail=detail))
    return ()


def unassign(db: DbSession, assignment_id: int, by: int | None) -> tuple[Issue, ...]:
    """Remove an assignment (records already collected stay); audited."""
    found = db.get(Assignment, assignment_id)
    if found is None:
        return (Issue("assignment", "assignment_unknown"),)
    detail = {"form": found.form_id, "site": found.site_id}
    db.add(AuditLog(user_id=by, action="assignment.remove", target=f"user:{found.user_id}", detail=detail))
    db.delete(found)
    return ()


# --- conflicts ----------------------------------------------------------------------------------


def open_conflicts(db: DbSession) -> tuple[ConflictRow, ...]:
    """Every undecided conflict, oldest first, beside the stored record and the answers that differ."""
    conflicts = db.scalars(select(Conflict).where(Conflict.resolution.is_(None)).order_by(Conflict.id)).all()
    uuids = {c.uuid for c in conflicts}
    stored = {s.uuid: s for s in db.scalars(select(Submission).where(Submission.uuid.in_(uuids)))}
    names = _names(db, [c.collector_id for c in conflicts] + [s.collector_id for s in stored.values()])
    rows = []
    for c in conflicts:
        s = stored.get(c.uuid)
        rows.append(
            ConflictRow(
                c.id, c.uuid, c.form_id, c.received_at, names.get(c.collector_id, ""), c.form_version,
                s.received_at if s else None, names.get(s.collector_id, "") if s else "",
                s.form_version if s else "", diff(s.answers if s else {}, c.answers),
            )
        )  # fmt: skip
    return tuple(rows)


def diff(stored: dict[str, Any], new: dict[str, Any]) -> tuple[DiffRow, ...]:
    """The answers whose values differ, in the stored record's order, then the new record's."""
    keys = list(stored) + [k for k in new if k not in stored]
    return tuple(
        DiffRow(k, _show(stored.get(k)), _show(new.get(k))) for k in keys if stored.get(k) != new.get(k)
    )


def resolve_conflict(db: DbSession, conflict_id: int, choice: str, by: int | None) -> tuple[Issue, ...]:
    """Decide which record stands; audited as ``conflict.resolve`` with the choice.

    ``keep_stored`` marks the conflict resolved. ``use_new`` puts its content into the stored
    submission and keeps the content it replaces as a resolved (``superseded``) conflict row,
    so nothing is lost.
    """
    conflict = db.get(Conflict, conflict_id)
    if conflict is None or conflict.resolution is not None:
        return (Issue("conflict", "conflict_gone"),)
    if choice not in CHOICES:
        return (Issue("choice", "choice_unknown"),)
    stored = db.scalar(select(Submission).where(Submission.uuid == conflict.uuid))
    if choice == "use_new" and stored is None:
        return (Issue("conflict", "conflict_gone"),)
    now = utcnow()
    if choice == "use_new" and stored is not None:
        _keep_old(db, stored, by, now)
        _replace(stored, conflict)
    conflict.resolution = "kept_stored" if choice == "keep_stored" else "replaced"
    conflict.resolved_by, conflict.resolved_at = by, now
    detail = {"choice": choice, "conflict": conflict.id, "content_hash": conflict.content_hash}
    db.add(
        AuditLog(user_id=by, action="conflict.resolve", target=f"submission:{conflict.uuid}", detail=detail)
    )
    return ()


def _keep_old(db: DbSession, stored: Submission, by: int | None, now: datetime) -> None:
    """Keep the stored content as a resolved conflict row, unless that content is already kept."""
    kept = db.scalar(
        select(Conflict.id).where(Conflict.uuid == stored.uuid, Conflict.content_hash == stored.content_hash)
    )
    if kept is not None:
        return
    db.add(
        Conflict(
            uuid=stored.uuid, form_id=stored.form_id, form_version=stored.form_version,
            collector_id=stored.collector_id, site_id=stored.site_id, collected_at=stored.collected_at,
            received_at=stored.received_at, answers=stored.answers, content_hash=stored.content_hash,
            resolution="superseded", resolved_by=by, resolved_at=now,
        )
    )  # fmt: skip


def _replace(stored: Submission, conflict: Conflict) -> None:
    """Put the conflict's content (what its hash covers) into the stored submission."""
    stored.form_version, stored.answers, stored.content_hash = (
        conflict.form_version,
        conflict.answers,
        conflict.content_hash,
    )
    stored.collected_at, stored.site_id, stored.dropped = conflict.collected_at, conflict.site_id, []


# --- helpers ------------------------------------------------------------------------------------


def _fieldworkers(db: DbSession) -> dict[int, str]:
    """The active users holding the fieldworker role, by name."""
    rows = db.execute(
        select(User.id, User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.role == "fieldworker", User.active)
        .distinct()
        .order_by(User.username)
    )
    return {id_: name for id_, name in rows}


def _names(db: DbSession, ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {id_: name for id_, name in rows}


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _show(value: Any) -> str:
    """An answer as text: strings as they are, nothing as empty, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _SHOW.encode(value).decode()
