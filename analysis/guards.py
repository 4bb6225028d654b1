"""Guards on what a report may show: reliability flags and small-cell suppression.

**Flags** (METHODS §2.2, thresholds are parameters): fewer than ``min_n`` respondents in the
denominator → "indicative"; a proportion's interval wider than ``max_width`` (20 points), or a
mean's coefficient of variation above ``max_cv`` → "imprecise".

**Suppression.** A table of counts is published with its row totals, column totals and grand
total (for a question by segment: options × segments, the segment sizes and the overall column).
Every count below ``threshold`` (zeros too when ``zeros``; a total too) is suppressed — the
*primary* cells. That is not enough: with the totals published, a lone suppressed cell in a row
equals the row total minus the other cells, and more generally any linear combination of the
published numbers (sums, differences of totals) may pin a suppressed value down. So:

1. Write the published table with its margins as linear equations: every row and column of the
   table sums to its total, and the totals sum to the grand total.
2. A suppressed value is *recoverable* exactly when every solution of those equations gives it
   the same value, i.e. when its coordinate is zero in every vector of the null space of the
   equations restricted to the suppressed entries (checked with an SVD, not by pattern rules).
3. While some suppressed entry is recoverable, suppress the cheapest further entry that makes it
   unrecoverable (cheapest = smallest count; an interior cell before a total, the grand total
   last). Zeros are complements only when nothing else is left: a solver knows counts are ≥ 0,
   and two zeros on one cycle of suppressed cells could pin the cycle down. With every suppressed
   entry positive, moving a little along a null-space direction keeps all counts positive, so
   each suppressed entry keeps a whole range of possible values.

Scope: this protects one table and its margins. Tables that overlap in other ways (the same
segment cut by two questions whose counts differ by known amounts; a segment table published
both alone and inside a larger one) must be suppressed together, as one table. Percentages
derived from a suppressed count must be withheld with it.
"""

from __future__ import annotations

import msgspec
import numpy as np
from scipy.linalg import null_space

from analysis.estimates import Estimate

__all__ = ["Suppression", "flags", "suppress"]


def flags(
    estimate: Estimate,
    *,
    proportion: bool = True,
    min_n: int = 30,
    max_width: float = 0.20,
    max_cv: float = 0.30,
) -> tuple[str, ...]:
    """Reliability flags of one estimate: "indicative" and/or "imprecise" (possibly none)."""
    found = []
    if estimate.n_total < min_n:
        found.append("indicative")
    width = estimate.ci_high - estimate.ci_low
    if proportion:
        imprecise = not width <= max_width  # NaN interval counts as imprecise
    else:
        imprecise = not abs(estimate.se) <= max_cv * abs(estimate.estimate)
    if imprecise:
        found.append("imprecise")
    return tuple(found)


class Suppression(msgspec.Struct, frozen=True, kw_only=True):
    """Which numbers to withhold: ``cells`` (r×c), ``row_totals`` (r), ``column_totals`` (c) and
    ``grand_total`` are True where suppressed; ``primary`` marks the cells below the threshold."""

    cells: np.ndarray
    row_totals: np.ndarray
    column_totals: np.ndarray
    grand_total: bool
    primary: np.ndarray
    threshold: int
    method: str


def _augmented(table: np.ndarray) -> np.ndarray:
    rows = np.column_stack([table, table.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def _equations(shape: tuple[int, int]) -> np.ndarray:
    """Coefficients (lines × entries) of 'each line of the augmented table sums to its total'."""
    r, c = shape[0] - 1, shape[1] - 1
    sign_row = np.where(np.arange(c + 1) == c, -1.0, 1.0)
    sign_col = np.where(np.arange(r + 1) == r, -1.0, 1.0)
    size = (r + 1) * (c + 1)
    eq = np.zeros((r + c + 2, size))
    entries = np.arange(size).reshape(r + 1, c + 1)
    for i in range(r + 1):
        eq[i, entries[i]] = sign_row
    for j in range(c + 1):
        eq[r + 1 + j, entries[:, j]] = sign_col
    return eq


def _recoverable(suppressed: np.ndarray, equations: np.ndarray) -> np.ndarray:
    """Flat mask of the suppressed entries that the published numbers determine exactly."""
    unknown = np.flatnonzero(suppressed.ravel())
    out = np.zeros(suppressed.size, bool)
    if len(unknown) == 0:
        return out
    basis = null_space(equations[:, unknown])
    free = np.abs(basis).max(axis=1, initial=0.0) > 1e-9 if basis.size else np.zeros(len(unknown), bool)
    out[unknown[~free]] = True
    return out


def _complement(suppressed, target: int, cost: np.ndarray, equations) -> int:
    """The cheapest unsuppressed entry whose suppression makes ``target`` unrecoverable."""
    flat = suppressed.ravel()
    candidates = [e for e in np.argsort(cost, kind="stable") if not flat[e]]
    for e in candidates:
        trial = flat.copy()
        trial[e] = True
        if not _recoverable(trial.reshape(suppressed.shape), equations)[target]:
            return int(e)
    # No single entry suffices: take the cheapest one on the target's row or column, preferring
    # one whose other line already holds a suppressed entry (a step towards a closed cycle).
    rows, cols = suppressed.sum(axis=1), suppressed.sum(axis=0)
    i, j = divmod(int(target), suppressed.shape[1])
    on_row = [e for e in candidates if e // suppressed.shape[1] == i]
    on_col = [e for e in candidates if e % suppressed.shape[1] == j]
    width = suppressed.shape[1]
    linking = [e for e in on_row if cols[e % width]] + [e for e in on_col if rows[e // width]]
    fallback = linking or on_row + on_col or candidates
    return int(min(fallback, key=lambda e: cost[e]))


def suppress(table: np.ndarray, *, threshold: int = 5, zeros: bool = False) -> Suppression:
    """Primary and complementary suppression of a table of counts published with its totals."""
    t = np.asarray(table)
    if t.ndim != 2 or np.any(t < 0):
        raise ValueError("suppression needs a 2-D table of non-negative counts")
    aug = _augmented(t.astype(float))
    primary = (aug < threshold) & ((aug > 0) | zeros)
    suppressed = primary.copy()
    big = aug[-1, -1] + 1
    margin = np.zeros(aug.shape)
    margin[-1, :], margin[:, -1] = big, big
    margin[-1, -1] = 2 * big
    cost = np.where(aug > 0, aug + margin, 4 * big).ravel()  # zeros only as a last resort
    equations = _equations(aug.shape)
    while not suppressed.all():
        exposed = np.flatnonzero(_recoverable(suppressed, equations))
        if len(exposed) == 0:
            break
        target = exposed[np.argmin(aug.ravel()[exposed])]
        suppressed.flat[_complement(suppressed, target, cost, equations)] = True
    return Suppression(
        cells=suppressed[:-1, :-1], row_totals=suppressed[:-1, -1], column_totals=suppressed[-1, :-1],
        grand_total=bool(suppressed[-1, -1]), primary=primary[:-1, :-1], threshold=threshold,
        method=f"counts below {threshold} suppressed{' (zeros included)' if zeros else ''}, "
        "then further cells until no suppressed count follows from the published totals",
    )
