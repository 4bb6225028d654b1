"""Small-cell suppression of a report variable: everything it publishes, as linear equations.

A variable's published numbers — the counts behind its shares (``n``), top-2-box counts and score
sums behind means, Borda sums — are linear in underlying counts, the *atoms*: per group (overall,
each group of each segment, and the respondents outside every group of a segment) the respondents
choosing each option; choosing it or not (several choices); ranking each option at each position
or not at all (rankings); with a value (numbers); in each phase (an indicator, whose yes/no flag
is then a sum of phases). Equations: a group's atoms make its base and its published sums; the
groups of a segment with the respondents outside them make the overall atoms. Atoms of 1 to
``min_cell − 1`` are *primary*; :func:`analysis.guards.protect` hides published numbers until no
primary atom follows from the others and each keeps a range of at least one among the
non-negative solutions.

The reader is assumed to know, besides every published number:

- every base (``n_total``): how many answered, overall and in each group — bases are published on
  purpose, so a count is protected by hiding cells, never its base;
- what the respondents outside every group of a segment answered, unless they are fewer than
  ``min_cell`` (another segment may well count them: a question asked only in the community
  leaves the care homes outside, and the table by setting counts them);
- that each position of a ranking holds one option.

A group hidden in the segment's own distribution (few members, or that table's complement:
:func:`forced_groups`) is hidden, base included, in every table by the segment, so no table
publishes its size. Tests keep their statistics, p-values and effect sizes (output checking treats
test statistics as low-risk: they summarise a whole table). Scope: one variable at a time; two
variables answered by the same respondents are linked through the segments' distributions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

from analysis.report_system import Links, System
from analysis.report_variables import Segment, Variable
from analysis.results import TESTS, Row

__all__ = ["forced_groups", "protect_rows"]

Key = tuple[str | None, str | None]  # (group_var, group_value); (None, None) is the whole sample


# ------------------------------------------------------------------------------------ the tables


class _Rows:
    """The rows of one variable, indexed by (stat, group key, option)."""

    def __init__(self, rows: Sequence[Row], indices: Iterable[int]) -> None:
        self.rows = rows
        self.index: dict[tuple[str, Key, str | None], int] = {}
        self.segments: dict[str, list[str]] = {}
        for i in indices:
            r = rows[i]
            self.index[(r.stat, (r.group_var, r.group_value), r.option)] = i
            if r.group_var is not None and r.stat not in TESTS:
                levels = self.segments.setdefault(r.group_var, [])
                if r.group_value not in levels:
                    levels.append(r.group_value)  # type: ignore[arg-type]

    def get(self, stat: str, key: Key, option: str | None = None) -> Row | None:
        i = self.index.get((stat, key, option))
        return None if i is None else self.rows[i]

    def link(self, stat: str, key: Key | None, option: str | None = None) -> Links:
        i = None if key is None else self.index.get((stat, key, option))
        return [] if i is None else [i]

    def tables(self) -> list[tuple[int, str | None, list[Key]]]:
        """(block, segment, its group keys) for the whole sample and for each segment."""
        out: list[tuple[int, str | None, list[Key]]] = [(0, None, [(None, None)])]
        for b, (name, levels) in enumerate(self.segments.items(), 1):
            out.append((b, name, [(name, level) for level in levels]))
        return out


def _n(r: Row | None) -> float:
    return float(r.n) if r is not None and r.n is not None else 0.0


def _outside(s: System, values: list[float], block: int) -> list[int]:
    """Atoms of the respondents outside every group: known, unless small or few altogether."""
    few = 0 < sum(values) < s.min_cell
    return [s.atom(v, block, known=not (few or 0 < v < s.min_cell)) for v in values]


Views = list[tuple[list[str], list[list[int]]]]  # per view: its options, and each option's atoms


def _categorical(s: System, rows: _Rows, var: Variable, atoms_of: list[str], views: Views, weighted: bool):
    """Options (``atoms_of``) as atoms; ``views`` publish sums of them (an indicator's yes/no)."""
    overall: list[int] = []
    for block, _, keys in rows.tables():
        per_group = []
        for key in keys:
            atoms = [s.atom(_n(rows.get("prop", key, o)), block, rows.link("prop", key, o)) for o in atoms_of]
            per_group.append(atoms)
            if rows.get("prop", key, atoms_of[0]) is not None:
                _publish(s, rows, var, views, key, atoms, block, weighted)
        if block == 0:
            overall = per_group[0]
            continue
        rest = [s.values[o] - sum(s.values[g[j]] for g in per_group) for j, o in enumerate(overall)]
        for j, out in enumerate(_outside(s, rest, block)):
            s.equal(overall[j], {**{g[j]: 1.0 for g in per_group}, out: 1.0})


def _publish(
    s: System,
    rows: _Rows,
    var: Variable,
    views: Views,
    key: Key,
    atoms: list[int],
    block: int,
    weighted: bool,
) -> None:
    s.sum({a: 1.0 for a in atoms}, "base", block)
    for options, members in views:
        for option, parts in zip(options, members, strict=True):
            s.sum(
                {atoms[p]: 1.0 for p in parts},
                "overall" if block == 0 else "cell",
                block,
                rows.link("prop", key, option),
            )
    if var.scores is None or not var.ordinal:
        return
    scores = var.scores[: len(atoms)]
    valued = [(a, float(v)) for a, v in zip(atoms, scores, strict=True) if np.isfinite(v)]
    mean = rows.get("mean", key)
    if mean is None or not valued:
        return
    s.sum({a: 1.0 for a, _ in valued}, "base", block)
    if not weighted and mean.estimate is not None:
        s.sum(dict(valued), "cheap", block, rows.link("mean", key))
    points = sorted({v for _, v in valued})
    if len(points) >= 3 and rows.get("top2box", key) is not None:
        top = {a: 1.0 for a, v in valued if v >= points[-2]}
        s.sum(top, "tally", block, rows.link("top2box", key))


def _multiple(s: System, rows: _Rows, var: Variable) -> None:
    """Per option, those who chose it (cells) and those who did not (never shown)."""
    levels = list(var.levels)
    overall: list[tuple[int, int]] = []
    for block, _, keys in rows.tables():
        per_group = []
        for key in keys:
            pairs = []
            for o in levels:
                r = rows.get("prop", key, o)
                chosen = s.atom(_n(r), block, rows.link("prop", key, o))
                base = float(r.n_total or 0) if r is not None else 0.0
                pairs.append((chosen, s.atom(base - s.values[chosen], block)))
                s.sum({chosen: 1.0, pairs[-1][1]: 1.0}, "base", block)
            per_group.append(pairs)
        if block == 0:
            overall = per_group[0]
            continue
        for j, both in enumerate(overall):
            rest = [s.values[o] - sum(s.values[g[j][c]] for g in per_group) for c, o in enumerate(both)]
            for c, out in enumerate(_outside(s, rest, block)):
                s.equal(both[c], {**{g[j][c]: 1.0 for g in per_group}, out: 1.0})


def _numeric(s: System, rows: _Rows) -> None:
    """One atom per group: the respondents with a value (behind the mean and the median)."""
    overall = -1
    for block, _, keys in rows.tables():
        atoms = []
        for key in keys:
            r = rows.get("mean", key) or rows.get("median", key)
            links = rows.link("mean", key) + rows.link("median", key)
            atoms.append(s.atom(float(r.n_total or 0) if r else 0.0, block, links))
        if block == 0:
            overall = atoms[0]
            continue
        (out,) = _outside(s, [s.values[overall] - sum(s.values[a] for a in atoms)], block)
        s.equal(overall, {**{a: 1.0 for a in atoms}, out: 1.0})


def _ranked(s: System, rows: _Rows, var: Variable, groupings: dict[str | None, np.ndarray]) -> None:
    """Atoms per option and position (0: answered, not in the top); first choices are atoms,
    mentions and Borda points sums of them; each position holds one option (or is left empty)."""
    assert var.order is not None
    levels, k = list(var.levels), len(var.levels)
    top = max(int(var.top or var.order.max(initial=1)), 1)
    position = np.where(var.order > top, 0, var.order)
    overall: list[list[int]] = []
    for block, segment, keys in rows.tables():
        codes = groupings.get(segment)
        if codes is None:
            continue
        counts, empty = _position_counts(
            position, np.where(codes < 0, len(keys), codes), var.valid, len(keys) + 1, top
        )
        per_group = []
        for gi, key in enumerate([*keys, None]):
            few = 0 < counts[gi, 0].sum() < s.min_cell
            atoms = [
                s.atom(
                    counts[gi, j, p],
                    block,
                    rows.link("first", key, levels[j]) if p == 1 else [],
                    known=key is None and not (few or 0 < counts[gi, j, p] < s.min_cell),
                )
                for j in range(k)
                for p in range(top + 1)
            ]
            per_group.append(atoms)
            if key is not None:
                _rank_group(s, rows, key, atoms, levels, top, block, empty[gi])
        if block == 0:
            overall = per_group[0]
            continue
        for a, o in enumerate(overall):
            s.equal(o, {g[a]: 1.0 for g in per_group})


def _rank_group(
    s: System,
    rows: _Rows,
    key: Key,
    atoms: list[int],
    levels: list[str],
    top: int,
    block: int,
    empty: np.ndarray,
) -> None:
    width = top + 1
    base = s.sum({atoms[p]: 1.0 for p in range(width)}, "base", block)
    for p in range(1, width):  # one option at each position, or none (unless an answer repeated one)
        if empty[p - 1] >= 0:
            none = s.atom(empty[p - 1], block, known=True)
            s.equal(base, {**{atoms[j * width + p]: 1.0 for j in range(len(levels))}, none: 1.0})
    for j, option in enumerate(levels):
        mine = atoms[j * width : (j + 1) * width]
        s.equal(base, {a: 1.0 for a in mine})
        kind = "overall" if block == 0 else "cell"
        s.sum({mine[p]: 1.0 for p in range(1, width)}, kind, block, rows.link("prop", key, option))
        if rows.get("borda", key, option) is not None:
            points = {mine[p]: float(width - p) for p in range(1, width)}
            s.sum(points, "cheap", block, rows.link("borda", key, option))


def _position_counts(position: np.ndarray, g: np.ndarray, valid: np.ndarray, size: int, top: int):
    """Per group of the answered rows: counts[group, option, p] with the option at position p
    (0: not in the top), and per position p ≥ 1 the answers that left it empty (negative when
    some answer put two options there)."""
    k = position.shape[1]
    g = g[valid]
    index = (g[:, None] * k + np.arange(k)) * (top + 1) + position[valid]
    found = np.bincount(index.ravel(), minlength=size * k * (top + 1)).reshape(size, k, top + 1)
    answered = np.bincount(g, minlength=size)
    return found.astype(float), (answered[:, None] - found[:, :, 1:].sum(axis=1)).astype(float)


# ---------------------------------------------------------------------------------------- apply


def protect_rows(
    rows: list[Row],
    indices: list[int],
    variables: list[Variable],
    *,
    min_cell: int,
    weighted: bool,
    forced: dict[str, set[str]],
    groupings: dict[str | None, np.ndarray],
) -> None:
    """Suppress, in place, what the rows ``indices`` of ``variables`` (one name) must not show."""
    table = _Rows(rows, indices)
    groups: set[Key] = {(name, level) for name, levels in forced.items() for level in levels}
    hidden_rows: dict[int, str] = {}
    for s in _systems(table, variables, min_cell, weighted, groupings):
        force = [e for e, links in enumerate(s.links) if any(_key(rows[i]) in groups for i in links)]
        for e in np.flatnonzero(s.solve(force)):
            hidden_rows.update(dict.fromkeys(s.links[e], "row"))
    own = forced.get(variables[0].name, set())  # a segment's own distribution, as forced_groups hid it
    for i in indices:
        r = rows[i]
        if _key(r) in groups and r.stat not in TESTS:
            hidden_rows[i] = "group"
        elif r.group_var is None and r.stat == "prop" and r.option in own:
            hidden_rows.setdefault(i, "row")
    for i, how in hidden_rows.items():
        r = rows[i]
        small = (r.n is not None and 0 < r.n < min_cell) or (r.n_total is not None and r.n_total < min_cell)
        flags = (*r.flags, "suppressed") if small else (*r.flags, "suppressed", "complementary")
        rows[i] = _hide(r, flags, whole=how == "group")


def _key(r: Row) -> Key:
    return (r.group_var, r.group_value)


def _systems(
    table: _Rows,
    variables: list[Variable],
    min_cell: int,
    weighted: bool,
    groupings: dict[str | None, np.ndarray],
) -> list[System]:
    first = variables[0]
    s = System(min_cell)
    if first.kind == "multiple" and first.order is not None:
        _ranked(s, table, first, groupings)
    elif first.kind == "multiple":
        _multiple(s, table, first)
    elif first.kind == "numeric":
        _numeric(s, table)
    elif len(variables) == 2 and _linked(*variables):
        phases = list(variables[1].levels)
        views: Views = [
            (phases, [[p] for p in range(len(phases))]),
            (["no", "yes"], [[0], list(range(1, len(phases)))]),
        ]
        _categorical(s, table, variables[1], phases, views, weighted)
    else:
        out = []
        for var in variables:
            one = System(min_cell)
            levels = list(var.levels)
            _categorical(one, table, var, levels, [(levels, [[j] for j in range(len(levels))])], weighted)
            out.append(one)
        return out
    return [s]


def _linked(flag: Variable, phases: Variable) -> bool:
    """True when an indicator's "no" is exactly phase 1 (so its flag is a sum of phases)."""
    if flag.codes is None or phases.codes is None:
        return False
    same_no = np.array_equal(flag.codes == 0, phases.codes == 0)
    return bool(same_no and np.array_equal(flag.codes < 0, phases.codes < 0))


def _hide(r: Row, flags: Iterable[str], whole: bool) -> Row:
    """The row without its estimate, interval and counts (and its base too when ``whole``)."""
    changes = {"estimate": None, "ci_low": None, "ci_high": None, "n": None, "n_w": None}
    if whole:
        changes |= {"n_total": None, "n_w_total": None}
    return msgspec.structs.replace(r, flags=tuple(dict.fromkeys(flags)), **changes)


# ------------------------------------------------------------------------ the segments themselves


def forced_groups(
    splits: Sequence[Segment], sizes: dict[str | None, int], min_cell: int
) -> dict[str, set[str]]:
    """Per segment, the groups its own distribution hides (small ones and their complements);
    how many answered it, and the number of records, stay published."""
    out: dict[str, set[str]] = {}
    for split in splits:
        counts = np.bincount(split.codes[split.codes >= 0], minlength=len(split.levels)).astype(float)
        s = System(min_cell)
        atoms = [s.atom(c, 1, [j]) for j, c in enumerate(counts)]
        s.sum({a: 1.0 for a in atoms}, "base", 1)
        hidden = s.solve()
        out[split.name] = {split.levels[j] for j, a in enumerate(atoms) if hidden[a]}
    return out
