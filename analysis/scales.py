"""Multi-item scales: reverse coding, composite scores, Cronbach's α with Feldt's interval.

Missing items, stated in every result's ``method``: α and the item statistics use the respondents
who answered every item (listwise deletion); a composite score is the mean of the answered items
when at least ``min_answered`` of the k items are answered (default ⌈k/2⌉), else missing. A "sum"
composite is that mean times k (a prorated sum), so it stays on the full scale's range.
Formulas (METHODS §2.7): ``α = k/(k − 1) · (1 − Σσ²_i/σ²_X)`` with ddof = 1; Feldt's interval
``1 − (1 − α)·F⁻¹(1 − γ/2; n − 1, (n − 1)(k − 1))`` to ``1 − (1 − α)·F⁻¹(γ/2; …)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import msgspec
import numpy as np
from scipy import stats

__all__ = ["Composite", "Reliability", "composite", "cronbach_alpha", "reverse"]


def reverse(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Reverse-code answers on a ``low``…``high`` scale (NaN stays NaN): x → low + high − x."""
    return low + high - np.asarray(x, dtype=float)


@dataclass(frozen=True, eq=False)
class Composite:
    """Composite scores per respondent (NaN when too few items were answered) and the rule used."""

    scores: np.ndarray
    answered: np.ndarray
    min_answered: int
    method: str


def composite(items: np.ndarray, *, how: str = "mean", min_answered: int | None = None) -> Composite:
    """Score each respondent on the items (n, k), NaN = unanswered; ``how`` is "mean" or "sum"."""
    x = np.asarray(items, dtype=float)
    k = x.shape[1]
    need = math.ceil(k / 2) if min_answered is None else min_answered
    if how not in ("mean", "sum") or not 1 <= need <= k:
        raise ValueError("how must be 'mean' or 'sum' and 1 ≤ min_answered ≤ k")
    answered = np.isfinite(x).sum(axis=1)
    with np.errstate(invalid="ignore"):
        means = np.nansum(x, axis=1) / answered
    scores = np.where(answered >= need, means * (k if how == "sum" else 1), np.nan)
    scaled = "mean" if how == "mean" else f"mean × {k} (prorated sum)"
    method = f"{scaled} of the answered items when at least {need} of {k} are answered, else missing"
    return Composite(scores=scores, answered=answered, min_answered=need, method=method)


class Reliability(msgspec.Struct, frozen=True, kw_only=True):
    """Cronbach's α of k items with its Feldt interval, and per item: item–rest correlation and α
    if the item is deleted."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    item_rest: tuple[float, ...]
    alpha_if_deleted: tuple[float, ...]
    method: str


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):  # constant answers: NaN, not a warning
        return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def cronbach_alpha(items: np.ndarray, *, level: float = 0.95) -> Reliability:
    """Cronbach's α of the items (n, k) over the respondents who answered all of them."""
    x = np.asarray(items, dtype=float)
    x = x[np.isfinite(x).all(axis=1)]
    n, k = x.shape
    if k < 2 or n < 2:
        raise ValueError("Cronbach's alpha needs at least two items and two complete answers")
    cov = np.cov(x, rowvar=False)
    alpha = _alpha(cov)
    gamma = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - gamma / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(gamma / 2, df1, df2)
    totals = cov.sum(axis=1)
    rest_var = cov.sum() - 2 * totals + np.diag(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest = (totals - np.diag(cov)) / np.sqrt(np.diag(cov) * rest_var)
    others = [np.delete(np.delete(cov, j, 0), j, 1) for j in range(k)]
    if_deleted = [_alpha(c) if k > 2 else float("nan") for c in others]
    return Reliability(
        alpha=alpha,
        ci_low=float(low),
        ci_high=float(high),
        n=n,
        k=k,
        item_rest=tuple(item_rest.tolist()),
        alpha_if_deleted=tuple(if_deleted),
        method=f"Cronbach's alpha on the {n} respondents who answered all {k} items; Feldt interval",
    )
