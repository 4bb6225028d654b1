"""Setting up ODK Collect from a QR code: a device key for a collector, and the settings Collect scans.

    collectors(db)                     active users who may collect (fieldworkers and admins)
    create_key(db, user_id, by)        a new API token for one of them (shown once), audited
    server_url(base, token)            ``http(s)://HOST/openrosa/key/{TOKEN}``
    collect_settings(url, name)        the settings JSON Collect imports
    qr_payload(settings)               what the QR code holds: the JSON, zlib-compressed, base64

The settings say: this server, with no username or password (the key in the URL is the
credential); forms kept exactly as the server lists them (``match_exactly``: new assignments
arrive and withdrawn forms leave by themselves); finished records sent automatically over
Wi-Fi or mobile data, as the browser client's outbox does.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from survey.domain import accounts
from survey.store.models import AuditLog, Membership, User

COLLECTING = ("fieldworker", "admin")
KEY_NAME = "ODK Collect"


class Collector(Struct, frozen=True):
    """A user a device key can be made for."""

    id: int
    username: str


class Key(Struct, frozen=True):
    """A device key just made: whose it is and the token itself (never stored, shown once)."""

    username: str
    token: str


def collectors(db: DbSession) -> tuple[Collector, ...]:
    """Active users with the fieldworker or admin role, by name."""
    rows = db.execute(
        select(User.id, User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(User.active, Membership.role.in_(COLLECTING))
        .distinct()
        .order_by(User.username)
    )
    return tuple(Collector(id_, name) for id_, name in rows)


def create_key(db: DbSession, user_id: int | None, by: int | None) -> Key | None:
    """A new API token for the collector ``user_id``; None when no such collector is active."""
    found = next((c for c in collectors(db) if c.id == user_id), None)
    if found is None:
        return None
    token = accounts.create_token(db, found.username, KEY_NAME)
    db.add(AuditLog(user_id=by, action="token.create", target=f"user:{found.id}", detail={"name": KEY_NAME}))
    return Key(found.username, token)


def server_url(base: str, token: str) -> str:
    """The server URL a device uses: ``base`` (``http(s)://HOST``) and ``/openrosa/key/{token}``."""
    return f"{base.rstrip('/')}/openrosa/key/{token}"


def collect_settings(url: str, project: str) -> dict[str, Any]:
    """Collect's settings for a project on this server, signed in by the key in ``url``."""
    return {
        "general": {
            "server_url": url,
            "username": "",
            "password": "",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {},
        "project": {"name": project, "icon": "探", "color": "#1b6e5a"},
    }


def qr_payload(settings: dict[str, Any]) -> str:
    """The text Collect expects in its QR code: the settings JSON, zlib-compressed, base64."""
    text = json.dumps(settings, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")
