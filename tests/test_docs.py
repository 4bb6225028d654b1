"""The README and docs cannot drift from the code: every type, command and function is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forms import model
from forms.expressions import FUNCTIONS
from survey.cli import parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMS_DOC = (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")


def question_types() -> list[str]:
    return [t.__struct_config__.tag for t in model.AnyQuestion.__args__]  # type: ignore[attr-defined]


def cli_commands() -> list[str]:
    """Every `survey ...` command path the argument parser knows, e.g. 'forms check'."""
    found: list[str] = []

    def visit(p, prefix: str) -> None:  # type: ignore[no-untyped-def]
        subs = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs:
            found.append(prefix.strip())
        for action in subs:
            for name, child in action.choices.items():
                visit(child, f"{prefix} {name}")

    visit(parser(), "")
    return found


@pytest.mark.parametrize("tag", question_types())
def test_every_question_type_is_in_the_readme_and_the_reference(tag: str) -> None:
    """Each question type appears in the README and in docs/forms.md."""
    assert f"`{tag}`" in README
    assert f"`{tag}`" in FORMS_DOC


@pytest.mark.parametrize("command", cli_commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    """Each `survey` command appears in the README's command table."""
    assert re.search(rf"`survey {re.escape(command)}\b", README), command


def test_every_function_is_in_the_expression_reference() -> None:
    """Each expression function has a row in docs/expressions.md."""
    doc = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    missing = [name for name in FUNCTIONS if f"`{name}(" not in doc]
    assert missing == []


def test_every_form_field_is_in_the_reference() -> None:
    """Each key of the form and its questions, choices and indicators is described in docs/forms.md."""
    structs = [model.Form, model.Choice, model.Indicator, model.Severity, model.Topic, model.Code]
    structs += list(model.AnyQuestion.__args__)  # type: ignore[attr-defined]
    missing = sorted({f for s in structs for f in s.__struct_fields__ if f"`{f}`" not in FORMS_DOC})
    assert missing == []


def test_every_setting_is_in_the_readme() -> None:
    """Each field of Settings appears in the README as its SURVEY_ variable."""
    from survey.settings import Settings

    missing = [f for f in Settings.__struct_fields__ if f"SURVEY_{f.upper()}" not in README]
    assert missing == []
