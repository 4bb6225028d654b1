"""Stored submissions as columns: versions merged by question name, repeats as tables."""

from __future__ import annotations

import numpy as np

from analysis.dataset import ANSWERED, MISSING, NOT_ASKED, Dataset
from tests.analysis.analysishelpers import make_form

V1 = """
version = "1"

[[questions]]
type = "integer"
name = "age"

[[questions]]
type = "select_multiple"
name = "needs"
choices = "needs"

[[questions]]
type = "text"
name = "old_note"

[[choices.needs]]
name = "meals"
[[choices.needs]]
name = "company"
"""

V2 = """
version = "2"

[[questions]]
type = "integer"
name = "age"

[[questions]]
type = "select_multiple"
name = "needs"
choices = "needs"

[[questions]]
type = "select_one"
name = "lives_alone"
choices = "yn"
relevant = "${age} >= 60"

[[questions]]
type = "repeat"
name = "member"

[[questions.questions]]
type = "integer"
name = "member_age"

[[choices.needs]]
name = "meals"
[[choices.needs]]
name = "company"
[[choices.needs]]
name = "transport"

[[choices.yn]]
name = "yes"
[[choices.yn]]
name = "no"
"""

RECORDS = [
    {"form_version": "1", "uuid": "a", "answers": {"age": 70, "needs": ["meals"], "old_note": "x"}},
    {
        "form_version": "2",
        "uuid": "b",
        "answers": {
            "age": 72,
            "needs": ["transport"],
            "lives_alone": "yes",
            "member": [{"member_age": 3}, {"member_age": 40}],
        },
    },
    {"form_version": "2", "uuid": "c", "answers": {"age": 30, "needs": ["company", "meals"]}},
    {"form_version": "2", "uuid": "d", "answers": {"age": 64}},
]


def dataset() -> Dataset:
    return Dataset.from_records({"2": make_form(V2), "1": make_form(V1)}, RECORDS)


def test_a_question_of_an_older_version_is_kept_and_not_asked_in_newer_records():
    """old_note exists only in version 1: answered there, not asked in version 2's records."""
    note = dataset().column("old_note")
    assert note.values.tolist() == ["x", "", "", ""]
    assert note.status.tolist() == [ANSWERED, NOT_ASKED, NOT_ASKED, NOT_ASKED]


def test_an_option_added_later_leaves_the_denominator_of_older_records():
    """'transport' did not exist in version 1, so the version-1 record does not count for it."""
    needs = dataset().column("needs")
    assert needs.levels == ("meals", "company", "transport")
    assert needs.ticks.tolist() == [
        [True, False, False],
        [False, False, True],
        [True, True, False],
        [False, False, False],
    ]
    assert needs.denominator().tolist() == [
        [True, True, False],
        [True, True, True],
        [True, True, True],
        [False, False, False],
    ]


def test_each_record_is_read_with_its_own_versions_relevance():
    """lives_alone (version 2 only, asked from 60) is missing at 64 and not asked at 30."""
    assert dataset().column("lives_alone").status.tolist() == [NOT_ASKED, ANSWERED, NOT_ASKED, MISSING]


def test_repeats_become_a_table_joined_to_their_records():
    """Roster instances are rows of their own table, each pointing at its record."""
    data = dataset()
    assert data.tables["member"].parent.tolist() == [1, 1]
    assert data.column("member_age").values.tolist() == [3.0, 40.0]
    assert data.column("_uuid").values.tolist() == ["a", "b", "c", "d"]
    assert np.isnan(data.column("age").values).sum() == 0
