"""A system of published numbers and the counts behind them, solved for what to hide.

:class:`System` collects *entries* — underlying counts (atoms) and the numbers a report shows —
with their linear equations and the rows each shown number sits in; :meth:`System.solve` asks
:func:`analysis.guards.protect` what to hide, per segment's table and then all together, and
tidies the answer (sums that weigh counts unequally go with their counts; hidden numbers that the
rest determine anyway come back). :mod:`analysis.report_suppress` builds the systems of a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from analysis.guards import protect, recoverable

__all__ = ["CHEAP", "LARGEST", "Links", "System"]

Links = list[int]  # the rows an entry is shown in
CHEAP = 0.5  # a sum behind a mean, a top-2-box or a Borda score goes before any cell
LARGEST = 1500  # entries; a variable with more and some small count shows its bases only


@dataclass(slots=True)
class System:
    """Entries (atoms and published sums), their equations, and the rows each one is shown in.

    Kinds: ``cell`` and ``overall`` (an atom or a sum of atoms shown as a count), ``atom`` (never
    shown: unknown), ``known`` (never shown, but assumed known), ``base`` (shown and known),
    ``cheap`` (a shown sum behind a mean or a Borda score), ``tally`` (a shown count that goes as
    cheaply: a top-2-box).
    """

    min_cell: int
    values: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    links: list[Links] = field(default_factory=list)
    lines: list[dict[int, float]] = field(default_factory=list)

    def add(self, value: float, kind: str, block: int, links: Links = ()) -> int:  # type: ignore[assignment]
        self.values.append(float(value))
        self.kinds.append(kind)
        self.blocks.append(block)
        self.links.append(list(links))
        return len(self.values) - 1

    def atom(self, value: float, block: int, links: Links = (), *, known: bool = False) -> int:  # type: ignore[assignment]
        """An underlying count, shown as itself in ``links`` or not at all."""
        if links:
            return self.add(value, "overall" if block == 0 else "cell", block, links)
        return self.add(value, "known" if known else "atom", block)

    def sum(self, atoms: dict[int, float], kind: str, block: int, links: Links = ()) -> int:  # type: ignore[assignment]
        """A sum of atoms (``kind`` base, cheap or cell), with its equation."""
        entry = self.add(sum(self.values[a] * c for a, c in atoms.items()), kind, block, links)
        self.equal(entry, atoms)
        return entry

    def equal(self, entry: int, atoms: dict[int, float]) -> None:
        """``entry = Σ coefficient · atom``."""
        line = {a: -c for a, c in atoms.items()}
        line[entry] = line.get(entry, 0.0) + 1.0
        self.lines.append(line)

    def solve(self, forced: Iterable[int] = ()) -> np.ndarray:
        """The hidden mask over the entries; ``forced`` entries are hidden whatever happens."""
        values, kinds = np.array(self.values), np.array(self.kinds)
        shown = np.isin(kinds, ("cell", "overall", "cheap", "tally"))
        primary = (
            (values > 0) & (values < self.min_cell) & np.isin(kinds, ("cell", "overall", "atom", "tally"))
        )
        hidden = (kinds == "atom") | (primary & shown)
        hidden[list(forced)] = True
        if not primary.any():
            return hidden & shown
        if len(values) > LARGEST:  # hundreds of options (free text kept as choices): no breakdown
            return shown
        big = 10 * (values.max() + 1)
        cost = np.select(
            [kinds == "cell", np.isin(kinds, ("cheap", "tally")), kinds == "overall"],
            [values, CHEAP, values + big],
            np.inf,
        )
        equations = np.zeros((len(self.lines), len(values)))
        for i, line in enumerate(self.lines):
            for entry, c in line.items():
                equations[i, entry] += c
        try:
            hidden = self._protect(equations, values, primary, hidden, cost)
        except ValueError:  # nothing published protects a count: withhold everything
            return shown
        # A hidden number that the published ones determine anyway protects nothing: show it.
        loose = recoverable(hidden, equations) & shown & ~primary
        loose[list(forced)] = False
        hidden &= ~loose
        # A mean's score sum or a Borda sum weighs its counts unequally, which can pin a hidden
        # count between two integers; where any of its counts is hidden or small, it goes too.
        for entry in np.flatnonzero(kinds == "cheap"):
            parts = np.flatnonzero(equations[:, entry] != 0)
            members = (equations[parts] != 0).any(axis=0) & (kinds != "cheap")
            if ((hidden & (kinds != "atom")) | primary)[members].any():
                hidden[entry] = True
        return hidden & shown

    def _protect(self, equations, values, primary, hidden, cost) -> np.ndarray:
        blocks = np.array(self.blocks)
        for b in np.unique(blocks):  # each segment's table with the overall row, then all together
            members = (blocks == 0) | (blocks == b)
            lines = ~(equations[:, ~members] != 0).any(axis=1)
            sub = equations[np.ix_(lines, members)]
            hidden[members] = protect(
                sub, values[members], primary=primary[members], hidden=hidden[members], cost=cost[members]
            )
        if len(np.unique(blocks)) > 2 and (primary & recoverable(hidden, equations)).any():
            hidden = protect(equations, values, primary=primary, hidden=hidden, cost=cost)
        return hidden
