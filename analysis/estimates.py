"""Estimates with confidence intervals: proportions, select_multiple, means and medians.

Every function takes numpy columns and a :class:`~analysis.design.Design` and returns
:class:`Estimate` structs (``*_by`` variants: one list per group, from one vectorised pass).
The interval follows the design (METHODS §2.1–2.3, §2.8):

    statistic                    simple design (unweighted)        weighted design
    proportion, select_multiple  Wilson score                      logit, Taylor SE, t with design df
    mean                         t with n − 1 df                   Taylor SE, t with design df
    median                       percentile bootstrap (seeded)     Woodruff (R svyquantile's default)

A weighted proportion of exactly 0 or 1 has no logit interval; it gets Wilson on Kish's n_eff.
Missing values: codes < 0, NaN and rows outside ``valid`` are outside the denominator. Groups are
integer codes 0..n_groups-1 (-1: in no group); a group is a domain of the design (its PSUs and
strata are kept), as in R's ``svyby``. Unweighted: ``deff`` is None, and ``df`` is None for a
Wilson interval (n − 1 for a mean's t interval).
The likert, rank and numeric summaries built on these are in :mod:`analysis.summaries`.
"""

from __future__ import annotations

import msgspec
import numpy as np
from scipy import special, stats

from analysis.bootstrap import bootstrap_medians, distinct, group_counts, middle
from analysis.design import Design, Ratios, cell_proportions, ratio_means

__all__ = [
    "Estimate",
    "column_means",
    "column_means_by",
    "logit_interval",
    "mean",
    "mean_by",
    "median",
    "median_by",
    "proportions",
    "proportions_by",
    "select_multiple",
    "select_multiple_by",
    "weighted_cdf",
    "weighted_quantile",
    "wilson_interval",
]


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    """One estimate: the value, its interval and standard error, and the counts behind it.

    ``n``: respondents counted (those with the option, for a proportion); ``n_total``: the
    denominator; ``n_w``/``n_w_total``: the same weighted. ``method`` says how the interval was made.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    n_total: int
    n_w: float
    n_w_total: float
    df: float | None = None
    deff: float | None = None
    method: str = ""


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _t(level: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df >= 1, stats.t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)


def wilson_interval(k, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (arrays allowed; NaN where n = 0)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.where((k == 0) & (n > 0), 0.0, np.clip(centre - half, 0, 1))
    return low, np.where((k == n) & (n > 0), 1.0, np.clip(centre + half, 0, 1))


def logit_interval(p, se, df, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """R's ``svyciprop(method = "logit")``: ``p ± t·se/(p(1 − p))`` on the logit scale, back-transformed."""
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _t(level, df) * se / (p * (1 - p))
        centre = special.logit(p)
    return special.expit(centre - half), special.expit(centre + half)


def _build(columns: dict[str, np.ndarray], method: np.ndarray | str) -> list[list[Estimate]]:
    """Estimates from (G, m) arrays, as G lists of m."""
    shape = columns["estimate"].shape
    methods = np.broadcast_to(np.asarray(method, dtype=object), shape).tolist()
    lists = {name: np.broadcast_to(a, shape).tolist() for name, a in columns.items()}
    ints = ("n", "n_total")
    rows = []
    for g in range(shape[0]):
        row = []
        for j in range(shape[1]):
            values = {name: (int if name in ints else float)(lists[name][g][j]) for name in lists}
            for name in ("df", "deff"):
                if name in values and not np.isfinite(values[name]):
                    values[name] = None
            if values.get("df") is not None:
                values["df"] = max(values["df"], 0.0)
            row.append(Estimate(method=methods[g][j], **values))
        rows.append(row)
    return rows


def _proportion_estimates(r: Ratios, design: Design, level: float) -> list[list[Estimate]]:
    with np.errstate(invalid="ignore", divide="ignore"):
        if not design.weighted:
            low, high = wilson_interval(r.hits, r.n, level)
            se = np.sqrt(r.estimate * (1 - r.estimate) / r.n)
            method, df, deff = "Wilson score interval", np.full(r.n.shape, np.nan), np.nan
        else:
            se = np.sqrt(r.variance)
            low, high = logit_interval(r.estimate, se, r.df, level)
            edge = (r.estimate == 0) | (r.estimate == 1)
            w_low, w_high = wilson_interval(r.estimate * r.n_eff, r.n_eff, level)
            low, high = np.where(edge, w_low, low), np.where(edge, w_high, high)
            method = np.where(
                edge,
                "Wilson interval on Kish's effective n (weighted share of 0 or 1)",
                "logit interval, Taylor-linearised design SE, t with design df",
            )
            df, deff = r.df, r.variance / r.srs_variance
    columns = {
        "estimate": r.estimate,
        "ci_low": low,
        "ci_high": high,
        "se": se,
        "n": r.hits,
        "n_total": r.n,
        "n_w": r.hits_w,
        "n_w_total": r.n_w,
        "df": df,
        "deff": deff,
    }
    return _build(columns, method)


def proportions_by(
    codes: np.ndarray,
    k: int,
    groups: np.ndarray,
    n_groups: int,
    design: Design,
    *,
    valid: np.ndarray | None = None,
    level: float = 0.95,
) -> list[list[Estimate]]:
    """The share of each option 0..k-1 of ``codes`` within each group: ``result[group][option]``."""
    r = cell_proportions(codes, k, design, valid=valid, groups=groups, n_groups=n_groups)
    return _proportion_estimates(r, design, level)


def proportions(
    codes: np.ndarray, k: int, design: Design, *, valid: np.ndarray | None = None, level: float = 0.95
) -> list[Estimate]:
    """The share of each option 0..k-1 of ``codes`` (-1: unanswered) among valid answers."""
    return proportions_by(codes, k, None, 1, design, valid=valid, level=level)[0]


def select_multiple_by(
    ticks: np.ndarray,
    answered: np.ndarray,
    groups: np.ndarray | None,
    n_groups: int,
    design: Design,
    *,
    level: float = 0.95,
) -> list[list[Estimate]]:
    """Per group, the share ticking each option among those who answered the question.

    ``ticks`` is (n, k) 0/1; ``answered`` (n,) or (n, k) marks the denominator (METHODS §2.8:
    respondents who answered the parent question, not the number of ticks).
    """
    r = ratio_means(ticks, design, mask=answered, groups=groups, n_groups=n_groups, binary=True)
    return _proportion_estimates(r, design, level)


def select_multiple(
    ticks: np.ndarray, answered: np.ndarray, design: Design, *, level: float = 0.95
) -> list[Estimate]:
    """The share ticking each option among respondents who answered the question."""
    return select_multiple_by(ticks, answered, None, 1, design, level=level)[0]


def _mean_estimates(r: Ratios, design: Design, level: float) -> list[list[Estimate]]:
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(r.variance)
        half = _t(level, r.df) * se
        if design.weighted:
            method, deff = "t interval, Taylor-linearised design SE, design df", r.variance / r.srs_variance
        else:
            method, deff = "t interval, n − 1 df", np.nan
    columns = {
        "estimate": r.estimate,
        "ci_low": r.estimate - half,
        "ci_high": r.estimate + half,
        "se": se,
        "n": r.n,
        "n_total": r.n,
        "n_w": r.n_w,
        "n_w_total": r.n_w,
        "df": r.df,
        "deff": deff,
    }
    return _build(columns, method)


def mean_by(
    x: np.ndarray,
    groups: np.ndarray | None,
    n_groups: int,
    design: Design,
    *,
    valid: np.ndarray | None = None,
    level: float = 0.95,
) -> list[Estimate]:
    """The (weighted) mean of ``x`` (NaN: missing) in each group."""
    r = ratio_means(x, design, mask=valid, groups=groups, n_groups=n_groups)
    return [row[0] for row in _mean_estimates(r, design, level)]


def mean(x: np.ndarray, design: Design, *, valid: np.ndarray | None = None, level: float = 0.95) -> Estimate:
    """The (weighted) mean of ``x`` (NaN: missing) with a t interval."""
    return mean_by(x, None, 1, design, valid=valid, level=level)[0]


def column_means(
    y: np.ndarray, design: Design, *, valid: np.ndarray | None = None, level: float = 0.95
) -> list[Estimate]:
    """The (weighted) mean of each column of ``y`` (n, m) over the rows in ``valid`` ((n,) or (n, m))."""
    return _mean_estimates(ratio_means(y, design, mask=valid), design, level)[0]


def column_means_by(
    y: np.ndarray,
    groups: np.ndarray | None,
    n_groups: int,
    design: Design,
    *,
    valid: np.ndarray | None = None,
    level: float = 0.95,
) -> list[list[Estimate]]:
    """Per group, the (weighted) mean of each column of ``y`` (n, m): ``result[group][column]``."""
    r = ratio_means(y, design, mask=valid, groups=groups, n_groups=n_groups)
    return _mean_estimates(r, design, level)


def weighted_cdf(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (or sorted values) and their cumulative weights; no sort for small
    integer scales."""
    low = values.min(initial=0.0)
    if len(values) and np.ptp(values) < 4096 and np.all(values == np.round(values)):
        totals = np.bincount((values - low).astype(np.intp), weights)
        present = np.flatnonzero(totals > 0)
        return present + low, np.cumsum(totals[present])
    order = np.argsort(values)
    return values[order], np.cumsum(weights[order])


def weighted_quantile(sorted_x: np.ndarray, cum_w: np.ndarray, p: float) -> float:
    """R's ``qrule = "math"``: the smallest x whose cumulative weight share reaches p."""
    if not 0 <= p <= 1:
        return float("nan")
    i = int(np.searchsorted(cum_w, p * cum_w[-1] * (1 - 1e-12), side="left"))
    return float(sorted_x[min(i, len(sorted_x) - 1)])


def median_by(
    x: np.ndarray,
    groups: np.ndarray | None,
    n_groups: int,
    design: Design,
    rng_seed: int = 0,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    values: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Estimate]:
    """The median of ``x`` (NaN: missing) in each group; see :func:`median`. ``values`` may give
    :func:`analysis.bootstrap.distinct` of ``x`` already computed (a report reuses it per segment)."""
    x = np.asarray(x, dtype=float)
    g = np.zeros(len(x), np.intp) if groups is None else np.asarray(groups)
    if design.weighted:
        inside = np.isfinite(x) & (g >= 0)
        return _woodruff(x, np.where(inside, g, -1), n_groups, design, level)
    levels, codes = distinct(x) if values is None else values
    counts = group_counts(codes, len(levels), g, n_groups)
    rng, w = np.random.default_rng(rng_seed), design.weights_or_ones()
    n_w = np.bincount(np.where((codes >= 0) & (g >= 0), g, n_groups), w, minlength=n_groups + 1)
    return [
        _bootstrap(levels, counts[k], float(n_w[k]), rng, n_resamples, level, rng_seed)
        for k in range(n_groups)
    ]


def median(
    x: np.ndarray, design: Design, rng_seed: int = 0, *, n_resamples: int = 2000, level: float = 0.95
) -> Estimate:
    """The median with a percentile bootstrap interval (unweighted) or Woodruff's (weighted).

    The bootstrap draws ``n_resamples`` medians of resamples of the respondents, exactly but
    without building the resamples: a resample's order statistic has a binomial distribution over
    the distinct values, so the cost grows with the distinct values near the median, not with n.
    """
    return median_by(x, None, 1, design, rng_seed, n_resamples=n_resamples, level=level)[0]


def _no_answers() -> Estimate:
    nan = float("nan")
    return Estimate(
        estimate=nan,
        ci_low=nan,
        ci_high=nan,
        se=nan,
        n=0,
        n_total=0,
        n_w=0.0,
        n_w_total=0.0,
        method="no answers",
    )


def _bootstrap(levels, counts, n_w: float, rng, n_resamples: int, level: float, seed: int) -> Estimate:
    n = int(counts.sum())
    if n == 0:
        return _no_answers()
    median, values, window, below = middle(levels, counts)
    replicates = bootstrap_medians(values, window, below, n, n_resamples, rng)
    alpha = (1 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha])
    return Estimate(
        estimate=median,
        ci_low=float(low),
        ci_high=float(high),
        se=float(replicates.std(ddof=1)),
        n=n,
        n_total=n,
        n_w=n_w,
        n_w_total=n_w,
        method=f"percentile bootstrap, {n_resamples} resamples, seed {seed}",
    )


def _woodruff(x: np.ndarray, g: np.ndarray, n_groups: int, design: Design, level: float) -> list[Estimate]:
    """Per group: the weighted median, then one design-based pass for the shares below them."""
    w = design.weights_or_ones()
    cdfs, medians = [], np.full(n_groups, np.nan)
    for k in range(n_groups):
        rows = g == k
        cdfs.append(weighted_cdf(x[rows], w[rows]) if rows.any() else None)
        medians[k] = weighted_quantile(*cdfs[k], 0.5) if cdfs[k] is not None else np.nan
    below = np.where(g >= 0, x <= medians[np.maximum(g, 0)], np.nan)
    share = ratio_means(below, design, groups=g, n_groups=n_groups)
    out = []
    for k, cdf in enumerate(cdfs):
        if cdf is None:
            out.append(_no_answers())
            continue
        p, se, df = share.estimate[k, 0], np.sqrt(share.variance[k, 0]), share.df[k, 0]
        t = float(_t(level, df))
        low, high = weighted_quantile(*cdf, p - t * se), weighted_quantile(*cdf, p + t * se)
        out.append(
            Estimate(
                estimate=float(medians[k]),
                ci_low=low,
                ci_high=high,
                se=(high - low) / (2 * t),
                n=int(share.n[k, 0]),
                n_total=int(share.n[k, 0]),
                n_w=float(cdf[1][-1]),
                n_w_total=float(cdf[1][-1]),
                df=float(df),
                method="Woodruff interval (design-based CI of the share below the median, inverted)",
            )
        )
    return out
