"""Accounts in the browser and on the API: sign in and out, sessions, CSRF, tokens and HTML errors."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import get
from litestar.testing import TestClient
from sqlalchemy import select, update

from survey.app import create_app
from survey.domain import accounts
from survey.settings import Settings
from survey.store.models import ApiToken, AuditLog, Secret, utcnow
from survey.web.deps import SESSION_COOKIE, require
from survey.web.pages_auth import home_for, safe_next
from tests.survey.conftest import PASSWORD, auth, make_user

HOMES = {"fieldworker": "/collect", "planner": "/plan", "designer": "/plan", "admin": "/admin"}


def csrf_of(page: str) -> str:
    """The CSRF token in a rendered form."""
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, **fields: str) -> Any:
    """Open the sign-in form, then post it with its CSRF token, as a browser does."""
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": password, "_csrf_token": token, **fields}
    return client.post("/login", data=data, follow_redirects=False)


def set_cookie_header(response: Any, name: str) -> str:
    """The Set-Cookie header for ``name`` (empty when there is none)."""
    return next((h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")), "")


@get("/probe", guards=[require("planner")], sync_to_thread=False)
def probe() -> str:
    """A page only planners may see, standing in for the real pages in these tests."""
    return "planner page"


# --- the sign-in page ---------------------------------------------------------------------------


def test_login_page_has_bound_labels_and_a_csrf_field(client: TestClient) -> None:
    """The sign-in form labels its username and password inputs and carries a CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200
    assert 'for="f-username"' in page.text
    assert 'id="f-username" name="username"' in page.text
    assert 'for="f-password"' in page.text
    assert 'id="f-password" name="password" type="password"' in page.text
    assert csrf_of(page.text)
    assert 'name="viewport"' in page.text


def test_login_page_speaks_chinese_by_default_and_english_when_asked(client: TestClient) -> None:
    """Page chrome is Chinese by default, English for an English browser or after choosing it."""
    assert "登录" in client.get("/login").text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    switched = client.get("/lang/en", params={"next": "/login"}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    assert '<html lang="en">' in client.get("/login").text


# --- signing in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(HOMES))
def test_sign_in_sets_the_session_cookie_and_goes_to_the_role_home(
    app: Any, client: TestClient, role: str
) -> None:
    """A right password sets an HttpOnly, SameSite=Lax session cookie and redirects to the role's home."""
    make_user(app, "ana", role)
    response = sign_in(client, "ana")
    assert response.status_code == 303
    assert response.headers["location"] == HOMES[role]
    cookie = set_cookie_header(response, SESSION_COOKIE).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_sign_in_over_https_marks_the_cookie_secure(app: Any) -> None:
    """The session cookie is Secure when the request came over https."""
    make_user(app, "ana", "planner")
    with TestClient(app, base_url="https://testserver.local") as client:
        response = sign_in(client, "ana")
    assert "secure" in set_cookie_header(response, SESSION_COOKIE).lower()


def test_signed_in_browser_reaches_pages_and_the_api_with_its_cookie(app: Any, client: TestClient) -> None:
    """After signing in, the cookie alone opens guarded pages and the API."""
    app.register(probe)
    make_user(app, "ana", "planner")
    sign_in(client, "ana")
    assert client.get("/probe").text == "planner page"
    assert client.get("/api/v1/forms").status_code == 200


def test_sign_in_goes_on_to_a_local_next_path(app: Any, client: TestClient) -> None:
    """A ``next`` path on this site is where a successful sign-in lands."""
    make_user(app, "ana", "fieldworker")
    response = sign_in(client, "ana", next="/collect/household?site=3")
    assert response.headers["location"] == "/collect/household?site=3"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_ignores_a_next_that_leaves_the_site(app: Any, client: TestClient, target: str) -> None:
    """A ``next`` pointing at another site is ignored in favour of the role's home."""
    make_user(app, "ana", "planner")
    assert sign_in(client, "ana", next=target).headers["location"] == "/plan"


def test_wrong_password_shows_the_form_again_with_a_message(app: Any, client: TestClient) -> None:
    """A wrong password answers 400 with the message in the form, the username kept, and no session."""
    make_user(app, "ana", "planner")
    response = sign_in(client, "ana", "not the password")
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.text
    assert 'value="ana"' in response.text
    assert csrf_of(response.text)
    assert set_cookie_header(response, SESSION_COOKIE) == ""
    assert SESSION_COOKIE not in client.cookies


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(app: Any, client: TestClient) -> None:
    """An unknown username is answered exactly like a wrong password, so names cannot be probed."""
    make_user(app, "ana", "planner")
    wrong = sign_in(client, "ana", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.text.replace('value="nobody"', "") == wrong.text.replace('value="ana"', "")


def test_ten_failed_sign_ins_under_a_name_stop_further_tries_for_a_while(app: Any, client: TestClient) -> None:
    """The 11th try within 15 minutes is a 429 even with the right password; other names still sign in.

    A name nobody has is counted the same way, so the answer says nothing about which names exist;
    once the oldest failure is 15 minutes old, the right password works again.
    """
    make_user(app, "ana", "planner")
    make_user(app, "bo", "planner")
    for _ in range(accounts.FAILED_SIGN_INS):
        assert sign_in(client, "ana", "not the password").status_code == 400
        assert sign_in(client, "nobody", "not the password").status_code == 400
    locked = sign_in(client, "ana")
    assert locked.status_code == 429
    assert "这个用户名登录失败次数过多，请 15 分钟后再试" in locked.text
    assert SESSION_COOKIE not in client.cookies
    assert sign_in(client, "nobody").text.replace('value="nobody"', "") == locked.text.replace('value="ana"', "")
    assert sign_in(client, "bo").status_code == 303
    client.cookies.clear()
    with app.state.sessions() as db, db.begin():  # a quarter of an hour later
        past = utcnow() - accounts.SIGN_IN_WINDOW - timedelta(seconds=1)
        db.execute(update(AuditLog).where(AuditLog.action == "login.failed").values(at=past))
    assert sign_in(client, "ana").status_code == 303


def test_login_post_without_csrf_token_is_refused(app: Any, client: TestClient) -> None:
    """A sign-in post without the CSRF token is refused with 403 and an HTML error page."""
    make_user(app, "ana", "planner")
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "表单已过期" in response.text
    assert SESSION_COOKIE not in client.cookies


def test_login_post_with_a_forged_csrf_token_is_refused(app: Any, client: TestClient) -> None:
    """A CSRF token that does not match the browser's cookie is refused with 403."""
    make_user(app, "ana", "planner")
    client.get("/login")
    data = {"username": "ana", "password": PASSWORD, "_csrf_token": "0" * 128}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403


def test_signing_in_again_replaces_the_old_session(app: Any, client: TestClient) -> None:
    """A browser that signs in again gets a new session id; the one it had stops working."""
    make_user(app, "ana", "planner")
    sign_in(client, "ana")
    first = client.cookies[SESSION_COOKIE]
    data = {"username": "ana", "password": PASSWORD, "_csrf_token": client.cookies["tanfang_csrf"]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    assert client.cookies[SESSION_COOKIE] != first
    with app.state.sessions() as db:
        assert accounts.principal_from_session(db, first) is None


def test_sessions_are_shared_by_every_worker(app: Any, settings: Settings) -> None:
    """A session and a CSRF token made by one app process are accepted by another on the same database."""
    make_user(app, "ana", "planner")
    other = create_app(settings)
    with TestClient(app) as first, TestClient(other) as second:
        token = csrf_of(first.get("/login").text)
        second.cookies.update(first.cookies)
        data = {"username": "ana", "password": PASSWORD, "_csrf_token": token}
        assert second.post("/login", data=data, follow_redirects=False).status_code == 303
        first.cookies.update(second.cookies)
        assert first.get("/api/v1/forms").status_code == 200


def test_the_csrf_secret_is_made_once_and_kept_in_the_database(app: Any, settings: Settings) -> None:
    """Without SURVEY_SECRET_KEY the CSRF secret is generated once and stored in the secrets table."""
    create_app(settings)
    with app.state.sessions() as db:
        assert len(db.scalars(select(Secret).where(Secret.name == "csrf")).all()) == 1


# --- signing out and expiry ---------------------------------------------------------------------


def test_logout_ends_the_session_so_the_cookie_no_longer_works(app: Any, client: TestClient) -> None:
    """Signing out deletes the session: the old cookie value no longer identifies anyone."""
    make_user(app, "ana", "planner")
    sign_in(client, "ana")
    old = client.cookies[SESSION_COOKIE]
    page = client.get("/login", params={"next": "/login"}, follow_redirects=False)
    assert page.status_code == 303  # signed in: the form sends us on
    token = client.cookies["tanfang_csrf"]
    response = client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, old)
    assert client.get("/api/v1/forms").status_code == 401


def test_logout_without_csrf_token_is_refused(app: Any, client: TestClient) -> None:
    """A cross-site page cannot sign someone out: logout needs the CSRF token too."""
    make_user(app, "ana", "planner")
    sign_in(client, "ana")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/api/v1/forms").status_code == 200


def test_an_expired_session_is_refused(app: Any, client: TestClient) -> None:
    """A session past its expiry identifies no one, on the API and on pages."""
    app.register(probe)
    make_user(app, "ana", "planner")
    with app.state.sessions() as db, db.begin():
        user = accounts.authenticate(db, "ana", PASSWORD)
        assert user is not None
        value = accounts.open_session(db, user.id, hours=1)
    with app.state.sessions() as db:
        assert accounts.principal_from_session(db, value, now=utcnow() + timedelta(hours=2)) is None
    with app.state.sessions() as db, db.begin():
        value = accounts.open_session(db, user.id, hours=-1)
    client.cookies.set(SESSION_COOKIE, value)
    assert client.get("/api/v1/forms").status_code == 401
    assert client.get("/probe", follow_redirects=False).status_code == 303


# --- bearer tokens ------------------------------------------------------------------------------


def test_bearer_token_opens_the_api(app: Any, client: TestClient) -> None:
    """A valid bearer token is accepted on the API."""
    token = make_user(app, "ana", "planner")
    assert client.get("/api/v1/forms", headers=auth(token)).status_code == 200


def test_revoked_or_unknown_token_is_refused_with_json(app: Any, client: TestClient) -> None:
    """A revoked or unknown bearer token gets a JSON 401 from the API."""
    token = make_user(app, "ana", "planner")
    with app.state.sessions() as db, db.begin():
        db.execute(update(ApiToken).values(revoked_at=utcnow()))
    for sent in (token, "not-a-token"):
        response = client.get("/api/v1/forms", headers=auth(sent))
        assert response.status_code == 401
        assert response.json()["status"] == 401


def test_api_posts_need_no_csrf_token(app: Any, client: TestClient) -> None:
    """API posts with a bearer token are not subject to CSRF checks."""
    token = make_user(app, "ana", "fieldworker")
    response = client.post("/api/v1/forms/nothing/submissions", content=b"[]", headers=auth(token))
    assert response.status_code != 403


# --- errors on pages ----------------------------------------------------------------------------


def test_a_page_sends_a_stranger_to_sign_in_and_back(app: Any, client: TestClient) -> None:
    """Without a session, a page redirects (303) to the sign-in form with ``next`` set to it."""
    app.register(probe)
    response = client.get("/probe?week=3", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprobe%3Fweek%3D3"
    make_user(app, "ana", "planner")
    assert sign_in(client, "ana", next="/probe?week=3").headers["location"] == "/probe?week=3"


def test_a_page_refuses_the_wrong_role_with_an_html_403(app: Any, client: TestClient) -> None:
    """A signed-in user without the page's role gets 403 rendered from error.html."""
    app.register(probe)
    make_user(app, "fay", "fieldworker")
    sign_in(client, "fay")
    response = client.get("/probe", follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "没有权限" in response.text
    assert "fay" in response.text


def test_the_api_keeps_json_errors(client: TestClient) -> None:
    """API paths answer errors with JSON, never a redirect to the sign-in page."""
    response = client.get("/api/v1/forms", follow_redirects=False)
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert client.get("/api/v1/nothing-here").json()["status"] == 404


def test_an_unknown_page_is_an_html_404(client: TestClient) -> None:
    """A missing page answers 404 with the HTML error page."""
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This page does not exist." in response.text


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/collect", "/collect"),
        ("/plan?week=2#top", "/plan?week=2#top"),
        ("", None),
        ("collect", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/\r\nSet-Cookie:x", None),
        ("https://evil.example/collect", None),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(value: str, expected: str | None) -> None:
    """``next`` is followed only when it is a path on this site."""
    assert safe_next(value) == expected


def test_the_most_capable_role_chooses_the_home() -> None:
    """Someone holding several roles starts at the home of the most capable one."""
    assert home_for(frozenset({"fieldworker", "planner"})) == "/plan"
    assert home_for(frozenset({"fieldworker", "admin"})) == "/admin"
    assert home_for(frozenset()) == "/collect"
