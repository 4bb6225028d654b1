"""Qualitative evidence: keyword suggestions, de-identification, unit counting, co-occurrence, κ."""

from __future__ import annotations

from typing import Any

import pytest

from analysis.qualitative import (
    NEGATIONS,
    Segment,
    SurveyEvidence,
    Unit,
    agreement,
    co_occurrence,
    code_frequency,
    deidentify,
    suggest,
    triangulate,
)
from analysis.qualitative_text import frequent_terms, kwic, tfidf, tokens

KEYWORDS = {
    "loneliness": ["孤单", "孤独"],
    "no_one_to_talk": ["一个人在家", "没人说话"],
    "hard_to_see_doctor": ["看病", "医院"],
    "unfamiliar_neighbours": ["不认识"],
}


def seg(session: str, key: str, codes: tuple[str, ...], participant: str = "", **meta: Any) -> Segment:
    method = meta.pop("method", "interview")
    return Segment(
        session=session, key=key, text="……", method=method, participant=participant, codes=codes, **meta
    )


# -------------------------------------------------------------------------- suggestions


def codes(text: str) -> list[str]:
    return [s.code for s in suggest(text, KEYWORDS)]


def test_the_methods_example_suggests_only_the_unnegated_code() -> None:
    """ "平时不孤单…去医院看病不方便" suggests seeing a doctor, not loneliness (METHODS §4.3)."""
    assert codes("平时不孤单，去医院看病不方便") == ["hard_to_see_doctor"]


@pytest.mark.parametrize("negation", NEGATIONS)
def test_each_negation_right_before_a_keyword_blocks_it(negation: str) -> None:
    """不, 没, 没有, 未, 无, 并不, 从不 directly before the keyword: no suggestion."""
    assert codes(f"我{negation}孤单") == []


def test_a_negation_one_character_further_still_blocks_but_two_further_does_not() -> None:
    """The guard looks two characters back: 不太孤单 is negated, 不是说孤单 is not."""
    assert codes("不太孤单") == []
    assert codes("不是说孤单") == ["loneliness"]


def test_a_later_unnegated_occurrence_is_suggested_where_it_stands() -> None:
    """不孤单 first, 很孤单 later: the later one suggests the code, and says where."""
    (found,) = suggest("白天不孤单，夜里很孤单", KEYWORDS)
    assert (found.code, found.keyword, found.start) == ("loneliness", "孤单", 9)


def test_phrases_that_segmentation_splits_are_found_as_substrings() -> None:
    """一个人在家 is split by jieba (一个/人/在家), yet the keyword matches the raw text."""
    text = "我平时都是一个人在家看电视"
    assert "一个人在家" not in tokens(text)
    assert codes(text) == ["no_one_to_talk"]


def test_keywords_that_begin_with_a_negation_are_matched() -> None:
    """A keyword such as 不认识 is itself negative; it is suggested unless negated again before it."""
    assert codes("楼上楼下都不认识") == ["unfamiliar_neighbours"]


# ------------------------------------------------------------------------- de-identifying


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("我姓陈，住3栋502室。", "我姓某，住[门牌]。"),
        ("我叫李明华，大家好", "我叫某某，大家好"),
        ("他们叫我去开会", "他们叫我去开会"),
        ("有事打13800138000找我", "有事打[电话]找我"),
        ("电话 138 0013 8000 或 0757-86281234", "电话 [电话] 或 [电话]"),
        ("手机１３８００１３８０００", "手机[电话]"),
        ("身份证440681195001011234，另一个44068119500101123X", "身份证[证件号]，另一个[证件号]"),
        ("住在12室", "住在[门牌]"),
        ("打+86 138 1234 5678，或+8613812345678，或0086-138-1234-5678", "打[电话]，或[电话]，或[电话]"),
        ("身份证440681 19500101 123X，或4406 8119 5001 0112 34", "身份证[证件号]，或[证件号]"),
        ("座机(0757) 8654 3210，或020 87654321，或+86-20-87654321", "座机[电话]，或[电话]，或[电话]"),
        ("邻居电话8765 4321，座机：87654321", "邻居电话[电话]，座机：[电话]"),
        ("手机138.1234.5678，座机0757.8654.3210", "手机[电话]，座机[电话]"),
        ("平均3.5分，涨了12.5%，1.5万元", "平均3.5分，涨了12.5%，1.5万元"),
        ("2019-2023年，2026-09-12 0757", "2019-2023年，2026-09-12 0757"),
        ("照顾了20年，花了5000元", "照顾了20年，花了5000元"),
    ],
)
def test_names_phone_id_and_door_numbers_are_masked(raw: str, masked: str) -> None:
    """Names after 姓/叫, phone numbers, ID numbers and door numbers are masked; other numbers stay."""
    assert deidentify(raw) == masked


# ------------------------------------------------------------------------- unit counting


def test_interviews_count_participants_not_mentions() -> None:
    """A participant who raises a code three times counts once; mentions are kept apart."""
    units = [Unit(key=f"s{i}/P1", method="interview", group="teachers") for i in range(1, 5)]
    segments = [
        seg("s1", "q:1", ("stress",), "P1"),
        seg("s1", "q:2", ("stress",), "P1"),
        seg("s1", "n:a:1", ("stress", "sleep"), "P1"),
        seg("s2", "q:1", ("stress",), "P1"),
    ]
    rows = {(f.code, f.group): f for f in code_frequency(segments, units)}
    stress = rows["stress", "teachers"]
    assert (stress.k, stress.m, stress.mentions, stress.share) == (2, 4, 4, 0.5)
    assert (rows["sleep", "teachers"].k, rows["sleep", "teachers"].m) == (1, 4)


def test_focus_groups_count_groups_and_never_a_share_of_people() -> None:
    """A focus group counts as one unit whoever spoke: "k of m groups", with no percentage."""
    units = [Unit(key=s, method="focus_group", group="older") for s in ("g1", "g2", "g3")]
    segments = [
        seg("g1", "q:1", ("lonely",), "P01", method="focus_group"),
        seg("g1", "q:2", ("lonely",), "P02", method="focus_group"),
        seg("g2", "n:x:1", ("lonely",), method="focus_group"),
    ]
    (row,) = code_frequency(segments, units)
    assert (row.k, row.m, row.mentions, row.share) == (2, 3, 3, None)


def test_a_unit_that_is_not_taking_part_is_not_counted() -> None:
    """Segments of a unit left out of the units (a participant removed) count nowhere."""
    units = [Unit(key="s1/P1", method="interview", group="g")]
    segments = [seg("s1", "q:1", ("a",), "P1"), seg("s1", "q:2", ("a",), "P2")]
    (row,) = code_frequency(segments, units)
    assert (row.k, row.m, row.mentions) == (1, 1, 1)


def test_groups_are_counted_apart() -> None:
    """Each group has its own denominator."""
    units = [
        Unit(key="a/P1", method="interview", group="x"),
        Unit(key="b/P1", method="interview", group="y"),
        Unit(key="c/P1", method="interview", group="y"),
    ]
    segments = [seg("a", "q:1", ("c",), "P1"), seg("b", "q:1", ("c",), "P1")]
    assert [(f.group, f.k, f.m) for f in code_frequency(segments, units)] == [("x", 1, 1), ("y", 1, 2)]


# ------------------------------------------------------------------------- co-occurrence


def test_co_occurrence_counts_and_jaccard_above_the_minimum_support() -> None:
    """O_ab counts segments with both codes; J_ab = |A∩B| / |A∪B|; pairs under the support are left out."""
    segments = [
        seg("s", "1", ("a", "b")),
        seg("s", "2", ("a", "b")),
        seg("s", "3", ("a", "b", "c")),
        seg("s", "4", ("a",)),
        seg("s", "5", ("b", "c")),
    ]
    pairs = co_occurrence(segments, min_support=2)
    assert [(p.a, p.b, p.count) for p in pairs] == [("a", "b", 3), ("b", "c", 2)]
    assert pairs[0].jaccard == pytest.approx(3 / 5)  # a in 1-4, b in 1,2,3,5: union 5
    assert pairs[1].jaccard == pytest.approx(2 / 4)
    assert co_occurrence(segments, min_support=4) == ()


def test_co_occurrence_over_units_counts_each_participant_once() -> None:
    """Over units, a participant with both codes in any segments counts once."""
    segments = [
        seg("s1", "1", ("a",), "P1"),
        seg("s1", "2", ("b",), "P1"),
        seg("s2", "1", ("a", "b"), "P1"),
        seg("s3", "1", ("a",), "P1"),
    ]
    (pair,) = co_occurrence(segments, min_support=2, over="units")
    assert (pair.count, pair.jaccard) == (2, pytest.approx(2 / 3))


# ------------------------------------------------------------------------------- kappa


def coded(yes: set[int], code: str = "c", n: int = 10) -> dict[str, tuple[str, ...]]:
    return {f"s{i}": (code,) if i in yes else () for i in range(1, n + 1)}


def test_kappa_of_the_textbook_table_is_0_40() -> None:
    """[[20, 5], [10, 15]] (METHODS V18): κ = 0.40 exactly."""
    first = coded(set(range(1, 26)), n=50)  # coder A says yes on 25 segments
    second = coded(set(range(1, 21)) | set(range(26, 36)), n=50)  # B agrees on 20, adds 10
    result = agreement(first, second, ["c"])
    assert result.segments == 50
    assert result.by_code["c"].kappa == pytest.approx(0.40, abs=1e-12)


def test_kappa_per_code_and_pooled_against_hand_worked_values() -> None:
    """Code a [[4,1],[1,4]] → 0.6; code b [[2,0],[2,6]] → 24/44; pooled [[6,1],[3,10]] → 114/194."""
    a1, a2 = coded({1, 2, 3, 4, 5}, "a"), coded({1, 2, 3, 4, 6}, "a")
    b1, b2 = coded({1, 2}, "b"), coded({1, 2, 3, 4}, "b")
    first = {s: a1[s] + b1[s] for s in a1}
    second = {s: a2[s] + b2[s] for s in a2}
    result = agreement(first, second, ["a", "b", "unused"])
    assert result.by_code["a"].kappa == pytest.approx(0.6)
    assert result.by_code["b"].kappa == pytest.approx(24 / 44)
    assert result.overall.kappa == pytest.approx(114 / 194)
    assert result.by_code["unused"] is None  # neither coder used it: no κ, and not pooled


def test_only_segments_both_coders_coded_count() -> None:
    """A segment only one coder saw is not part of the agreement."""
    result = agreement({"s1": ("a",), "s2": ()}, {"s1": ("a",), "s3": ("a",)}, ["a"])
    assert result.segments == 1
    assert agreement({}, {}, ["a"]).overall is None


# ------------------------------------------------------------------------- triangulation


def test_triangulation_sets_survey_estimates_beside_participants_and_groups() -> None:
    """Per domain: the survey's estimates, interview participants and focus groups coding it, quotes."""
    units = [
        Unit(key="i1/P1", method="interview"),
        Unit(key="i2/P1", method="interview"),
        Unit(key="g1", method="focus_group"),
        Unit(key="g2", method="focus_group"),
    ]
    segments = [
        seg("i1", "q:1", ("lonely", "alone"), "P1"),
        seg("g1", "q:1", ("alone",), "P01", method="focus_group"),
        seg("g2", "q:1", ("stress",), "P01", method="focus_group"),
    ]
    survey = [
        SurveyEvidence(
            domain="loneliness", form="f", indicator="lonely", estimate=0.3, low=0.2, high=0.4, n=90
        )
    ]
    domains = {"lonely": "loneliness", "alone": "loneliness", "stress": "study_stress"}
    rows = triangulate(segments, units, domains, survey, {"loneliness": ["q1", "q2", "q3", "q4"]})
    lonely, stress = rows
    assert (lonely.domain, lonely.participants, lonely.groups, lonely.codes) == (
        "loneliness",
        (1, 2),
        (1, 2),
        ("alone", "lonely"),
    )
    assert lonely.survey == tuple(survey)
    assert lonely.quotes == ("q1", "q2", "q3")
    assert (stress.participants, stress.groups, stress.survey) == ((0, 2), (1, 2), ())


# ------------------------------------------------------------------------- words


def test_tfidf_rows_are_unit_length_and_shared_words_weigh_less() -> None:
    """Each document's vector has length 1; a word in every document weighs less than a rare one."""
    m = tfidf([["孤单", "老人"], ["老人", "看病"], ["老人"]])
    assert [round(float((r**2).sum()), 9) for r in m] == [1.0, 1.0, 1.0]
    assert m[0].max() > m[0][m[0] > 0].min()  # 孤单 (rare) outweighs 老人 (everywhere)


def test_frequent_terms_and_keyword_in_context() -> None:
    """Domain words stay whole (独居老人); KWIC shows each occurrence with its source."""
    terms = frequent_terms(["独居老人没人说话", "独居老人很孤单"], top=2)
    assert (terms[0].term, terms[0].count, terms[0].segments) == ("独居老人", 2, 2)
    found = kwic([("a", "他说很孤单，真的孤单"), ("b", "不孤单")], "孤单", width=2)
    assert [(c.left, c.right, c.source) for c in found] == [
        ("说很", "，真", "a"),
        ("真的", "", "a"),
        ("不", "", "b"),
    ]
