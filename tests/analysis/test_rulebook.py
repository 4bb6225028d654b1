"""The rulebook: the seed rules, and errors that say which file, rule and field is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import forms
from analysis import rulebook
from analysis.rulebook import RulebookError
from forms.errors import Problem

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"

RULE = """
[[rules]]
id = "ELD-LON-01"
title = {zh = "长者孤独感", en = "Loneliness"}
population = "older_people"
domain = "loneliness_social_isolation"
indicator = "lonely"
trigger = [{stat = "estimate", op = ">=", value = 0.3}]

[[rules.interventions]]
id = "group"
name = {zh = "长者互助小组", en = "Peer-support group"}
method = "group_work"
evidence = {level = "B"}
"""


def book(*rules: str, head: str = 'id = "t"\nversion = "1"\ntitle = {zh = "测试"}\n') -> str:
    return head + "\n".join(textwrap.dedent(r) for r in rules)


def problems(text: str) -> list[str]:
    with pytest.raises(RulebookError) as caught:
        rulebook.loads(text, "rules.toml")
    return [str(p) for p in caught.value.problems]


# --- the seed rulebook -----------------------------------------------------------------------------


def test_the_seed_has_at_least_fifteen_ranked_rules_in_chinese_and_english() -> None:
    """The shipped rulebook loads, is versioned, and has ≥ 15 rules titled in both languages."""
    seed = rulebook.seed()
    assert seed.version
    ranked = [r for r in seed.rules if not r.safety]
    assert len(ranked) >= 15
    for r in seed.rules:
        assert r.title.keys() >= {"zh", "en"}, r.id
        assert all(i.name.keys() >= {"zh", "en"} for i in r.interventions), r.id


def test_the_seed_covers_every_population_the_plans_name() -> None:
    """Older people, students, children, women and carers, disability, migrants and the workforce all have rules."""
    covered = {r.population for r in rulebook.seed().rules if not r.safety}
    assert covered >= {
        "older_people",
        "youth_students",
        "children",
        "women_carers",
        "disability",
        "migrants",
        "workforce",
    }


@pytest.mark.parametrize(
    "name",
    [
        "长者互助小组",
        "探访",
        "驻校社工",
        "朋辈辅导员",
        "四点半课堂",
        "喘息",
        "社区融入小组",
        "社工督导",
        "社工+义工",
    ],
)
def test_the_seed_names_the_interventions_of_the_sectors_plans(name: str) -> None:
    """Each intervention the issue names appears in some rule of the seed."""
    names = [i.name["zh"] for r in rulebook.seed().rules for i in r.interventions]
    assert any(name in n for n in names), name


def test_the_seed_has_safety_rules_with_actions_and_nothing_to_rank() -> None:
    """Self-harm, violence and child protection rules carry an action and no trigger or interventions."""
    safety = [r for r in rulebook.seed().rules if r.safety]
    assert {r.indicator for r in safety} >= {"selfharm_risk", "dv_disclosure", "child_protection_concern"}
    assert all(r.action["zh"] and r.action["en"] and not r.interventions and not r.trigger for r in safety)


def test_the_seed_fits_the_form_library_without_errors() -> None:
    """Against the library's forms the seed has warnings at most (indicators of other forms), no errors."""
    library = [forms.loads(p.read_bytes(), "toml", str(p)) for p in sorted(LIBRARY.glob("*.toml"))]
    found = rulebook.check_forms(rulebook.seed(), library)
    assert [str(p) for p in found if p.severity == "error"] == []


# --- errors say where -----------------------------------------------------------------------------


def test_a_wrong_operator_names_the_file_rule_and_field() -> None:
    """An operator that is not one of >=, >, <=, < is reported at rules[0].trigger[0].op of that rule."""
    found = problems(book(RULE.replace('op = ">="', 'op = "gt"')))
    assert len(found) == 1
    assert found[0].startswith("rules.toml: rule ELD-LON-01 (rules[0]), trigger[0].op: ")


def test_an_unknown_field_is_reported_not_ignored() -> None:
    """A misspelt key fails loudly, with the rule it is in."""
    found = problems(book(RULE.replace('domain = "', 'domian = "x"\ndomain = "')))
    assert "rule ELD-LON-01 (rules[0])" in found[0]
    assert "domian" in found[0]


def test_every_broken_rule_is_reported_at_once() -> None:
    """Two broken rules give two problems, each at its own rule."""
    second = RULE.replace("ELD-LON-01", "ELD-LON-02").replace('method = "group_work"', 'method = "party"')
    found = problems(book(RULE.replace('level = "B"', 'level = "Z"'), second))
    assert [f.split(",")[0] for f in found] == [
        "rules.toml: rule ELD-LON-01 (rules[0])",
        "rules.toml: rule ELD-LON-02 (rules[1])",
    ]
    assert "interventions[0].evidence.level" in found[0]
    assert "interventions[0].method" in found[1]


def test_a_repeated_id_names_both_places() -> None:
    """Two rules with one id: the second is reported as repeating the first."""
    found = problems(book(RULE, RULE))
    assert found == ["rules.toml: rule ELD-LON-01 (rules[1]), id: repeats rules[0]"]


def test_a_safety_rule_cannot_offer_interventions() -> None:
    """A safety rule with interventions is refused: it is a follow-up, never a service to rank."""
    found = problems(
        book(
            RULE.replace(
                'indicator = "lonely"', 'indicator = "lonely"\nsafety = true\naction = {zh = "跟进"}'
            )
        )
    )
    assert "safety rule" in found[0]
    assert "rule ELD-LON-01 (rules[0])" in found[0]


def test_a_smart_template_with_an_unknown_placeholder_is_refused() -> None:
    """SMART templates may use only the known fields ({end}, {baseline}, …)."""
    found = problems(
        book(RULE.replace('indicator = "lonely"', 'indicator = "lonely"\nsmart = {zh = "到{deadline}"}'))
    )
    assert "unknown fields ['deadline']" in found[0]


def test_toml_syntax_errors_say_where_in_the_file() -> None:
    """A TOML syntax error is placed at its line and column, as form errors are."""
    assert problems("id = \n") == ["rules.toml: line 1, column 6: Invalid value"]


def test_a_file_cut_short_is_placed_at_its_end() -> None:
    """A syntax error "at end of document" names the last line and the column after its text."""
    assert problems('id = "t"\nrules = [1,') == ["rules.toml: line 2, column 12: Invalid value"]


def test_a_file_that_is_not_utf8_says_where_the_first_bad_byte_is() -> None:
    """Bytes that are not UTF-8 are a problem at their line and byte, not a crash."""
    assert problems(b'id = "t"\ntitle = "\xff"\n') == [
        "rules.toml: line 2, byte 18: the file is not UTF-8 text"
    ]


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ('id = "a b"\nversion = "1"\ntitle = {zh = "测试"}\n', "id 'a b'"),
        ('id = "t"\nversion = " "\ntitle = {zh = "测试"}\n', "version: 1 to 100 characters"),
    ],
)
def test_the_rulebook_id_and_version_are_checked(head: str, message: str) -> None:
    """The id and version name a published rulebook: a blank version or spaced id is refused."""
    found = problems(book(RULE, head=head))
    assert len(found) == 1
    assert found[0].startswith("rules.toml: rulebook: ")
    assert message in found[0]


def test_check_lists_a_files_problems_and_how_it_fits_the_forms(tmp_path: Path) -> None:
    """`check` reports a missing file, and a valid file's fit to the forms given (warnings)."""
    assert rulebook.check(tmp_path / "nosuch.toml") == [
        Problem("file", "No such file or directory", str(tmp_path / "nosuch.toml"))
    ]
    path = tmp_path / "rules.toml"
    path.write_text(book(RULE), encoding="utf-8")
    assert rulebook.check(path) == []
    school = forms.loads((LIBRARY / "school_social_work.toml").read_bytes(), "toml", "school")
    assert [(p.where, p.severity) for p in rulebook.check(path, [school])] == [
        ("rule ELD-LON-01 (rules[0]), indicator", "warning")
    ]
    assert rulebook.load(path).label == "t@1"


def test_a_ranked_rule_on_a_safety_indicator_is_an_error() -> None:
    """A rule that would rank a safety flag (self-harm) is an error against the forms, not a warning."""
    school = forms.loads((LIBRARY / "school_social_work.toml").read_bytes(), "toml", "school")
    text = book(RULE.replace('indicator = "lonely"', 'indicator = "selfharm_risk"'))
    found = rulebook.check_forms(rulebook.loads(text, "rules.toml"), [school], "rules.toml")
    errors = [str(p) for p in found if p.severity == "error"]
    assert errors == [
        "rules.toml: rule ELD-LON-01 (rules[0]), indicator: 'selfharm_risk' is a safety indicator"
    ]
