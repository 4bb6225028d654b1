"""Properties of the estimators, checked with Hypothesis against independent references.

* The vectorised Taylor variance equals a plain loop over strata and PSUs written here.
* Estimates do not depend on the order of the rows; weights of 1 give the unweighted results.
* The seeded bootstrap of the median follows the distribution of brute-force resampling.
* Suppression never leaves a suppressed count that the published totals pin down: a linear
  programme over everything published finds a range of possible values for each one.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from analysis.compare import categorical
from analysis.design import Design, cell_covariance, cell_proportions, ratio_means, taylor_variance
from analysis.estimates import mean, median, proportions_by, select_multiple

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def designs(draw, min_n: int = 4, max_n: int = 40):
    """A random sample: weights, strata, clusters nested in strata (or none), an fpc (or none)."""
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, draw(st.integers(1, 3)), n)
    clustered = draw(st.booleans())
    clusters = rng.integers(0, draw(st.integers(2, 6)), n) if clustered else None
    weights = rng.uniform(0.5, 4.0, n)
    fpc = None
    if draw(st.booleans()):
        fpc = np.array([{0: 0.1, 1: 0.25, 2: 0.5}[h] for h in strata])
    return Design(weights=weights, strata=strata, clusters=clusters, fpc=fpc), rng


def brute_variance(y, inside, design: Design) -> tuple[float, float, int]:
    """Ratio, its Taylor variance and df by direct loops (the textbook formula, METHODS §2.2)."""
    w = design.weights
    strata = design.strata
    psus = np.arange(len(y)) if design.clusters is None else design.clusters
    total = sum(w[i] for i in range(len(y)) if inside[i])
    r = sum(w[i] * y[i] for i in range(len(y)) if inside[i]) / total
    psu_totals: dict = defaultdict(lambda: defaultdict(float))
    for i in range(len(y)):
        z = w[i] * (y[i] - r) / total if inside[i] else 0.0
        psu_totals[strata[i]][psus[i]] += z
    variance = 0.0
    for h, totals in psu_totals.items():
        n_h = len(totals)
        if n_h < 2:
            continue
        f = 0.0 if design.fpc is None else design.fpc[list(strata).index(h)]
        values = np.array(list(totals.values()))
        variance += (1 - f) * n_h / (n_h - 1) * np.sum((values - values.mean()) ** 2)
    present = {(strata[i], psus[i]) for i in range(len(y)) if inside[i]}
    df = len(present) - len({h for h, _ in present})
    return r, variance, df


@SETTINGS
@given(designs())
def test_taylor_variance_equals_the_loop_formula(sample) -> None:
    """Means, proportions, select_multiple shares (per group, df included), scores passed to
    taylor_variance and the diagonal of the cell covariance all match the loop."""
    design, rng = sample
    n = design.n
    y = rng.normal(50, 10, n)
    codes = rng.integers(-1, 3, n)
    groups = rng.integers(0, 2, n)
    means = ratio_means(y, design, groups=groups, n_groups=2)
    shares = cell_proportions(codes, 3, design, groups=groups, n_groups=2)
    for g in range(2):
        inside = groups == g
        if inside.any():
            r, v, df = brute_variance(y, inside, design)
            assert means.estimate[g, 0] == pytest.approx(r)
            assert means.variance[g, 0] == pytest.approx(v, rel=1e-9, abs=1e-12)
            assert means.df[g, 0] == df
        answered = inside & (codes >= 0)
        if answered.any():
            for option in range(3):
                r, v, df = brute_variance((codes == option).astype(float), answered, design)
                assert shares.estimate[g, option] == pytest.approx(r)
                assert shares.variance[g, option] == pytest.approx(v, rel=1e-9, abs=1e-14)
                assert shares.df[g, option] == df
    inside = groups == 0
    if inside.any():
        r, v, _ = brute_variance(y, inside, design)
        scores = np.where(inside, design.weights * (y - r), 0.0) / design.weights[inside].sum()
        assert float(taylor_variance(scores, design)) == pytest.approx(v, rel=1e-9, abs=1e-12)
    answered = codes >= 0
    if answered.any():
        _, cov, _, _ = cell_covariance(codes, 3, design)
        for option in range(3):
            _, v, _ = brute_variance((codes == option).astype(float), answered, design)
            assert cov[option, option] == pytest.approx(v, rel=1e-9, abs=1e-14)
    ticks = rng.random((n, 2)) < 0.4
    answered = rng.random(n) < 0.8
    assume(answered.any())
    found = select_multiple(ticks, answered, design)
    for option in range(2):
        r, v, _ = brute_variance(ticks[:, option].astype(float), answered, design)
        assert found[option].estimate == pytest.approx(r)
        assert found[option].se == pytest.approx(np.sqrt(v), rel=1e-7, abs=1e-12)


@SETTINGS
@given(designs(min_n=8), st.randoms(use_true_random=False))
def test_estimates_do_not_depend_on_row_order(sample, random) -> None:
    """Shuffling the respondents (with their design rows) changes no estimate, interval or test."""
    design, rng = sample
    n = design.n
    codes, groups, y = rng.integers(-1, 3, n), rng.integers(0, 2, n), rng.integers(1, 6, n).astype(float)
    order = np.array(random.sample(range(n), n))
    shuffled = Design(
        weights=design.weights[order],
        strata=design.strata[order],
        clusters=None if design.clusters is None else design.clusters[order],
        fpc=None if design.fpc is None else design.fpc[order],
    )
    for d in (design, Design.simple(n)):
        s = shuffled if d is design else Design.simple(n)
        a = proportions_by(codes, 3, groups, 2, d)
        b = proportions_by(codes[order], 3, groups[order], 2, s)
        for row_a, row_b in zip(a, b, strict=True):
            for ea, eb in zip(row_a, row_b, strict=True):
                _same(ea, eb)
        _same(mean(y, d), mean(y[order], s))
        _same(median(y, d, 3), median(y[order], s, 3))
        ta, tb = categorical(codes, groups, design=d), categorical(codes[order], groups[order], design=s)
        assert ta.test == tb.test
        assert ta.p_value == pytest.approx(tb.p_value, nan_ok=True)


def _identical(a, b) -> None:
    """Equal field by field, NaN equal to NaN."""
    assert msgspec.json.encode(a) == msgspec.json.encode(b)


def _same(a, b) -> None:
    for field in ("estimate", "ci_low", "ci_high", "se", "n_w", "n_w_total"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9, abs=1e-12, nan_ok=True)
    assert (a.n, a.n_total, a.df) == (b.n, b.n_total, b.df)


@SETTINGS
@given(st.integers(2, 60), st.integers(0, 2**32 - 1))
def test_weights_of_one_give_the_unweighted_results(n: int, seed: int) -> None:
    """A design whose weights are all 1 gives exactly the unweighted estimates and intervals; forced
    through the Taylor variance (one stratum), the mean's SE is the textbook s/√n."""
    rng = np.random.default_rng(seed)
    codes, y = rng.integers(-1, 4, n), rng.normal(0, 1, n)
    ones, simple = Design(weights=np.ones(n)), Design.simple(n)
    assert not ones.weighted
    for a, b in zip(
        proportions_by(codes, 4, None, 1, ones)[0], proportions_by(codes, 4, None, 1, simple)[0], strict=True
    ):
        _identical(a, b)
    _identical(mean(y, ones), mean(y, simple))
    _identical(median(y, ones, 1), median(y, simple, 1))
    forced = mean(y, Design(weights=np.ones(n), strata=np.zeros(n)))
    assert forced.estimate == pytest.approx(np.mean(y))
    assert forced.se == pytest.approx(stats.sem(y), rel=1e-9)
    assert forced.df == n - 1


@pytest.mark.parametrize("n", [9, 10, 41, 60])
def test_bootstrap_median_follows_brute_force_resampling(n: int) -> None:
    """The exact-distribution bootstrap agrees with resampling the respondents 20,000 times (KS-style)."""
    rng = np.random.default_rng(n)
    x = rng.integers(0, 8, n).astype(float)
    brute = np.median(x[rng.integers(0, n, (20_000, n))], axis=1)
    estimate = median(x, Design.simple(n), rng_seed=5, n_resamples=20_000)
    assert estimate.estimate == np.median(x)
    low, high = np.quantile(brute, [0.025, 0.975])
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((low, high), abs=0.5)
    assert estimate.se == pytest.approx(brute.std(ddof=1), rel=0.05)


def _published_bounds(table: np.ndarray, suppression) -> list[tuple[float, float, float]]:
    """For each suppressed entry: (true value, min, max) over non-negative tables consistent with
    everything published — cells, row totals, column totals, grand total."""
    r, c = table.shape
    aug = np.zeros((r + 1, c + 1))
    aug[:r, :c], aug[:r, c], aug[r, :c], aug[r, c] = table, table.sum(1), table.sum(0), table.sum()
    hidden = np.zeros(aug.shape, bool)
    hidden[:r, :c], hidden[:r, c], hidden[r, :c] = (
        suppression.cells,
        suppression.row_totals,
        suppression.column_totals,
    )
    hidden[r, c] = suppression.grand_total
    unknown = [tuple(ix) for ix in np.argwhere(hidden)]
    lines = [[(i, j) for j in range(c + 1)] for i in range(r + 1)] + [
        [(i, j) for i in range(r + 1)] for j in range(c + 1)
    ]
    a_eq, b_eq = [], []
    for line in lines:
        coeffs, rhs = np.zeros(len(unknown)), 0.0
        for entry in line:
            sign = -1.0 if entry == line[-1] else 1.0  # the last entry of a line is its total
            if entry in unknown:
                coeffs[unknown.index(entry)] += sign
            else:
                rhs -= sign * aug[entry]
        a_eq.append(coeffs)
        b_eq.append(rhs)
    bounds = []
    for k, entry in enumerate(unknown):
        cost = np.zeros(len(unknown))
        cost[k] = 1
        lo = optimize.linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = optimize.linprog(-cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0
        assert hi.status in (0, 3)
        bounds.append((aug[entry], lo.fun, -hi.fun if hi.status == 0 else np.inf))
    return bounds


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1), st.integers(2, 10))
def test_suppression_never_leaks_a_small_count(rows: int, cols: int, seed: int, threshold: int) -> None:
    """Every count below the threshold is suppressed, and no suppressed count can be recovered from
    the published cells and totals by sums or differences: each keeps a range of at least 1."""
    from analysis.guards import suppress

    rng = np.random.default_rng(seed)
    table = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], size=(rows, cols))
    result = suppress(table, threshold=threshold)
    assert np.all(result.cells[(table > 0) & (table < threshold)])
    for value, low, high in _published_bounds(table, result):
        assert low <= value + 1e-7
        assert value - 1e-7 <= high
        assert high - low >= 1 - 1e-7
