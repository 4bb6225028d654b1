"""Need indicators: prevalence by segment, severity classes, the area phase, coder agreement.

* :func:`prevalence` — the share of the population with a need flag, per group, with intervals
  (a proportion, so Wilson or the design-based logit interval).
* :func:`severity_classes` — scores → classes 1…5 from ascending cut points (a config table, not
  code: METHODS §6.5); :func:`people_in_need` — the weighted count in class ≥ 3.
* :func:`area_phase` — the "x% rule" (METHODS §1.8): the highest phase p such that at least a
  share x of the population is in phase p or worse. x = 0.20 (IPC, WASH severity classification)
  by default; 0.25 is the other documented option. Not a claim of JIAF compliance.
* :func:`cohen_kappa` — agreement of two coders (METHODS §2.13) with Landis & Koch's label.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np

from analysis.design import Design
from analysis.estimates import Estimate, proportions, proportions_by

__all__ = [
    "Kappa",
    "area_phase",
    "cohen_kappa",
    "people_in_need",
    "prevalence",
    "severity_classes",
]


def _flag_codes(flag: np.ndarray) -> np.ndarray:
    f = np.asarray(flag, dtype=float)
    return np.where(np.isfinite(f), f != 0, -1).astype(np.intp)


def prevalence(
    flag: np.ndarray,
    design: Design,
    *,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
    level: float = 0.95,
) -> list[Estimate]:
    """Share with the need (flag non-zero) among the population (flag not NaN), per group."""
    codes = _flag_codes(flag)
    if groups is None:
        return [proportions(codes, 2, design, level=level)[1]]
    return [row[1] for row in proportions_by(codes, 2, groups, n_groups, design, level=level)]


def severity_classes(scores: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Class 1 + the number of ascending ``cuts`` at or below each score (NaN score → 0: unknown).

    With cuts (2, 4, 6, 8), a score of 5 is class 3 and a score of 8 is class 5.
    """
    bounds = np.asarray(cuts, dtype=float)
    if np.any(np.diff(bounds) <= 0):
        raise ValueError("cuts must be strictly ascending")
    s = np.asarray(scores, dtype=float)
    classes = 1 + np.searchsorted(bounds, np.where(np.isfinite(s), s, 0), side="right")
    return np.where(np.isfinite(s), classes, 0)


def people_in_need(classes: np.ndarray, design: Design, *, threshold: int = 3) -> float:
    """The weighted number of respondents in class ≥ ``threshold`` (classes ≤ 0 are unknown)."""
    c = np.asarray(classes)
    return float(design.weights_or_ones()[c >= threshold].sum())


def area_phase(shares: Sequence[float], x: float = 0.20) -> int:
    """The highest phase p (1-based) with Σ_{q ≥ p} share_q ≥ x; shares are rescaled to sum to 1.

    ``shares[i]`` is the (weighted) population share — or count — in phase i + 1.
    """
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1 or len(s) == 0 or np.any(s < 0) or s.sum() <= 0 or not 0 < x <= 1:
        raise ValueError("shares must be non-negative with a positive sum, and 0 < x ≤ 1")
    at_least = np.cumsum((s / s.sum())[::-1])[::-1]  # share in phase p or worse
    return int(np.flatnonzero(at_least >= x - 1e-12).max()) + 1


class Kappa(msgspec.Struct, frozen=True, kw_only=True):
    """Cohen's κ with observed and chance agreement; ``label`` is Landis & Koch's band."""

    kappa: float
    observed: float
    expected: float
    n: int
    label: str


_BANDS = ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))


def cohen_kappa(table: np.ndarray) -> Kappa:
    """Cohen's κ = (p_o − p_e)/(1 − p_e) from a square table of two coders' counts."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.sum() <= 0:
        raise ValueError("kappa needs a square table of counts with a positive total")
    total, agree, chance = t.sum(), np.trace(t), t.sum(axis=1) @ t.sum(axis=0)
    observed, expected = float(agree / total), float(chance / total**2)
    # (N·agree − chance) / (N² − chance): one division, so integer tables give exact values
    kappa = float((total * agree - chance) / (total**2 - chance)) if expected < 1 else float("nan")
    label = "almost perfect"
    for upper, name in _BANDS:
        if kappa <= upper:
            label = name
            break
    return Kappa(kappa=kappa, observed=observed, expected=expected, n=int(t.sum()), label=label)
