"""OpenRosa submissions that cannot be taken: each gets its status and a message, never a 500.

Runs on SQLite, and on PostgreSQL when SURVEY_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from survey.store.models import OpenRosaInstance, Submission
from tests.survey.test_openrosa import Collect, assert_openrosa, message
from tests.survey.test_openrosa_submission import LIMIT, count, every_type_xml, new_id, rows
from tests.survey.test_openrosa_submission import collect as collect  # the fixtures: Collect, and
from tests.survey.test_openrosa_submission import settings as settings  # posts of up to LIMIT bytes

# --- what cannot be taken ------------------------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><data id="every_type" version="1"><consent>&c;</consent></data>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<data id="every_type" version="1"><consent>&x;</consent></data>'
)


def refused_cases() -> list[Any]:
    uuid = "uuid:7f0c4a9e-1d2b-4c3a-9e8f-000000000042"
    good = every_type_xml(uuid.removeprefix("uuid:"))
    return [
        pytest.param(b"<data id='every_type'", 400, "not well-formed XML", id="malformed"),
        pytest.param(b"", 400, "xml_submission_file", id="empty"),
        pytest.param(BOMB, 400, "refused", id="entity-expansion"),
        pytest.param(EXTERNAL, 400, "refused", id="external-entity"),
        pytest.param(good.replace(b' id="every_type"', b""), 400, "no id attribute", id="no-form-id"),
        pytest.param(good.replace(b' version="1"', b""), 400, "no version attribute", id="no-version"),
        pytest.param(good.replace(uuid.encode(), b""), 400, "meta/instanceID", id="no-instance-id"),
        pytest.param(
            good.replace(b'"every_type"', b'"no_such_form"'),
            404,
            "no form named 'no_such_form'",
            id="wrong-form-id",
        ),
        pytest.param(
            good.replace(b'version="1"', b'version="7"'), 404, "has no version '7'", id="unknown-version"
        ),
        pytest.param(good.replace(b"<age>67</age>", b"<age>130</age>"), 422, "age", id="invalid-answer"),
    ]


@pytest.mark.parametrize(("xml", "status", "words"), refused_cases())
def test_what_cannot_be_taken_gets_its_status_and_a_message(
    app: Any, collect: Collect, xml: bytes, status: int, words: str
) -> None:
    """Each refused submission gets its status and an OpenRosaResponse saying why; nothing is stored."""
    response = collect.send(xml)[0]
    assert response.status_code == status, response.text
    assert_openrosa(response)
    nature, text = message(response)
    assert nature == "error"
    assert words in text
    assert count(app, Submission) == 0


def test_an_invalid_record_keeps_its_xml_and_names_every_problem(app: Any, collect: Collect) -> None:
    """A 422 lists each problem with its path, and the XML is kept so nothing the device sent is lost."""
    instance_id = new_id()
    xml = every_type_xml(instance_id, age="130", needs="care none")
    response = collect.send(xml)[0]
    assert response.status_code == 422
    text = message(response)[1]
    assert "age:" in text
    assert "needs:" in text
    (raw,) = rows(app, OpenRosaInstance, instance_id)
    assert (raw.xml, raw.status) == (xml, "invalid")


def test_an_oversized_body_is_413(app: Any, collect: Collect) -> None:
    """A post larger than X-OpenRosa-Accept-Content-Length is refused with 413 and the limit in the message."""
    response = collect.post(every_type_xml(new_id()), [("big.jpg", "image/jpeg", b"x" * LIMIT)])
    assert response.status_code == 413
    assert_openrosa(response)
    assert str(LIMIT) in message(response)[1]
    assert count(app, Submission) == 0


def test_a_post_that_is_not_multipart_is_400(collect: Collect) -> None:
    """A body that is not multipart/form-data gets 400 naming the part it needs."""
    response = collect.client.post(
        f"{collect.url}/submission",
        content=b"<data/>",
        headers={**Collect.headers(), "Content-Type": "text/xml"},
    )
    assert response.status_code == 400
    assert "xml_submission_file" in message(response)[1]


def test_an_instance_id_that_is_no_uuid_still_names_one_record(app: Any, collect: Collect) -> None:
    """A client's own instanceID scheme maps to one UUID, so its resend is still recognised."""
    xml = every_type_xml("x").replace(b"uuid:x", b"tablet-7:record-42")
    assert [collect.send(xml)[0].status_code for _ in range(2)] == [201, 201]
    assert count(app, Submission) == 1
    assert rows(app, OpenRosaInstance)[0].instance_id == "tablet-7:record-42"
