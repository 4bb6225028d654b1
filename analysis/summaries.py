"""Summaries of one question built on :mod:`analysis.estimates`: likert scales, rankings, numbers.

* :func:`likert` — the distribution over the scale points, the mean, top-box, bottom-box and net
  (METHODS §2.10). "Don't know / not applicable" answers are outside the denominator and reported
  as their own share of everyone who answered. Reverse-code negatively worded items first
  (:func:`analysis.scales.reverse`).
* :func:`rank` — per option: the share ranking it first, the share mentioning it in the top t
  (the headline), and the Borda score — points t, t−1, …, 1, normalised by t·Σw (METHODS §2.9) —
  which orders the options.
* :func:`numeric` — mean, median, standard deviation, quartiles, minimum and maximum.

For one group, pass ``design.subset(mask)`` and the columns cut by the same mask.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np

from analysis.design import Design
from analysis.estimates import (
    Estimate,
    column_means,
    mean,
    median,
    proportions,
    select_multiple,
    weighted_cdf,
    weighted_quantile,
)

__all__ = ["LikertSummary", "NumericSummary", "RankSummary", "likert", "numeric", "rank"]


class LikertSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A likert item: ``distribution[i]`` is the share answering ``scale[i]``; boxes of ``boxes`` points."""

    scale: tuple[float, ...]
    distribution: tuple[Estimate, ...]
    mean: Estimate
    top_box: Estimate
    bottom_box: Estimate
    net: Estimate
    dont_know: Estimate | None
    boxes: int


def likert(
    values: np.ndarray,
    scale: Sequence[float],
    design: Design,
    *,
    boxes: int = 2,
    dont_know: np.ndarray | None = None,
    level: float = 0.95,
) -> LikertSummary:
    """Summarise a likert item whose answers ``values`` (NaN: none) lie on the ``scale`` points.

    ``dont_know`` marks rows that answered "don't know" / "not applicable" (their value is
    ignored). Top-box = the top ``boxes`` points, bottom-box the lowest, net = top − bottom
    (estimated as the mean of +1/0/−1, so its interval accounts for the covariance).
    """
    points = np.asarray(sorted(scale), dtype=float)
    x = np.asarray(values, dtype=float)
    dk = np.zeros(len(x), bool) if dont_know is None else np.asarray(dont_know, dtype=bool)
    x = np.where(dk, np.nan, x)
    answered = np.isfinite(x)
    codes = np.searchsorted(points, np.where(answered, x, points[0]))
    codes = np.minimum(codes, len(points) - 1)
    if np.any(answered & (points[codes] != x)):
        raise ValueError("values must lie on the scale points")
    codes = np.where(answered, codes, -1)
    boxes_ = np.column_stack([codes >= len(points) - boxes, (codes >= 0) & (codes < boxes)])
    top, bottom = select_multiple(boxes_, answered, design, level=level)
    net = boxes_[:, 0].astype(float) - boxes_[:, 1]
    mean_, net_ = column_means(np.column_stack([x, net]), design, valid=answered, level=level)
    share_dk = None
    if dont_know is not None:
        share_dk = proportions(np.where(answered | dk, dk, -1).astype(np.intp), 2, design, level=level)[1]
    return LikertSummary(
        scale=tuple(points.tolist()),
        distribution=tuple(proportions(codes, len(points), design, level=level)),
        mean=mean_,
        top_box=top,
        bottom_box=bottom,
        net=net_,
        dont_know=share_dk,
        boxes=boxes,
    )


class RankSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A ranking question, per option: ``first``, ``mentioned`` (in the top ``top``) and ``borda``.

    ``ranking`` lists the option indices by Borda score, highest first; ``inconsistent`` counts
    answers that gave two options the same position (they are still counted).
    """

    top: int
    first: tuple[Estimate, ...]
    mentioned: tuple[Estimate, ...]
    borda: tuple[Estimate, ...]
    ranking: tuple[int, ...]
    inconsistent: int


def rank(
    order: np.ndarray,
    design: Design,
    *,
    top: int | None = None,
    answered: np.ndarray | None = None,
    level: float = 0.95,
) -> RankSummary:
    """Summarise a ranking: ``order[i, j]`` is the position (1 = first) of option j, 0 if unranked.

    ``top`` defaults to the largest position given; ``answered`` (the denominator) to the rows
    that ranked anything.
    """
    order = np.asarray(order)
    n, k = order.shape
    rows, options = np.nonzero(order > 0)  # one entry per ranked option: O(n·t) from here on
    positions = order[rows, options]
    answered = np.bincount(rows, minlength=n) > 0 if answered is None else np.asarray(answered, dtype=bool)
    t = int(top if top is not None else max(int(positions.max(initial=0)), 1))
    first_codes = np.where(answered, k, -1)  # k: answered but ranked nothing first
    first = positions == 1
    first_codes[rows[first]] = np.where(answered[rows[first]], options[first], -1)
    keep = positions <= t
    in_top = np.zeros((n, k), bool)
    in_top[rows[keep], options[keep]] = True
    points = np.zeros((n, k))
    points[rows[keep], options[keep]] = (t + 1 - positions[keep]) / t
    borda = column_means(points, design, valid=answered, level=level)
    scores = np.array([b.estimate for b in borda])
    width = int(positions.max(initial=0)) + 1
    repeated = (np.bincount(rows * width + positions, minlength=n * width).reshape(n, width) > 1).any(axis=1)
    return RankSummary(
        top=t,
        first=tuple(proportions(first_codes, k + 1, design, level=level)[:-1]),
        mentioned=tuple(select_multiple(in_top, answered, design, level=level)),
        borda=tuple(borda),
        ranking=tuple(np.argsort(-np.nan_to_num(scores, nan=-1), kind="stable").tolist()),
        inconsistent=int((repeated & answered).sum()),
    )


class NumericSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A number question: mean and median with intervals, and descriptive statistics."""

    n: int
    n_w: float
    mean: Estimate
    median: Estimate
    sd: float
    minimum: float
    q1: float
    q3: float
    maximum: float


def numeric(x: np.ndarray, design: Design, rng_seed: int = 0, *, level: float = 0.95) -> NumericSummary:
    """Summarise a numeric column (NaN: missing); quartiles use R's weighted "math" rule when weighted."""
    x = np.asarray(x, dtype=float)
    inside = np.isfinite(x)
    values, w = x[inside], design.weights_or_ones()[inside]
    m = mean(x, design, level=level)
    nan = float("nan")
    if len(values) == 0:
        return NumericSummary(
            n=0,
            n_w=0.0,
            mean=m,
            median=median(x, design, rng_seed),
            sd=nan,
            minimum=nan,
            q1=nan,
            q3=nan,
            maximum=nan,
        )
    if design.weighted:
        sorted_x, cum_w = weighted_cdf(values, w)
        q1, q3 = (weighted_quantile(sorted_x, cum_w, p) for p in (0.25, 0.75))
    else:
        q1, q3 = (float(q) for q in np.quantile(values, [0.25, 0.75]))
    n = len(values)
    spread = np.sum(w * np.square(values - m.estimate)) / w.sum() * n / (n - 1) if n > 1 else nan
    return NumericSummary(
        n=n,
        n_w=float(w.sum()),
        mean=m,
        median=median(x, design, rng_seed, level=level),
        sd=float(np.sqrt(spread)),
        minimum=float(values.min()),
        q1=q1,
        q3=q3,
        maximum=float(values.max()),
    )
