"""Setting up ODK Collect: the QR code page, keys from the command line, and signing in with a password.

Runs on SQLite, and on PostgreSQL when SURVEY_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

import base64
import json
import re
import uuid as uuidlib
import zlib
from typing import Any

import pytest
import segno
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import accounts, openrosa_setup
from survey.store.models import AuditLog, User
from tests.survey.conftest import PASSWORD
from tests.survey.test_openrosa import XML_HEAD, Collect, assert_openrosa, device, message
from tests.survey.test_openrosa import world as world  # the fixture: three forms, two assigned

# --- the QR code page ----------------------------------------------------------------------------


def signed_in_admin(client: TestClient) -> str:
    """Sign in as the admin; the CSRF token to post with."""
    client.get("/login")
    token = client.cookies["tanfang_csrf"]
    data = {"username": "admin", "password": PASSWORD, "_csrf_token": token}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    return token


def test_the_qr_code_sets_up_collect_with_a_new_key(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """The page makes a key for the chosen fieldworker and shows it as a server URL and a QR code that works."""
    csrf = signed_in_admin(client)
    page = client.get("/admin/openrosa")
    assert page.status_code == 200
    assert "fieldworker" in page.text
    assert "ODK Collect" in page.text
    with app.state.sessions() as db:
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
    shown = client.post("/admin/openrosa", data={"user_id": str(worker), "_csrf_token": csrf})
    assert shown.status_code == 200, shown.text
    url = re.search(r'id="server-url">([^<]+)<', shown.text)[1]  # type: ignore[index]
    assert re.fullmatch(r"http://testserver\.local/openrosa/key/[\w-]{43}", url)
    payload = openrosa_setup.qr_payload(openrosa_setup.collect_settings(url, "Tanfang · fieldworker"))
    assert (
        segno.make(payload, error="l", micro=False).svg_inline(scale=5, dark="#000", light="#fff")
        in shown.text
    )
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))  # as Collect reads its QR codes
    assert settings["general"]["server_url"] == url
    assert settings["admin"] == {}
    assert [
        e["formID"] for e in Collect(client, url.removeprefix("http://testserver.local")).form_list()
    ] == ["visit"]
    with app.state.sessions() as db:
        assert (
            db.scalars(select(AuditLog.action).where(AuditLog.target == f"user:{worker}")).all()[-1]
            == "token.create"
        )


def test_a_key_is_made_only_for_an_active_collector(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """A planner, an unknown id or no id is refused with 422 and nothing is made."""
    csrf = signed_in_admin(client)
    with app.state.sessions() as db:
        planner = db.scalars(select(User.id).where(User.username == "planner")).one()
        before = db.scalars(select(AuditLog.id)).all()
    for value in (str(planner), "99999", "", "x"):
        response = client.post("/admin/openrosa", data={"user_id": value, "_csrf_token": csrf})
        assert response.status_code == 422
        assert "server-url" not in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(AuditLog.id)).all() == before


def test_a_token_from_the_command_line_works_as_a_key(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """``survey tokens create`` makes the same kind of key: any API token of a fieldworker works."""
    with app.state.sessions() as db, db.begin():
        token = accounts.create_token(db, "fieldworker", "tablet 7")
    assert device(client, token).form_list()


# --- signing in with a username and password -----------------------------------------------------


def basic(username: str, password: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_collect_signs_in_with_a_password_over_https(app: Any, world: dict[str, str]) -> None:
    """Under /openrosa, Collect's first request gets a Basic challenge; its username and password get in."""
    with TestClient(app, base_url="https://testserver.local") as secure:
        challenged = secure.get("/openrosa/formList", headers=Collect.headers())
        assert challenged.status_code == 401
        assert challenged.headers["WWW-Authenticate"].startswith('Basic realm="Tanfang"')
        assert_openrosa(challenged)
        secure.headers.update(basic("fieldworker", PASSWORD))
        collect = Collect(secure, "/openrosa")
        (entry,) = collect.form_list()
        assert entry["downloadUrl"].startswith("https://testserver.local/openrosa/forms/visit/1/")
        assert b"<h:html" in collect.download(entry)
        xml = f'{XML_HEAD}<data id="visit" version="1"><age>70</age><meta><instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>'
        assert collect.accepted_length() > 0
        assert collect.post(xml.encode()).status_code == 201


def test_a_wrong_password_or_a_password_over_http_is_refused(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """A wrong password is 401 again; any password over plain HTTP is 403, since it crossed in the clear."""
    with TestClient(app, base_url="https://testserver.local") as secure:
        response = secure.get(
            "/openrosa/formList", headers={**Collect.headers(), **basic("fieldworker", "wrong")}
        )
        assert response.status_code == 401
    response = client.get(
        "/openrosa/formList", headers={**Collect.headers(), **basic("fieldworker", PASSWORD)}
    )
    assert response.status_code == 403
    assert "HTTPS" in message(response)[1]


def test_passwords_guessed_through_collect_count_with_the_sign_in_page(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """Ten wrong passwords by Basic, and the right one is refused too (429, when to retry) there and at /login."""
    with TestClient(app, base_url="https://testserver.local") as secure:
        wrong = {**Collect.headers(), **basic("fieldworker", "wrong")}
        for _ in range(accounts.FAILED_SIGN_INS):
            assert secure.get("/openrosa/formList", headers=wrong).status_code == 401
        right = {**Collect.headers(), **basic("fieldworker", PASSWORD)}
        locked = secure.get("/openrosa/formList", headers=right)
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "900"
        assert_openrosa(locked)
        assert "too many failed sign-ins" in message(locked)[1]
    with pytest.raises(accounts.TooManyFailures), app.state.sessions() as db:
        accounts.sign_in(db, "fieldworker", PASSWORD, 1)


def test_a_bearer_token_works_under_openrosa_too(client: TestClient, world: dict[str, str]) -> None:
    """Enketo and scripts may send the token as a bearer header instead of in the path."""
    client.headers["Authorization"] = f"Bearer {world['fieldworker']}"
    assert [e["formID"] for e in Collect(client, "/openrosa").form_list()] == ["visit"]
