"""The fieldwork pages on the server: what a fieldworker may open, and the form without JavaScript.

The browser side (screens, drafts, the outbox, offline) is in tests/browser; here the pages are
fetched and posted as a browser with JavaScript off would, against a real database.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import admin, publishing
from survey.store.models import Site, Submission, User
from survey.web.csrf import CSRF_COOKIE
from tests.survey.conftest import PASSWORD

FORM = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "探访记录", en = "Visit record"}
    version = "1"

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}
    required = true
    maximum = 120

    [[questions]]
    type = "select_multiple"
    name = "needs"
    label = {zh = "需要", en = "Needs"}
    choices = "needs"

    [[questions]]
    type = "repeat"
    name = "kids"
    label = {zh = "孩子", en = "Child"}

    [[questions.questions]]
    type = "text"
    name = "kid_name"
    label = {zh = "孩子称呼", en = "Child's name"}
    required = true

    [[choices.needs]]
    name = "care"
    label = {zh = "照护", en = "Care"}

    [[choices.needs]]
    name = "none"
    label = {zh = "都不需要", en = "None"}
    exclusive = true
    """
)


def version_two() -> bytes:
    """The visit form, version 2: one more question."""
    extra = '\n[[questions]]\ntype = "text"\nname = "note"\nlabel = {zh = "备注", en = "Note"}\n'
    head, tail = FORM.split("[[choices.needs]]", 1)
    return (head.replace('version = "1"', 'version = "2"') + extra + "\n[[choices.needs]]" + tail).encode()


@pytest.fixture
def world(app: Litestar, tokens: dict[str, str]) -> dict[str, Any]:
    """The visit form (and an unassigned one) published, a site, the visit form assigned there."""
    other = FORM.replace('id = "visit"', 'id = "other"').encode()
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, FORM.encode(), "toml", "visit.toml")
        publishing.publish(db, other, "toml", "other.toml")
        db.add(Site(code="nangui", name="南桂社区", kind="community"))
        db.flush()
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        site = db.scalars(select(Site.id)).one()
        assert admin.assign(db, worker, ["visit"], site, None) == ()
    return {"worker": worker}


def signed_in(client: TestClient, username: str = "fieldworker") -> TestClient:
    """``client`` with a browser session for ``username``."""
    client.get("/login")
    data = {"username": username, "password": PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    return client


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    """Post a page form with its CSRF token, as the browser does."""
    return client.post(
        path, data={**data, "_csrf_token": client.cookies[CSRF_COOKIE]}, follow_redirects=False
    )


def hidden(page: str, name: str) -> str:
    """The value of the hidden input ``name`` in ``page``."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def records(app: Litestar) -> list[Submission]:
    with app.state.sessions() as db:
        return list(db.scalars(select(Submission).order_by(Submission.id)))


def test_the_home_lists_assigned_forms_only(client: TestClient, world: dict[str, Any]) -> None:
    page = signed_in(client).get("/collect").text
    assert "探访记录" in page
    assert 'href="/collect/visit"' in page
    assert 'href="/collect/other"' not in page
    assert "/collect/visit?version=1" in page  # cached for offline use


def test_an_unassigned_form_is_refused_and_an_unknown_one_is_not_found(
    client: TestClient, world: dict[str, Any]
) -> None:
    signed_in(client)
    assert client.get("/collect/other").status_code == 403
    assert client.get("/collect/nothing").status_code == 404
    assert client.get("/collect/visit?version=9").status_code == 404


def test_the_form_page_carries_logic_a_fresh_uuid_and_the_assigned_site(
    client: TestClient, world: dict[str, Any]
) -> None:
    signed_in(client)
    first, second = client.get("/collect/visit").text, client.get("/collect/visit").text
    assert hidden(first, "@uuid") != hidden(second, "@uuid")
    assert hidden(first, "@site") == "nangui"
    assert '<script type="application/json" id="logic">{"slots":' in first
    assert 'for="q-age"' in first
    assert 'id="q-age"' in first
    assert '<template data-template-for="kids">' in first


def test_errors_show_in_place_and_what_was_typed_stays(client: TestClient, world: dict[str, Any]) -> None:
    signed_in(client)
    page = client.get("/collect/visit").text
    data = {"@uuid": hidden(page, "@uuid"), "@version": "1", "@site": "nangui", "@action": "review"}
    typed = {"age": "130", "needs": ["care", "none"], "kids[1].kid_name": ""}  # the empty first child too
    response = post(client, "/collect/visit", {**data, **typed})
    assert response.status_code == 400
    text = response.text
    assert 'id="error-summary"' in text
    assert 'href="#q-age"' in text
    assert re.search(r'id="q-age"[^>]*aria-invalid="true"', text)
    assert re.search(r'id="q-age-error" data-error aria-live="polite">不能大于 120<', text)
    assert 'id="q-kids-1-kid_name-error" data-error aria-live="polite">此题必答<' in text
    assert 'name="age" value="130"' in text
    assert 'value="care" checked' in text
    assert "都不需要" in text
    assert records(client.app) == []


def test_review_then_submit_stores_once_and_redirects(client: TestClient, world: dict[str, Any]) -> None:
    signed_in(client)
    page = client.get("/collect/visit").text
    uuid = hidden(page, "@uuid")
    answers = {"age": "81", "needs": ["care"], "kids[1].kid_name": "小明", "kids[2].kid_name": "小红"}
    data = {"@uuid": uuid, "@version": "1", "@site": "nangui", **answers}
    review = post(client, "/collect/visit", {**data, "@action": "review"})
    assert review.status_code == 200
    assert "核对答案" in review.text
    assert "小红" in review.text
    assert "照护" in review.text
    done = post(client, "/collect/visit", {**data, "@action": "submit"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/collect/records?saved={uuid}"
    again = post(client, "/collect/visit", {**data, "@action": "submit"})  # the back button, a double tap
    assert again.status_code == 303
    (record,) = records(client.app)
    assert record.uuid == uuid
    assert record.collector_id == world["worker"]
    assert record.answers == {
        "age": 81,
        "needs": ["care"],
        "kids": [{"kid_name": "小明"}, {"kid_name": "小红"}],
    }
    listing = client.get(done.headers["location"]).text
    assert "探访记录" in listing
    assert "南桂社区" in listing
    assert "just-saved" in listing


def test_repeat_instances_are_added_and_removed_without_javascript(
    client: TestClient, world: dict[str, Any]
) -> None:
    signed_in(client)
    base = {"@uuid": "u", "@version": "1", "age": "50"}
    three = post(
        client,
        "/collect/visit",
        {**base, "kids[1].kid_name": "甲", "kids[2].kid_name": "乙", "@action": "add:kids"},
    )
    assert three.status_code == 200
    assert 'name="kids[3].kid_name"' in three.text
    assert 'value="乙"' in three.text
    fewer = post(
        client,
        "/collect/visit",
        {
            **base,
            "kids[1].kid_name": "甲",
            "kids[2].kid_name": "乙",
            "kids[3].kid_name": "丙",
            "@action": "remove:kids[1]",
        },
    )
    assert 'name="kids[1].kid_name" value="乙"' in fewer.text
    assert 'name="kids[2].kid_name" value="丙"' in fewer.text
    assert 'name="kids[3].kid_name"' not in fewer.text


def test_switching_language_in_the_form_keeps_what_was_typed(
    client: TestClient, world: dict[str, Any]
) -> None:
    signed_in(client)
    response = post(
        client, "/collect/visit", {"@uuid": "u", "@version": "1", "age": "67", "@action": "lang:en"}
    )
    assert response.status_code == 200
    assert "Visit record" in response.text
    assert "Age" in response.text
    assert 'name="age" value="67"' in response.text
    assert client.cookies.get("tanfang_lang") == "en"


def test_a_draft_keeps_its_version_after_a_new_one_is_published(
    app: Litestar, client: TestClient, world: dict[str, Any]
) -> None:
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, version_two(), "toml", "visit2.toml")
    signed_in(client)
    assert 'name="note"' in client.get("/collect/visit").text
    old = client.get("/collect/visit?version=1").text
    assert 'name="note"' not in old
    assert hidden(old, "@version") == "1"
    data = {
        "@uuid": "7a0c9c55-3f55-4a43-9a55-2b1b30e7d7a1",
        "@version": "1",
        "age": "70",
        "@action": "submit",
    }
    assert post(client, "/collect/visit", data).status_code == 303
    (record,) = records(app)
    assert record.form_version == "1"


def test_an_api_write_on_a_session_cookie_needs_the_client_header(
    client: TestClient, world: dict[str, Any]
) -> None:
    signed_in(client)
    body = b'[{"uuid": "5f0f8a43-8f1e-4a7e-9a52-0c1d2e3f4a5b", "form_version": "1", "answers": {"age": 70}}]'
    headers = {"Content-Type": "application/json"}
    refused = client.post("/api/v1/forms/visit/submissions", content=body, headers=headers)
    assert refused.status_code == 403
    assert "x-requested-with: tanfang" in refused.json()["detail"]
    sent = client.post(
        "/api/v1/forms/visit/submissions", content=body, headers={**headers, "X-Requested-With": "tanfang"}
    )
    assert sent.status_code == 200
    assert sent.json()["results"][0]["status"] == "created"


def test_the_service_worker_and_scripts_are_public_and_the_worker_never_stale(client: TestClient) -> None:
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    assert "caches.open" in worker.text
    assert client.get("/static/js/app.js").status_code == 200
    assert client.get("/static/js/logic.js").status_code == 200
