"""Submissions from ODK Collect, KoboCollect and Enketo, stored through the sync contract.

    receive(db, collector_id, xml, attachments, incomplete) -> Receipt (HTTP status and message)

A post carries the instance XML and some of its attachments. Collect splits a submission whose
files exceed the size the server accepts (``X-OpenRosa-Accept-Content-Length``) across several
posts, each with the same XML and all but the last marked ``*isIncomplete*``. Every post is
taken the same way, so the parts merge into one record with all its files:

1. the XML is read (:mod:`survey.domain.openrosa_instance`): 400 when it is not an instance;
2. its form and version are found: 404 naming the unknown form or version;
3. its answers are stored by :func:`sync.accept` as one record, under the instance's UUID — or,
   for an edit (``meta/deprecatedID``), under the UUID of the record it edits. ``created`` and
   ``duplicate`` answer 201, so a resend is accepted again and stored once. ``conflict`` (the UUID
   is stored with other content) answers 409 and the new content is kept aside for review —
   except for an edit, where being kept aside for review is what was asked, so 201. ``invalid``
   answers 422 with every problem and its path;
4. the raw XML is kept once per distinct body with the outcome, whatever it was (so nothing a
   device sent is lost, even when refused), and each attachment once per name and content, in
   the database beside the record (no files to back up or share between workers). The post
   without ``*isIncomplete*`` marks the instance complete.

Steps 1 and 2 write nothing; their errors are raised as :class:`OpenRosaError`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from msgspec import Struct
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as DbSession

from survey.domain import publishing, sync
from survey.domain.openrosa import OpenRosaError, for_collect
from survey.domain.openrosa_instance import Instance, InstanceError, answers, read, record_uuid
from survey.store.models import FormVersion, OpenRosaAttachment, OpenRosaInstance

ID_LENGTH = 300  # the longest device id or instance name kept (the UUID is made from the whole id)


class Attachment(Struct, frozen=True):
    """A file part of a submission: its name, media type and bytes."""

    name: str
    content_type: str
    data: bytes


class Receipt(Struct, frozen=True):
    """What a post achieved: the HTTP status for the device, a message for people, the record's UUID."""

    status: int
    message: str
    uuid: str


def receive(
    db: DbSession, collector_id: int | None, xml: bytes, attachments: list[Attachment], incomplete: bool
) -> Receipt:
    """Store one post of a submission; OpenRosaError (400, 404) when it cannot be read at all."""
    try:
        instance = read(xml)
    except InstanceError as err:
        raise OpenRosaError(400, str(err)) from None
    version = _version(db, instance)
    key = _record_uuid(db, instance)
    record = {
        "uuid": key,
        "form_version": version.version,
        "answers": answers(for_collect(publishing.compiled(version).form), instance.root),
    }
    try:
        (result,) = sync.accept(db, instance.form_id, [record], collector_id)
    except sync.BatchError as err:  # the version vanished between the two reads: as if never there
        raise OpenRosaError(err.status, str(err)) from None
    _keep_xml(db, instance, key, xml, result.status, collector_id, complete=not incomplete)
    _keep_attachments(db, key, attachments)
    return _receipt(instance, key, result)


def _version(db: DbSession, instance: Instance) -> FormVersion:
    if instance.version is None:
        raise OpenRosaError(400, "the submission's root element has no version attribute")
    found = publishing.version_of(db, instance.form_id, instance.version)
    if found is not None:
        return found
    if publishing.latest(db, instance.form_id) is None:
        raise OpenRosaError(404, f"no form named {instance.form_id!r}")
    raise OpenRosaError(404, f"form {instance.form_id!r} has no version {instance.version!r}")


def _record_uuid(db: DbSession, instance: Instance) -> str:
    """This instance's UUID; for an edit, that of the record edited, following earlier edits."""
    if instance.deprecated_id is None:
        return record_uuid(instance.instance_id)
    earlier = db.scalar(
        select(OpenRosaInstance.uuid).where(
            OpenRosaInstance.instance_id == instance.deprecated_id[:ID_LENGTH]
        )
    )
    return earlier or record_uuid(instance.deprecated_id)


def _receipt(instance: Instance, key: str, result: sync.Result) -> Receipt:
    edit = instance.deprecated_id is not None
    match result.status:
        case "created":
            return Receipt(201, "Thank you: the record is stored.", key)
        case "duplicate":
            return Receipt(201, "This record was already received; it is stored once.", key)
        case "conflict" if edit:
            return Receipt(
                201, "The edit is kept beside the stored record for an administrator to review.", key
            )
        case "conflict":
            return Receipt(
                409,
                f"A different record with the instanceID {instance.instance_id} is already stored; "
                "this one is kept aside for an administrator to review.",
                key,
            )
    problems = "; ".join(f"{e.path}: {e.message}" for e in result.errors)
    return Receipt(422, f"The record was not stored: {problems}", key)


def _insert(db: DbSession, model: Any) -> Any:
    """An INSERT … ON CONFLICT DO NOTHING in the database's own dialect (its unique keys decide)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model.__table__).on_conflict_do_nothing()


def _keep_xml(
    db: DbSession,
    instance: Instance,
    key: str,
    xml: bytes,
    status: str,
    collector_id: int | None,
    complete: bool,
) -> None:
    xml_hash = hashlib.sha256(xml).hexdigest()
    row = {
        "uuid": key,
        "instance_id": instance.instance_id[:ID_LENGTH],
        "deprecated_id": instance.deprecated_id[:ID_LENGTH] if instance.deprecated_id else None,
        "instance_name": instance.instance_name[:ID_LENGTH] if instance.instance_name else None,
        "form_id": instance.form_id,
        "form_version": instance.version,
        "collector_id": collector_id,
        "status": status,
        "complete": complete,
        "xml_hash": xml_hash,
        "xml": xml,
    }
    db.execute(_insert(db, OpenRosaInstance), [row])
    if complete:
        db.execute(
            update(OpenRosaInstance)
            .where(OpenRosaInstance.uuid == key, OpenRosaInstance.xml_hash == xml_hash)
            .values(complete=True)
        )


def _keep_attachments(db: DbSession, key: str, attachments: list[Attachment]) -> None:
    if not attachments:
        return
    rows = [
        {
            "uuid": key,
            "name": a.name[:ID_LENGTH],
            "content_type": a.content_type[:200],
            "size": len(a.data),
            "sha256": hashlib.sha256(a.data).hexdigest(),
            "data": a.data,
        }
        for a in attachments
    ]
    db.execute(_insert(db, OpenRosaAttachment), rows)
