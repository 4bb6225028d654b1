"""Guards on every row of the report: flags for thin or imprecise estimates, and small cells suppressed.

    indicative     fewer than ``min_n`` (30) respondents behind the estimate or test
    imprecise      a share whose interval is wider than ``max_width`` (20 points), or a mean or
                   median whose coefficient of variation (half the interval / z / |estimate|)
                   exceeds ``max_cv`` (0.3)
    suppressed     a cell of 1 to ``min_cell − 1`` (4) respondents, or an estimate from fewer than
                   ``min_cell`` respondents: estimate, interval and counts are removed
    complementary  a second cell suppressed so that a suppressed count of a single-choice
                   question cannot be recovered by subtracting the others from the total

A zero cell is not suppressed: it says nobody chose the option, which discloses nothing about a
person unless the group itself is small — and a group under ``min_cell`` is suppressed whole.
Tests are never suppressed (a p-value discloses no count) but get ``indicative`` when thin.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from msgspec import Struct

from analysis.results import TESTS, Row

__all__ = ["Guards", "complementary", "guard"]

SHARES = frozenset({"prop", "top2box"})
SINGLE = frozenset({"select_one", "consent", "likert", "calculate", "indicator", "data"})
_Z = 1.959963984540054


class Guards(Struct, frozen=True, kw_only=True):
    """The thresholds (METHODS §2.2 and §5.5); all configurable."""

    min_n: int = 30
    max_width: float = 0.20
    max_cv: float = 0.30
    min_cell: int = 5


def guard(r: Row, g: Guards) -> Row:
    """The row with its flags set and, when a cell is too small, its numbers removed."""
    flags = list(r.flags)
    base = r.n if r.stat in TESTS or r.stat == "alpha" else r.n_total
    if base is not None and base < g.min_n:
        flags.append("indicative")
    if r.stat in TESTS:
        return msgspec.structs.replace(r, flags=tuple(flags)) if flags != list(r.flags) else r
    if _imprecise(r, g):
        flags.append("imprecise")
    small_cell = r.stat in SHARES and r.n is not None and 0 < r.n < g.min_cell
    small_base = base is not None and base < g.min_cell
    if small_cell or small_base:
        return suppress(r, (*flags, "suppressed"))
    return msgspec.structs.replace(r, flags=tuple(flags)) if flags != list(r.flags) else r


def _imprecise(r: Row, g: Guards) -> bool:
    if r.estimate is None or r.ci_low is None or r.ci_high is None:
        return False
    width = r.ci_high - r.ci_low
    if r.stat in SHARES:
        return width > g.max_width
    if r.stat in ("mean", "median") and r.estimate != 0:
        return width / 2 / _Z / abs(r.estimate) > g.max_cv
    return False


def suppress(r: Row, flags: Iterable[str]) -> Row:
    """The row without its estimate, interval and counts (the denominators stay)."""
    return msgspec.structs.replace(
        r, estimate=None, ci_low=None, ci_high=None, n=None, n_w=None, flags=tuple(dict.fromkeys(flags))
    )


def complementary(rows: list[Row], g: Guards) -> list[Row]:
    """Where one share of a single-choice distribution is suppressed, suppress the next smallest too."""
    blocks: dict[tuple[str, str | None, str | None], list[int]] = {}
    for i, r in enumerate(rows):
        if r.stat == "prop" and r.type in SINGLE:
            blocks.setdefault((r.var, r.group_var, r.group_value), []).append(i)
    out = list(rows)
    for members in blocks.values():
        hidden = [i for i in members if "suppressed" in rows[i].flags]
        if len(hidden) != 1 or ("suppressed" in rows[members[0]].flags and len(members) == 1):
            continue
        shown = [i for i in members if i not in hidden and (rows[i].n or 0) > 0]
        if shown:
            i = min(shown, key=lambda k: rows[k].n or 0)
            out[i] = suppress(rows[i], (*rows[i].flags, "suppressed", "complementary"))
    return out
