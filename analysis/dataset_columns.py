"""Typed columns from cells: choice names to codes, numbers to floats, 0/1 columns to ticks.

Each ``*_column`` function takes the cells of one question (text as a CSV export writes it, or a
numpy array already typed) and returns the column with ``status`` ANSWERED or MISSING; relevance
turns some MISSING into NOT_ASKED later (:mod:`analysis.dataset_logic`). Problems are reported
through a :class:`Notes` collector with the place (``row 14, column age``) and counted, the first
few cells named, so a 100,000-row file with one bad column gives one line, not 100,000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.dataset import ANSWERED, MISSING, Categorical, Multiple, Numeric, Ranked, Text
from analysis.dataset_read import DataProblem
from forms.model import AnyQuestion

__all__ = [
    "TRUE",
    "Notes",
    "categorical_column",
    "multiple_column",
    "numeric_column",
    "ranked_column",
    "text_column",
]

TRUE = frozenset({"1", "1.0", "true", "True", "TRUE", "yes"})
FALSE = frozenset({"0", "0.0", "false", "False", "FALSE", "no"})
_BOOLEAN = {**dict.fromkeys(TRUE, "1"), **dict.fromkeys(FALSE, "0")}
SHOWN = 3
"""How many offending cells a note names before it only counts."""


@dataclass(slots=True)
class Notes:
    """Collects data problems for one source, grouped by (place, message) with a count."""

    source: str
    problems: list[DataProblem] = field(default_factory=list)

    def add(self, where: str, message: str, count: int = 1, severity: str = "warning") -> None:
        """Record a problem at ``where``."""
        self.problems.append(DataProblem(where, message, self.source, severity, count))

    def cells(self, where: Callable[[int], str], rows: Sequence[int], message: Callable[[int], str]) -> None:
        """Record a problem for some rows: the first few by place, the rest as a count."""
        for i in rows[:SHOWN]:
            self.add(where(i), message(i))
        if len(rows) > SHOWN:
            self.add(where(rows[SHOWN]), f"and {len(rows) - SHOWN} more cells like it", len(rows) - SHOWN)


def _status(answered: np.ndarray) -> np.ndarray:
    return np.where(answered, ANSWERED, MISSING).astype(np.int8)


def _number_of(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------ categorical


def categorical_column(
    name: str,
    question: AnyQuestion | None,
    levels: Sequence[str],
    cells: Sequence[str] | np.ndarray,
    notes: Notes,
    where: Callable[[int], str],
    scores: Sequence[float | None] | None = None,
) -> Categorical:
    """Codes into ``levels``; values outside them are added as levels (and noted when levels were given)."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "iu":
        codes = cells.astype(np.int32, copy=False)
        return Categorical(
            name, question, _status(codes >= 0), codes, tuple(levels), _scores(scores, len(levels))
        )
    index = {level: i for i, level in enumerate(levels)}
    found = list(levels)
    codes = np.fromiter((index.get(v, -2) if v != "" else -1 for v in cells), np.int32, len(cells))
    strays = np.flatnonzero(codes == -2)
    if strays.size:
        numeric = {_number_of(level): i for i, level in enumerate(levels)}
        numeric.pop(None, None)
        added: dict[str, int] = {}
        unlisted: list[int] = []
        for i in strays.tolist():
            value = cells[i]
            code = numeric.get(_number_of(value)) if numeric else None
            if code is None:
                code = added.get(value)
                if code is None:
                    code = added[value] = len(found)
                    found.append(value)
                unlisted.append(i)
            codes[i] = code
        if levels and unlisted:
            notes.cells(
                where, unlisted, lambda i: f"{cells[i]!r} is not a choice of {name}; kept as its own option"
            )
    all_scores = _scores(scores, len(found))
    return Categorical(name, question, _status(codes >= 0), codes, tuple(found), all_scores)


def _scores(scores: Sequence[float | None] | None, size: int) -> np.ndarray | None:
    if scores is None:
        return None
    out = np.full(size, np.nan)
    out[: len(scores)] = [np.nan if s is None else s for s in scores]
    return out


# ---------------------------------------------------------------------------------------- numbers


def numeric_column(
    name: str,
    question: AnyQuestion | None,
    cells: Sequence[str] | np.ndarray,
    notes: Notes,
    where: Callable[[int], str],
) -> Numeric:
    """Floats; ``True``/``False`` read as 1/0 (R and pandas write an all-zero column that way);
    cells that are no number are MISSING and noted."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiub":
        values = cells.astype(np.float64)
        return Numeric(name, question, _status(~np.isnan(values)), values)
    text = np.array([_BOOLEAN.get(v, v) if v else "nan" for v in cells], dtype=object)
    try:
        values = text.astype(np.float64)
    except ValueError:
        values = np.empty(len(text))
        bad: list[int] = []
        for i, v in enumerate(text.tolist()):
            number = _number_of(v)
            values[i] = np.nan if number is None else number
            if number is None:
                bad.append(i)
        notes.cells(where, bad, lambda i: f"{cells[i]!r} is not a number; read as missing")
    values[~np.isfinite(values)] = np.nan
    return Numeric(name, question, _status(~np.isnan(values)), values)


def text_column(name: str, question: AnyQuestion | None, cells: Sequence[str] | np.ndarray) -> Text:
    """The cells as text."""
    values = np.array(["" if v is None else str(v) for v in cells], dtype=object)
    return Text(name, question, _status(values != ""), values)


def looks_numeric(cells: Sequence[str]) -> bool:
    """True when every non-blank cell is a number (and there is at least one)."""
    seen = False
    for v in cells:
        if v:
            if _number_of(_BOOLEAN.get(v, v)) is None:
                return False
            seen = True
    return seen


# ---------------------------------------------------------------------------------- multiple choice


def multiple_column(
    name: str,
    question: AnyQuestion | None,
    levels: Sequence[str],
    parent: Sequence[str] | None,
    dummies: dict[str, Sequence[str]],
    notes: Notes,
    where: Callable[[int], str],
) -> Multiple:
    """Ticks from the space-separated column and/or the 0/1 columns ``q/opt`` (they win where both are).

    A row answered the question when its space-separated cell is not blank (or, without that
    column, when any 0/1 cell is not blank). A blank 0/1 cell in an answered row makes that option
    unknown for the row: the option was not offered in the version the row was collected with.
    """
    found = list(levels) + [opt for opt in dummies if opt not in levels]
    index = {level: j for j, level in enumerate(found)}
    n = len(parent) if parent is not None else len(next(iter(dummies.values())))
    rows: list[int] = []
    cols: list[int] = []
    if parent is not None:
        answered = np.fromiter((v != "" for v in parent), bool, n)
        strays = _positions(parent, index, found, rows, cols)
        message = f"names an option that is not a choice of {name}; kept as its own option"
        notes.cells(where, strays, lambda i: f"{parent[i]!r} {message}")
    else:
        answered = np.zeros(n, dtype=bool)
        for cells in dummies.values():
            answered |= np.fromiter((v != "" for v in cells), bool, n)
    ticks = np.zeros((n, len(found)), dtype=bool)
    ticks[rows, cols] = True
    known = np.ones_like(ticks)
    disagree = 0
    for option, cells in dummies.items():
        j = index[option]
        flags = np.fromiter((_BOOLEAN.get(v, "") for v in cells), "U1", n)
        recorded = flags != ""
        tick = flags == "1"
        if parent is not None:
            disagree += int(np.count_nonzero(recorded & answered & (tick != ticks[:, j])))
        ticks[:, j] = np.where(recorded, tick, ticks[:, j])
        known[:, j] = recorded | ~answered
    if disagree:
        message = f"{disagree} 0/1 cells disagree with the space-separated column; the 0/1 columns are used"
        notes.add(f"column {name}", message, disagree)
    ticks &= answered[:, None]
    return Multiple(name, question, _status(answered), ticks, tuple(found), None if known.all() else known)


def _positions(
    cells: Sequence[str], index: dict[str, int], found: list[str], rows: list[int], cols: list[int]
) -> list[int]:
    """Fill (row, option) pairs from space-separated names; unknown names become options. The rows
    holding an unknown name are returned."""
    strays: list[int] = []
    listed = len(found)
    for i, value in enumerate(cells):
        if not value:
            continue
        for token in value.split():
            j = index.get(token)
            if j is None:
                j = index[token] = len(found)
                found.append(token)
            if j >= listed and (not strays or strays[-1] != i):
                strays.append(i)
            rows.append(i)
            cols.append(j)
    return strays


def multiple_from_array(
    name: str,
    question: AnyQuestion | None,
    levels: Sequence[str],
    ticks: np.ndarray,
    answered: np.ndarray | None = None,
) -> Multiple:
    """A select_multiple from an ``n × options`` boolean array (a row with no tick counts as blank
    unless ``answered`` says otherwise)."""
    ticks = np.asarray(ticks, dtype=bool)
    mask = ticks.any(axis=1) if answered is None else np.asarray(answered, dtype=bool)
    return Multiple(name, question, _status(mask), ticks, tuple(levels))


# ------------------------------------------------------------------------------------------- rank


def ranked_column(
    name: str,
    question: AnyQuestion | None,
    levels: Sequence[str],
    cells: Sequence[str],
    notes: Notes,
    where: Callable[[int], str],
) -> Ranked:
    """Positions from the space-separated ranked options, most important first."""
    index = {level: j for j, level in enumerate(levels)}
    order = np.zeros((len(cells), len(levels)), dtype=np.int16)
    bad: list[int] = []
    for i, value in enumerate(cells):
        for position, token in enumerate(value.split(), 1):
            j = index.get(token)
            if j is None or order[i, j]:
                bad.append(i)
            else:
                order[i, j] = position
    if bad:
        notes.cells(where, bad, lambda i: f"{cells[i]!r}: an unknown or repeated option of {name}; ignored")
    answered = np.fromiter((v != "" for v in cells), bool, len(cells))
    return Ranked(name, question, _status(answered), order, tuple(levels))
