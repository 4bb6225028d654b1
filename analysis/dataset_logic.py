"""Relevance and calculations over columns: each expression runs once per distinct combination of inputs.

An expression reads a few questions, and those take few distinct values (choice names, ages,
ticked options), so instead of running it on every row we factorise the columns it reads, find the
distinct combinations with numpy, run the compiled expression (:mod:`forms.evaluate`, the same
semantics as validation and the browser) once per combination, and spread the results back. A
question whose relevance is false in a row is NOT_ASKED there when blank; an answer where the
question was not relevant is kept and counted. Calculations missing from the data are computed.

Values follow the expression language: choice names as text, numbers as floats, a select_multiple
as its names joined by spaces, ``""`` when unanswered; a question of a repeat read from outside it
is the tuple of its answers in that row's instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from analysis.dataset import (
    ANSWERED,
    MISSING,
    NOT_ASKED,
    Categorical,
    Column,
    Dataset,
    Multiple,
    Numeric,
    Ranked,
    Table,
)
from analysis.dataset_columns import Notes
from forms import expressions as ex
from forms.compiler import Compiled, Slot
from forms.evaluate import MappingEnv, compile_node, to_answer, to_bool
from forms.model import Calculate

__all__ = ["Evaluator", "apply_logic"]

_LIMIT = 2**62


class _Env(MappingEnv):
    """A MappingEnv whose ``position()`` comes from the values, under a name no question can have."""

    def position(self) -> int:
        return int(self.values.get("..position", 0) or 0)


class Evaluator:
    """Runs expressions over the rows of one table of a dataset (optionally a subset of its rows)."""

    def __init__(self, dataset: Dataset, table: str | None, rows: np.ndarray | None = None) -> None:
        self.dataset = dataset
        self.table = dataset.tables[table]
        self.rows = rows
        self.size = self.table.n if rows is None else len(rows)
        self._cache: dict[str, tuple[np.ndarray, list[Any]]] = {}

    def values(self, nodes: Sequence[ex.Node]) -> tuple[np.ndarray, list[list[Any]]]:
        """Per row, the index of its combination; per combination, each node's value."""
        names = sorted(set().union(*(ex.references(n) for n in nodes)))
        if any(n.name == "position" for node in nodes for n in ex.walk(node) if isinstance(n, ex.Call)):
            names.append("..position")
        factors = [self._factor(name) for name in names]
        inverse, first = _combine([codes for codes, _ in factors], self.size)
        compiled = [compile_node(n) for n in nodes]
        results: list[list[Any]] = []
        for row in first.tolist():
            env = _Env(
                {name: decode[codes[row]] for name, (codes, decode) in zip(names, factors, strict=True)}
            )
            results.append([_run(run, env) for run in compiled])
        return inverse, results

    def condition(self, nodes: Sequence[ex.Node], error: bool = True) -> np.ndarray:
        """True where every node holds; an expression that cannot run counts as ``error``."""
        if not nodes:
            return np.ones(self.size, dtype=bool)
        inverse, results = self.values(nodes)
        truth = np.array([all(error if v is _ERROR else to_bool(v) for v in r) for r in results], dtype=bool)
        return truth[inverse]

    def answers(self, node: ex.Node) -> list[str]:
        """The expression's value per row, as a stored answer (a calculation)."""
        inverse, results = self.values([node])
        texts = ["" if r[0] is _ERROR else to_answer(r[0]) for r in results]
        return [texts[i] for i in inverse.tolist()]

    # ------------------------------------------------------------------------------------ factors

    def _factor(self, name: str) -> tuple[np.ndarray, list[Any]]:
        if name not in self._cache:
            codes, decode = self._factor_all(name)
            self._cache[name] = (codes if self.rows is None else codes[self.rows], decode)
        return self._cache[name]

    def _factor_all(self, name: str) -> tuple[np.ndarray, list[Any]]:
        if name == "..position":
            return _factorize(_positions(self.table).tolist())
        dataset, here = self.dataset, self.table.name
        try:
            holder = dataset.table_of(name)
        except KeyError:
            return np.zeros(self.table.n, dtype=np.int64), [""]
        if holder.name == here:
            return factor_column(holder.columns[name])
        try:
            index = dataset.rows_in(holder.name, here)
        except ValueError:
            return self._nodeset(holder, name)
        codes, decode = factor_column(holder.columns[name])
        return codes if index is None else codes[index], decode

    def _nodeset(self, holder: Table, name: str) -> tuple[np.ndarray, list[Any]]:
        """A repeat's question read from an enclosing row: the tuple of its answers there."""
        try:
            index = self.dataset.rows_in(self.table.name, holder.name)
        except ValueError:
            return np.zeros(self.table.n, dtype=np.int64), [""]
        codes, decode = factor_column(holder.columns[name])
        groups: list[list[Any]] = [[] for _ in range(self.table.n)]
        for owner, code in zip(index.tolist() if index is not None else [], codes.tolist(), strict=True):
            groups[owner].append(decode[code])
        return _factorize([tuple(g) for g in groups])


_ERROR = object()


def _run(run: Any, env: MappingEnv) -> Any:
    try:
        return run(env)
    except Exception:  # an expression that cannot run: the caller decides (relevant: asked)
        return _ERROR


def _factorize(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    seen: dict[Any, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), np.int64, len(values))
    return codes, list(seen)


def _combine(factors: list[np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the index of its distinct combination of codes, and a row holding each combination."""
    if not factors:
        return np.zeros(size, dtype=np.int64), np.zeros(1 if size else 0, dtype=np.int64)
    key = np.zeros(size, dtype=np.int64)
    span = 1
    for codes in factors:
        width = int(codes.max()) + 1 if codes.size else 1
        if span * width >= _LIMIT:
            _, first, inverse = np.unique(
                np.stack(factors, axis=1), axis=0, return_index=True, return_inverse=True
            )
            return inverse.reshape(-1), first
        key = key * width + codes
        span *= width
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def factor_column(column: Column) -> tuple[np.ndarray, list[Any]]:
    """Integer codes per row and the expression-language value of each code."""
    match column:
        case Categorical(codes=codes, levels=levels):
            return codes.astype(np.int64) + 1, ["", *levels]
        case Numeric(values=values):
            unique, inverse = np.unique(values, return_inverse=True)
            return inverse.reshape(-1).astype(np.int64), [
                "" if np.isnan(v) else float(v) for v in unique.tolist()
            ]
        case Multiple(ticks=ticks, levels=levels) if 0 < ticks.shape[1] < 63:
            weights = np.left_shift(np.int64(1), np.arange(ticks.shape[1], dtype=np.int64))
            packed = ticks.astype(np.int64) @ weights
            _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
            names = [
                " ".join(lv for lv, t in zip(levels, ticks[i], strict=True) if t) for i in first.tolist()
            ]
            return inverse.reshape(-1).astype(np.int64), names
        case Multiple(ticks=ticks, levels=levels):
            return _factorize([" ".join(lv for lv, t in zip(levels, row, strict=True) if t) for row in ticks])
        case Ranked(order=order, levels=levels):
            return _factorize([_ranked_text(row, levels) for row in order])
    return _factorize(column.values.tolist())  # type: ignore[attr-defined]


def _ranked_text(row: np.ndarray, levels: tuple[str, ...]) -> str:
    return " ".join(levels[j] for j in np.argsort(row) if row[j])


def _positions(table: Table) -> np.ndarray:
    """Each row's 1-based position among the rows of its parent (0 in the records)."""
    if table.parent is None:
        return np.zeros(table.n, dtype=np.int64)
    out = np.zeros(table.n, dtype=np.int64)
    counts: dict[int, int] = {}
    for i, p in enumerate(table.parent.tolist()):
        counts[p] = counts.get(p, 0) + 1
        out[i] = counts[p]
    return out


# ------------------------------------------------------------------------------------- applying


def apply_logic(
    dataset: Dataset,
    notes: Notes,
    versions: list[tuple[Compiled, np.ndarray | None]] | None = None,
) -> None:
    """Compute missing calculations, then mark blanks NOT_ASKED where relevance is false.

    ``versions`` pairs each form version with the rows (per table, of the records) it governs;
    by default the dataset's form governs every row.
    """
    from analysis.dataset_build import data_column, scope_slots

    for name, table in dataset.tables.items():
        for form, rows in versions or [(dataset.form, None)]:
            selected = rows if rows is None or name is None else _child_rows(dataset, name, rows)
            evaluator = Evaluator(dataset, name, selected)
            for slot in scope_slots(form, name):
                if isinstance(slot.question, Calculate) and slot.name not in table.columns and rows is None:
                    texts = evaluator.answers(slot.logic["calculation"])
                    where = f"calculation {slot.name}, row {{}}".format
                    table.columns[slot.name] = data_column(slot.name, texts, notes, where, slot.question)
                    evaluator._cache.pop(slot.name, None)
            for slot in form.slots.values():
                column = table.columns.get(slot.name)
                if column is not None and column.question is not None and slot.conditions:
                    _mark(column, evaluator.condition(slot.conditions), selected, notes, table, slot)


def _child_rows(dataset: Dataset, name: str, rows: np.ndarray) -> np.ndarray:
    index = dataset.rows_in(None, name)
    keep = np.zeros(dataset.main.n, dtype=bool)
    keep[rows] = True
    return np.flatnonzero(keep[index]) if index is not None else rows


def _mark(
    column: Column, relevant: np.ndarray, rows: np.ndarray | None, notes: Notes, table: Table, slot: Slot
) -> None:
    status = column.status if rows is None else column.status[rows]
    stray = int(np.count_nonzero((status == ANSWERED) & ~relevant))
    status = np.where((status == MISSING) & ~relevant, NOT_ASKED, status).astype(np.int8)
    if rows is None:
        column.status[:] = status
    else:
        column.status[rows] = status
    if stray:
        notes.add(
            ", ".join(p for p in (table.place, f"column {slot.name}") if p),
            f"{stray} answers where the question was not relevant; kept as answered",
            stray,
        )
