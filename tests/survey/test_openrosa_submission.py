"""OpenRosa submissions as ODK Collect sends them: stored answers equal what the XML carried.

A record goes through the same sync contract as the JSON API: a resend is accepted again (201)
and stored once; the same instanceID with other content is 409 and kept aside; a submission
split across several posts ends as one record with all its files; whatever cannot be taken gets
its status and a message, never a 500. Runs on SQLite, and on PostgreSQL when
SURVEY_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

import textwrap
import uuid as uuidlib
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

import forms
from survey.domain import publishing
from survey.settings import Settings
from survey.store.models import Conflict, OpenRosaAttachment, OpenRosaInstance, Submission, User
from tests.conftest import LIBRARY
from tests.survey.test_openrosa import XFORMS, XML_HEAD, Collect, assert_openrosa, assign, message, publish
from tests.survey.test_sync import ANSWERS

LIMIT = 100_000  # the largest post, small so that a few files make Collect split a submission
COLLECT_NAMESPACES = (
    'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
    'xmlns:odk="http://www.opendatakit.org/xforms"'
)
EVERY_TYPE_TOML = textwrap.dedent(
    """
    id = "every_type"
    title = {zh = "全部题型", en = "Every type"}
    version = "1"

    [[questions]]
    type = "consent"
    name = "consent"
    label = {zh = "您同意接受访问吗？", en = "Do you agree to the interview?"}
    required = true

    [[questions]]
    type = "group"
    name = "person"
    label = {zh = "受访者", en = "About you"}
    relevant = "${consent} = 'yes'"

      [[questions.questions]]
      type = "text"
      name = "full_name"
      label = {zh = "姓名", en = "Name"}

      [[questions.questions]]
      type = "integer"
      name = "age"
      label = {zh = "年龄", en = "Age"}
      minimum = 0
      maximum = 120

      [[questions.questions]]
      type = "decimal"
      name = "income"
      label = {zh = "月收入", en = "Monthly income"}

      [[questions.questions]]
      type = "select_one"
      name = "sex"
      label = {zh = "性别", en = "Sex"}
      choices = "sex"

      [[questions.questions]]
      type = "select_multiple"
      name = "needs"
      label = {zh = "需要", en = "Needs"}
      choices = "needs"

      [[questions.questions]]
      type = "likert"
      name = "lonely"
      label = {zh = "我感到孤独", en = "I feel lonely"}
      choices = "agree"

      [[questions.questions]]
      type = "rank"
      name = "priorities"
      label = {zh = "最需要的两项", en = "Top two services"}
      choices = "services"
      top = 2

      [[questions.questions]]
      type = "date"
      name = "visit_date"
      label = {zh = "日期", en = "Date"}

      [[questions.questions]]
      type = "time"
      name = "visit_time"
      label = {zh = "时间", en = "Time"}

      [[questions.questions]]
      type = "geopoint"
      name = "home"
      label = {zh = "位置", en = "Location"}

      [[questions.questions]]
      type = "note"
      name = "thanks"
      label = {zh = "谢谢", en = "Thank you"}

      [[questions.questions]]
      type = "calculate"
      name = "age_next_year"
      calculation = "${age} + 1"

    [[questions]]
    type = "integer"
    name = "hh_size"
    label = {zh = "家庭人数", en = "Household size"}
    minimum = 0
    maximum = 10

    [[questions]]
    type = "repeat"
    name = "members"
    label = {zh = "家庭成员", en = "Household members"}
    repeat_count = "${hh_size}"

      [[questions.questions]]
      type = "text"
      name = "m_name"
      label = {zh = "称呼", en = "Called"}

      [[questions.questions]]
      type = "integer"
      name = "m_age"
      label = {zh = "年龄", en = "Age"}

      [[questions.questions]]
      type = "group"
      name = "m_health"
      label = {zh = "健康", en = "Health"}

        [[questions.questions.questions]]
        type = "select_multiple"
        name = "m_needs"
        label = {zh = "需要", en = "Needs"}
        choices = "needs"

    [choices]
    sex = [
      {name = "female", label = {zh = "女", en = "Female"}},
      {name = "male", label = {zh = "男", en = "Male"}},
    ]
    needs = [
      {name = "care", label = {zh = "照护", en = "Care"}},
      {name = "food", label = {zh = "吃饭", en = "Meals"}},
      {name = "none", label = {zh = "都不需要", en = "None"}, exclusive = true},
      {name = "other", label = {zh = "其他", en = "Other"}, other = true},
    ]
    agree = [
      {name = "disagree", label = {zh = "不同意", en = "Disagree"}, value = 1},
      {name = "neutral", label = {zh = "一般", en = "Neutral"}, value = 2},
      {name = "agree", label = {zh = "同意", en = "Agree"}, value = 3},
    ]
    services = [
      {name = "meals", label = {zh = "助餐", en = "Meals"}},
      {name = "visits", label = {zh = "探访", en = "Visits"}},
      {name = "doctor", label = {zh = "家庭医生", en = "Family doctor"}},
    ]
    """
)


def every_type_xml(instance_id: str, **changes: str) -> bytes:
    """A finished every-type record as Collect writes it: the primary instance, filled in."""
    values = {
        "full_name": "陈 &amp; 李",
        "age": "67",
        "needs": "care other",
        "visit_time": "14:30:00.000+08:00",
        **changes,
    }
    return (
        f'{XML_HEAD}<data id="every_type" version="1" {COLLECT_NAMESPACES}>'
        "<consent>yes</consent>"
        f"<person><full_name>{values['full_name']}</full_name><age>{values['age']}</age><income>1500.5</income>"
        f"<sex>female</sex><needs>{values['needs']}</needs><needs_other>陪同看病</needs_other>"
        "<lonely>agree</lonely><priorities>visits meals doctor</priorities><visit_date>2026-01-15</visit_date>"
        f"<visit_time>{values['visit_time']}</visit_time><home>22.5412 113.1234 12.0 4.5</home><thanks/>"
        "<age_next_year>68</age_next_year></person>"
        "<hh_size>2</hh_size>"
        "<members><m_name>老伴</m_name><m_age>70</m_age><m_health><m_needs>care</m_needs><m_needs_other/></m_health></members>"
        "<members><m_name>孙女</m_name><m_age>9</m_age><m_health><m_needs>none</m_needs><m_needs_other/></m_health></members>"
        f"<meta><instanceID>uuid:{instance_id}</instanceID></meta>"
        "</data>"
    ).encode()


# What that record is stored as: every answer as the XML carried it, typed.
EVERY_TYPE_ANSWERS: dict[str, Any] = {
    "consent": "yes",
    "full_name": "陈 & 李",
    "age": 67,
    "income": 1500.5,
    "sex": "female",
    "needs": ["care", "other"],
    "needs_other": "陪同看病",
    "lonely": "agree",
    "priorities": ["visits", "meals"],  # Collect ranks all three; the question asks for the top two
    "visit_date": "2026-01-15",
    "visit_time": "14:30",  # our time type is HH:MM; zero seconds and the zone are dropped
    "home": "22.5412 113.1234 12 4.5",  # numbers written shortest
    "age_next_year": 68,  # computed again by the server, equal to Collect's
    "hh_size": 2,
    "members": [
        {"m_name": "老伴", "m_age": 70, "m_needs": ["care"]},
        {"m_name": "孙女", "m_age": 9, "m_needs": ["none"]},
    ],
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """This module's app takes posts of up to LIMIT bytes."""
    return Settings(database_url=database_url, max_body_bytes=LIMIT)


@pytest.fixture
def collect(app: Any, client: TestClient, tokens: dict[str, str]) -> Collect:
    """The fieldworker's Collect, with the every-type form and the household visit assigned."""
    publish(app, EVERY_TYPE_TOML.encode())
    publish(app, (LIBRARY / "household_visit.toml").read_bytes())
    assign(app, "fieldworker", "every_type", "household_visit")
    return Collect(client, f"/openrosa/key/{tokens['fieldworker']}")


def new_id() -> str:
    return str(uuidlib.uuid4())


def stored(app: Any, uuid: str) -> Submission:
    with app.state.sessions() as db:
        return db.scalars(select(Submission).where(Submission.uuid == uuid)).one()


def rows(app: Any, model: Any, uuid: str | None = None) -> list[Any]:
    with app.state.sessions() as db:
        query = select(model).order_by(model.id)
        return list(db.scalars(query if uuid is None else query.where(model.uuid == uuid)))


def count(app: Any, model: Any) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def paths(element: ET.Element, prefix: str = "") -> set[str]:
    """Every element path below ``element`` (``person/age``), repeat instances folded together."""
    found = set()
    for child in element:
        path = f"{prefix}{local(child.tag)}"
        found |= {path} | paths(child, f"{path}/")
    return found


def primary_instance(xform: bytes) -> ET.Element:
    """The root of an XForm's primary instance: the skeleton Collect fills in."""
    return next(iter(ET.fromstring(xform).find(f".//{XFORMS}instance")))  # type: ignore[arg-type]


# --- every question type, and repeats --------------------------------------------------------------


def test_every_question_type_is_stored_as_the_xml_carried(app: Any, collect: Collect) -> None:
    """A record with every question type, groups and a repeat is stored with the answers the XML carried."""
    (entry,) = collect.form_list(formID="every_type")
    skeleton = primary_instance(collect.download(entry))
    instance_id = new_id()
    xml = every_type_xml(instance_id)
    assert paths(ET.fromstring(xml)) == paths(skeleton)  # the record fills the downloaded form, no more
    (response,) = collect.send(xml)
    assert response.status_code == 201, response.text
    assert_openrosa(response)
    assert message(response) == ("submit_success", "Thank you: the record is stored.")
    record = stored(app, instance_id)
    assert record.answers == EVERY_TYPE_ANSWERS
    assert (record.form_id, record.form_version, record.review_state) == ("every_type", "1", "received")
    with app.state.sessions() as db:
        assert record.collector_id == db.scalars(select(User.id).where(User.username == "fieldworker")).one()
    (raw,) = rows(app, OpenRosaInstance, instance_id)
    assert (raw.xml, raw.instance_id, raw.status, raw.complete) == (
        xml,
        f"uuid:{instance_id}",
        "created",
        True,
    )


def fill(skeleton: ET.Element, answers: dict[str, Any], instance_id: str) -> bytes:
    """The record Collect writes for ``answers``: the skeleton's elements, filled, repeats per item."""
    root = ET.Element(
        local(skeleton.tag), {k: v for k, v in skeleton.attrib.items() if k in ("id", "version")}
    )
    _fill(skeleton, root, answers)
    root.find("meta/instanceID").text = f"uuid:{instance_id}"  # type: ignore[union-attr]
    return XML_HEAD.encode() + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _fill(skeleton: ET.Element, out: ET.Element, answers: dict[str, Any]) -> None:
    repeats = set()
    for node in skeleton:
        name = local(node.tag)
        if node.get("{http://openrosa.org/javarosa}template") is not None:
            repeats.add(name)
            for item in answers.get(name, []):
                _fill(node, ET.SubElement(out, name), item)
        elif name not in repeats:  # the skeleton's own blank instance of a repeat is not sent
            element = ET.SubElement(out, name)
            if len(node):
                _fill(node, element, answers)  # a group: its answers sit beside the others
            elif answers.get(name) is not None:
                value = answers[name]
                element.text = " ".join(value) if isinstance(value, list) else str(value)


def test_a_household_roster_arrives_as_the_sync_api_stores_it(app: Any, collect: Collect) -> None:
    """The library's household visit, roster and calculations included, is stored as the sync API stores it."""
    (entry,) = collect.form_list(formID="household_visit")
    skeleton = primary_instance(collect.download(entry))
    with app.state.sessions() as db:
        version = publishing.latest(db, "household_visit")
    assert version is not None
    expected = forms.validate(publishing.compiled(version), ANSWERS).answers
    instance_id = new_id()
    (response,) = collect.send(fill(skeleton, expected, instance_id))
    assert response.status_code == 201, response.text
    assert stored(app, instance_id).answers == expected
    assert len(expected["members"]) == 3
    assert expected["members"][1]["is_older"] == 1


def test_elements_in_the_xforms_namespace_are_read_too(app: Any, collect: Collect) -> None:
    """A client that writes the instance in the XForms namespace is read the same way."""
    instance_id = new_id()
    xml = every_type_xml(instance_id).replace(
        b'version="1" ', b'version="1" xmlns="http://www.w3.org/2002/xforms" '
    )
    assert collect.send(xml)[0].status_code == 201
    assert stored(app, instance_id).answers == EVERY_TYPE_ANSWERS


# --- resend, conflict, edits, split submissions ----------------------------------------------------


def test_a_resend_is_accepted_again_and_stored_once(app: Any, collect: Collect) -> None:
    """The same record sent twice gets 201 both times and is stored once, its XML kept once."""
    instance_id = new_id()
    xml = every_type_xml(instance_id)
    first, again = collect.send(xml)[0], collect.send(xml)[0]
    assert (first.status_code, again.status_code) == (201, 201)
    assert message(again) == ("submit_success", "This record was already received; it is stored once.")
    assert count(app, Submission) == 1
    assert count(app, OpenRosaInstance) == 1


def test_the_same_instance_id_with_other_content_is_409_and_kept_aside(app: Any, collect: Collect) -> None:
    """Other content under a stored instanceID is 409; the stored record stands, the new one is kept aside."""
    instance_id = new_id()
    assert collect.send(every_type_xml(instance_id))[0].status_code == 201
    changed = every_type_xml(instance_id, age="68")
    response = collect.send(changed)[0]
    assert response.status_code == 409
    assert_openrosa(response)
    nature, text = message(response)
    assert nature == "error"
    assert instance_id in text
    assert "kept aside" in text
    assert stored(app, instance_id).answers["age"] == 67
    (conflict,) = rows(app, Conflict, instance_id)
    assert conflict.answers["age"] == 68
    assert [r.xml for r in rows(app, OpenRosaInstance, instance_id)] == [every_type_xml(instance_id), changed]
    assert collect.send(changed)[0].status_code == 409  # and again: still kept aside once
    assert len(rows(app, Conflict, instance_id)) == 1


def test_an_edit_is_kept_beside_the_record_it_edits(app: Any, collect: Collect) -> None:
    """An edit (a new instanceID, the old one as deprecatedID) is 201 and kept aside for review."""
    original = new_id()
    assert collect.send(every_type_xml(original))[0].status_code == 201
    edit_id = new_id()
    edit = every_type_xml(edit_id, age="68").replace(
        b"</instanceID>", f"</instanceID><deprecatedID>uuid:{original}</deprecatedID>".encode()
    )
    response = collect.send(edit)[0]
    assert response.status_code == 201
    assert "review" in message(response)[1]
    assert stored(app, original).answers["age"] == 67
    assert count(app, Submission) == 1
    assert rows(app, Conflict, original)[0].answers["age"] == 68
    assert rows(app, OpenRosaInstance, original)[-1].deprecated_id == f"uuid:{original}"


def test_a_split_submission_ends_as_one_record_with_every_file(app: Any, collect: Collect) -> None:
    """Files beyond the size the HEAD announced go in several posts; they merge into one record."""
    instance_id = new_id()
    xml = every_type_xml(instance_id)
    files = [(f"photo{n}.jpg", "image/jpeg", bytes([n]) * 40_000) for n in range(3)]
    first, last = collect.send(xml, files)
    assert (first.status_code, last.status_code) == (201, 201)
    assert count(app, Submission) == 1
    assert stored(app, instance_id).answers == EVERY_TYPE_ANSWERS
    kept = {(a.name, a.content_type, a.size, a.data) for a in rows(app, OpenRosaAttachment, instance_id)}
    assert kept == {(name, kind, len(data), data) for name, kind, data in files}
    (raw,) = rows(app, OpenRosaInstance, instance_id)
    assert raw.complete


def test_a_submission_waits_incomplete_until_its_last_part(app: Any, collect: Collect) -> None:
    """After a part marked *isIncomplete* the record is stored but not complete; the last part completes it."""
    instance_id = new_id()
    xml = every_type_xml(instance_id)
    photo = ("photo.jpg", "image/jpeg", b"\xff\xd8 not much of a photo")
    assert collect.post(xml, [photo], incomplete=True).status_code == 201
    assert not rows(app, OpenRosaInstance, instance_id)[0].complete
    audio = ("voice.m4a", "audio/mp4", b"and a word")
    assert collect.post(xml, [photo, audio]).status_code == 201  # a part sent again is kept once
    assert rows(app, OpenRosaInstance, instance_id)[0].complete
    assert sorted(a.name for a in rows(app, OpenRosaAttachment, instance_id)) == ["photo.jpg", "voice.m4a"]
    assert count(app, Submission) == 1
