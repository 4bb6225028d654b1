"""Build a Dataset from the sheets of an export: match headers to questions, type the columns, link repeats.

Headers are matched to questions by name or by group path (``grp/q``, or ``grp.q`` where the export
used dots); a select_multiple may come as its space-separated column, its 0/1 columns ``q/opt`` or
``q.opt``, or both. The first sheet holds the records; a repeat's sheet is named after the repeat
(cut to Excel's 31 characters). Repeat rows are joined to the enclosing rows by our export's
``_parent_uuid`` (+ ``_parent_index``) or by Kobo's ``_parent_index`` → ``_index``. Columns that
are no question are kept as data columns; questions without a column are noted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.dataset import Column, Dataset, Table, raise_errors
from analysis.dataset_columns import (
    Notes,
    categorical_column,
    looks_numeric,
    multiple_column,
    multiple_from_array,
    numeric_column,
    ranked_column,
    text_column,
)
from analysis.dataset_logic import apply_logic
from analysis.dataset_read import DataProblem, Sheet
from forms.compiler import Compiled, Slot
from forms.model import (
    Calculate,
    Consent,
    Decimal,
    Group,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
)

__all__ = ["build_column", "from_arrays", "from_sheets", "scope_slots"]

SHEET_TITLE = 31
CONSENT = ("yes", "no")


def scope_slots(form: Compiled, owner: str | None) -> list[Slot]:
    """The questions that take an answer and live directly in table ``owner`` (None: the records)."""
    return [
        s
        for s in form.slots.values()
        if not isinstance(s.question, Group | Repeat | Note)
        and (s.repeats[-1] if s.repeats else None) == owner
    ]


def _spellings(slot: Slot) -> set[str]:
    return {slot.name, slot.path, slot.path.replace("/", ".")}


# ----------------------------------------------------------------------------------- one column


def build_column(
    form: Compiled, slot: Slot, cells: Any, dummies: Mapping[str, Sequence[str]], notes: Notes, where: Any
) -> Column:
    """The typed column of ``slot`` from its cells (and 0/1 columns for a select_multiple)."""
    q, name = slot.question, slot.name
    options = form.choices.get(getattr(q, "choices", ""), {})
    levels = list(options)
    if isinstance(q, SelectMultiple):
        if isinstance(cells, np.ndarray) and cells.ndim == 2:
            return multiple_from_array(name, q, levels, cells)
        return multiple_column(name, q, levels, cells, dict(dummies), notes, where)
    if isinstance(q, Rank):
        return ranked_column(name, q, levels, cells, notes, where)
    if isinstance(q, Likert | SelectOne):
        scores = [c.value for c in options.values()]
        scored = any(s is not None for s in scores)
        return categorical_column(name, q, levels, cells, notes, where, scores if scored else None)
    if isinstance(q, Consent):
        return categorical_column(name, q, CONSENT, cells, notes, where)
    if isinstance(q, Integer | Decimal):
        return numeric_column(name, q, cells, notes, where)
    if isinstance(q, Calculate):
        return data_column(name, cells, notes, where, q)
    return text_column(name, q, cells)


def data_column(name: str, cells: Any, notes: Notes, where: Any, question: Any = None) -> Column:
    """A column whose type the form does not say: numbers when every cell is one, text otherwise."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiub":
        return numeric_column(name, question, cells, notes, where)
    if looks_numeric(cells):
        return numeric_column(name, question, cells, notes, where)
    if question is not None:
        levels = sorted({v for v in cells if v})
        return categorical_column(name, question, levels, cells, notes, where)
    return text_column(name, None, cells)


# ------------------------------------------------------------------------------------------ sheets


def from_sheets(form: Compiled, sheets: list[Sheet], source: str) -> Dataset:
    """The dataset in ``sheets`` (records first, then repeats by name)."""
    notes = Notes(source)
    placed = _place_sheets(form, sheets, notes)
    tables: dict[str | None, Table] = {}
    flat = [s.name for s in form.slots.values() if isinstance(s.question, Repeat) and s.name not in placed]
    for owner, sheet in placed.items():
        tables[owner] = _table(form, owner, sheet, notes, flat if owner is None else [])
    _check_matches(form, tables, notes)
    for owner, table in tables.items():
        if owner is not None:
            _link(form, table, tables, placed, notes)
    dataset = Dataset(form, tables, notes.problems, source)
    apply_logic(dataset, notes)
    raise_errors(notes.problems)
    return dataset


def _place_sheets(form: Compiled, sheets: list[Sheet], notes: Notes) -> dict[str | None, Sheet]:
    repeats = [s.name for s in form.slots.values() if isinstance(s.question, Repeat)]
    placed: dict[str | None, Sheet] = {None: sheets[0]}
    for sheet in sheets[1:]:
        title = sheet.name.split("~")[0].lower()
        owner = next((r for r in repeats if r[:SHEET_TITLE].lower() == title and r not in placed), None)
        if owner is None:
            notes.add(sheet.where(), "sheet matches no repeat of the form; ignored")
        else:
            placed[owner] = sheet
    return placed


def _table(form: Compiled, owner: str | None, sheet: Sheet, notes: Notes, flat: list[str]) -> Table:
    """The typed columns of ``sheet``; the questions of repeats in ``flat`` (repeats without a sheet
    of their own) are looked for here too: such a file holds one row per instance already."""
    slots = scope_slots(form, owner) + [s for r in flat for s in scope_slots(form, r)]
    exact: dict[str, tuple[Slot, str | None]] = {}
    multiples: dict[str, Slot] = {}
    for slot in slots:
        options = form.choices.get(getattr(slot.question, "choices", ""), {})
        for spelling in _spellings(slot):
            exact.setdefault(spelling, (slot, None))
            if isinstance(slot.question, SelectMultiple):
                multiples[spelling] = slot
                for option in options:
                    exact.setdefault(f"{spelling}/{option}", (slot, option))
                    exact.setdefault(f"{spelling}.{option}", (slot, option))
    parents: dict[str, int] = {}
    dummies: dict[str, dict[str, list[str]]] = {}
    extra: list[int] = []
    for i, header in enumerate(sheet.header):
        if not header:
            continue
        slot, option = exact.get(header) or _dummy(header, multiples)
        if slot is None:
            extra.append(i)
        elif option is None:
            if slot.name in parents:
                notes.add(sheet.where(column=header), f"a second column for {slot.name}; ignored")
            else:
                parents[slot.name] = i
        else:
            dummies.setdefault(slot.name, {}).setdefault(option, sheet.columns[i])
    table = Table(owner, sheet.rows, place=sheet.place)
    for slot in slots:
        if slot.name not in parents and slot.name not in dummies:
            continue
        cells = sheet.columns[parents[slot.name]] if slot.name in parents else None
        header = sheet.header[parents[slot.name]] if slot.name in parents else slot.name

        def where(i: int, header: str = header) -> str:
            return sheet.where(i, header)

        if cells is None and not isinstance(slot.question, SelectMultiple):
            continue
        table.columns[slot.name] = build_column(form, slot, cells, dummies.get(slot.name, {}), notes, where)
    for i in extra:
        header = sheet.header[i]
        if header not in table.columns:
            table.columns[header] = text_column(header, None, sheet.columns[i])
    return table


def _dummy(header: str, multiples: dict[str, Slot]) -> tuple[Slot | None, str | None]:
    """A 0/1 column of an option the choice list lacks: ``q/opt`` where q is a select_multiple."""
    for k, char in enumerate(header):
        if char in "/." and header[:k] in multiples and k + 1 < len(header):
            return multiples[header[:k]], header[k + 1 :]
    return None, None


def _check_matches(form: Compiled, tables: dict[str | None, Table], notes: Notes) -> None:
    asked = [s for s in form.slots.values() if not isinstance(s.question, Group | Repeat | Note | Calculate)]
    matched = sum(1 for t in tables.values() for c in t.columns.values() if c.question is not None)
    if asked and not matched:
        message = "no column matches a question of the form (are the headers labels? export with names)"
        notes.add("header", message, severity="error")
        return
    present = {name for t in tables.values() for name in t.columns}
    absent = [s.name for s in asked if s.name not in present and (not s.repeats or s.repeats[-1] in tables)]
    if absent:
        shown = ", ".join(absent[:10]) + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
        notes.add("header", f"{len(absent)} questions have no column: {shown}", len(absent))


# ------------------------------------------------------------------------------------------ repeats


def _link(
    form: Compiled,
    table: Table,
    tables: dict[str | None, Table],
    placed: dict[str | None, Sheet],
    notes: Notes,
) -> None:
    """Set ``table.parent``: the row of the enclosing table for each row; unmatched rows are dropped."""
    assert table.name is not None
    repeats = form.slots[table.name].repeats
    parent_name = repeats[-1] if repeats else None
    sheet, parent_sheet = placed[table.name], placed.get(parent_name)
    table.parent_table = parent_name
    if parent_sheet is None:
        notes.add(sheet.where(), f"the enclosing repeat {parent_name} has no sheet", severity="error")
        return
    child_keys, parent_keys = _keys(sheet, parent_sheet, nested=bool(repeats))
    if child_keys is None or parent_keys is None:
        message = "no column joins these rows to their parent (_parent_uuid, or _parent_index and _index)"
        notes.add(sheet.where(), message, severity="error")
        return
    lookup: dict[str, int] = {}
    for i, key in enumerate(parent_keys):
        lookup.setdefault(key, i)
    parent = np.fromiter((lookup.get(k, -1) for k in child_keys), np.int64, len(child_keys))
    lost = np.flatnonzero(parent < 0)
    if lost.size:
        notes.add(sheet.where(int(lost[0])), f"{lost.size} rows join no parent row; left out", int(lost.size))
        _keep_rows(table, parent >= 0)
        parent = parent[parent >= 0]
    table.parent = parent


def _keys(child: Sheet, parent: Sheet, nested: bool) -> tuple[list[str] | None, list[str] | None]:
    if child.column("_parent_uuid") is not None:  # our export
        uuids = child.column("_parent_uuid") or []
        if not nested:
            return uuids, parent.column("_uuid")
        at = child.column("_parent_index") or [""] * len(uuids)
        p_uuid, p_at, p_index = (parent.column(c) for c in ("_parent_uuid", "_parent_index", "_index"))
        if p_uuid is None or p_index is None:
            return None, None
        p_path = [f"{a}.{i}" if a else i for a, i in zip(p_at or [""] * len(p_uuid), p_index, strict=True)]
        return [f"{u}|{a}" for u, a in zip(uuids, at, strict=True)], [
            f"{u}|{p}" for u, p in zip(p_uuid, p_path, strict=True)
        ]
    own = child.column("_parent_index")
    if own is not None:
        return own, parent.column("_index") or parent.column("index")
    for child_col, parent_col in (("_submission__uuid", "_uuid"), ("_submission__id", "_id")):
        if child.column(child_col) is not None and parent.column(parent_col) is not None:
            return child.column(child_col), parent.column(parent_col)
    return None, None


def _keep_rows(table: Table, keep: np.ndarray) -> None:
    from dataclasses import fields, replace

    for name, column in table.columns.items():
        changes = {
            f.name: getattr(column, f.name)[keep]
            for f in fields(column)
            if isinstance(getattr(column, f.name), np.ndarray) and f.name not in ("scores",)
        }
        table.columns[name] = replace(column, **changes)
    table.n = int(np.count_nonzero(keep))


# ------------------------------------------------------------------------------------------ arrays


def from_arrays(form: Compiled, columns: Mapping[str, Any], source: str) -> Dataset:
    """The records given column by column (see Dataset.from_columns)."""
    notes = Notes(source)
    sizes = {len(v) for v in columns.values()}
    if len(sizes) > 1:
        raise_errors([DataProblem("columns", f"columns differ in length: {sorted(sizes)}", source, "error")])
    n = sizes.pop() if sizes else 0
    table = Table(None, n)
    slots = {s.name: s for s in scope_slots(form, None)}
    for name, cells in columns.items():

        def where(i: int, name: str = name) -> str:
            return f"row {i + 1}, column {name}"

        slot = slots.get(name)
        if slot is None:
            table.columns[name] = data_column(name, cells, notes, where)
        else:
            table.columns[name] = build_column(form, slot, cells, {}, notes, where)
    dataset = Dataset(form, {None: table}, notes.problems, source)
    apply_logic(dataset, notes)
    raise_errors(notes.problems)
    return dataset
