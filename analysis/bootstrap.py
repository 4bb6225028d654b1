"""Distinct values and per-group counts, and the exact bootstrap of a median from them.

A numeric column is reduced once to its sorted distinct values and each row's index among them
(:func:`distinct`); a grouping then needs one ``bincount`` for the counts of every value in every
group (:func:`group_counts`). From those counts come the median of each group and the few
distinct values near it that a resample's median can take (:func:`middle`), and the bootstrap
draws medians from their exact distribution (:func:`bootstrap_medians`) — no sort per group, no
resample built. :mod:`analysis.estimates` (medians) and :mod:`analysis.compare` (rank tests) use
them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["bootstrap_medians", "distinct", "group_counts", "middle"]


def distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct finite values of ``x`` and each row's index among them (-1: NaN).

    Whole numbers over a modest range are counted, not sorted.
    """
    x = np.asarray(x, dtype=float)
    finite = np.isfinite(x)
    values = x[finite]
    codes = np.full(len(x), -1, dtype=np.intp)
    if len(values) == 0:
        return np.empty(0), codes
    low = values.min()
    if np.ptp(values) < 1 << 16 and np.all(values == np.round(values)):
        offset = (values - low).astype(np.intp)
        present = np.bincount(offset) > 0
        codes[finite] = (np.cumsum(present) - 1)[offset]
        return np.flatnonzero(present) + low, codes
    levels, inverse = np.unique(values, return_inverse=True)
    codes[finite] = inverse.ravel()
    return levels, codes


def group_counts(codes: np.ndarray, levels: int, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    """counts[g, d]: rows of group g (-1: none) whose value is distinct value d (code -1: none)."""
    g = np.zeros(len(codes), np.intp) if groups is None else np.asarray(groups)
    ok = (codes >= 0) & (g >= 0)
    found = np.bincount(g[ok] * levels + codes[ok], minlength=n_groups * levels)
    return found.reshape(n_groups, levels)


def middle(levels: np.ndarray, counts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, int]:
    """From one group's counts over the sorted ``levels``: its median, the distinct values within
    4√n + 2 ranks of the middle with their counts, and how many values lie below them.

    A resample's median falls outside that window with probability below 1e-14 (8 standard
    deviations of the binomial count), so nothing else is needed.
    """
    n = int(counts.sum())
    cum = np.cumsum(counts)

    def at(rank: int) -> int:  # the index of the value of 0-based rank ``rank``
        return int(np.searchsorted(cum, rank + 1, side="left"))

    median = levels[at(n // 2)] if n % 2 else (levels[at(n // 2 - 1)] + levels[at(n // 2)]) / 2
    reach = int(4 * np.sqrt(n)) + 2
    lo, hi = at(max(n // 2 - reach, 0)), at(min(n // 2 + reach, n - 1))
    window = counts[lo : hi + 1]
    keep = window > 0
    below = int(cum[lo - 1]) if lo > 0 else 0
    return float(median), levels[lo : hi + 1][keep], window[keep], below


def bootstrap_medians(values, counts, below: int, n: int, b: int, rng) -> np.ndarray:
    """``b`` medians of size-n resamples with replacement, drawn from their exact distribution.

    ``values`` are sorted distinct values with ``counts``; ``below`` values of the sample lie below them.
    """
    upto = (below + np.cumsum(counts)) / n
    below = upto - counts / n
    k = (n + 1) // 2 if n % 2 else n // 2  # 1-based rank of the (lower) middle order statistic
    # P(k-th order statistic of a resample ≤ value) = P(Binomial(n, F(value)) ≥ k)
    cdf = stats.binom.sf(k - 1, n, upto)
    first = np.minimum(np.searchsorted(cdf, rng.random(b) * cdf[-1], side="left"), len(values) - 1)
    if n % 2:
        return values[first]
    # Even n: the next order statistic is the same value when a second draw hits it, else the
    # smallest of the n − k draws above it.
    rest = n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(below < 1, (1 - upto) / (1 - below), 0.0)
        both = (
            stats.binom.sf(k, n, upto)
            - stats.binom.sf(k, n, below)
            - stats.binom.pmf(k, n, below) * (1 - ratio**rest)
        )
        marginal = np.diff(cdf, prepend=0.0)
        same = np.where(marginal > 0, both / marginal, 1.0)
    u = rng.random(b)
    above = 1 - (1 - upto[first]) * (1 - rng.random(b)) ** (1 / rest)
    second = np.minimum(np.searchsorted(upto, above, side="left"), len(values) - 1)
    second = np.where(u < same[first], first, np.maximum(second, first))
    return (values[first] + values[second]) / 2
