"""Rank stability by a seeded bootstrap (METHODS §2.11): how sure is the order of the needs?

Respondents are resampled with replacement — within strata, and whole clusters (PSUs) when the
design has them — ``resamples`` times from ``numpy.random.default_rng(seed)``; each draw is a row
of counts (how often each respondent was drawn), so a weighted share in a draw is
``Σ count·w·y / Σ count·w`` over the respondents the need counts. The caller turns each draw's
shares into scores (:mod:`analysis.priorities`); :func:`rank_stability` ranks every draw
(``scipy.stats.rankdata(-score, method="min")``) and reports, per need: P(rank = 1),
P(rank ≤ top), the median rank and the 2.5–97.5% rank interval. Needs whose rank intervals overlap
are **tied**: the data cannot tell their order apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from msgspec import Struct
from scipy.stats import rankdata

from analysis.dataset import Dataset
from analysis.design import Design
from analysis.report_needs import indicator_variables
from analysis.report_variables import segments

__all__ = ["Samples", "Stability", "draws", "rank_stability", "samples", "shares", "wilson_low"]

_Z = 1.959963984540054


class Stability(Struct, frozen=True, kw_only=True):
    """How a need's rank moves under resampling; ``tied`` lists the needs (by position) it may swap with."""

    first: float
    top: float
    median: float
    low: int
    high: int
    resamples: int
    tied: tuple[int, ...] = ()


class Samples(Struct, frozen=True, kw_only=True):
    """Per respondent: each indicator's flag (1, 0, or -1 when not counted) and each segment's group code."""

    flags: dict[str, np.ndarray]
    groups: dict[str, tuple[np.ndarray, tuple[str, ...]]]
    design: Design

    def mask(self, var: str | None, value: str | None) -> np.ndarray:
        """The respondents in group ``var = value`` (everyone when ``var`` is None)."""
        n = self.design.n
        if var is None:
            return np.ones(n, dtype=bool)
        codes, levels = self.groups[var]
        return codes == levels.index(value) if value in levels else np.zeros(n, dtype=bool)


def samples(dataset: Dataset, by: Sequence[str], design: Design | None = None) -> Samples:
    """The flags of ``dataset``'s indicators and the groups of ``by``, over its records."""
    flags: dict[str, np.ndarray] = {}
    for v in indicator_variables(dataset):
        if v.name not in flags and v.codes is not None and v.levels == ("no", "yes"):
            flags[v.name] = np.asarray(v.codes)
    groups = {}
    for s in segments(dataset, tuple(by)):
        codes = s.on(dataset, None)
        if codes is not None:
            groups[s.name] = (np.asarray(codes), s.levels)
    return Samples(flags=flags, groups=groups, design=design or Design.simple(dataset.n))


def draws(design: Design, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` × n counts: how often each respondent is drawn (strata kept, PSUs drawn whole)."""
    rng = np.random.default_rng(seed)
    n = design.n
    strata = np.zeros(n, dtype=np.int64) if design.strata is None else _codes(design.strata)
    units = np.arange(n) if design.clusters is None else _codes(design.clusters)
    counts = np.zeros((resamples, n), dtype=np.int64)
    for h in np.unique(strata):
        rows = np.flatnonzero(strata == h)
        members, unit_of = np.unique(units[rows], return_inverse=True)
        drawn = rng.multinomial(len(members), np.full(len(members), 1 / len(members)), size=resamples)
        counts[:, rows] = drawn[:, unit_of]
    return counts


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(labels), return_inverse=True)[1]


def shares(
    counts: np.ndarray, flag: np.ndarray, mask: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the weighted share flagged among the counted respondents in ``mask``, and their number."""
    counted = (flag >= 0) & mask
    total = counts @ (weights * counted)
    flagged = counts @ (weights * (counted & (flag == 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, flagged / total, np.nan), counts @ counted.astype(np.int64)


def wilson_low(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Wilson's 95% lower bound for shares ``p`` of ``n`` (vectorised; NaN where n = 0)."""
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        z2n = _Z**2 / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = _Z / (1 + z2n) * np.sqrt(p * (1 - p) / n + _Z**2 / (4 * n**2))
        return np.where(n > 0, np.maximum(centre - half, 0.0), np.nan)


def rank_stability(scores: np.ndarray, top: int) -> tuple[Stability, ...]:
    """From ``resamples`` × needs scores (higher ranks first), each need's rank distribution."""
    if scores.size == 0:
        return ()
    ranks = rankdata(-np.nan_to_num(scores, nan=-np.inf), axis=1, method="min")
    low = np.floor(np.percentile(ranks, 2.5, axis=0)).astype(int)
    high = np.ceil(np.percentile(ranks, 97.5, axis=0)).astype(int)
    out = []
    for c in range(scores.shape[1]):
        tied = tuple(j for j in range(scores.shape[1]) if j != c and low[j] <= high[c] and low[c] <= high[j])
        out.append(
            Stability(
                first=float(np.mean(ranks[:, c] == 1)),
                top=float(np.mean(ranks[:, c] <= top)),
                median=float(np.median(ranks[:, c])),
                low=int(low[c]),
                high=int(high[c]),
                resamples=int(scores.shape[0]),
                tied=tied,
            )
        )
    return tuple(out)
