"""Build a Dataset from stored submissions: several form versions merged by question name.

The survey side fetches the rows and passes plain dicts, so analysis never imports the server.
The newest version (the first given) decides a question's type and place; questions only older
versions had are added after it (at the top, or in the same repeat), and choice lists take the
union of their options. Each record is then read with its own version's logic: relevance from
that version, a question its version lacks counts as not asked, and an option its version lacks
is not ``known`` for it (so it leaves that option's denominator).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import numpy as np

from analysis.dataset import NOT_ASKED, Dataset, Multiple, Table, raise_errors
from analysis.dataset_build import build_column, scope_slots
from analysis.dataset_columns import Notes, text_column
from analysis.dataset_logic import apply_logic
from analysis.dataset_read import DataProblem, cell_text
from forms.compiler import Compiled, compile_form
from forms.model import AnyQuestion, Choice, Form, Group, Repeat

__all__ = ["from_records", "merge_versions"]

META = {
    "uuid": "_uuid",
    "form_version": "_form_version",
    "site": "_site",
    "collector": "_collector",
    "collected_at": "_collected_at",
}


def merge_versions(versions: list[Compiled]) -> Compiled:
    """One form holding every question of every version (the newest first decides), choices united."""
    newest = versions[0]
    if len(versions) == 1:
        return newest
    form = newest.form
    known = set(newest.slots)
    choices = {name: list(options) for name, options in form.choices.items()}
    for older in versions[1:]:
        for list_name, options in older.form.choices.items():
            have = {c.name for c in choices.setdefault(list_name, [])}
            choices[list_name] += [c for c in options if c.name not in have]
        for slot in older.slots.values():
            if slot.name in known or isinstance(slot.question, Group):
                continue
            owner = slot.repeats[-1] if slot.repeats else None
            if owner is None or owner in known:
                form = _append(form, owner, _bare(slot.question))
                known.add(slot.name)
    merged = msgspec.structs.replace(form, choices={k: tuple(v) for k, v in choices.items()})
    return compile_form(merged, "merged versions")


def _bare(question: AnyQuestion) -> AnyQuestion:
    """A question moved between versions keeps its answers but not its old logic (each record
    is read with its own version's relevance)."""
    changes: dict[str, Any] = {"relevant": None, "constraint": None, "required": False}
    if hasattr(question, "choice_filter"):
        changes["choice_filter"] = None
    if isinstance(question, Repeat):
        changes["repeat_count"] = None
    return msgspec.structs.replace(question, **changes)


def _append(form: Form, owner: str | None, question: AnyQuestion) -> Form:
    if owner is None:
        return msgspec.structs.replace(form, questions=(*form.questions, question))

    def visit(questions: tuple[AnyQuestion, ...]) -> tuple[AnyQuestion, ...]:
        out = []
        for q in questions:
            if isinstance(q, Repeat) and q.name == owner:
                q = msgspec.structs.replace(q, questions=(*q.questions, question))
            elif isinstance(q, Group | Repeat):
                q = msgspec.structs.replace(q, questions=visit(q.questions))
            out.append(q)
        return tuple(out)

    return msgspec.structs.replace(form, questions=visit(form.questions))


# ----------------------------------------------------------------------------------------- records


def from_records(
    versions: Mapping[str, Compiled], records: Iterable[Mapping[str, Any]], source: str
) -> Dataset:
    """See Dataset.from_records."""
    notes = Notes(source)
    if not versions:
        raise_errors([DataProblem("versions", "no form version given", source, "error")])
    ordered = list(versions.values())
    form = merge_versions(ordered)
    records = list(records)
    version_of = np.array(
        [_version_index(versions, r, i, notes) for i, r in enumerate(records)], dtype=np.int64
    )
    rows: dict[str | None, list[dict[str, Any]]] = {None: [dict(r.get("answers") or {}) for r in records]}
    parents: dict[str | None, list[int]] = {}
    _flatten(form, None, rows, parents)
    tables: dict[str | None, Table] = {}
    for owner, answers in rows.items():
        tables[owner] = _table(form, owner, answers, notes)
        if owner is not None:
            table = tables[owner]
            table.parent = np.array(parents[owner], dtype=np.int64)
            repeats = form.slots[owner].repeats
            table.parent_table = repeats[-1] if repeats else None
    for key, column in META.items():
        if any(key in r for r in records):
            tables[None].columns[column] = text_column(column, None, [cell_text(r.get(key)) for r in records])
    dataset = Dataset(form, tables, notes.problems, source)
    governed = [(c, np.flatnonzero(version_of == i)) for i, c in enumerate(ordered)]
    _versions_apart(dataset, governed)
    apply_logic(dataset, notes, governed)
    raise_errors(notes.problems)
    return dataset


def _version_index(versions: Mapping[str, Compiled], record: Mapping[str, Any], i: int, notes: Notes) -> int:
    version = str(record.get("form_version", ""))
    names = list(versions)
    if version in versions:
        return names.index(version)
    notes.add(f"record {i + 1}", f"form version {version!r} is not among {names}; read with the newest")
    return 0


def _flatten(
    form: Compiled,
    owner: str | None,
    rows: dict[str | None, list[dict[str, Any]]],
    parents: dict[str | None, list[int]],
) -> None:
    """Split each repeat's instances out of the rows of ``owner`` into a table of their own."""
    for slot in form.slots.values():
        if not isinstance(slot.question, Repeat) or (slot.repeats[-1] if slot.repeats else None) != owner:
            continue
        children: list[dict[str, Any]] = []
        links: list[int] = []
        for i, answers in enumerate(rows[owner]):
            for item in answers.get(slot.name) or ():
                if isinstance(item, dict):
                    children.append(item)
                    links.append(i)
        rows[slot.name], parents[slot.name] = children, links
        _flatten(form, slot.name, rows, parents)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(cell_text(v) for v in value)
    return cell_text(value)


def _table(form: Compiled, owner: str | None, answers: list[dict[str, Any]], notes: Notes) -> Table:
    table = Table(owner, len(answers), place="" if owner is None else f"repeat {owner}")
    for slot in scope_slots(form, owner):
        cells = [_text(a.get(slot.name)) for a in answers]

        def where(i: int, name: str = slot.name) -> str:
            return f"{table.place or 'record'} {i + 1}, question {name}"

        table.columns[slot.name] = build_column(form, slot, cells, {}, notes, where)
    return table


def _versions_apart(dataset: Dataset, governed: list[tuple[Compiled, np.ndarray]]) -> None:
    """Questions a record's version lacks were not asked; options it lacks are not known."""
    if len(governed) < 2:
        return
    for name, table in dataset.tables.items():
        index = dataset.rows_in(None, name)
        for compiled, rows in governed:
            mask = np.zeros(dataset.main.n, dtype=bool)
            mask[rows] = True
            here = mask if index is None else mask[index]
            for column in table.columns.values():
                _mark_version(compiled, column, here)


def _mark_version(compiled: Compiled, column: Any, here: np.ndarray) -> None:
    slot = compiled.slots.get(column.name)
    if column.question is None:
        return
    if slot is None:
        column.status[here] = NOT_ASKED
        return
    if isinstance(column, Multiple):
        offered: dict[str, Choice] = compiled.choices.get(getattr(slot.question, "choices", ""), {})
        lacking = [j for j, level in enumerate(column.levels) if level not in offered]
        if lacking and column.known is None:
            object.__setattr__(column, "known", np.ones_like(column.ticks))
        if lacking:
            column.known[np.ix_(here & column.answered, lacking)] = False  # type: ignore[index]
