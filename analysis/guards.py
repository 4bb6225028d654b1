"""Guards on what a report may show: reliability flags and small-cell suppression.

**Flags** (METHODS §2.2, thresholds are parameters): fewer than ``min_n`` respondents in the
denominator → "indicative"; a proportion's interval wider than ``max_width`` (20 points), or a
mean's coefficient of variation above ``max_cv`` → "imprecise".

**Suppression.** Published numbers are linked by linear equations: the cells of a table sum to
its row and column totals, a group's counts sum to the whole sample's, a mean times its base is a
weighted sum of counts. Every count below ``threshold`` (zeros too when ``zeros``) is a *primary*
entry. Hiding the primary entries is not enough: any linear combination of what stays published
(sums, differences of totals) may pin a hidden value down. So:

1. Write every published number and every underlying count as an *entry*, and their relations
   as linear equations (:func:`protect` takes them as a matrix, one row per equation).
2. A hidden entry is *recoverable* exactly when every solution of the equations gives it the same
   value, i.e. when its coordinate is zero in every vector of the null space of the equations
   restricted to the hidden entries (checked with an SVD, not by pattern rules).
3. While some primary entry is recoverable, hide the cheapest published entry that makes it
   unrecoverable (cheapest = lowest ``cost``: an interior cell before a total, the grand total
   last). Candidates are found for all entries at once: entry e helps target t exactly when e's
   column lies in the span of the hidden columns and ``yᵀa_e ≠ 0`` for the y with ``Aᵀy = e_t``.
   Zeros are complements only when nothing else is left: a solver knows counts are ≥ 0, and two
   zeros on one cycle of hidden cells could pin the cycle down. With every hidden entry positive,
   moving a little along a null-space direction keeps all counts positive, so each protected
   entry keeps a whole range of possible values.

:func:`suppress` applies this to one table published with its row, column and grand totals;
:mod:`analysis.report_suppress` builds the equations of a whole report variable (its overall
distribution and its table by each segment, linked through the overall counts). Hiding more than
the solver asked for never makes a protected entry recoverable (the null space only grows), so
callers may widen the pattern — a whole group when its total is hidden — without checking again.
"""

from __future__ import annotations

import msgspec
import numpy as np
from scipy import optimize

from analysis.estimates import Estimate

__all__ = ["Suppression", "flags", "protect", "ranges", "recoverable", "suppress"]

_TOL = 1e-9


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


# ------------------------------------------------------------------------------------ the solver


def _eliminate(a: np.ndarray, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Gauss–Jordan elimination of ``a`` (partial pivoting), the ``extra`` columns transformed alike.

    Returns (reduced a, reduced extra, pivot columns; pivot i sits on row i). Plain array
    arithmetic on the rows that hold the pivot column: the equations are sparse and small, and
    a BLAS call per step costs more than the step (and far more with its threads contended).
    """
    m = np.hstack([a, extra]).astype(float)
    width, row, pivots = a.shape[1], 0, []
    for col in range(width):
        if row == len(m):
            break
        p = row + int(np.argmax(np.abs(m[row:, col])))
        if abs(m[p, col]) <= _TOL:
            continue
        if p != row:
            m[[row, p]] = m[[p, row]]
        m[row] /= m[row, col]
        touched = np.flatnonzero(m[:, col])
        touched = touched[touched != row]
        if len(touched):
            m[touched] -= m[touched, col, None] * m[row]
        pivots.append(col)
        row += 1
    return m[:, :width], m[:, width:], pivots


def _pinned(a: np.ndarray) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Per column of ``a``: whether every solution of a·x = b fixes it; and the elimination."""
    reduced, _, pivots = _eliminate(a, np.zeros((len(a), 0)))
    free = np.ones(a.shape[1], bool)
    free[pivots] = False
    pinned = np.zeros(a.shape[1], bool)
    for i, col in enumerate(pivots):
        pinned[col] = not (np.abs(reduced[i, free]) > 1e-9).any()
    return pinned, pivots, reduced


def recoverable(hidden: np.ndarray, equations: np.ndarray) -> np.ndarray:
    """Mask of the hidden entries that the published entries determine exactly."""
    unknown = np.flatnonzero(hidden)
    out = np.zeros(len(hidden), bool)
    if len(unknown) == 0:
        return out
    a = equations[:, unknown]
    a = a[(a != 0).any(axis=1)]
    if len(a):
        out[unknown] = _pinned(a)[0]
    return out


def _round(hidden: np.ndarray, primary: np.ndarray, equations: np.ndarray, candidates: np.ndarray, values):
    """One round of the search: the exposed primary entries, and for each the candidates that
    would make it unrecoverable, from one elimination of the hidden columns with the candidates'
    columns alongside. A candidate helps a target when its column falls in the hidden columns'
    span (zero below the pivot rows) and has a non-zero on the target's pivot row.

    Returns (exposed entries, smallest first; per exposed entry a mask over ``candidates``).
    """
    unknown = np.flatnonzero(hidden)
    support = (equations[:, unknown] != 0).any(axis=1)
    columns = equations[:, candidates]
    outside = (columns[~support] != 0).any(axis=0)  # on a line no hidden entry touches
    reduced, moved, pivots = _eliminate(equations[np.ix_(support, unknown)], columns[support])
    free = np.ones(len(unknown), bool)
    free[pivots] = False
    inside = ~outside & ~(np.abs(moved[len(pivots) :]) > 1e-9).any(axis=0)
    exposed, helps = [], []
    for i, col in enumerate(pivots):
        entry = unknown[col]
        if primary[entry] and not (np.abs(reduced[i, free]) > 1e-9).any():
            exposed.append(entry)
            helps.append(inside & (np.abs(moved[i]) > 1e-9))
    order = np.argsort(values[exposed], kind="stable") if exposed else []
    return [exposed[k] for k in order], [helps[k] for k in order]


def ranges(hidden: np.ndarray, targets: np.ndarray, equations: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How far each target can move (max − min) among non-negative solutions of the equations."""
    unknown = np.flatnonzero(hidden)
    a = equations[:, unknown]
    lines = (a != 0).any(axis=1)
    a = a[lines]
    b = -equations[lines][:, ~hidden] @ values[~hidden]
    out = np.zeros(len(targets))
    for i, t in enumerate(targets):
        cost = np.zeros(len(unknown))
        cost[int(np.searchsorted(unknown, t))] = 1.0
        high = optimize.linprog(-cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if high.status == 3 or (high.status == 0 and -high.fun >= values[t] + 1 - 1e-7):
            out[i] = np.inf if high.status == 3 else -high.fun - values[t]
            if out[i] >= 1 - 1e-7:
                continue
        low = optimize.linprog(cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        top = np.inf if high.status == 3 else (-high.fun if high.status == 0 else values[t])
        out[i] = top - (low.fun if low.status == 0 else values[t])
    return out


def protect(
    equations: np.ndarray,
    values: np.ndarray,
    *,
    primary: np.ndarray,
    hidden: np.ndarray,
    cost: np.ndarray,
    check: bool = True,
) -> np.ndarray:
    """The entries to hide so that no ``primary`` entry follows from the published ones.

    ``equations`` (lines × entries) hold the linear relations, each line summing to zero;
    ``hidden`` marks what is unknown from the start (underlying counts that are never published,
    and the primary entries); ``cost`` the price of hiding a published entry (``inf``: it stays
    published). Zeros are hidden only when no positive entry helps. With ``check``, each primary
    entry must then keep a range of at least 1 among the non-negative solutions (a linear
    programme per entry); where it does not, every published entry on an equation with it is
    hidden too, and the search goes on. Returns the final hidden mask (⊇ ``hidden``).
    """
    hidden = np.asarray(hidden, bool) | np.asarray(primary, bool)
    primary = np.asarray(primary, bool)
    values = np.asarray(values, float)
    order = np.lexsort((cost, values <= 0))  # positive before zero, then cheapest
    verified = np.zeros(len(values), bool)  # hiding more never narrows a range again
    while True:
        candidates = np.array([e for e in order if not hidden[e] and np.isfinite(cost[e])], dtype=np.intp)
        exposed, helps = _round(hidden, primary, equations, candidates, values)
        if exposed:
            # Each exposed entry gets a helper — the one helping most of those left, then the
            # cheapest: hiding more keeps an entry unrecoverable, so the whole round stands.
            chosen: list[int] = []
            left = list(range(len(exposed)))
            while left:
                mask = helps[left[0]]
                if not mask.any():
                    _widen(hidden, int(exposed[left.pop(0)]), equations, order, cost)
                    continue
                reach = np.sum([helps[k] for k in left], axis=0) * mask
                best = int(np.argmax(reach))  # the first (cheapest) of the most helpful
                chosen.append(best)
                left = [k for k in left if not helps[k][best]]
            hidden[candidates[chosen]] = True
            continue
        # A primary entry that stays free with every hidden zero held at 0 can move both ways
        # without a count going negative; the others get a linear programme each.
        zeros = hidden & (values <= 0)
        targets = np.flatnonzero(primary & ~verified & recoverable(hidden & ~zeros, equations))
        if not check or len(targets) == 0:
            return hidden
        wide = ranges(hidden, targets, equations, values) >= 1 - 1e-7
        verified[targets[wide]] = True
        if wide.all():
            return hidden
        for narrow in targets[~wide]:
            _widen(hidden, int(narrow), equations, order, cost, every=True)


def _widen(
    hidden: np.ndarray, target: int, equations: np.ndarray, order: np.ndarray, cost, every: bool = False
) -> None:
    """Hide the cheapest published entry (``every``: all of them) on an equation with the target,
    else with the hidden entries linked to it, else the cheapest anywhere."""

    def near(mask: np.ndarray) -> np.ndarray:
        return (equations[(equations[:, mask] != 0).any(axis=1)] != 0).any(axis=0)

    linked = np.zeros(len(hidden), bool)
    linked[target] = True
    first = near(linked)
    while not np.array_equal(grown := linked | (near(linked) & hidden), linked):
        linked = grown
    for pool in (first, near(linked), np.ones(len(hidden), bool)):
        found = [e for e in order if pool[e] and not hidden[e] and np.isfinite(cost[e])]
        if found:
            hidden[found if every and pool is first else found[:1]] = True
            return
    raise ValueError("nothing left to hide: the equations pin a small count down")


# ----------------------------------------------------------------------------------- one table


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


def suppress(table: np.ndarray, *, threshold: int = 5, zeros: bool = False) -> Suppression:
    """Primary and complementary suppression of a table of counts published with its totals.

    Every suppressed entry — primary or complement — keeps a range of possible values.
    """
    t = np.asarray(table)
    if t.ndim != 2 or np.any(t < 0):
        raise ValueError("suppression needs a 2-D table of non-negative counts")
    aug = _augmented(t.astype(float))
    primary = (aug < threshold) & ((aug > 0) | zeros)
    big = aug[-1, -1] + 1
    margin = np.zeros(aug.shape)
    margin[-1, :], margin[:, -1] = big, big
    margin[-1, -1] = 2 * big
    cost = (aug + margin).ravel()
    equations = _equations(aug.shape)
    hidden = primary.ravel().copy()
    while True:  # protect the complements too: each hidden entry must keep a range
        found = protect(equations, aug.ravel(), primary=hidden, hidden=hidden, cost=cost, check=False)
        if np.array_equal(found, hidden):
            break
        hidden = found
    suppressed = hidden.reshape(aug.shape)
    return Suppression(
        cells=suppressed[:-1, :-1],
        row_totals=suppressed[:-1, -1],
        column_totals=suppressed[-1, :-1],
        grand_total=bool(suppressed[-1, -1]),
        primary=primary[:-1, :-1],
        threshold=threshold,
        method=f"counts below {threshold} suppressed{' (zeros included)' if zeros else ''}, "
        "then further cells until no suppressed count follows from the published totals",
    )
