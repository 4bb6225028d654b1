"""Behaviour of the estimators, summaries, comparisons, scales, indicators and guards.

References are computed independently: scipy's own routines (binomtest, t.interval, mannwhitneyu,
kruskal), numpy, or counts worked out by hand in the docstring.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.compare import categorical, ordinal
from analysis.design import Design, ratio_means
from analysis.estimates import mean, proportions, select_multiple
from analysis.guards import flags, suppress
from analysis.indicators import people_in_need, prevalence, severity_classes
from analysis.scales import composite, reverse
from analysis.summaries import likert, numeric, rank


def _wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


# ----------------------------------------------------------------------------- proportions, means


def test_unweighted_proportions_use_wilson_over_valid_answers() -> None:
    """Codes −1 and rows outside ``valid`` leave the denominator; intervals are scipy's Wilson."""
    codes = np.array([0, 1, 1, 2, -1, 1, 0, 1])
    valid = np.array([True] * 7 + [False])
    found = proportions(codes, 3, Design.simple(8), valid=valid)
    assert [(e.n, e.n_total) for e in found] == [(2, 6), (3, 6), (1, 6)]
    assert found[1].estimate == pytest.approx(0.5)
    assert (found[1].ci_low, found[1].ci_high) == pytest.approx(_wilson(3, 6))
    assert found[1].df is None
    assert found[1].deff is None


def test_codes_beyond_the_options_are_an_error() -> None:
    """A code ≥ k is a bug upstream, not an answer to drop silently."""
    with pytest.raises(ValueError, match="below k=2"):
        proportions(np.array([0, 2]), 2, Design.simple(2))


def test_unweighted_mean_is_the_t_interval() -> None:
    """NaN is missing; the interval is scipy's t interval with n − 1 df and the standard error."""
    x = np.array([3.0, 5.0, np.nan, 8.0, 1.0, 4.0])
    e = mean(x, Design.simple(6))
    data = x[np.isfinite(x)]
    assert (e.ci_low, e.ci_high) == pytest.approx(
        stats.t.interval(0.95, 4, loc=data.mean(), scale=stats.sem(data))
    )
    assert (e.n, e.df) == (5, 4)


def test_weighted_share_of_zero_gets_wilson_on_kish_n() -> None:
    """A weighted share of exactly 0 has no logit interval; Wilson on Kish's n_eff is used and said."""
    w = np.array([1.0, 2.0, 1.0, 2.0])
    e = proportions(np.array([0, 0, 0, 0]), 2, Design(weights=w))[1]
    n_eff = w.sum() ** 2 / np.square(w).sum()
    assert e.estimate == 0
    assert e.ci_high == pytest.approx(_wilson_float(0, n_eff)[1])
    assert "Kish" in e.method


def _wilson_float(k: float, n: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_select_multiple_denominator_is_who_answered_not_the_ticks() -> None:
    """Four answered, one skipped: shares are over 4, so they may sum past 100%; per-option
    ``known`` masks drop an option from its own denominator only."""
    ticks = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)
    answered = np.array([True, True, True, True, False])
    found = select_multiple(ticks, answered, Design.simple(5))
    assert [(e.n, e.n_total) for e in found] == [(3, 4), (3, 4), (1, 4)]
    assert sum(e.estimate for e in found) == pytest.approx(1.75)
    assert (found[0].ci_low, found[0].ci_high) == pytest.approx(_wilson(3, 4))
    known = np.ones((5, 3), bool)
    known[3, 2] = False
    assert select_multiple(ticks, answered[:, None] & known, Design.simple(5))[2].n_total == 3


# ----------------------------------------------------------------------------- summaries


def test_likert_boxes_net_and_dont_know() -> None:
    """Answers 1,2,2,3,4,5,5,5 and two "don't know": top-2 = 4/8, bottom-2 = 3/8, net = 1/8,
    don't know = 2/10; the distribution covers every scale point."""
    values = np.array([1, 2, 2, 3, 4, 5, 5, 5, 3, np.nan])
    dk = np.array([False] * 8 + [True, True])
    s = likert(values, (1, 2, 3, 4, 5), Design.simple(10), dont_know=dk)
    assert (s.top_box.n, s.top_box.n_total) == (4, 8)
    assert (s.top_box.ci_low, s.top_box.ci_high) == pytest.approx(_wilson(4, 8))
    assert s.bottom_box.estimate == pytest.approx(3 / 8)
    assert s.net.estimate == pytest.approx(1 / 8)
    assert s.dont_know is not None
    assert (s.dont_know.n, s.dont_know.n_total) == (2, 10)
    assert [e.n for e in s.distribution] == [1, 2, 1, 1, 3]
    assert s.mean.estimate == pytest.approx(27 / 8)


def test_likert_rejects_values_off_the_scale() -> None:
    """A 6 on a 1–5 scale is an error, not a silent extra category."""
    with pytest.raises(ValueError, match="scale points"):
        likert(np.array([1.0, 6.0]), (1, 2, 3, 4, 5), Design.simple(2))


def test_rank_first_mentions_and_borda() -> None:
    """Three respondents rank options A–D top 3: A,B,C / B,A,D / A,C,B. First: A 2/3, B 1/3;
    mentioned: A, B 3/3, C 2/3, D 1/3; Borda (3/2/1 over 3·3): A 8/9, B 6/9, C 3/9, D 1/9."""
    order = np.array([[1, 2, 3, 0], [2, 1, 0, 3], [1, 3, 2, 0]])
    s = rank(order, Design.simple(3))
    assert s.top == 3
    assert [e.estimate for e in s.first] == pytest.approx([2 / 3, 1 / 3, 0, 0])
    assert [e.estimate for e in s.mentioned] == pytest.approx([1, 1, 2 / 3, 1 / 3])
    assert [e.estimate for e in s.borda] == pytest.approx([8 / 9, 6 / 9, 3 / 9, 1 / 9])
    assert s.ranking == (0, 1, 2, 3)
    assert s.inconsistent == 0
    assert rank(np.array([[1, 1, 0, 0]]), Design.simple(1)).inconsistent == 1


def test_numeric_summary_matches_numpy() -> None:
    """Unweighted quartiles are numpy's, the sd has ddof 1, the median is numpy's."""
    rng = np.random.default_rng(0)
    x = rng.lognormal(3, 1, 201)
    s = numeric(x, Design.simple(201))
    assert (s.q1, s.q3) == pytest.approx(tuple(np.quantile(x, [0.25, 0.75])))
    assert s.sd == pytest.approx(np.std(x, ddof=1))
    assert s.median.estimate == np.median(x)
    assert s.median.ci_low < s.median.estimate < s.median.ci_high


# ----------------------------------------------------------------------------- comparisons


def test_codes_and_groups_give_the_same_test_as_their_table() -> None:
    """categorical(codes, groups) tabulates and tests like categorical(table)."""
    codes = np.repeat([0, 1, 2, 0, 1, 2], [29, 7, 7, 13, 7, 21])
    groups = np.repeat([0, 0, 0, 1, 1, 1], [29, 7, 7, 13, 7, 21])
    a = categorical(codes, groups, design=Design.simple(len(codes)))
    b = categorical(np.array([[29, 7, 7], [13, 7, 21]]))
    assert (a.test, a.statistic, a.p_value) == (b.test, b.statistic, b.p_value)


def test_one_group_is_not_testable() -> None:
    """With a single group there is nothing to compare: test "none", p NaN, reason given."""
    r = categorical(np.array([[3, 4, 5]]))
    assert r.test == "none"
    assert np.isnan(r.p_value)
    assert "fewer than two" in r.method


def test_large_samples_match_scipys_rank_tests() -> None:
    """With 6,000 likert answers the fast rank tests equal scipy's asymptotic Mann–Whitney and Kruskal."""
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, 6000).astype(float)
    g = rng.integers(0, 3, 6000)
    two = ordinal(x, g % 2)
    ref = stats.mannwhitneyu(x[g % 2 == 0], x[g % 2 == 1], method="asymptotic")
    assert two.statistic == pytest.approx(ref.statistic)
    assert two.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    three = ordinal(x, g)
    ref = stats.kruskal(*(x[g == k] for k in range(3)))
    assert (three.statistic, three.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-9)


def test_rank_tests_say_they_ignore_weights() -> None:
    """Mann–Whitney on a weighted design runs unweighted and the method says so."""
    d = Design(weights=np.array([1.0, 2, 1, 2, 1, 2]))
    r = ordinal(np.array([1.0, 2, 3, 4, 5, 6]), np.array([0, 0, 0, 1, 1, 1]), design=d)
    assert "weights ignored" in r.method


# ----------------------------------------------------------------------------- design


def test_fpc_as_fraction_or_population_size_agree() -> None:
    """fpc 0.25 everywhere equals population sizes of four times each stratum's sample."""
    rng = np.random.default_rng(4)
    strata = np.repeat([0, 1], [10, 20])
    y, w = rng.normal(size=30), rng.uniform(1, 2, 30)
    a = ratio_means(y, Design(weights=w, strata=strata, fpc=np.full(30, 0.25)))
    b = ratio_means(y, Design(weights=w, strata=strata, fpc=np.where(strata == 0, 40.0, 80.0)))
    assert a.variance == pytest.approx(b.variance)


def test_single_psu_stratum_adds_no_variance_and_design_validates() -> None:
    """A stratum with one PSU contributes 0 (R's lonely.psu = "certainty"): scores (y − 4)/4 are
    −.75, −.5, −.25 in stratum 0, so V = 3/2 · 0.125 = 0.1875; bad input is refused."""
    y = np.array([1.0, 2.0, 3.0, 10.0])
    one = ratio_means(
        y, Design(weights=np.ones(4), strata=np.array([0, 0, 0, 1]), clusters=np.array([0, 1, 2, 3]))
    )
    assert one.variance[0, 0] == pytest.approx(0.1875)
    with pytest.raises(ValueError, match="constant within each stratum"):
        Design(strata=np.array([0, 0]), fpc=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="non-negative"):
        Design(weights=np.array([1.0, -1.0]))


def test_subset_is_a_domain_of_the_full_design() -> None:
    """Estimating on design.subset(mask) equals estimating with the mask as a group."""
    rng = np.random.default_rng(8)
    n = 60
    d = Design(weights=rng.uniform(1, 3, n), strata=rng.integers(0, 3, n), clusters=rng.integers(0, 8, n))
    y, mask = rng.normal(size=n), rng.random(n) < 0.5
    part = mean(y[mask], d.subset(mask))
    whole = ratio_means(y, d, groups=mask.astype(int), n_groups=2)
    assert part.se == pytest.approx(np.sqrt(whole.variance[1, 0]))
    assert part.df == whole.df[1, 0]


# ----------------------------------------------------------------------------- scales, indicators


def test_composite_uses_available_items_when_enough_are_answered() -> None:
    """With 4 items and the default ⌈4/2⌉ = 2: two answers give their mean, one answer gives NaN."""
    items = np.array([[1, 2, 3, 4], [2, np.nan, 4, np.nan], [5, np.nan, np.nan, np.nan]])
    c = composite(items)
    assert c.scores[:2] == pytest.approx([2.5, 3.0])
    assert np.isnan(c.scores[2])
    assert "at least 2 of 4" in c.method
    assert composite(items, how="sum").scores[0] == pytest.approx(10.0)
    assert reverse(np.array([1.0, 5.0, np.nan]), 1, 5)[:2] == pytest.approx([5.0, 1.0])


def test_severity_classes_prevalence_and_people_in_need() -> None:
    """Cuts (2, 4, 6, 8) classify 1, 2, 5, 8, 9 as 1, 2, 3, 5, 5; 3 of 5 are in class ≥ 3."""
    classes = severity_classes(np.array([1, 2, 5, 8, 9, np.nan]), (2, 4, 6, 8))
    assert classes.tolist() == [1, 2, 3, 5, 5, 0]
    assert people_in_need(classes, Design(weights=np.array([1.0, 1, 2, 2, 2, 9]))) == 6
    flag = np.where(classes > 0, classes >= 3, np.nan)
    e = prevalence(flag, Design.simple(6))[0]
    assert (e.n, e.n_total) == (3, 5)
    by = prevalence(flag, Design.simple(6), groups=np.array([0, 0, 0, 1, 1, 1]), n_groups=2)
    assert [(x.n, x.n_total) for x in by] == [(1, 3), (2, 2)]


# ----------------------------------------------------------------------------- guards


def test_flags_mark_small_and_imprecise_estimates() -> None:
    """n = 20 is indicative; a Wilson interval for 10/20 spans more than 20 points: imprecise."""
    e = proportions(np.repeat([0, 1], 10), 2, Design.simple(20))[1]
    assert flags(e) == ("indicative", "imprecise")
    assert flags(e, min_n=10, max_width=0.5) == ()


def test_suppression_protects_a_lone_small_cell_with_complements() -> None:
    """A single 3 in a 3×3 table with published totals needs three complementary cells."""
    table = np.array([[3, 10, 20], [15, 12, 30], [40, 25, 22]])
    s = suppress(table)
    assert s.primary.sum() == 1
    assert s.cells.sum() == 4
    assert s.cells[0, 0]
    assert s.cells[0].sum() == 2
    assert s.cells[:, 0].sum() == 2
    assert not s.row_totals.any()
    assert not s.column_totals.any()


def test_identical_answers_are_not_testable() -> None:
    """When every answer is the same, a rank test has nothing to rank: test "none", reason given."""
    r = ordinal(np.ones(6), np.array([0, 0, 1, 1, 2, 2]))
    assert r.test == "none"
    assert "every answer is the same" in r.method


def test_flags_for_means_use_the_coefficient_of_variation() -> None:
    """A mean of 10 with SE 4 (CV 0.4 > 0.3) on 50 answers is imprecise but not indicative."""
    from analysis.estimates import Estimate

    e = Estimate(estimate=10.0, ci_low=2.0, ci_high=18.0, se=4.0, n=50, n_total=50, n_w=50.0, n_w_total=50.0)
    assert flags(e, proportion=False) == ("imprecise",)
    assert flags(e, proportion=False, max_cv=0.5) == ()
