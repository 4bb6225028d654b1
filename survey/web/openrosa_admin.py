"""The admin page that sets up ODK Collect: a device key for a collector, shown as a QR code.

    GET  /admin/openrosa     the collectors, and how a device is set up
    POST /admin/openrosa     field ``user_id``: a new key for that collector, with its QR code

The key is a secret shown once, so the POST renders the page with it (200) instead of
redirecting: after a redirect there would be nothing left to show. Reloading asks the browser to
post again, which makes another key, never shows the old one. A refused request shows the page
with the problem, 422.
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Request, Router, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.orm import Session as DbSession

from survey.domain import openrosa_setup
from survey.domain.accounts import Principal
from survey.domain.admin import Issue
from survey.web.deps import require
from survey.web.i18n import N_

Req = Request[Any, Any, Any]
Db = NamedDependency[DbSession]
Who = NamedDependency[Principal | None]
ISSUES = {"not_collector": N_("Choose an active fieldworker.")}


def _page(db: DbSession, status: int = 200, **context: Any) -> Template:
    options = [{"value": str(c.id), "label": c.username} for c in openrosa_setup.collectors(db)]
    context = {
        "issues": (),
        "done": "",
        "issue_text": ISSUES,
        "key": None,
        "selected": "",
        "collectors": options,
        **context,
    }
    return Template("admin_openrosa.html", context=context, status_code=status)


def _qr_code(payload: str) -> Markup:
    """The QR code as inline SVG, black on white so it scans on a dark screen too.

    Low error correction keeps the code small and its modules large for a tablet's camera.
    """
    svg = segno.make(payload, error="l", micro=False).svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg)  # segno's own markup: paths and numbers, none of the payload as text


@get("/", sync_to_thread=True)
def setup_page(db: Db) -> Template:
    """The collectors a key can be made for, and the steps on the device."""
    return _page(db)


@post("/", status_code=200)
async def create_key(request: Req, db: Db, principal: Who) -> Template:
    """A new key for the chosen collector, with its server URL and the QR code Collect scans."""
    raw = str((await request.form()).get("user_id", ""))
    user_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    key = await sync_to_thread(
        openrosa_setup.create_key, db, user_id, principal.user_id if principal else None
    )
    if key is None:
        return await sync_to_thread(_page, db, 422, issues=(Issue("user_id", "not_collector"),))
    url = openrosa_setup.server_url(f"{request.url.scheme}://{request.url.netloc}", key.token)
    payload = openrosa_setup.qr_payload(openrosa_setup.collect_settings(url, f"Tanfang · {key.username}"))
    shown = {"username": key.username, "url": url, "qr": _qr_code(payload)}
    return await sync_to_thread(_page, db, key=shown, selected=str(user_id))


ROUTES = [
    Router(
        path="/admin/openrosa",
        guards=[require("admin")],
        include_in_schema=False,  # an HTML page: the OpenAPI document describes the JSON API
        route_handlers=[setup_page, create_key],
    )
]
