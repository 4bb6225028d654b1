"""Group comparisons: which test, its result, and a sentence saying why it was chosen.

(Named ``compare`` rather than ``tests``: a module called ``tests`` inside the package is easy to
confuse with the test suite.) Choice of test (METHODS §2.4–2.6):

* two categorical variables, unweighted — Pearson's chi-square (``scipy.stats.chi2_contingency``,
  Yates' correction on 2×2 tables), unless Cochran's rule fails (an expected count below 1, or
  more than 20% below 5): then Fisher's exact test — exact for 2×2, Monte Carlo for larger tables
  with ``n_resamples`` and the recorded ``seed``;
* two categorical variables, weighted — the Rao–Scott second-order corrected F test (R's
  ``svychisq`` default), from the design covariance of the cell shares;
* an ordinal or numeric variable across groups — Mann–Whitney U for two groups (effect: the
  rank-biserial correlation, positive when the first group ranks higher), Kruskal–Wallis H for
  more (effect: ε² = H/(n − 1)). Rank tests ignore weights; the result's ``method`` says so.

Effect size for tables: Cramér's V from the uncorrected chi-square (the weighted table's for
Rao–Scott). :func:`benjamini_hochberg` adjusts the p-values of one family of comparisons.
"""

from __future__ import annotations

import msgspec
import numpy as np
from scipy import special, stats
from scipy.stats.contingency import expected_freq

from analysis.bootstrap import distinct, group_counts
from analysis.design import Design, cell_covariance

__all__ = ["TestResult", "benjamini_hochberg", "categorical", "cramers_v", "ordinal"]


class TestResult(msgspec.Struct, frozen=True, kw_only=True):
    """One test: ``test`` in {"chi2", "fisher", "rao_scott", "mannwhitney", "kruskal", "none"}.

    ``statistic`` is χ², the odds ratio (Fisher 2×2), the probability of the observed table
    (Fisher R×C, as scipy reports it), F (Rao–Scott), U of the first group, or H. ``df2`` is the
    denominator df of an F test. ``seed`` is set when the p-value is a Monte Carlo estimate.
    """

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    df: float | None
    p_value: float
    effect_size: float
    effect_name: str
    method: str
    n: int
    df2: float | None = None
    seed: int | None = None


def _untestable(reason: str, n: int) -> TestResult:
    nan = float("nan")
    return TestResult(
        test="none",
        statistic=nan,
        df=None,
        p_value=nan,
        effect_size=nan,
        effect_name="",
        method=f"no test: {reason}",
        n=n,
    )


def _trim(table: np.ndarray) -> np.ndarray:
    """The table without empty rows and columns."""
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V = sqrt(χ² / (N (min(r, c) − 1))) with the uncorrected χ² (empty lines dropped)."""
    t = _trim(np.asarray(table, dtype=float))
    if min(t.shape) < 2:
        return float("nan")
    expected = expected_freq(t)
    chi2 = np.sum(np.square(t - expected) / expected)
    return float(np.sqrt(chi2 / (t.sum() * (min(t.shape) - 1))))


def categorical(
    data: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    design: Design | None = None,
    k: int | None = None,
    n_groups: int | None = None,
    valid: np.ndarray | None = None,
    seed: int = 0,
    n_resamples: int = 100_000,
    exact: bool | None = None,
) -> TestResult:
    """Test the association of two categorical variables.

    Either ``data`` is a table of counts (groups × options) and ``groups`` is None, or ``data``
    holds option codes and ``groups`` group codes per respondent (-1: missing), with ``design``.
    A weighted design gets Rao–Scott; otherwise the counts get chi-square or Fisher — by
    Cochran's rule, or Fisher when ``exact`` is True and chi-square when it is False.
    """
    if groups is None:
        return _counts_test(np.asarray(data), seed, n_resamples, exact)
    codes, g = np.asarray(data), np.asarray(groups)
    k = int(codes.max(initial=-1)) + 1 if k is None else k
    n_groups = int(g.max(initial=-1)) + 1 if n_groups is None else n_groups
    ok = (codes >= 0) & (g >= 0) if valid is None else (codes >= 0) & (g >= 0) & np.asarray(valid, bool)
    if design is not None and design.weighted:
        return rao_scott(np.where(ok, g * k + codes, -1), n_groups, k, design)
    table = np.bincount(g[ok] * k + codes[ok], minlength=n_groups * k).reshape(n_groups, k)
    return _counts_test(table, seed, n_resamples, exact)


def _counts_test(table: np.ndarray, seed: int, n_resamples: int, exact: bool | None) -> TestResult:
    t = _trim(table)
    n = int(t.sum())
    if min(t.shape) < 2:
        return _untestable("fewer than two groups or options with answers", n)
    t = t.astype(float)
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    small, cells = int((expected < 5).sum()), expected.size
    v = float(np.sqrt(np.sum(np.square(t - expected) / expected) / (n * (min(t.shape) - 1))))
    cochran = bool((expected < 1).any() or small > 0.2 * cells)
    if exact or (exact is None and cochran):
        why = f"{small} of {cells} expected counts below 5"
        if (expected < 1).any():
            why += f", {int((expected < 1).sum())} below 1"
        if exact:
            why = f"requested ({why})"
        if t.shape == (2, 2):
            res = stats.fisher_exact(t)
            return TestResult(
                test="fisher",
                statistic=float(res.statistic),
                df=None,
                p_value=float(res.pvalue),
                effect_size=v,
                effect_name="Cramér's V",
                method=f"Fisher's exact test: {why}",
                n=n,
            )
        mc = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        res = stats.fisher_exact(t, method=mc)
        return TestResult(
            test="fisher",
            statistic=_scalar(res.statistic),
            df=None,
            p_value=_scalar(res.pvalue),
            effect_size=v,
            effect_name="Cramér's V",
            n=n,
            seed=seed,
            method=f"Fisher's exact test (Monte Carlo, {n_resamples} resamples, seed {seed}): {why}",
        )
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    observed = t
    if dof == 1:  # Yates: every |O − E| shrunk by 1/2 (not past E), as scipy's chi2_contingency
        gap = expected - t
        observed = t + np.sign(gap) * np.minimum(0.5, np.abs(gap))
    chi2 = float(np.sum(np.square(observed - expected) / expected))
    p = float(special.chdtrc(dof, chi2))
    yates = " with Yates' continuity correction" if dof == 1 else ""
    why = f"{small} of {cells} expected counts below 5 (≤ 20%)" if small else "all expected counts at least 5"
    return TestResult(
        test="chi2",
        statistic=float(chi2),
        df=float(dof),
        p_value=float(p),
        effect_size=v,
        effect_name="Cramér's V",
        n=n,
        method=f"Pearson's chi-square test{yates}: {why}",
    )


def _scalar(value) -> float:
    """scipy's R×C Fisher returns shape (1,) arrays for some tables."""
    return float(np.asarray(value).reshape(-1)[0])


def _contrasts(size: int) -> np.ndarray:
    """An orthonormal basis of the vectors orthogonal to the constant (size × size−1)."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(size), np.eye(size)[:, : size - 1]]))
    return q[:, 1:]


def rao_scott(cells: np.ndarray, n_rows: int, n_cols: int, design: Design) -> TestResult:
    """Rao–Scott second-order test of independence; ``cells`` = row·n_cols + column, -1 if missing.

    F = X²/tr(Δ) on (ndf, ndf·df) degrees of freedom, ndf = tr(Δ)²/tr(Δ²), where X² is Pearson's
    statistic on the weighted table scaled to n and Δ the generalised design effect matrix.
    """
    p, cov, n, df = cell_covariance(cells, n_rows * n_cols, design)
    shares = p.reshape(n_rows, n_cols)
    rows, cols = shares.sum(axis=1) > 0, shares.sum(axis=0) > 0
    if rows.sum() < 2 or cols.sum() < 2:
        return _untestable("fewer than two groups or options with answers", n)
    keep = np.outer(rows, cols).ravel()
    shares, cov = shares[rows][:, cols], cov[np.ix_(keep, keep)]
    r, c = shares.shape
    independent = np.outer(shares.sum(axis=1), shares.sum(axis=0))
    x2 = n * np.sum(np.square(shares - independent) / independent)
    flat = shares.ravel()
    inverse = np.where(flat > 0, 1 / np.where(flat > 0, flat, 1), 0.0)
    contrast = np.kron(_contrasts(r), _contrasts(c))
    scaled = contrast * inverse[:, None]
    try:
        delta = np.linalg.solve(scaled.T @ contrast / n, scaled.T @ cov @ scaled)
    except np.linalg.LinAlgError:
        return _untestable("the design effect matrix is singular", n)
    trace, trace2 = np.trace(delta), np.trace(delta @ delta)
    if not trace > 0:
        return _untestable("no design variance in the table (too few PSUs)", n)
    ndf = trace**2 / trace2
    f = x2 / trace
    return TestResult(
        test="rao_scott",
        statistic=float(f),
        df=float(ndf),
        df2=float(ndf * df),
        p_value=float(stats.f.sf(f, ndf, ndf * df)),
        effect_size=float(np.sqrt(x2 / (n * (min(r, c) - 1)))),
        effect_name="Cramér's V (weighted)",
        method="Rao–Scott corrected chi-square (F test): the data are weighted, so the design-based "
        "test replaces Pearson's",
        n=n,
    )


def ordinal(
    values: np.ndarray,
    groups: np.ndarray,
    n_groups: int | None = None,
    *,
    design: Design | None = None,
    distinct_values: tuple[np.ndarray, np.ndarray] | None = None,
) -> TestResult:
    """Compare an ordinal or numeric variable (NaN: missing) across groups (codes, -1: none).

    Ranks come from the counts of each distinct value in each group (one ``bincount``):
    mid-ranks per value, rank sums per group, the tie correction from the values' totals.
    ``distinct_values`` may give :func:`analysis.bootstrap.distinct` of ``values`` already.
    """
    g = np.asarray(groups)
    n_groups = int(g.max(initial=-1)) + 1 if n_groups is None else n_groups
    levels, codes = distinct(values) if distinct_values is None else distinct_values
    counts = group_counts(codes, len(levels), g, n_groups)
    sizes = counts.sum(axis=1)
    present = np.flatnonzero(sizes)
    n = int(sizes.sum())
    weighted = design is not None and design.weighted
    note = "; weights ignored (rank tests are not design-based)" if weighted else ""
    if len(present) < 2:
        return _untestable("fewer than two groups with answers", n)
    totals = counts.sum(axis=0).astype(float)
    mid = np.cumsum(totals) - (totals - 1) / 2
    ties = 1 - np.sum(totals**3 - totals) / (n**3 - n) if n > 1 else 1.0
    if ties <= 0:
        return _untestable("every answer is the same", n)
    rank_sums = (counts[present] * mid).sum(axis=1)
    if len(present) == 2:
        return _mann_whitney(levels, counts[present], rank_sums[0], ties, note)
    h = (12 / (n * (n + 1)) * np.sum(rank_sums**2 / sizes[present]) - 3 * (n + 1)) / ties
    dof = len(present) - 1
    return TestResult(
        test="kruskal",
        statistic=float(h),
        df=float(dof),
        p_value=float(special.chdtrc(dof, h)),
        effect_size=float(h / (n - 1)),
        effect_name="epsilon squared",
        n=n,
        method=f"Kruskal–Wallis H test: {len(present)} groups, ordinal or skewed values{note}",
    )


def _mann_whitney(
    levels: np.ndarray, counts: np.ndarray, rank_sum: float, ties: float, note: str
) -> TestResult:
    """Mann–Whitney U of the first group against the second (``counts``: 2 × distinct values)."""
    n1, n2 = (int(c) for c in counts.sum(axis=1))
    if n1 + n2 <= 5000:  # scipy's choice of exact or asymptotic p-value, on the values themselves
        first, second = np.repeat(levels, counts[0]), np.repeat(levels, counts[1])
        res = stats.mannwhitneyu(first, second, alternative="two-sided", method="auto")
        u1, p = float(res.statistic), float(res.pvalue)
    else:  # the same asymptotic test (tie correction, continuity correction) from the rank sum
        u1 = float(rank_sum - n1 * (n1 + 1) / 2)
        n = n1 + n2
        sd = np.sqrt(n1 * n2 / 12 * ((n + 1) - (1 - ties) * (n**3 - n) / (n * (n - 1))))
        z = (max(u1, n1 * n2 - u1) - n1 * n2 / 2 - 0.5) / sd
        p = float(min(1.0, 2 * special.ndtr(-z)))
    return TestResult(
        test="mannwhitney",
        statistic=u1,
        df=None,
        p_value=p,
        effect_size=2 * u1 / (n1 * n2) - 1,
        effect_name="rank-biserial correlation",
        n=n1 + n2,
        method=f"Mann–Whitney U test: two groups, ordinal or skewed values{note}",
    )


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of one family; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = stats.false_discovery_control(p[finite], method="bh")
    return q
