"""Answers at the edges, as a tablet or a script might send them: refused with a problem, never a crash.

Both were found by the browser parity corpus (tests/client): the browser refused them already.
"""

from __future__ import annotations

from forms.validation import validate
from tests.forms.formhelpers import make_form


def test_an_integer_too_big_for_a_float_is_refused_not_a_crash() -> None:
    form = make_form('[[questions]]\ntype = "integer"\nname = "n"\n')
    result = validate(form, {"n": 10**400})
    assert [(p.path, p.code) for p in result.errors] == [("n", "integer")]


def test_an_iso_week_date_is_not_a_calendar_date() -> None:
    form = make_form('[[questions]]\ntype = "date"\nname = "d"\n')
    assert [(p.path, p.code) for p in validate(form, {"d": "2024-W11-5"}).errors] == [("d", "date")]
    assert validate(form, {"d": "2024-03-15"}).answers == {"d": "2024-03-15"}
