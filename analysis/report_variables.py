"""What the report analyses: variables (questions, scale scores, indicators), segments and designs.

A :class:`Variable` is one thing to estimate, already reduced to arrays over the rows of its table:
``codes`` and ``levels`` for one-choice answers, ``ticks`` and ``denominator`` for several choices,
``values`` for numbers and scores; a ranking adds ``order`` (the position of each option, 0 where
not ranked) and ``top``. A :class:`Segment` is a disaggregation variable (``--by`` or a
question marked ``segment``) as codes over the rows of its table. :func:`design_for` builds the
survey design of a table from the ``weights``, ``strata`` and ``cluster`` columns of the records;
a repeat's rows inherit their record's and are clustered in it (members of one household are not
independent).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.bootstrap import distinct
from analysis.dataset import Categorical, Column, Dataset, Multiple, Numeric, Ranked, Text
from analysis.design import Design
from forms.model import Calculate, Consent, Decimal, Integer, Likert, SelectOne

__all__ = ["Segment", "Variable", "design_for", "segments", "variables"]

SEGMENT_TYPES = (SelectOne, Likert, Consent, Integer, Decimal, Calculate)
"""Questions that may be segments (a calculate too: an age band computed from the age)."""

MAX_LEVELS = 30
"""A text column with more distinct values than this is not described nor used as a segment."""


@dataclass(slots=True)
class Variable:
    """One thing to estimate over the rows of ``table``; ``valid`` marks the answered rows."""

    name: str
    type: str
    table: str | None
    valid: np.ndarray
    codes: np.ndarray | None = None
    levels: tuple[str, ...] = ()
    scores: np.ndarray | None = None
    ticks: np.ndarray | None = None
    denominator: np.ndarray | None = None
    values: np.ndarray | None = None
    ordinal: bool = False
    tested: bool = True
    order: np.ndarray | None = None
    top: int | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """The sorted distinct answered values and each row's index among them (computed once)."""
        if "distinct" not in self.cache:
            assert self.values is not None
            self.cache["distinct"] = distinct(np.where(self.valid, self.values, np.nan))
        return self.cache["distinct"]

    @property
    def kind(self) -> str:
        """``categorical``, ``multiple`` or ``numeric``."""
        if self.ticks is not None:
            return "multiple"
        return "categorical" if self.codes is not None else "numeric"


@dataclass(slots=True)
class Segment:
    """A disaggregation variable: codes (-1: no group) over the rows of ``table``, and their labels."""

    name: str
    table: str | None
    codes: np.ndarray
    levels: tuple[str, ...]

    def on(self, dataset: Dataset, table: str | None) -> np.ndarray | None:
        """The codes over the rows of ``table``, or None when this segment does not enclose it."""
        try:
            index = dataset.rows_in(self.table, table)
        except ValueError:
            return None
        return self.codes if index is None else self.codes[index]


def _type(column: Column) -> str:
    if column.question is None:
        return "data"
    return type(column.question).__struct_config__.tag


def variable(column: Column, table: str | None) -> Variable | None:
    """The column as a variable to describe, or None (text, personal data, too many levels)."""
    q, valid, kind = column.question, column.answered, _type(column)
    if (q is not None and q.pii) or not valid.any() or not len(getattr(column, "levels", "-")):
        return None
    match column:
        case Categorical(codes=codes, levels=levels, scores=scores):
            if q is None or (isinstance(q, Calculate) and len(levels) > MAX_LEVELS):
                return None
            ordinal = isinstance(q, Likert) or (scores is not None and not np.all(np.isnan(scores)))
            values = None
            if scores is not None:
                values = np.where(codes >= 0, scores[np.maximum(codes, 0)], np.nan)
            return Variable(
                column.name,
                kind,
                table,
                valid,
                codes=codes,
                levels=levels,
                scores=scores,
                values=values,
                ordinal=ordinal,
            )
        case Multiple(ticks=ticks, levels=levels):
            return Variable(
                column.name,
                kind,
                table,
                valid,
                ticks=ticks,
                levels=levels,
                denominator=np.broadcast_to(column.denominator(), ticks.shape),
            )
        case Ranked(order=order, levels=levels):
            return Variable(
                column.name,
                kind,
                table,
                valid,
                ticks=order > 0,
                levels=levels,
                denominator=np.broadcast_to(valid[:, None], order.shape),
                order=np.where(valid[:, None], order, 0),
                top=getattr(q, "top", None),
            )
        case Numeric(values=values) if q is not None:
            return Variable(column.name, kind, table, valid, values=values, ordinal=True)
    return None


def variables(dataset: Dataset) -> Iterator[Variable]:
    """Every question of the form that can be described, in form order."""
    for slot in dataset.form.slots.values():
        for name, table in dataset.tables.items():
            column = table.columns.get(slot.name)
            if column is not None:
                found = variable(column, name)
                if found is not None:
                    yield found
                break


# ------------------------------------------------------------------------------------------ segments


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def segment(dataset: Dataset, name: str) -> Segment:
    """The column ``name`` as a segment; KeyError when there is no such column, ValueError when it
    is no categorical variable or holds personal data (a question marked ``pii``)."""
    table = dataset.table_of(name)
    column = table.columns[name]
    if column.question is not None and column.question.pii:
        raise ValueError(f"--by {name}: personal data cannot split the data into groups")
    if not column.answered.any():
        raise ValueError(f"--by {name}: the column is empty")
    match column:
        case Categorical(codes=codes, levels=levels):
            return Segment(name, table.name, np.where(column.answered, codes, -1), levels)
        case Text(values=values) | Numeric(values=values):
            texts = values.astype(object) if isinstance(column, Text) else _number_texts(values)
            found = sorted({v for v in texts.tolist() if v != ""}, key=_natural)
            if len(found) > MAX_LEVELS:
                raise ValueError(
                    f"--by {name}: {len(found)} distinct values; a segment needs at most {MAX_LEVELS}"
                )
            index = {v: i for i, v in enumerate(found)}
            codes = np.fromiter((index.get(v, -1) for v in texts.tolist()), np.int64, len(texts))
            return Segment(name, table.name, codes, tuple(found))
    raise ValueError(f"--by {name}: a {_type(column)} question cannot split the data into groups")


def _number_texts(values: np.ndarray) -> np.ndarray:
    return np.array(
        [
            "" if np.isnan(v) else (str(int(v)) if float(v).is_integer() else repr(float(v)))
            for v in values.tolist()
        ],
        dtype=object,
    )


def _natural(text: str) -> tuple[int, float, str]:
    return (0, float(text), "") if _NUMBER.match(text) else (1, 0.0, text)


def segments(dataset: Dataset, by: tuple[str, ...]) -> list[Segment]:
    """The segments named ``by``, else the questions of the form marked ``segment``."""
    if by:
        return [segment(dataset, name) for name in by]
    found = []
    for slot in dataset.form.slots.values():
        q = slot.question
        if q.segment and not q.pii and isinstance(q, SEGMENT_TYPES):
            try:
                found.append(segment(dataset, slot.name))
            except (KeyError, ValueError):
                continue
    return found


# ------------------------------------------------------------------------------------------- designs


def _numbers(dataset: Dataset, name: str, what: str) -> np.ndarray:
    column = dataset.main.columns.get(name)
    if column is None:
        raise KeyError(f"--{what} {name}: no such column among the records")
    if isinstance(column, Numeric):
        values = column.values
    else:
        raw = getattr(column, "values", None)
        try:
            values = np.array([float(v) if v != "" else np.nan for v in raw.tolist()])  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            raise ValueError(f"--{what} {name}: the column holds values that are not numbers") from None
    if np.isnan(values).any():
        rows = np.flatnonzero(np.isnan(values))[:5] + 1
        raise ValueError(f"--{what} {name}: blank in records {', '.join(map(str, rows))}…")
    return values


def _labels(dataset: Dataset, name: str, what: str) -> np.ndarray:
    column = dataset.main.columns.get(name)
    if column is None:
        raise KeyError(f"--{what} {name}: no such column among the records")
    if isinstance(column, Categorical):
        return column.codes
    if isinstance(column, Numeric):
        return np.nan_to_num(column.values, nan=-1.0)
    return np.asarray(column.values, dtype=str)  # type: ignore[attr-defined]


def design_for(
    dataset: Dataset, table: str | None, weights: str | None, strata: str | None, cluster: str | None
) -> Design:
    """The design over the rows of ``table``; a repeat's rows are clustered in their record."""
    w = None if weights is None else _numbers(dataset, weights, "weights")
    s = None if strata is None else _labels(dataset, strata, "strata")
    c = None if cluster is None else _labels(dataset, cluster, "cluster")
    index = dataset.rows_in(None, table)
    if index is None:
        return (
            Design(w, s, c, n=dataset.n)
            if any(a is not None for a in (w, s, c))
            else Design.simple(dataset.n)
        )

    def pick(a):
        return None if a is None else a[index]

    return Design(pick(w), pick(s), index if c is None else c[index])
