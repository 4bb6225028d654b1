"""The admin pages: who may see them, publishing forms, users and roles, assignments and conflicts."""

from __future__ import annotations

import re
import textwrap
import uuid as uuidlib
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from markupsafe import escape
from sqlalchemy import select

import forms
from survey.domain import accounts
from survey.store.models import Assignment, AuditLog, Conflict, FormVersion, Site, Submission, User
from survey.web.csrf import CSRF_COOKIE
from survey.web.deps import SESSION_COOKIE
from tests.conftest import LIBRARY
from tests.forms.formhelpers import chain_form
from tests.survey.conftest import PASSWORD, auth

PAGES = ["/admin", "/admin/forms", "/admin/users", "/admin/assignments", "/admin/conflicts"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

VISIT = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "入户探访", en = "Home visit"}
    version = "1"

    [[questions]]
    type = "text"
    name = "name"
    label = {zh = "姓名", en = "Name"}

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}

    [[questions]]
    type = "select_one"
    name = "housing"
    label = {zh = "住房", en = "Housing"}
    choices = "housing"

    [[choices.housing]]
    name = "owned"
    label = {zh = "自有", en = "Owned"}

    [[choices.housing]]
    name = "rented"
    label = {zh = "租住", en = "Rented"}
    """
)

# Three mistakes the checker reports together: a name used twice, a missing list, an unknown question.
BROKEN = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "入户探访", en = "Home visit"}
    version = "1"

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}

    [[questions]]
    type = "text"
    name = "age"
    label = {zh = "年龄", en = "Age"}

    [[questions]]
    type = "text"
    name = "note"
    label = {zh = "备注", en = "Note"}
    relevant = "${nosuch} > 3"

    [[questions]]
    type = "select_one"
    name = "housing"
    label = {zh = "住房", en = "Housing"}
    choices = "missing"
    """
)


# --- helpers ------------------------------------------------------------------------------------


def sign_in(client: TestClient, username: str) -> TestClient:
    """Sign ``username`` in through the sign-in form, with the CSRF cookie's token, as a browser does."""
    client.get("/login")
    data = {"username": username, "password": PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    return client


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """POST a page form with the CSRF token, without following the redirect."""
    fields = {**(data or {}), "_csrf_token": client.cookies[CSRF_COOKIE]}
    return client.post(path, data=fields, follow_redirects=False, **kw)


def upload(client: TestClient, name: str, content: bytes, media_type: str = "application/toml") -> Any:
    """Upload a form definition through the publish form."""
    return post(client, "/admin/forms", files={"file": (name, content, media_type)})


def user_id(app: Any, username: str) -> int:
    """The id of the user called ``username``."""
    with app.state.sessions() as db:
        return db.scalars(select(User.id).where(User.username == username)).one()


def audit(app: Any, action: str) -> list[AuditLog]:
    """The audit entries for ``action``, oldest first."""
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


@pytest.fixture
def admin(client: TestClient, tokens: dict[str, str]) -> TestClient:
    """The client signed in as the admin user (``tokens`` made one of each role)."""
    return sign_in(client, "admin")


@pytest.fixture
def visit(admin: TestClient) -> TestClient:
    """The admin's client, with the small visit form published through the page."""
    assert upload(admin, "visit.toml", VISIT.encode()).status_code == 303
    return admin


def sync(client: TestClient, token: str, uuid: str, **answers: Any) -> str:
    """Send one visit record through the API as a fieldworker; its status."""
    body = [
        {
            "uuid": uuid,
            "form_version": "1",
            "answers": {"name": "陈", "age": 70, "housing": "owned", **answers},
        }
    ]
    response = client.post(
        "/api/v1/forms/visit/submissions", content=msgspec.json.encode(body), headers=auth(token)
    )
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["status"]


@pytest.fixture
def conflict(visit: TestClient, tokens: dict[str, str]) -> str:
    """A stored visit and a second record under its UUID with other answers; the UUID."""
    uuid = str(uuidlib.uuid4())
    assert sync(visit, tokens["fieldworker"], uuid) == "created"
    assert sync(visit, tokens["fieldworker"], uuid, age=71, housing="rented") == "conflict"
    return uuid


def snapshot(app: Any, uuid: str) -> tuple[Submission, list[Conflict]]:
    """The stored submission with ``uuid`` and every conflict row for it."""
    with app.state.sessions() as db:
        stored = db.scalars(select(Submission).where(Submission.uuid == uuid)).one()
        rows = list(db.scalars(select(Conflict).where(Conflict.uuid == uuid).order_by(Conflict.id)))
        db.expunge_all()
    return stored, rows


# --- who may see the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_renders_for_an_admin(admin: TestClient, path: str) -> None:
    """Each admin page answers 200 with the section menu, marked up for phones."""
    page = admin.get(path)
    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    assert 'aria-current="page"' in page.text
    assert 'href="/admin/conflicts"' in page.text


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/admin"])
def test_every_form_on_the_admin_pages_carries_the_csrf_token(visit: TestClient, path: str) -> None:
    """Every form on a page with forms has the CSRF field."""
    page = visit.get(path).text
    forms_on_page = re.findall(r"<form\b.*?</form>", page, flags=re.S)
    assert forms_on_page
    assert all('name="_csrf_token"' in form for form in forms_on_page)


@pytest.mark.parametrize("path", [*PAGES, "/admin/forms/visit"])
def test_a_planner_is_refused_with_403(
    app: Any, client: TestClient, tokens: dict[str, str], path: str
) -> None:
    """A signed-in planner gets the 403 error page on every admin page."""
    sign_in(client, "planner")
    page = client.get(path)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")


def test_a_planner_cannot_post_to_the_admin_pages(
    app: Any, client: TestClient, tokens: dict[str, str]
) -> None:
    """A planner's post to an admin form is refused with 403 and changes nothing."""
    sign_in(client, "planner")
    response = post(client, "/admin/users", {"username": "eve", "password": PASSWORD, "role": "admin"})
    assert response.status_code == 403
    with app.state.sessions() as db:
        assert db.scalars(select(User).where(User.username == "eve")).all() == []


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, path: str) -> None:
    """Without a session an admin page redirects to the sign-in form, coming back afterwards."""
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_admin_pages_speak_english_when_asked(admin: TestClient) -> None:
    """The admin chrome is Chinese by default and English for an English browser."""
    assert "任务分配" in admin.get("/admin").text
    assert "Assignments" in admin.get("/admin", headers={"Accept-Language": "en"}).text


# --- the overview -------------------------------------------------------------------------------


def test_the_overview_counts_forms_submissions_conflicts_and_users(conflict: str, admin: TestClient) -> None:
    """The overview lists each form with its versions and records, open conflicts, users and the audit log."""
    page = admin.get("/admin").text
    assert "入户探访" in page
    assert re.search(r'id="open-conflicts">1<', page)
    assert re.search(r'id="users-count">4 ', page)
    assert '<span class="mono">1</span> <span class="muted">(1)</span>' in page
    assert "form.publish" in page
    assert "role.grant" in page


# --- publishing ---------------------------------------------------------------------------------


def test_publishing_a_toml_file_goes_to_the_form_page_with_a_notice(app: Any, admin: TestClient) -> None:
    """A valid TOML upload is published and redirects to the form's page, which lists the version."""
    response = upload(admin, "visit.toml", VISIT.encode())
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/forms/visit?published=1&new=1"
    page = admin.get(response.headers["location"])
    assert "版本 1 已发布" in page.text
    with app.state.sessions() as db:
        version = db.scalars(select(FormVersion)).one()
    assert version.hash[:12] in page.text
    assert version.hash not in page.text
    assert "<td>admin</td>" in page.text
    assert [a.user_id for a in audit(app, "form.publish")] == [user_id(app, "admin")]


def test_publishing_an_xlsform_works(app: Any, admin: TestClient) -> None:
    """An XLSForm (.xlsx) upload is published like a TOML one."""
    workbook = forms.write_xlsform(forms.load(LIBRARY / "older_people.toml"))
    response = upload(admin, "older_people.xlsx", workbook, XLSX)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/forms/older_people?published=2026.1&new=1"
    assert "2026.1" in admin.get("/admin/forms/older_people").text


def test_publishing_the_same_version_again_changes_nothing(admin: TestClient) -> None:
    """The same content under the same version is harmless and said to have changed nothing."""
    upload(admin, "visit.toml", VISIT.encode())
    response = upload(admin, "visit.toml", VISIT.encode())
    assert response.headers["location"] == "/admin/forms/visit?published=1&new=0"
    assert "没有改动" in admin.get(response.headers["location"]).text


def test_an_invalid_form_shows_every_problem_in_place_with_422(app: Any, admin: TestClient) -> None:
    """A definition with mistakes re-renders the upload page, 422, with each problem's place and message."""
    response = upload(admin, "visit-draft.toml", BROKEN.encode())
    assert response.status_code == 422
    with pytest.raises(forms.DefinitionError) as raised:
        forms.compile_text(BROKEN, "toml", "visit-draft.toml")
    problems = raised.value.problems
    assert len(problems) == 3
    for problem in problems:
        assert str(escape(problem.where)) in response.text
        assert str(escape(problem.message)) in response.text
    assert "visit-draft.toml" in response.text
    assert 'enctype="multipart/form-data"' in response.text
    assert 'name="_csrf_token"' in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(FormVersion)).all() == []


def test_an_expression_too_deep_to_check_is_a_422_naming_it_never_a_500(
    app: Any, client: TestClient, tokens: dict[str, str]
) -> None:
    """A flat chain of 600 additions parsed, then exhausted the stack in the checks after: a 500."""
    definition = chain_form(600)
    headers = {**auth(tokens["admin"]), "content-type": "application/toml"}
    response = client.post("/api/v1/forms", content=definition.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert "question total, calculation" in response.text
    assert "nested too deeply (600 levels, at most 200)" in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(FormVersion)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("version", "2026/1", "without '/'"),  # the XForm's download address could not hold it: a 404
        ("version", "", "1 to 100 printable characters"),
        ("version", "1" * 101, "1 to 100 printable characters"),
        ("id", "v" * 201, "at most 200 characters"),  # longer than the database keeps: a 500 on PostgreSQL
    ],
)
def test_an_id_or_version_no_address_or_column_can_hold_is_a_422(
    app: Any, client: TestClient, tokens: dict[str, str], field: str, value: str, says: str
) -> None:
    definition = (LIBRARY / "household_visit.toml").read_text(encoding="utf-8")
    line = {"version": 'version = "2026.1"', "id": 'id = "household_visit"'}[field]
    assert line in definition
    definition = definition.replace(line, f'{field} = "{value}"', 1)
    headers = {**auth(tokens["admin"]), "content-type": "application/toml"}
    response = client.post("/api/v1/forms", content=definition.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert says in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(FormVersion)).all() == []


def test_a_changed_form_under_a_published_version_is_refused_in_place(admin: TestClient) -> None:
    """Other content under a published version number is refused with 409 and the reason."""
    upload(admin, "visit.toml", VISIT.encode())
    response = upload(admin, "visit.toml", VISIT.replace("姓名", "名字").encode())
    assert response.status_code == 409
    assert "already published with other content" in response.text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("", b"", "请选择"), ("notes.txt", b"hello", ".xlsx"), ("gbk.toml", "标题".encode("gbk"), "UTF-8")],
)
def test_a_missing_or_foreign_file_is_refused_in_place(
    admin: TestClient, name: str, content: bytes, message: str
) -> None:
    """No file, a file that is not TOML, JSON or XLSX, or text that is not UTF-8 is refused with 422 and says why."""
    response = upload(admin, name, content, "text/plain")
    assert response.status_code == 422
    assert message in response.text


# --- users and roles ----------------------------------------------------------------------------


def test_creating_a_user_grants_the_role_and_is_audited(app: Any, admin: TestClient) -> None:
    """A new user gets the chosen role, the grant is audited as done by the admin, and the list shows them."""
    response = post(admin, "/admin/users", {"username": "lin", "password": PASSWORD, "role": "fieldworker"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?done=user_created"
    new_id = user_id(app, "lin")
    with app.state.sessions() as db:
        assert accounts.roles_of(db, new_id) == {"fieldworker"}
    grants = [a for a in audit(app, "role.grant") if a.target == f"user:{new_id}"]
    assert [(a.user_id, a.detail) for a in grants] == [(user_id(app, "admin"), {"role": "fieldworker"})]
    page = admin.get(response.headers["location"]).text
    assert "用户已创建" in page
    assert f'id="user-{new_id}"' in page


def test_a_refused_new_user_keeps_what_was_typed_and_says_why(admin: TestClient) -> None:
    """A taken name and a short password answer 422 with both problems at their fields; the password is not echoed."""
    response = post(admin, "/admin/users", {"username": "planner", "password": "short", "role": "designer"})
    assert response.status_code == 422
    assert 'value="planner"' in response.text
    assert "这个用户名已被使用" in response.text
    assert "密码至少需要 8 个字符" in response.text
    assert 'value="designer" selected' in response.text
    assert "short" not in response.text


def test_a_username_longer_than_the_database_keeps_is_refused_at_its_field(app: Any, admin: TestClient) -> None:
    """101 characters: a 422 saying so (on PostgreSQL the insert itself failed, a 500)."""
    name = "社" * 101
    response = post(admin, "/admin/users", {"username": name, "password": "long enough", "role": "planner"})
    assert response.status_code == 422
    assert "用户名最多 100 个字符" in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(User).where(User.username == name)).all() == []
        with pytest.raises(accounts.AccountError, match="at most 100 characters"):
            accounts.add_user(db, name, "long enough", "planner")


def test_granting_and_revoking_a_role_is_audited_with_who_did_it(app: Any, admin: TestClient) -> None:
    """Granting then revoking a role changes the user's roles and writes role.grant and role.revoke by the admin."""
    target, by = user_id(app, "planner"), user_id(app, "admin")
    assert post(admin, f"/admin/users/{target}/grant", {"role": "designer"}).status_code == 303
    with app.state.sessions() as db:
        assert accounts.roles_of(db, target) == {"planner", "designer"}
    response = post(admin, f"/admin/users/{target}/revoke", {"role": "planner"})
    assert response.headers["location"] == "/admin/users?done=role_revoked"
    with app.state.sessions() as db:
        assert accounts.roles_of(db, target) == {"designer"}
    assert (audit(app, "role.grant")[-1].user_id, audit(app, "role.grant")[-1].detail) == (
        by,
        {"role": "designer"},
    )
    revoked = audit(app, "role.revoke")
    assert [(a.user_id, a.target, a.detail) for a in revoked] == [(by, f"user:{target}", {"role": "planner"})]


def test_a_role_already_held_is_not_granted_twice(app: Any, admin: TestClient) -> None:
    """Granting a role the user holds is refused in place and writes nothing."""
    target = user_id(app, "planner")
    grants = len(audit(app, "role.grant"))
    response = post(admin, f"/admin/users/{target}/grant", {"role": "planner"})
    assert response.status_code == 422
    assert "该用户已有这个角色" in response.text
    assert len(audit(app, "role.grant")) == grants


def test_an_admin_cannot_lock_themselves_out(app: Any, admin: TestClient) -> None:
    """Revoking one's own admin role or deactivating oneself is refused in place."""
    me = user_id(app, "admin")
    assert post(admin, f"/admin/users/{me}/revoke", {"role": "admin"}).status_code == 422
    assert post(admin, f"/admin/users/{me}/active", {"active": "0"}).status_code == 422
    assert admin.get("/admin").status_code == 200


def test_a_deactivated_user_can_neither_sign_in_nor_use_a_token(
    app: Any, admin: TestClient, tokens: dict[str, str]
) -> None:
    """Deactivating a user ends their sessions and tokens; reactivating lets them back in; both audited."""
    target = user_id(app, "fieldworker")
    with TestClient(app) as other:
        sign_in(other, "fieldworker")
        response = post(admin, f"/admin/users/{target}/active", {"active": "0"})
        assert response.headers["location"] == "/admin/users?done=user_deactivated"
        assert other.get("/api/v1/forms").status_code == 401
        assert other.get("/api/v1/forms", headers=auth(tokens["fieldworker"])).status_code == 401
        assert "已停用" in admin.get("/admin/users").text
        assert post(admin, f"/admin/users/{target}/active", {"active": "1"}).status_code == 303
        assert sign_in(other, "fieldworker").cookies.get(SESSION_COOKIE)
    assert [a.target for a in audit(app, "user.deactivate")] == [f"user:{target}"]
    assert [a.target for a in audit(app, "user.activate")] == [f"user:{target}"]


# --- assignments --------------------------------------------------------------------------------


def test_forms_are_assigned_to_a_fieldworker_and_removed(app: Any, visit: TestClient) -> None:
    """Ticked forms are assigned to the fieldworker at the chosen site, listed, and removed again."""
    with app.state.sessions() as db, db.begin():
        db.add(Site(code="nangui", name="南桂社区", kind="community"))
    with app.state.sessions() as db:
        site = db.scalars(select(Site.id)).one()
    worker = user_id(app, "fieldworker")
    response = post(
        visit, "/admin/assignments", {"user_id": str(worker), "form_id": ["visit"], "site_id": str(site)}
    )
    assert response.headers["location"] == "/admin/assignments?done=assigned"
    with app.state.sessions() as db:
        made = db.scalars(select(Assignment)).one()
    assert (made.user_id, made.form_id, made.site_id) == (worker, "visit", site)
    page = visit.get("/admin/assignments").text
    assert f'id="assignment-{made.id}"' in page
    assert "南桂社区" in page
    post(visit, "/admin/assignments", {"user_id": str(worker), "form_id": "visit", "site_id": str(site)})
    with app.state.sessions() as db:
        assert len(db.scalars(select(Assignment)).all()) == 1  # the same assignment is kept once
    assert post(visit, f"/admin/assignments/{made.id}/remove").status_code == 303
    with app.state.sessions() as db:
        assert db.scalars(select(Assignment)).all() == []
    assert [a.action for a in audit(app, "assignment.add") + audit(app, "assignment.remove")] == [
        "assignment.add",
        "assignment.remove",
    ]


def test_an_assignment_needs_a_fieldworker_and_a_form(app: Any, visit: TestClient) -> None:
    """Assigning to someone who is not a fieldworker, or no form at all, is refused in place."""
    planner = user_id(app, "planner")
    response = post(visit, "/admin/assignments", {"user_id": str(planner), "site_id": ""})
    assert response.status_code == 422
    assert "请选择一位在用的社工" in response.text
    assert "请至少选择一份问卷" in response.text
    with app.state.sessions() as db:
        assert db.scalars(select(Assignment)).all() == []


# --- conflicts ----------------------------------------------------------------------------------


def test_the_conflicts_page_shows_the_answers_that_differ_side_by_side(
    conflict: str, admin: TestClient
) -> None:
    """An open conflict is listed with its UUID, form and collector, and only the answers that differ."""
    page = admin.get("/admin/conflicts").text
    assert conflict in page
    rows = re.findall(r'<tr><td class="mono">(\w+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', page)
    assert rows == [("age", "70", "71"), ("housing", "owned", "rented")]
    assert "<dd>fieldworker</dd>" in page


def test_keeping_the_stored_record_only_marks_the_conflict_resolved(
    app: Any, conflict: str, admin: TestClient
) -> None:
    """Keep stored leaves the submission exactly as it was, resolves the conflict, and is audited."""
    before, (row,) = snapshot(app, conflict)
    response = post(admin, f"/admin/conflicts/{row.id}/resolve", {"choice": "keep_stored"})
    assert response.headers["location"] == "/admin/conflicts?done=kept_stored"
    after, rows = snapshot(app, conflict)
    fields = ("id", "form_version", "answers", "content_hash", "received_at", "collected_at", "collector_id")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    assert [(r.id, r.resolution, r.resolved_by) for r in rows] == [
        (row.id, "kept_stored", user_id(app, "admin"))
    ]
    assert rows[0].answers == row.answers
    (entry,) = audit(app, "conflict.resolve")
    assert (entry.user_id, entry.target, entry.detail["choice"]) == (
        user_id(app, "admin"),
        f"submission:{conflict}",
        "keep_stored",
    )
    assert conflict not in admin.get("/admin/conflicts").text


def test_using_the_new_record_replaces_the_content_and_keeps_the_old(
    app: Any, conflict: str, admin: TestClient
) -> None:
    """Use new puts the conflict's content into the submission and keeps the old content as a resolved row."""
    before, (row,) = snapshot(app, conflict)
    response = post(admin, f"/admin/conflicts/{row.id}/resolve", {"choice": "use_new"})
    assert response.headers["location"] == "/admin/conflicts?done=used_new"
    after, rows = snapshot(app, conflict)
    assert (after.answers, after.content_hash, after.form_version) == (
        row.answers,
        row.content_hash,
        row.form_version,
    )
    assert (after.id, after.uuid, after.received_at, after.collector_id) == (
        before.id,
        before.uuid,
        before.received_at,
        before.collector_id,
    )
    admin_id = user_id(app, "admin")
    assert [(r.resolution, r.content_hash, r.resolved_by) for r in rows] == [
        ("replaced", row.content_hash, admin_id),
        ("superseded", before.content_hash, admin_id),
    ]
    assert rows[1].answers == before.answers
    assert (rows[1].received_at, rows[1].collector_id) == (before.received_at, before.collector_id)
    (entry,) = audit(app, "conflict.resolve")
    assert (entry.user_id, entry.detail["choice"]) == (admin_id, "use_new")


def test_resending_the_replaced_content_adds_no_conflict_row(
    app: Any, conflict: str, admin: TestClient, tokens: dict[str, str]
) -> None:
    """After using the new record, a resend of the old content is reported as a conflict but adds no row."""
    _, (row,) = snapshot(app, conflict)
    post(admin, f"/admin/conflicts/{row.id}/resolve", {"choice": "use_new"})
    assert sync(admin, tokens["fieldworker"], conflict) == "conflict"
    _, rows = snapshot(app, conflict)
    assert [r.resolution for r in rows] == ["replaced", "superseded"]


def test_a_conflict_is_resolved_only_once(app: Any, conflict: str, admin: TestClient) -> None:
    """Resolving a conflict already decided is refused in place and writes nothing more."""
    _, (row,) = snapshot(app, conflict)
    post(admin, f"/admin/conflicts/{row.id}/resolve", {"choice": "keep_stored"})
    again = post(admin, f"/admin/conflicts/{row.id}/resolve", {"choice": "use_new"})
    assert again.status_code == 422
    assert "这个冲突已经处理过了" in again.text
    assert len(audit(app, "conflict.resolve")) == 1
    assert snapshot(app, conflict)[0].answers["housing"] == "owned"


@pytest.mark.parametrize(
    "path", ["/admin/users/{n}/grant", "/admin/assignments/{n}/remove", "/admin/conflicts/{n}/resolve"]
)
def test_ids_beyond_the_database_are_refused_not_crashed(path: str, app, tokens) -> None:  # type: ignore[no-untyped-def]
    """An id too large for the database's integers is a 400, never a 500."""
    with TestClient(app) as browser:
        sign_in(browser, "admin")
        assert post(browser, path.format(n=2**63)).status_code == 400
