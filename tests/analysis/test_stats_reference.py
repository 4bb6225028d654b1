"""Published reference values (METHODS §3.2, the ones that need no outside data) and R outputs.

Every expected number comes from a source outside this code: Newcombe (1998), scipy's and R's
documented examples, Benjamini & Hochberg (1995), R 4.2 runs (quoted where used).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.compare import benjamini_hochberg, categorical, cramers_v, ordinal
from analysis.estimates import wilson_interval
from analysis.indicators import area_phase, cohen_kappa
from analysis.scales import cronbach_alpha

ARTHRITIS = np.array([[29, 7, 7], [13, 7, 21]])  # vcd::Arthritis, Treatment × Improved


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_v1_wilson_interval_matches_newcombe(k: int, n: int, low: float, high: float) -> None:
    """V1: the Wilson score interval reproduces Newcombe's (1998) examples to 4 decimals."""
    lo, hi = wilson_interval(k, n)
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_v2_chi_square_and_cramers_v_on_arthritis() -> None:
    """V2: Pearson's chi-square on the Arthritis table gives χ² 13.055, df 2, p 0.001463, V 0.394."""
    result = categorical(ARTHRITIS)
    assert result.test == "chi2"
    assert result.statistic == pytest.approx(13.055, abs=5e-4)
    assert result.df == 2
    assert result.p_value == pytest.approx(0.001463, abs=5e-4)
    assert result.effect_size == pytest.approx(0.394, abs=5e-4)
    assert cramers_v(ARTHRITIS) == pytest.approx(0.394, abs=5e-4)


def test_v3_fisher_monte_carlo_is_close_to_rs_exact_p_and_reproducible() -> None:
    """V3: Monte Carlo Fisher on the Arthritis table is within 0.0006 of R's exact p = 0.001393."""
    first = categorical(ARTHRITIS, exact=True, seed=0)
    assert first.test == "fisher"
    assert first.p_value == pytest.approx(0.001393, abs=6e-4)
    assert first.seed == 0
    assert "100000 resamples, seed 0" in first.method
    assert categorical(ARTHRITIS, exact=True, seed=0).p_value == first.p_value


def test_v3_sparse_table_goes_to_fisher_with_reason_and_seed() -> None:
    """A 2×3 table with most expected counts below 5 is tested with Monte Carlo Fisher, seed recorded."""
    result = categorical(np.array([[3, 1, 0], [0, 2, 4]]), seed=7, n_resamples=20_000)
    assert result.test == "fisher"
    assert result.seed == 7
    assert "6 of 6 expected counts below 5" in result.method
    assert 0 < result.p_value < 0.2


def test_v4_fisher_two_by_two() -> None:
    """V4: Fisher's exact test on [[6, 2], [1, 4]] gives OR 12.0 and p 0.1025641 (scipy docs)."""
    result = categorical(np.array([[6, 2], [1, 4]]))
    assert result.test == "fisher"
    assert result.statistic == pytest.approx(12.0, abs=1e-7)
    assert result.p_value == pytest.approx(0.1025641, abs=1e-7)
    assert result.method.startswith("Fisher's exact test: 4 of 4 expected counts below 5")


BH_1995 = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.000,
]


def test_v5_benjamini_hochberg_worked_example() -> None:
    """V5: the 15 p-values of Benjamini & Hochberg (1995) give 4 rejections at 0.05."""
    q = benjamini_hochberg(np.array(BH_1995))
    assert int((q <= 0.05).sum()) == 4
    assert q[:5] == pytest.approx([0.0015, 0.0030, 0.0095, 0.035625, 0.0603], abs=1e-10)


def test_benjamini_hochberg_keeps_missing_p_values_missing() -> None:
    """A NaN p-value (an untestable comparison) stays NaN and does not count in the family."""
    q = benjamini_hochberg(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(q[1])
    assert q[[0, 2]] == pytest.approx([0.02, 0.04])


def test_v10_mann_whitney_scipy_example() -> None:
    """V10: males [19,22,16,29,24] vs females [20,11,17,12] give U = 17, exact p = 0.1111."""
    values = np.array([19, 22, 16, 29, 24, 20, 11, 17, 12], dtype=float)
    groups = np.array([0] * 5 + [1] * 4)
    result = ordinal(values, groups)
    assert result.test == "mannwhitney"
    assert result.statistic == 17
    assert result.p_value == pytest.approx(0.1111, abs=1e-4)
    assert result.effect_size == pytest.approx(2 * 17 / 20 - 1)


def test_kruskal_wallis_scipy_example() -> None:
    """Kruskal–Wallis on [1,1,1], [2,2,2], [2,2] gives H = 7.0, p = 0.0302 (scipy docs)."""
    values = np.array([1, 1, 1, 2, 2, 2, 2, 2], dtype=float)
    result = ordinal(values, np.array([0, 0, 0, 1, 1, 1, 2, 2]))
    assert result.test == "kruskal"
    assert result.statistic == pytest.approx(7.0)
    assert result.p_value == pytest.approx(0.0302, abs=1e-4)
    assert result.effect_size == pytest.approx(7.0 / 7)


def test_v18_cohen_kappa_textbook() -> None:
    """V18: the 2×2 agreement table [[20, 5], [10, 15]] gives κ = 0.40 exactly."""
    result = cohen_kappa(np.array([[20, 5], [10, 15]]))
    assert result.kappa == 0.40
    assert result.label == "fair"


@pytest.mark.parametrize(("x", "phase"), [(0.20, 4), (0.25, 3)])
def test_v19_area_phase_x_percent_rule(x: float, phase: int) -> None:
    """V19: shares (.40, .30, .08, .12, .10) give phase 4 under the 20% rule and 3 under 25%."""
    assert area_phase([0.40, 0.30, 0.08, 0.12, 0.10], x) == phase


# Reference values below from R 4.2.2: var(), cor() and qf() on the same matrix (Feldt's formula).
ITEMS = np.array(
    [
        [4, 5, 4],
        [3, 4, 3],
        [4, 4, 2],
        [5, 2, 4],
        [3, 2, 4],
        [5, 5, 4],
        [3, 5, 1],
        [3, 2, 1],
        [3, 3, 4],
        [3, 3, 4],
    ],
    dtype=float,
)


def test_cronbach_alpha_and_feldt_interval_match_r() -> None:
    """α, Feldt's interval, item–rest correlations and α-if-deleted agree with R to 1e-8."""
    r = cronbach_alpha(ITEMS)
    assert r.alpha == pytest.approx(0.2683486239, abs=1e-8)
    assert (r.ci_low, r.ci_high) == pytest.approx((-1.143089186, 0.802335499), abs=1e-8)
    assert r.item_rest == pytest.approx((0.4154337821, 0.02477038993, 0.09864175562), abs=1e-8)
    assert r.alpha_if_deleted == pytest.approx((-0.2272727273, 0.4839857651, 0.3212851406), abs=1e-8)


def test_cronbach_alpha_two_items_by_hand() -> None:
    """Items [1,2,3,4] and [2,1,4,3]: α = 2(1 − 10/3 / 16/3) = 0.75; Feldt from R's qf(·, 3, 3)."""
    r = cronbach_alpha(np.array([[1, 2], [2, 1], [3, 4], [4, 3]], dtype=float))
    assert r.alpha == pytest.approx(0.75)
    assert (r.ci_low, r.ci_high) == pytest.approx((-2.859795595, 0.9838074327), abs=1e-8)
    assert r.item_rest == pytest.approx((0.6, 0.6))


def test_chi_square_by_hand_equals_scipys_chi2_contingency():
    """The report's chi-square (Yates' correction on 2×2 tables only) gives scipy's statistic and p."""
    from scipy import stats as scipy_stats

    rng = np.random.default_rng(11)
    for shape in [(2, 2), (2, 3), (3, 4), (2, 2), (4, 2)]:
        table = rng.integers(8, 60, shape)
        ours = categorical(table)
        chi2, p, dof, _ = scipy_stats.chi2_contingency(table, correction=True)
        assert ours.test == "chi2"
        assert ours.statistic == pytest.approx(chi2, rel=1e-12)
        assert ours.p_value == pytest.approx(p, rel=1e-9)
        assert ours.df == dof
