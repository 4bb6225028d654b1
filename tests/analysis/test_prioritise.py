"""Shared pieces of the prioritisation tests: a small form, a rulebook for it, and hand-made rows."""

from __future__ import annotations

from analysis import rulebook
from analysis.results import Row, row
from forms.compiler import Compiled
from tests.analysis.analysishelpers import make_form

FORM = """
[[questions]]
type = "select_one"
name = "living"
label = {zh = "居住", en = "Living"}
choices = "living"
segment = true

[[questions]]
type = "integer"
name = "ucla"
label = {zh = "UCLA", en = "UCLA"}

[[questions]]
type = "select_one"
name = "peer"
label = {zh = "想参加小组", en = "Wants a group"}
choices = "yn"

[[questions]]
type = "calculate"
name = "alone_flag"
calculation = "if(${living} = 'alone', 1, 0)"

[[questions]]
type = "select_one"
name = "hurt"
label = {zh = "自伤念头", en = "Self-harm thoughts"}
choices = "yn"

[[choices.living]]
name = "alone"
label = {zh = "独居", en = "Alone"}

[[choices.living]]
name = "couple"
label = {zh = "与配偶同住", en = "With a spouse"}

[[choices.yn]]
name = "yes"
label = {zh = "是", en = "Yes"}

[[choices.yn]]
name = "no"
label = {zh = "否", en = "No"}

[[indicators]]
name = "lonely"
label = {zh = "孤独", en = "Lonely"}
flag = "${ucla} >= 6"
domain = "loneliness"
bradshaw = ["normative"]

[[indicators]]
name = "peer_interest"
flag = "${peer} = 'yes'"
domain = "loneliness"
bradshaw = ["felt"]

[[indicators]]
name = "alone"
flag = "${alone_flag} = 1"
domain = "loneliness"
bradshaw = ["normative"]

[[indicators]]
name = "selfharm"
flag = "${hurt} = 'yes'"
domain = "safety"
safety = true
"""

RULES = """
id = "test-rules"
version = "1"
title = {zh = "测试", en = "Test"}

[[rules]]
id = "LON-01"
title = {zh = "孤独", en = "Loneliness"}
population = "older_people"
domain = "loneliness"
indicator = "lonely"
bradshaw = ["normative"]
trigger = [
  {stat = "estimate", op = ">=", value = 0.30},
  {stat = "ci_low", op = ">=", value = 0.20},
  {stat = "n_total", op = ">=", value = 30},
]
severity = 3
codes = ["isolation"]
smart = {zh = "到{end}，{population}{n}人中{indicator}由{baseline}降至{target}（{instrument}，{activity}）", en = "By {end}: {indicator} among {n} {population} from {baseline} to {target} ({instrument}, {activity})"}

[[rules.interventions]]
id = "group"
name = {zh = "互助小组", en = "Peer group"}
method = "group_work"
evidence = {level = "B", refs = ["a review"]}

[[rules.interventions]]
id = "visits"
name = {zh = "探访", en = "Visits"}
method = "community_work"
evidence = {level = "C"}

[[rules.outcomes]]
indicator = "lonely"
direction = "decrease"
instrument = {zh = "UCLA-3", en = "UCLA-3"}

[[rules]]
id = "ALN-02"
title = {zh = "独居", en = "Living alone"}
population = "older_people"
domain = "loneliness"
indicator = "alone"
trigger = [{stat = "estimate", op = ">=", value = 0.30}, {stat = "ci_low", op = ">=", value = 0.20}]

[[rules.interventions]]
id = "watch"
name = {zh = "邻里守望", en = "Neighbourhood watch"}
method = "community_work"
evidence = {level = "C"}

[[rules]]
id = "SAFE-01"
title = {zh = "自伤", en = "Self-harm"}
population = "any"
domain = "safety"
indicator = "selfharm"
safety = true
action = {zh = "当日跟进", en = "Follow up today"}
"""


def form() -> Compiled:
    """The small older-people form."""
    return make_form(FORM)


def rules() -> rulebook.Rulebook:
    """The rulebook for it: loneliness, living alone, and a safety rule."""
    return rulebook.loads(RULES, "test-rules.toml")


def prop(
    var: str,
    est: float | None,
    low: float | None,
    high: float | None,
    n: int | None,
    group: tuple[str, str] | None = None,
) -> Row:
    """A share row of an indicator (option yes), overall or in ``group`` = (segment, value)."""
    g, v = group if group else (None, None)
    return row(
        "prop",
        var,
        "indicator",
        option="yes",
        group_var=g,
        group_value=v,
        estimate=est,
        ci_low=low,
        ci_high=high,
        n_total=n,
    )


def classes(var: str, shares: tuple[float, ...], group: tuple[str, str] | None = None) -> list[Row]:
    """The rows of the shares in severity classes 1–5."""
    g, v = group if group else (None, None)
    return [
        row("prop", var, "indicator", option=str(i + 1), group_var=g, group_value=v, estimate=s)
        for i, s in enumerate(shares)
    ]


def chi2_row(var: str, segment: str, p: float, effect: float) -> Row:
    """A chi-squared test of the indicator against a segment."""
    return row(
        "chi2",
        var,
        "indicator",
        group_var=segment,
        statistic=12.0,
        df=1.0,
        p_value=p,
        p_adjusted=p,
        effect_size=effect,
        n=551,
    )


def table(p_adjusted: float = 0.0004, effect: float = 0.28) -> list[Row]:
    """Loneliness concentrated among people living alone (a significant test), with felt interest there too."""
    return [
        prop("lonely", 0.176, 0.147, 0.210, 551),
        prop("lonely", 0.359, 0.281, 0.445, 128, ("living", "alone")),
        prop("lonely", 0.100, 0.060, 0.160, 200, ("living", "couple")),
        *classes("lonely", (0.641, 0.20, 0.08, 0.079, 0.0), ("living", "alone")),
        chi2_row("lonely", "living", p_adjusted, effect),
        prop("peer_interest", 0.31, 0.27, 0.35, 551),
        prop("peer_interest", 0.406, 0.325, 0.493, 128, ("living", "alone")),
        prop("alone", 0.40, 0.35, 0.45, 328),
        prop("alone", 1.0, 0.97, 1.0, 128, ("living", "alone")),
        prop("alone", 0.0, 0.0, 0.02, 200, ("living", "couple")),
        chi2_row("alone", "living", 1e-60, 1.0),
    ]


# =================================================================================== the tests

import msgspec  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

from analysis.design import Design  # noqa: E402
from analysis.priorities import Choice, Corroboration, prioritise  # noqa: E402
from analysis.prioritise import (  # noqa: E402
    HANLON,
    IpaPair,
    Settings,
    band_score,
    bpr,
    effectiveness,
    pearl_gate,
    score,
    seriousness,
    severity_class,
    size,
)
from analysis.prioritise_evidence import Group, RowIndex, built_in, check, findings  # noqa: E402
from analysis.prioritise_ipa import ipa, quadrant  # noqa: E402
from analysis.prioritise_stability import Samples, draws, rank_stability, shares, wilson_low  # noqa: E402
from analysis.rulebook import Condition, Pearl  # noqa: E402

TRIGGER = (
    Condition(stat="estimate", op=">=", value=0.30),
    Condition(stat="ci_low", op=">=", value=0.20),
    Condition(stat="n_total", op=">=", value=30),
)


# --- the scoring formulas, worked by hand ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.6, 10), (0.5, 10), (0.281, 9), (0.25, 9), (0.2, 8), (0.175, 8), (0.12, 7), (0.0005, 2), (0.00005, 0)],
)
def test_size_bands_follow_hanlons_table_split_in_the_middle(value: float, expected: float) -> None:
    """A from the prevalence: ≥50% → 10, ≥25% → 9, ≥17.5% → 8, ≥10% → 7 … below 0.01% → 0."""
    assert band_score(value, HANLON) == expected


def test_size_reads_the_lower_bound_by_default_and_the_estimate_when_asked() -> None:
    """55% with a lower bound of 45%: A = 9 from the bound (conservative), 10 from the estimate."""
    assert size(0.55, 0.45, Settings()).score == 9
    assert size(0.55, 0.45, Settings()).input == 0.45
    assert size(0.55, 0.45, Settings(size_from="estimate")).score == 10


def test_size_from_people_multiplies_the_share_by_the_population() -> None:
    """28.1% (lower bound) of 2,000 people is 562 people: at least 500 → A = 9."""
    part = size(0.359, 0.281, Settings(size_basis="people"), people=2000)
    assert part.input == pytest.approx(562.0)
    assert part.score == 9
    assert part.basis == "people"


def test_severity_class_is_the_class_a_fifth_of_those_in_need_reach() -> None:
    """Classes (60, 20, 10, 10, 0)%: of those in need (50, 25, 25, 0)% → 25% reach class 4 ≥ 20%; with x = 30%, class 3."""
    assert severity_class((0.6, 0.2, 0.1, 0.1, 0.0), 0.2) == 4
    assert severity_class((0.6, 0.2, 0.1, 0.1, 0.0), 0.3) == 3
    assert severity_class((1.0, 0.0, 0.0, 0.0, 0.0), 0.2) is None
    assert severity_class((0.6, None, 0.1, 0.1, 0.0), 0.2) is None


def test_seriousness_maps_the_class_to_zero_to_twenty_else_takes_the_rules_class() -> None:
    """Class 4 → B = 15; no classes: the rule's class 3 → B = 10."""
    assert seriousness(4, 3, Settings()).score == 15
    assert seriousness(None, 3, Settings()).score == 10
    assert seriousness(None, 3, Settings()).basis == "rule"


def test_effectiveness_comes_from_the_evidence_level_unless_the_rule_scores_it() -> None:
    """Level B → C = 6, level C → 3; an intervention's own score wins."""
    book = rules()
    group, visits = book.rule("LON-01").interventions
    assert effectiveness(group, Settings()).score == 6
    assert effectiveness(visits, Settings()).score == 3
    assert effectiveness(msgspec.structs.replace(visits, effectiveness=7.5), Settings()).score == 7.5


def test_basic_priority_rating_uic_and_naccho() -> None:
    """A 9, B 15, C 6: UIC (9 + 15)·6/3 = 48; NACCHO (9 + 2·7.5)·6 = 144, three times as much."""
    assert bpr(9, 15, 6) == 48
    assert bpr(9, 15, 6, "naccho") == 144


def test_pearl_multiplies_decided_items_and_lists_what_is_pending() -> None:
    """Nothing decided: D = 1 with five pending; one 0 closes the gate."""
    d, pending, failed = pearl_gate(Pearl())
    assert (d, len(pending), failed) == (1.0, 5, ())
    d, pending, failed = pearl_gate(Pearl(propriety=1, economic=0, legality=1))
    assert (d, failed) == (0.0, ("economic",))
    assert set(pending) == {"acceptability", "resources"}


def test_the_score_shows_its_parts_and_the_opr_is_bpr_times_d() -> None:
    """OPR = BPR × D, with A, B and C kept as parts."""
    s = score(
        size(0.359, 0.281, Settings()),
        seriousness(4, 3, Settings()),
        effectiveness(rules().rule("LON-01").interventions[0], Settings()),
        Pearl(economic=0),
    )
    assert (s.size.score, s.seriousness.score, s.effectiveness.score, s.bpr, s.pearl, s.opr) == (
        9,
        15,
        6,
        48,
        0.0,
        0.0,
    )


# --- the trigger ----------------------------------------------------------------------------------


def test_a_trigger_holds_when_every_condition_does() -> None:
    """35.9% (28.1–44.5%, n 128) against ≥ 30%, ≥ 20%, n ≥ 30: triggered."""
    status, checks = check(TRIGGER, prop("x", 0.359, 0.281, 0.445, 128))
    assert status == "triggered"
    assert [c.holds for c in checks] == [True, True, True]


def test_a_need_whose_whole_interval_is_under_the_threshold_is_below() -> None:
    """10% (7–14%): the upper bound is under 30%, so the data put it below the threshold."""
    assert check(TRIGGER, prop("x", 0.10, 0.07, 0.14, 400))[0] == "below"


@pytest.mark.parametrize(
    "found",
    [
        prop("x", 0.40, 0.15, 0.66, 14),
        prop("x", 0.28, 0.19, 0.38, 90),
        prop("x", None, None, None, 120),
        None,
    ],
    ids=["few respondents", "interval straddles", "suppressed", "no row"],
)
def test_what_the_data_can_neither_support_nor_rule_out_is_insufficient(found) -> None:  # type: ignore[no-untyped-def]
    """Too few respondents, an interval across the threshold, a suppressed cell, no row: insufficient evidence."""
    assert check(TRIGGER, found)[0] == "insufficient"


# --- comparative need, convergence, built-in comparisons -----------------------------------------


def test_a_segment_the_indicator_is_computed_from_is_built_in() -> None:
    """``alone`` reads a calculation of ``living``: comparing it by ``living`` is true by construction."""
    compiled = form()
    assert built_in(compiled, "alone", "living")
    assert not built_in(compiled, "lonely", "living")


def test_the_group_that_stands_out_is_the_target_with_three_kinds_of_need() -> None:
    """Lonely among those living alone: significant (p .0004, V .28) and above 17.6% → comparative; felt interest there → K = 3."""
    found = {f.rule: f for f in findings(RowIndex(table()), form(), rules(), Settings())}
    lon = found["LON-01"]
    assert lon.status == "triggered"
    assert lon.group == Group(var="living", value="alone")
    assert lon.comparative
    assert {f.type for f in lon.convergence} == {"normative", "felt", "comparative"}
    assert lon.k == 3


@pytest.mark.parametrize(("p", "effect"), [(0.2, 0.28), (0.0004, 0.05)], ids=["not significant", "too small"])
def test_no_comparative_need_without_significance_and_an_effect(p: float, effect: float) -> None:
    """BH p ≥ α, or Cramér's V under min_effect: the group does not stand out."""
    lon = {f.rule: f for f in findings(RowIndex(table(p, effect)), form(), rules(), Settings())}["LON-01"]
    assert not lon.comparative


def test_a_built_in_difference_is_never_comparative_evidence() -> None:
    """``alone`` is 100% among people living alone, p = 1e-60 — but by construction, so no comparative need."""
    aln = {f.rule: f for f in findings(RowIndex(table()), form(), rules(), Settings())}["ALN-02"]
    assert not aln.comparative
    assert aln.group == Group()  # nothing stands out: everyone is the target
    assert Group(var="living", value="alone") in aln.also


# --- tiers and order ------------------------------------------------------------------------------


def test_a_need_with_a_second_line_of_evidence_is_high_and_first() -> None:
    """Loneliness (comparative) is high and ranked 1; living alone (one line only) is moderate, ranked 2."""
    needs = prioritise(table(), form(), rules(), Settings()).needs
    assert [(n.rule.id, n.tier, n.rank) for n in needs] == [("LON-01", "high", 1), ("ALN-02", "moderate", 2)]
    s = needs[0].score
    assert s is not None
    assert (s.size.score, s.seriousness.score, s.effectiveness.score, s.opr) == (9, 15, 6, 48)


def test_qualitative_corroboration_is_the_other_way_to_high() -> None:
    """With no significant difference, two interviewees coding isolation make loneliness high again."""
    plain = prioritise(table(0.5), form(), rules(), Settings())
    assert plain.needs[0].tier == "moderate"
    heard = {"LON-01": Corroboration(codes=("isolation",), participants=(2, 9))}
    assert (
        prioritise(table(0.5), form(), rules(), Settings(), qualitative=heard).tier("high")[0].rule.id
        == "LON-01"
    )


def test_a_closed_pearl_gate_holds_a_need_back_but_shows_it() -> None:
    """Economic feasibility 0: OPR 0, tier gated, still listed with its parts."""
    found = prioritise(
        table(), form(), rules(), Settings(), choices={"LON-01": Choice(pearl=Pearl(economic=0))}
    )
    lon = next(n for n in found.needs if n.rule.id == "LON-01")
    assert lon.tier == "gated"
    assert lon.score is not None
    assert lon.score.opr == 0
    assert lon.score.bpr == 48


def test_the_designers_intervention_changes_c() -> None:
    """Scoring loneliness with visits (level C) gives C = 3 and OPR (9 + 15)·3/3 = 24."""
    found = prioritise(
        table(), form(), rules(), Settings(), choices={"LON-01": Choice(intervention="visits")}
    )
    assert found.needs[0].score.opr == 24  # type: ignore[union-attr]


def test_safety_rules_are_never_ranked() -> None:
    """The self-harm rule finds nothing to rank, whatever the rows say."""
    rows = [*table(), prop("selfharm", 0.9, 0.85, 0.95, 500)]
    assert "SAFE-01" not in {n.rule.id for n in prioritise(rows, form(), rules(), Settings()).needs}


def test_when_nothing_has_a_second_line_the_evidence_is_called_insufficient() -> None:
    """No significant difference, no interviews: no need is high, and the priorities say so."""
    assert prioritise(table(0.5), form(), rules(), Settings()).insufficient


# --- stability --------------------------------------------------------------------------------------


def test_wilson_lower_bounds_match_scipy() -> None:
    """The vectorised Wilson bound equals scipy's binomtest for 15/148 and 81/263."""
    found = wilson_low(np.array([15 / 148, 81 / 263]), np.array([148, 263]))
    expected = [binomtest(k, n).proportion_ci(method="wilson").low for k, n in ((15, 148), (81, 263))]
    assert found == pytest.approx(expected, abs=1e-10)


def test_a_draw_of_each_respondent_once_gives_the_weighted_share() -> None:
    """Counts of one: the share flagged among the counted, weights 1, 1, 2 (flag −1 is not counted) → 3/4."""
    counts = np.ones((1, 4), dtype=np.int64)
    p, n = shares(counts, np.array([1, 0, 1, -1]), np.ones(4, dtype=bool), np.array([1.0, 1.0, 2.0, 5.0]))
    assert p[0] == pytest.approx(0.75)
    assert n[0] == 3


def test_draws_keep_strata_and_the_same_seed_gives_the_same_draws() -> None:
    """Each stratum's counts add up to its size in every draw; seed 7 twice gives identical draws."""
    design = Design(strata=np.array(["a", "a", "a", "b", "b"]))
    first = draws(design, 50, 7)
    assert (first[:, :3].sum(axis=1) == 3).all()
    assert (first[:, 3:].sum(axis=1) == 2).all()
    assert (first == draws(design, 50, 7)).all()


def test_rank_stability_counts_ranks_by_hand() -> None:
    """Four draws of two needs: the first leads in three → P(rank 1) .75, ranks 1–2, tied with the other."""
    scores = np.array([[2.0, 1.0], [2.0, 1.0], [1.0, 2.0], [2.0, 1.0]])
    first, second = rank_stability(scores, top=1)
    assert (first.first, first.top, first.median, first.low, first.high) == (0.75, 0.75, 1.0, 1, 2)
    assert first.tied == (1,)
    assert second.first == 0.25


def test_a_clear_leader_is_stable_under_the_bootstrap() -> None:
    """Loneliness 60% against living alone 10% among 200 respondents: rank 1 in every draw, not tied."""
    n = 200
    lonely = np.where(np.arange(n) < 120, 1, 0)
    alone = np.where(np.arange(n) < 20, 1, 0)
    rows = [prop("lonely", 0.6, 0.53, 0.67, n), prop("alone", 0.1, 0.066, 0.149, n)]
    samples = Samples(flags={"lonely": lonely, "alone": alone}, groups={}, design=Design.simple(n))
    wide = msgspec.structs.replace(
        rules(),
        rules=tuple(
            msgspec.structs.replace(r, trigger=(Condition(stat="estimate", op=">=", value=0.05),))
            if not r.safety
            else r
            for r in rules().rules
        ),
    )
    found = prioritise(rows, form(), wide, Settings(resamples=200), samples=samples)
    lon = found.needs[0]
    assert lon.rule.id == "LON-01"
    assert lon.stability is not None
    assert (lon.stability.first, lon.stability.low, lon.stability.high, lon.stability.tied) == (1.0, 1, 1, ())


# --- importance and performance -------------------------------------------------------------------


def test_ipa_quadrants_against_data_centred_cross_hairs() -> None:
    """Means (I, P): a (4.5, 2.5), b (4.0, 4.2), c (3.0, 2.0), d (2.5, 4.5); I* = 3.5, P* = 3.3."""
    from analysis.results import row as make

    means = {"a": (4.5, 2.5), "b": (4.0, 4.2), "c": (3.0, 2.0), "d": (2.5, 4.5)}
    rows = [
        make("mean", f"{k}_{side}", "likert", estimate=v[i])
        for k, v in means.items()
        for i, side in enumerate(("importance", "performance"))
    ]
    pairs = [IpaPair(item=k, importance=f"{k}_importance", performance=f"{k}_performance") for k in means]
    found = ipa(pairs, rows)
    assert found is not None
    assert (found.importance_star, found.performance_star) == pytest.approx((3.5, 3.3))
    assert {p.item: p.quadrant for p in found.points} == {
        "a": "concentrate",
        "b": "keep_up",
        "c": "low_priority",
        "d": "overkill",
    }
    assert {p.item: p.gap for p in found.points}["a"] == pytest.approx(2.0)


def test_scale_centred_cross_hairs_move_an_item_across() -> None:
    """With the midpoint 3 as cross-hairs, c (3.0, 2.0) is important enough: concentrate here."""
    assert quadrant(3.0, 2.0, 3.0, 3.0) == "concentrate"
    assert quadrant(3.0, 2.0, 3.5, 3.3) == "low_priority"
