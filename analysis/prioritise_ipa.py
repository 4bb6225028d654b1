"""Importance–performance analysis (Martilla & James 1977; METHODS §1.4) where a form pairs the two.

Each item is rated twice on the same scale: how important it is (mean Ī) and how well it is done
(mean P̄), both read from ``mean`` rows of the results table. The cross-hairs are the means of the
item means (``data``-centred, the common choice) or the scale's midpoint (``scale``-centred):

* **concentrate here** Ī ≥ I*, P̄ < P* — a candidate service gap;
* **keep up the good work** Ī ≥ I*, P̄ ≥ P*;
* **low priority** Ī < I*, P̄ < P*;
* **possible overkill** Ī < I*, P̄ ≥ P*.

The gap Ī − P̄ is shown beside the quadrant (points above the diagonal need attention). Pairs come
from ``Settings.ipa_pairs``, or from the form's names: ``X_importance`` with ``X_performance``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from msgspec import Struct

from analysis.prioritise import IpaPair
from analysis.results import Row

__all__ = ["Ipa", "Point", "ipa", "pairs_by_name", "quadrant"]

Quadrant = Literal["concentrate", "keep_up", "low_priority", "overkill"]


class Point(Struct, frozen=True, kw_only=True):
    """One item: its mean importance and performance, their rows, its quadrant and gap."""

    item: str
    importance: float
    performance: float
    importance_key: str
    performance_key: str
    quadrant: Quadrant
    gap: float


class Ipa(Struct, frozen=True, kw_only=True):
    """The cross-hairs and the items."""

    centre: Literal["data", "scale"]
    importance_star: float
    performance_star: float
    points: tuple[Point, ...]


def quadrant(importance: float, performance: float, i_star: float, p_star: float) -> Quadrant:
    """Martilla and James's quadrant of a point against the cross-hairs (on the line: the upper side)."""
    if importance >= i_star:
        return "keep_up" if performance >= p_star else "concentrate"
    return "overkill" if performance >= p_star else "low_priority"


def pairs_by_name(names: Iterable[str]) -> tuple[IpaPair, ...]:
    """The pairs ``X_importance`` / ``X_performance`` among ``names``."""
    have = set(names)
    return tuple(
        IpaPair(
            item=n.removesuffix("_importance"),
            importance=n,
            performance=f"{n.removesuffix('_importance')}_performance",
        )
        for n in sorted(have)
        if n.endswith("_importance") and f"{n.removesuffix('_importance')}_performance" in have
    )


def ipa(
    pairs: Sequence[IpaPair],
    rows: Iterable[Row],
    centre: Literal["data", "scale"] = "data",
    midpoint: float | None = None,
) -> Ipa | None:
    """The IPA of ``pairs`` from the overall ``mean`` rows; None when no pair has both means.

    ``midpoint`` is the scale's middle (3 on 1–5), needed for ``scale``-centred cross-hairs.
    """
    means = {r.var: r for r in rows if r.stat == "mean" and r.group_var is None and r.estimate is not None}
    found = [
        (p, means[p.importance], means[p.performance])
        for p in pairs
        if p.importance in means and p.performance in means
    ]
    if not found:
        return None
    if centre == "scale":
        if midpoint is None:
            raise ValueError("a scale-centred IPA needs the scale's midpoint")
        i_star = p_star = midpoint
    else:
        i_star = sum(i.estimate for _, i, _ in found) / len(found)  # type: ignore[misc]
        p_star = sum(p.estimate for _, _, p in found) / len(found)  # type: ignore[misc]
    points = tuple(
        Point(
            item=pair.item,
            importance=i.estimate,  # type: ignore[arg-type]
            performance=p.estimate,  # type: ignore[arg-type]
            importance_key=i.analysis_key,
            performance_key=p.analysis_key,
            quadrant=quadrant(i.estimate, p.estimate, i_star, p_star),  # type: ignore[arg-type]
            gap=i.estimate - p.estimate,  # type: ignore[operator]
        )
        for pair, i, p in found
    )
    return Ipa(centre=centre, importance_star=i_star, performance_star=p_star, points=points)
