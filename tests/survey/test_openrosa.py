"""OpenRosa for ODK Collect: the form list, XForm downloads, the headers, who gets in with a key.

Requests are made as the OpenRosa specification describes ODK Collect making them: the
``X-OpenRosa-Version`` and ``Date`` headers, ``HEAD`` before a submission, multipart bodies laid
out part by part (see :class:`Collect`). Runs on SQLite, and on PostgreSQL when
SURVEY_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
import uuid as uuidlib
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import admin, publishing
from survey.store.models import User
from tests.conftest import LIBRARY
from tests.survey.serverproc import ServerProcess

FORM_LIST = "{http://openrosa.org/xforms/xformsList}"
RESPONSE = "{http://openrosa.org/http/response}"
XFORMS = "{http://www.w3.org/2002/xforms}"
XML_HEAD = "<?xml version='1.0' ?>"

VISIT = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "入户探访", en = "Home visit"}
    version = "1"

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}

    [[questions]]
    type = "select_one"
    name = "town"
    label = {zh = "镇街", en = "Town"}
    choices = "towns"

    [choices]
    towns = [
      {name = "guicheng", label = {zh = "桂城", en = "Guicheng"}},
      {name = "elsewhere", label = {zh = "其他", en = "Elsewhere"}, other = true},
    ]
    """
)

OUTLINE = textwrap.dedent(
    """
    id = "talk"
    title = {zh = "座谈", en = "Talk"}
    kind = "focus_group"

    [[topics]]
    name = "needs"
    label = {zh = "需要", en = "Needs"}
    """
)


# --- a device, as the specification describes it -------------------------------------------------


def multipart(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body from (name, filename, content type, data) parts, and its content type."""
    boundary = f"----tanfang{uuidlib.uuid4().hex}"
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        head += f"Content-Type: {content_type}\r\n" if content_type else ""
        body += (head + "\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Collect:
    """ODK Collect pointed at ``server_url``: lists and downloads forms, sends finished records."""

    def __init__(self, client: TestClient, server_url: str) -> None:
        self.client = client
        self.url = server_url

    @staticmethod
    def headers() -> dict[str, str]:
        """What Collect sends with every request."""
        return {
            "X-OpenRosa-Version": "1.0",
            "Date": formatdate(usegmt=True),
            "User-Agent": "org.odk.collect.android/v2024.3.4 (tanfang tests)",
            "Accept-Encoding": "gzip",
        }

    def form_list(self, **query: str) -> list[dict[str, str]]:
        """The entries of the form list, each as its child elements' texts."""
        response = self.client.get(f"{self.url}/formList", params=query, headers=self.headers())
        assert response.status_code == 200, response.text
        assert_openrosa(response)
        root = ET.fromstring(response.content)
        assert root.tag == f"{FORM_LIST}xforms"
        return [{child.tag.removeprefix(FORM_LIST): child.text or "" for child in item} for item in root]

    def download(self, entry: dict[str, str]) -> bytes:
        """The XForm behind an entry's downloadUrl, checked against the entry's md5 hash."""
        response = self.client.get(entry["downloadUrl"], headers=self.headers())
        assert response.status_code == 200, response.text
        assert_openrosa(response)
        assert entry["hash"] == f"md5:{hashlib.md5(response.content).hexdigest()}"
        return response.content

    def accepted_length(self) -> int:
        """HEAD before posting: 204, and the largest body the server takes."""
        response = self.client.head(f"{self.url}/submission", headers=self.headers())
        assert response.status_code == 204
        assert_openrosa(response)
        return int(response.headers["X-OpenRosa-Accept-Content-Length"])

    def post(
        self, xml: bytes, files: Sequence[tuple[str, str, bytes]] = (), incomplete: bool = False
    ) -> httpx.Response:
        """One POST: ``xml_submission_file``, then each file part, then ``*isIncomplete*`` if asked."""
        parts: list[tuple[str, str | None, str | None, bytes]] = [
            ("xml_submission_file", "record.xml", "text/xml", xml)
        ]
        parts += [(name, name, content_type, data) for name, content_type, data in files]
        if incomplete:
            parts.append(("*isIncomplete*", None, None, b"yes"))
        body, content_type = multipart(parts)
        headers = {**self.headers(), "Content-Type": content_type}
        return self.client.post(f"{self.url}/submission", content=body, headers=headers)

    def send(self, xml: bytes, files: Sequence[tuple[str, str, bytes]] = ()) -> list[httpx.Response]:
        """HEAD, then as many POSTs as the server's size limit needs, as Collect splits a submission."""
        limit = self.accepted_length()
        batches: list[list[tuple[str, str, bytes]]] = [[]]
        size = len(xml)
        for file in files:
            if batches[-1] and size + len(file[2]) > limit - 10_000:  # room for the multipart framing
                batches.append([])
                size = len(xml)
            batches[-1].append(file)
            size += len(file[2])
        return [self.post(xml, batch, incomplete=i < len(batches) - 1) for i, batch in enumerate(batches)]


def assert_openrosa(response: httpx.Response) -> None:
    """The headers OpenRosa asks of every response (Date comes from the HTTP server: see test below)."""
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    if response.status_code != 204:
        assert response.headers["Content-Type"].startswith("text/xml")


def message(response: httpx.Response) -> tuple[str, str]:
    """The nature and text of an OpenRosaResponse's message."""
    root = ET.fromstring(response.content)
    assert root.tag == f"{RESPONSE}OpenRosaResponse", response.text
    found = root.find(f"{RESPONSE}message")
    assert found is not None
    return found.get("nature", ""), found.text or ""


# --- the world ---------------------------------------------------------------------------------


def publish(app: Any, text: bytes, fmt: str = "toml") -> None:
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, text, fmt, f"form.{fmt}")  # type: ignore[arg-type]


def assign(app: Any, username: str, *form_ids: str) -> None:
    with app.state.sessions() as db, db.begin():
        user = db.scalars(select(User.id).where(User.username == username)).one()
        assert admin.assign(db, user, list(form_ids), None, None) == ()


@pytest.fixture
def world(app: Any, tokens: dict[str, str]) -> dict[str, str]:
    """Three published forms (one an outline); the fieldworker is assigned the visit and the outline."""
    publish(app, VISIT.encode())
    publish(app, (LIBRARY / "household_visit.toml").read_bytes())
    publish(app, OUTLINE.encode())
    assign(app, "fieldworker", "visit", "talk")
    return tokens


def device(client: TestClient, token: str) -> Collect:
    return Collect(client, f"/openrosa/key/{token}")


# --- the form list and downloads -----------------------------------------------------------------


def test_a_fieldworker_lists_the_forms_assigned_to_them(client: TestClient, world: dict[str, str]) -> None:
    """The form list holds the fieldworker's assigned forms with questions, at their latest version."""
    entries = device(client, world["fieldworker"]).form_list()
    assert [(e["formID"], e["name"], e["version"]) for e in entries] == [("visit", "入户探访", "1")]
    assert entries[0]["downloadUrl"].startswith("http://testserver.local/openrosa/key/")
    assert "manifestUrl" not in entries[0]  # no media


def test_an_admin_lists_every_form(client: TestClient, world: dict[str, str]) -> None:
    """Admins may fill every form, so their list has every form that has questions."""
    entries = device(client, world["admin"]).form_list()
    assert [e["formID"] for e in entries] == ["household_visit", "visit"]


def test_the_list_filters_by_form_id_and_lists_all_versions_on_request(
    app: Any, client: TestClient, world: dict[str, str]
) -> None:
    """``formID`` narrows the list; ``listAllVersions=true`` shows every published version."""
    publish(app, VISIT.replace('version = "1"', 'version = "2"').encode())
    collect = device(client, world["admin"])
    assert [e["version"] for e in collect.form_list(formID="visit")] == ["2"]
    assert [e["version"] for e in collect.form_list(formID="visit", listAllVersions="true")] == ["1", "2"]


def test_the_hash_is_the_md5_of_the_xform_served_and_stays_put(
    client: TestClient, world: dict[str, str]
) -> None:
    """Each entry's hash is md5 of the exact bytes served; listing again gives the same bytes and hash."""
    collect = device(client, world["admin"])
    first = {e["formID"]: (e["hash"], collect.download(e)) for e in collect.form_list()}
    again = {e["formID"]: (e["hash"], collect.download(e)) for e in collect.form_list()}
    assert first == again


def test_the_xform_is_the_form_made_by_pyxform_with_an_other_box(
    client: TestClient, world: dict[str, str]
) -> None:
    """The XForm carries the form's id and version and a ``<name>_other`` text box shown for "other"."""
    (entry,) = device(client, world["fieldworker"]).form_list()
    xform = ET.fromstring(device(client, world["fieldworker"]).download(entry))
    instance = next(iter(xform.find(f".//{XFORMS}instance")))  # the primary instance's root
    assert (instance.get("id"), instance.get("version")) == ("visit", "1")
    assert [child.tag.removeprefix(XFORMS) for child in instance] == ["age", "town", "town_other", "meta"]
    binds = {b.get("nodeset"): b for b in xform.iter(f"{XFORMS}bind")}
    other = binds[f"/{instance.tag.removeprefix(XFORMS)}/town_other"]
    assert "selected(" in other.get("relevant", "")
    assert "'elsewhere'" in other.get("relevant", "")
    assert other.get("required") == "true()"


def test_a_form_not_assigned_or_not_published_is_not_served(
    client: TestClient, world: dict[str, str]
) -> None:
    """Downloading an unassigned form is 403; an unknown version or form is 404; both say so in XML."""
    url = f"/openrosa/key/{world['fieldworker']}/forms"
    cases = [
        (f"{url}/household_visit/2026.1/form.xml", 403, "not assigned"),
        (f"{url}/visit/9/form.xml", 404, "no published version '9'"),
        (f"{url}/nothing/1/form.xml", 404, "'nothing'"),
        (f"{url}/visit/9/manifest", 404, "no published version '9'"),
    ]
    for path, status, words in cases:
        response = client.get(path, headers=Collect.headers())
        assert response.status_code == status, path
        assert_openrosa(response)
        nature, text = message(response)
        assert nature == "error"
        assert words in text


def test_the_manifest_of_a_form_is_empty(client: TestClient, world: dict[str, str]) -> None:
    """Our forms carry no media, so a version's manifest lists no files."""
    response = client.get(
        f"/openrosa/key/{world['fieldworker']}/forms/visit/1/manifest", headers=Collect.headers()
    )
    assert response.status_code == 200
    assert_openrosa(response)
    root = ET.fromstring(response.content)
    assert root.tag == "{http://openrosa.org/xforms/xformsManifest}manifest"
    assert list(root) == []


# --- who gets in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/formList", "/forms/visit/1/form.xml", "/submission"])
def test_an_unknown_key_is_401_and_a_planner_key_403(
    client: TestClient, world: dict[str, str], path: str
) -> None:
    """A key that is no token gets 401, a planner's token 403, each as an OpenRosaResponse."""
    method = "POST" if path == "/submission" else "GET"
    for token, status in (("not-a-token", 401), (world["planner"], 403)):
        response = client.request(method, f"/openrosa/key/{token}{path}", headers=Collect.headers())
        assert response.status_code == status
        assert_openrosa(response)
        assert message(response)[0] == "error"


def test_a_deactivated_users_key_stops_working(app: Any, client: TestClient, world: dict[str, str]) -> None:
    """Deactivating the user shuts out every device set up with their keys."""
    collect = device(client, world["fieldworker"])
    assert collect.form_list()
    with app.state.sessions() as db, db.begin():
        worker = db.scalars(select(User).where(User.username == "fieldworker")).one()
        admin_id = db.scalars(select(User.id).where(User.username == "admin")).one()
        assert admin.set_active(db, worker.id, False, admin_id) == ()
    assert client.get(f"{collect.url}/formList", headers=Collect.headers()).status_code == 401


def test_the_head_before_a_submission_is_204_with_the_size_taken(
    client: TestClient, world: dict[str, str]
) -> None:
    """HEAD on the submission URL answers 204 with X-OpenRosa-Accept-Content-Length, the body limit."""
    assert device(client, world["fieldworker"]).accepted_length() == 5_000_000  # conftest's limit


def test_a_real_server_sends_the_openrosa_headers_and_one_date(
    database_url: str, world: dict[str, str]
) -> None:
    """Served by ``survey serve``, every OpenRosa response has one Date and the OpenRosa headers."""
    with ServerProcess(database_url) as server:
        base = f"{server.url}/openrosa/key/{world['fieldworker']}"
        responses = [
            httpx.head(f"{base}/submission", headers=Collect.headers()),
            httpx.get(f"{base}/formList", headers=Collect.headers()),
            httpx.get(f"{base}/forms/visit/9/form.xml", headers=Collect.headers()),
        ]
    assert [r.status_code for r in responses] == [204, 200, 404]
    for response in responses:
        assert_openrosa(response)
        assert len(response.headers.get_list("Date")) == 1
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", response.headers["Date"])
