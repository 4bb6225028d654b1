"""Who may use which route: every route of the real app against one policy table.

``POLICY`` says, for each (method, path) the app serves, which principals may use it. Every
route must be listed, so a new route gets its policy on purpose. Each (route, principal) is its
own test: the API is tried with a bearer token and with a browser's session cookie, pages with
the session cookie, and everything anonymously.
"""

from __future__ import annotations

import re
import textwrap
import uuid as uuidlib
from typing import Any, NamedTuple

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import admin, publishing, sync
from survey.store.models import Assignment, Conflict, User
from survey.web import i18n
from survey.web.csrf import CSRF_COOKIE, is_page
from survey.web.pages_auth import ERROR_MESSAGES
from tests.survey.conftest import PASSWORD, auth

ROLES = ("fieldworker", "planner", "designer", "admin")
EVERYONE = frozenset({"anonymous", *ROLES})
SIGNED_IN = frozenset(ROLES)
READERS = frozenset({"planner", "designer", "admin"})
COLLECTORS = frozenset({"fieldworker", "admin"})
ADMINS = frozenset({"admin"})
DESIGNERS = frozenset({"designer", "admin"})

POLICY: dict[tuple[str, str], frozenset[str]] = {
    # machine endpoints and the signing-in pages: open to everyone
    ("GET", "/health"): EVERYONE,
    ("GET", "/health/ready"): EVERYONE,
    ("GET", "/schema/openapi.json"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/lang/{code:str}"): EVERYONE,
    # the API
    ("GET", "/api/v1/forms"): SIGNED_IN,
    ("POST", "/api/v1/forms"): ADMINS,
    ("GET", "/api/v1/forms/{form_id:str}"): SIGNED_IN,
    ("GET", "/api/v1/forms/{form_id:str}/submissions"): READERS,
    ("POST", "/api/v1/forms/{form_id:str}/submissions"): COLLECTORS,
    # the admin pages
    ("GET", "/admin"): ADMINS,
    ("GET", "/admin/forms"): ADMINS,
    ("POST", "/admin/forms"): ADMINS,
    ("GET", "/admin/forms/{form_id:str}"): ADMINS,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{user_id:int}/grant"): ADMINS,
    ("POST", "/admin/users/{user_id:int}/revoke"): ADMINS,
    ("POST", "/admin/users/{user_id:int}/active"): ADMINS,
    ("GET", "/admin/assignments"): ADMINS,
    ("POST", "/admin/assignments"): ADMINS,
    ("POST", "/admin/assignments/{assignment_id:int}/remove"): ADMINS,
    ("GET", "/admin/conflicts"): ADMINS,
    ("POST", "/admin/conflicts/{conflict_id:int}/resolve"): ADMINS,
    ("GET", "/admin/openrosa"): ADMINS,
    ("POST", "/admin/openrosa"): ADMINS,
    ("GET", "/admin/rules"): ADMINS,
    ("POST", "/admin/rules"): ADMINS,
    ("GET", "/admin/rules/seed.toml"): ADMINS,
    # OpenRosa for ODK Collect: the key in the path is the credential
    ("GET", "/openrosa/key/{token:str}/formList"): COLLECTORS,
    ("GET", "/openrosa/key/{token:str}/forms/{form_id:str}/{version:str}/form.xml"): COLLECTORS,
    ("GET", "/openrosa/key/{token:str}/forms/{form_id:str}/{version:str}/manifest"): COLLECTORS,
    ("POST", "/openrosa/key/{token:str}/submission"): COLLECTORS,
    ("GET", "/openrosa/formList"): COLLECTORS,  # the same, signed in by Basic over HTTPS or a bearer token
    ("GET", "/openrosa/forms/{form_id:str}/{version:str}/form.xml"): COLLECTORS,
    ("GET", "/openrosa/forms/{form_id:str}/{version:str}/manifest"): COLLECTORS,
    ("POST", "/openrosa/submission"): COLLECTORS,
    # coding interviews and focus groups (issue 5): readers code and read; only admins take a participant out
    ("GET", "/coding"): READERS,
    ("GET", "/coding/forms/{form_id:str}"): READERS,
    ("GET", "/coding/forms/{form_id:str}/summary"): READERS,
    ("GET", "/coding/forms/{form_id:str}/explore"): READERS,
    ("GET", "/coding/forms/{form_id:str}/segments.csv"): READERS,
    ("GET", "/coding/forms/{form_id:str}/matrix.csv"): READERS,
    ("GET", "/coding/sessions/{uuid:str}"): READERS,
    ("POST", "/coding/sessions/{uuid:str}"): READERS,
    ("GET", "/coding/sessions/{uuid:str}/notes.md"): READERS,
    ("POST", "/coding/sessions/{uuid:str}/remove"): ADMINS,
    # needs and services (issue 7): planners read; designers design; the follow-up list is for collectors
    ("GET", "/dashboard"): READERS,
    ("GET", "/dashboard/{form_id:str}"): READERS,
    ("GET", "/dashboard/{form_id:str}/results.csv"): READERS,
    ("GET", "/design/{form_id:str}"): DESIGNERS,
    ("POST", "/design/{form_id:str}"): DESIGNERS,
    ("GET", "/design/{form_id:str}/proposal"): DESIGNERS,
    ("GET", "/design/{form_id:str}/proposal.md"): DESIGNERS,
    ("GET", "/design/{form_id:str}/proposal.docx"): DESIGNERS,
    # the planner's analysis pages
    ("GET", "/plan"): READERS,
    ("GET", "/plan/{form_id:str}"): READERS,
    ("GET", "/followup"): COLLECTORS,
    # the fieldwork client: its pages, and the static files and service worker it runs on
    ("GET", "/collect"): COLLECTORS,
    ("GET", "/collect/records"): COLLECTORS,
    ("GET", "/collect/{form_id:str}"): COLLECTORS,
    ("POST", "/collect/{form_id:str}"): COLLECTORS,
    ("GET", "/sw.js"): EVERYONE,
    ("GET", "/static/{file_path:path}"): EVERYONE,
}

VISIT = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "入户探访", en = "Home visit"}
    version = "1"

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}
    """
).encode()


def record(uuid: str, age: int) -> dict[str, Any]:
    """One visit record as a tablet sends it."""
    return {"uuid": uuid, "form_version": "1", "answers": {"age": age}}


OPENROSA_RECORD = (
    b'<data id="visit" version="1"><age>80</age>'
    b"<meta><instanceID>uuid:0e9e5f8a-6c1f-4d4e-9a57-3f7c2b1d0a11</instanceID></meta></data>"
)
OPENROSA = "/openrosa/"  # devices: a bearer token (in the path under /openrosa/key/), never a cookie


# What each POST sends: a minimal body that the handler accepts from someone allowed.
# Page posts also carry the CSRF token (added in ``send``), so a refusal is the guard's, not CSRF's.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/login"): {"data": {"username": "admin", "password": "not the password"}},
    ("POST", "/api/v1/forms"): {"content": VISIT, "headers": {"Content-Type": "application/toml"}},
    ("POST", "/api/v1/forms/{form_id:str}/submissions"): {
        "content": msgspec.json.encode([record(str(uuidlib.uuid4()), 80)]),
        "headers": {"Content-Type": "application/json"},
    },
    ("POST", "/collect/{form_id:str}"): {"data": {"@action": "review", "age": "80"}},
    ("POST", "/admin/forms"): {"files": {"file": ("visit.toml", VISIT, "application/toml")}},
    ("POST", "/admin/users"): {"data": {"username": "newbie", "password": PASSWORD, "role": "fieldworker"}},
    ("POST", "/admin/users/{user_id:int}/grant"): {"data": {"role": "planner"}},
    ("POST", "/admin/users/{user_id:int}/revoke"): {"data": {"role": "fieldworker"}},
    ("POST", "/admin/users/{user_id:int}/active"): {"data": {"active": "1"}},
    ("POST", "/admin/assignments"): {"data": {"user_id": "{user_id}", "form_id": "visit"}},
    ("POST", "/admin/conflicts/{conflict_id:int}/resolve"): {"data": {"choice": "keep_stored"}},
    ("POST", "/admin/openrosa"): {"data": {"user_id": "{user_id}"}},
    ("POST", "/design/{form_id:str}"): {"data": {"language": "en"}},
    ("POST", "/openrosa/key/{token:str}/submission"): {"files": {"xml_submission_file": ("record.xml", OPENROSA_RECORD, "text/xml")}},
    ("POST", "/openrosa/submission"): {"files": {"xml_submission_file": ("record.xml", OPENROSA_RECORD, "text/xml")}},
}


class Who(NamedTuple):
    """A principal and how it presents itself: ``token`` (bearer), ``cookie`` (session) or ``none``."""

    role: str
    via: str

    def __str__(self) -> str:
        return self.role if self.via == "none" else f"{self.role}-by-{self.via}"


def principals(path: str) -> list[Who]:
    """Everyone who tries ``path``: anonymous, then each role by cookie, and by token on the API."""
    ways = ("cookie",) if is_page(path) else ("token",) if path.startswith(OPENROSA) else ("token", "cookie")
    return [Who("anonymous", "none"), *(Who(role, via) for role in ROLES for via in ways)]


def cases(allowed: bool) -> list[Any]:
    """One pytest param per (route, principal) whose permission is ``allowed``."""
    return [
        pytest.param(method, path, who, id=f"{method} {path} | {who}")
        for (method, path), roles in POLICY.items()
        for who in principals(path)
        if (who.role in roles) == allowed
    ]


def served_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, without HEAD/OPTIONS and the API docs viewers."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path.startswith("/schema") and route.path != "/schema/openapi.json":
            continue
        if not isinstance(route, HTTPRoute):  # a websocket or mounted ASGI app needs a policy too
            found.add((type(route).__name__, route.path))
            continue
        for handler in route.route_handlers:
            found |= {(method, route.path) for method in handler.http_methods - {"HEAD", "OPTIONS"}}
    return found


# --- the world every request runs in ------------------------------------------------------------


@pytest.fixture
def params(app: Litestar, tokens: dict[str, str]) -> dict[str, str]:
    """Real values for every path parameter: a published form, a user, an assignment and a conflict."""
    uuid = str(uuidlib.uuid4())
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, VISIT, "toml", "visit.toml")
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        assert admin.assign(db, worker, ["visit"], None, None) == ()
        sync.accept(db, "visit", [record(uuid, 70), record(uuid, 71)], worker)
        assignment = db.scalars(select(Assignment.id)).one()
        conflict = db.scalars(select(Conflict.id)).one()
    return {
        "form_id": "visit",
        "code": "en",
        "user_id": str(worker),
        "assignment_id": str(assignment),
        "conflict_id": str(conflict),
        "file_path": "js/app.js",
        "uuid": uuid,
        "version": "1",
    }


def present(client: TestClient, who: Who, tokens: dict[str, str]) -> dict[str, str]:
    """Make ``client`` carry ``who``'s credentials; the headers to send with each request."""
    client.get("/login")  # every browser gets the CSRF cookie before it posts a page form
    if who.via == "token":
        return auth(tokens[who.role])
    if who.via == "cookie":
        data = {"username": who.role, "password": PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
        assert client.post("/login", data=data, follow_redirects=False).status_code == 303
        return {"X-Requested-With": "tanfang"}  # the fieldwork client's header (CSRF on the API)
    return {}


def send(client: TestClient, method: str, path: str, headers: dict[str, str], params: dict[str, str]) -> Any:
    """Send the route's request with its path filled in, its minimal body, and the page CSRF token."""
    params = {**params, "token": headers.get("Authorization", "Bearer not-a-token").removeprefix("Bearer ")}
    url = re.sub(r"\{(\w+):\w+\}", lambda m: params[m.group(1)], path)
    body = BODIES.get((method, path), {})
    data = {key: value.format(**params) for key, value in body.get("data", {}).items()}
    if method == "POST" and is_page(path):
        data["_csrf_token"] = client.cookies[CSRF_COOKIE]
    kwargs = {key: value for key, value in body.items() if key not in ("data", "headers")}
    headers = {**headers, **body.get("headers", {})}
    return client.request(method, url, headers=headers, data=data or None, follow_redirects=False, **kwargs)


# --- the table covers the app ------------------------------------------------------------------


def test_every_route_the_app_serves_has_a_policy(app: Litestar) -> None:
    """Each (method, path) the app serves is listed in POLICY, and POLICY lists nothing else."""
    served = served_routes(app)
    assert sorted(served - POLICY.keys()) == [], "add these routes to POLICY on purpose"
    assert sorted(POLICY.keys() - served) == [], "POLICY lists routes the app no longer serves"


# --- each route against each principal ----------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "who"), cases(allowed=True))
def test_an_allowed_principal_gets_through(
    client: TestClient, tokens: dict[str, str], params: dict[str, str], method: str, path: str, who: Who
) -> None:
    """A principal the policy allows is neither refused (401/403) nor met with a server error."""
    response = send(client, method, path, present(client, who, tokens), params)
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(("method", "path", "who"), cases(allowed=False))
def test_a_principal_without_the_role_is_turned_away(
    client: TestClient, tokens: dict[str, str], params: dict[str, str], method: str, path: str, who: Who
) -> None:
    """Anonymous callers get 401 (API) or 303 to sign in (pages); signed-in ones without the role get 403."""
    response = send(client, method, path, present(client, who, tokens), params)
    if who.via == "none" and is_page(path):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    elif path.startswith(OPENROSA):  # errors as OpenRosa clients read them
        assert response.status_code == (401 if who.via == "none" else 403)
        assert "<OpenRosaResponse" in response.text
    elif who.via == "none":
        assert response.status_code == 401
        assert response.json()["status"] == 401
    elif is_page(path):
        assert response.status_code == 403
        refused = i18n.gettext("zh", ERROR_MESSAGES[403])  # the guard refused, not the CSRF check
        assert refused in response.text
    else:
        assert response.status_code == 403
        assert response.json()["status"] == 403
