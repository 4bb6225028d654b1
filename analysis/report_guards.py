"""Guards on every row of the report: flags for thin or imprecise estimates (suppression is elsewhere).

    indicative     fewer than ``min_n`` (30) respondents behind the estimate or test
    imprecise      a share whose interval is wider than ``max_width`` (20 points), or a mean or
                   median whose coefficient of variation (half the interval / z / |estimate|)
                   exceeds ``max_cv`` (0.3)
    suppressed     a count of 1 to ``min_cell − 1`` (4) respondents: estimate, interval and
                   counts removed (the whole group, base included, when its base is hidden)
    complementary  a further count suppressed so that no suppressed count follows from what is
                   published — totals, other groups, differences, a mean times its base

Suppression is :mod:`analysis.report_suppress`'s (the equations of each variable, solved by
:func:`analysis.guards.protect`). A zero cell is not suppressed: it says nobody chose the option,
which discloses nothing about a person unless the group itself is small — and then its small
cells take the group's base with them. Tests keep their statistics (flagged ``indicative`` when
thin); their ``n`` goes when it would reveal a hidden base.
"""

from __future__ import annotations

import msgspec
from msgspec import Struct

from analysis.results import TESTS, Row

__all__ = ["Guards", "guard"]

SHARES = frozenset({"prop", "top2box", "first"})
_Z = 1.959963984540054


class Guards(Struct, frozen=True, kw_only=True):
    """The thresholds (METHODS §2.2 and §5.5); all configurable."""

    min_n: int = 30
    max_width: float = 0.20
    max_cv: float = 0.30
    min_cell: int = 5


def guard(r: Row, g: Guards) -> Row:
    """The row with its reliability flags set."""
    flags = list(r.flags)
    base = r.n if r.stat in TESTS or r.stat == "alpha" else r.n_total
    if base is not None and base < g.min_n:
        flags.append("indicative")
    if r.stat not in TESTS and _imprecise(r, g):
        flags.append("imprecise")
    return msgspec.structs.replace(r, flags=tuple(dict.fromkeys(flags))) if flags != list(r.flags) else r


def _imprecise(r: Row, g: Guards) -> bool:
    if r.estimate is None or r.ci_low is None or r.ci_high is None:
        return False
    width = r.ci_high - r.ci_low
    if r.stat in SHARES:
        return width > g.max_width
    if r.stat in ("mean", "median") and r.estimate != 0:
        return width / 2 / _Z / abs(r.estimate) > g.max_cv
    return False
