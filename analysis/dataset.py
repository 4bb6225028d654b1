"""The columnar dataset: one numpy column per question, "not asked" kept apart from "missing".

Build one from a data file (a Kobo/ODK CSV or XLSX export, or our own export) and its form with
:meth:`Dataset.from_file`, from stored submissions with :meth:`Dataset.from_records`, or from
arrays with :meth:`Dataset.from_columns`. Every column carries ``status`` per row: ``ANSWERED``,
``MISSING`` (asked — its relevance held — but blank) or ``NOT_ASKED`` (its relevance, or a
container's, was false). The column types, chosen by the question's type:

    Categorical   select_one, likert, consent; a calculate or data column of text   codes, levels
    Multiple      select_multiple (and rank, as "mentioned")                         ticks, known
    Ranked        rank: the position of each option, 1 = most important             order
    Numeric       integer, decimal, numeric calculate; a numeric data column         values (NaN)
    Text          text, date, time, geopoint; other data columns                     values ("")

A repeat is a :class:`Table` of its own whose ``parent`` gives the row of the enclosing table.
Columns of the data that are no question of the form (``socio_eco_division``, ``_uuid``…) are kept
as Text columns with ``question`` None, so they can serve as segments, weights, strata or clusters.

How a file is read: :mod:`analysis.dataset_read` (sheets of text cells), then
:mod:`analysis.dataset_columns` (typed columns), then :mod:`analysis.dataset_logic` (relevance and
calculations, evaluated once per distinct combination of the values an expression reads).
Problems with the data are :class:`DataProblem` warnings collected in ``Dataset.problems``; data
that cannot be analysed raises :class:`DataError`, every problem saying where.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.dataset_read import DataError, DataProblem
from forms.compiler import Compiled
from forms.model import AnyQuestion

__all__ = [
    "ANSWERED",
    "MISSING",
    "NOT_ASKED",
    "Categorical",
    "Column",
    "DataError",
    "DataProblem",
    "Dataset",
    "Multiple",
    "Numeric",
    "Ranked",
    "Table",
    "Text",
]

ANSWERED, MISSING, NOT_ASKED = 0, 1, 2
"""Values of ``Column.status``: answered; asked but blank; not asked (not relevant)."""


@dataclass(frozen=True, slots=True, eq=False)
class Column:
    """What every column has: the name, the question (None for a data column), a status per row."""

    name: str
    question: AnyQuestion | None
    status: np.ndarray

    @property
    def answered(self) -> np.ndarray:
        """True where the question was answered."""
        return self.status == ANSWERED

    @property
    def asked(self) -> np.ndarray:
        """True where the question was asked (answered or left blank)."""
        return self.status != NOT_ASKED


@dataclass(frozen=True, slots=True, eq=False)
class Categorical(Column):
    """One option per row: ``codes`` index ``levels`` (choice names in list order, then values
    found in the data), -1 where unanswered; ``scores`` gives each level's likert value (NaN if none)."""

    codes: np.ndarray
    levels: tuple[str, ...]
    scores: np.ndarray | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Multiple(Column):
    """Any options per row: ``ticks[i, j]`` is True when row i chose ``levels[j]``.

    ``known`` is None when every option was recorded for every answered row; otherwise
    ``known[i, j]`` is False where option j was not recorded for row i (its 0/1 column is blank —
    the option did not exist in the form version that row was collected with).
    """

    ticks: np.ndarray
    levels: tuple[str, ...]
    known: np.ndarray | None = None

    def denominator(self) -> np.ndarray:
        """Per row and option, whether the row counts in that option's denominator."""
        answered = self.answered[:, None]
        return answered if self.known is None else answered & self.known


@dataclass(frozen=True, slots=True, eq=False)
class Ranked(Column):
    """Options in order of importance: ``order[i, j]`` is the position (1 = first) of ``levels[j]``
    for row i, 0 where it was not ranked."""

    order: np.ndarray
    levels: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Numeric(Column):
    """A number per row, NaN where unanswered."""

    values: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class Text(Column):
    """Text per row (an object array of str), ``""`` where unanswered."""

    values: np.ndarray


@dataclass(slots=True)
class Table:
    """The records (``name`` None) or the instances of one repeat.

    ``parent`` gives, per row, the row of the enclosing table ``parent_table`` (None for the records).
    """

    name: str | None
    n: int
    columns: dict[str, Column] = field(default_factory=dict)
    parent: np.ndarray | None = None
    parent_table: str | None = None
    place: str = ""
    """Where the table came from inside the file (``sheet roster``), for messages; "" for a CSV."""


@dataclass(slots=True)
class Dataset:
    """A form's answers as columns, one :class:`Table` for the records and one per repeat."""

    form: Compiled
    tables: dict[str | None, Table]
    problems: list[DataProblem] = field(default_factory=list)
    source: str = "<data>"

    @property
    def main(self) -> Table:
        """The records' table."""
        return self.tables[None]

    @property
    def n(self) -> int:
        """The number of records."""
        return self.main.n

    def table_of(self, name: str) -> Table:
        """The table holding the column ``name``; KeyError with the known names when none does."""
        for table in self.tables.values():
            if name in table.columns:
                return table
        known = sorted(n for t in self.tables.values() for n in t.columns)
        raise KeyError(f"no column {name!r} in {self.source} (columns: {', '.join(known[:30])}…)")

    def column(self, name: str) -> Column:
        """The column ``name``, from whichever table holds it."""
        return self.table_of(name).columns[name]

    def rows_in(self, source: str | None, target: str | None) -> np.ndarray | None:
        """For each row of table ``target``, its row in the enclosing table ``source``.

        None when ``source`` is ``target``; ValueError when ``source`` does not enclose ``target``.
        """
        index: np.ndarray | None = None
        table = self.tables[target]
        while table.name != source:
            if table.parent is None:
                raise ValueError(f"table {source or 'records'} does not enclose {target or 'records'}")
            index = table.parent if index is None else table.parent[index]
            table = self.tables[table.parent_table]
        return index

    # ---------------------------------------------------------------------------------- building

    @classmethod
    def from_file(cls, form: Compiled, path: str | os.PathLike[str]) -> Dataset:
        """The answers in a CSV or XLSX export of ``form``; DataError when they cannot be read."""
        from analysis.dataset_build import from_sheets
        from analysis.dataset_read import read_sheets

        return from_sheets(form, read_sheets(path), str(path))

    @classmethod
    def from_columns(cls, form: Compiled, columns: Mapping[str, Any], source: str = "<columns>") -> Dataset:
        """The records' answers given column by column (no repeats).

        A value is a sequence of cells as a CSV holds them, or a numpy array: integer codes into the
        choice list (-1 unanswered) for select_one/likert/consent, floats (NaN unanswered) for
        numbers, an ``n × options`` boolean array for select_multiple. Relevance is applied.
        """
        from analysis.dataset_build import from_arrays

        return from_arrays(form, columns, source)

    @classmethod
    def from_records(
        cls, versions: Mapping[str, Compiled], records: Iterable[Mapping[str, Any]], source: str = "<records>"
    ) -> Dataset:
        """Stored submissions as columns, versions merged by question name.

        ``versions`` maps each version string to its compiled form, newest first (the first decides a
        question's type and place); each record is a mapping with ``form_version`` and ``answers``
        (as the sync API stores them: select_multiple and rank as lists of names, repeats as lists
        of objects) and optionally ``uuid``, ``site``, ``collector``, ``collected_at``, kept as the
        data columns ``_uuid``, ``_site``… A question absent from a record's version was not asked;
        an option absent from it is not ``known`` for that record.
        """
        from analysis.dataset_records import from_records

        return from_records(versions, records, source)


def raise_errors(problems: list[DataProblem]) -> None:
    """Raise DataError when any problem is an error."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(errors)
