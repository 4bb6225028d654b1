"""Recommendations carry their reasons, each number linked to its row; safety flags become follow-ups."""

from __future__ import annotations

import pytest

from analysis.dataset import Dataset
from analysis.priorities import prioritise
from analysis.prioritise import Settings
from analysis.recommend import Recommendation, Target, mdc, recommend
from analysis.recommend_safety import GENERIC_ACTION, follow_ups
from tests.analysis.test_prioritise import form, rules, table


def recommendations(
    p: float = 0.0004, targets: dict[str, Target] | None = None
) -> tuple[Recommendation, ...]:
    return recommend(prioritise(table(p), form(), rules(), Settings()), form(), targets)


def test_each_ranked_need_gets_a_recommendation_in_rank_order() -> None:
    """Loneliness first, living alone second: the ranked needs, and only those."""
    assert [r.need.rule.id for r in recommendations()] == ["LON-01", "ALN-02"]


def test_the_first_reason_is_the_estimate_with_its_interval_and_row() -> None:
    """Prevalence 35.9% (28.1–44.5%, n 128), each figure naming the row of those living alone."""
    first = recommendations()[0].reasons[0]
    assert first.kind == "prevalence"
    assert [(f.field, f.value) for f in first.figures] == [
        ("estimate", 0.359),
        ("ci_low", 0.281),
        ("ci_high", 0.445),
        ("n_total", 128),
    ]
    assert {f.key for f in first.figures} == {"prop_select_one @/@ lonely %/% yes @/@ living %/% alone"}


def test_the_comparison_cites_the_group_everyone_and_the_test() -> None:
    """The comparison reason cites 35.9% against everyone's 17.6% and the test's BH p and effect size."""
    reason = next(r for r in recommendations()[0].reasons if r.kind == "comparison")
    keys = {f.field: f.key for f in reason.figures if f.field in ("p_adjusted", "effect_size")}
    assert keys == {
        "p_adjusted": "chi2 @/@ lonely %/% NA @/@ living %/% NA",
        "effect_size": "chi2 @/@ lonely %/% NA @/@ living %/% NA",
    }
    overall = [f for f in reason.figures if f.key.endswith("@/@ NA %/% NA") and f.field == "estimate"]
    assert [f.value for f in overall] == [0.176]


def test_every_figure_of_every_recommendation_is_its_rows_value() -> None:
    """Following each figure's key and field into the results table gives the figure's value."""
    rows = {r.analysis_key: r for r in table()}
    for rec in recommendations():
        for f in rec.figures:
            assert getattr(rows[f.key], f.field) == pytest.approx(f.value)


def test_a_recommendation_without_reasons_is_refused() -> None:
    """Nothing is recommended without a reason: the constructor raises."""
    rec = recommendations()[0]
    with pytest.raises(ValueError, match="without a reason"):
        Recommendation(need=rec.need, reasons=(), smart=rec.smart)


def test_the_minimum_detectable_change_by_hand() -> None:
    """p = .359, N = 40: (1.959964 + 0.841621)·√(2·.359·.641/40) = 0.3005."""
    assert mdc(0.359, 40) == pytest.approx(0.30053, abs=1e-4)


def test_the_smart_draft_fills_in_the_baseline_and_the_designers_plans() -> None:
    """Baseline 35.9% (28.1–44.5%, n=128), target 20.0%, 40 people, end 2027-12; a warning for the small change."""
    smart = recommendations(targets={"LON-01": Target(end="2027-12", n=40, target=0.2)})[0].smart
    assert (
        smart.text["zh"]
        == "到2027-12，独居40人中孤独由35.9%（95%CI 28.1%–44.5%，n=128）降至20.0%（UCLA-3，互助小组）"
    )
    assert "35.9% (95% CI 28.1%–44.5%, n = 128)" in smart.text["en"]
    assert smart.gaps == ()
    assert "15.9%" in smart.warnings["zh"]


# --- safety follow-ups -----------------------------------------------------------------------------


def records() -> list[dict[str, object]]:
    return [
        {
            "uuid": "r1",
            "form_version": "1",
            "answers": {"living": "alone", "ucla": 7, "hurt": "no"},
            "site": "nangui",
        },
        {
            "uuid": "r2",
            "form_version": "1",
            "answers": {"living": "couple", "ucla": 3, "hurt": "yes"},
            "site": "guiyuan",
            "collector": "fw2",
        },
        {"uuid": "r3", "form_version": "1", "answers": {"living": "alone", "ucla": 4}},
    ]


def test_a_safety_indicator_puts_each_record_that_raises_it_on_the_follow_up_list() -> None:
    """Only record r2 answered yes to self-harm thoughts: one follow-up, with the rule's action and where."""
    compiled = form()
    dataset = Dataset.from_records({compiled.form.version: compiled}, records(), "t")
    found = follow_ups(dataset, rules())
    assert [(f.record, f.indicator, f.rule, f.site, f.collector) for f in found] == [
        ("r2", "selfharm", "SAFE-01", "guiyuan", "fw2")
    ]
    assert found[0].action["zh"] == "当日跟进"


def test_without_a_safety_rule_the_follow_up_gets_the_generic_action() -> None:
    """A safety indicator no rule names still yields a follow-up, with the generic crisis action."""
    import msgspec

    compiled = form()
    dataset = Dataset.from_records({compiled.form.version: compiled}, records(), "t")
    book = msgspec.structs.replace(rules(), rules=tuple(r for r in rules().rules if not r.safety))
    assert [f.action for f in follow_ups(dataset, book)] == [GENERIC_ACTION]
