"""Scales and indicators as report variables, with their own rows: Cronbach's α and area phases.

Scales: the items marked ``scale = NAME`` (likert, scored select_one, numbers) form one score per
respondent — :func:`analysis.scales.composite`, the mean of the answered items when at least half
are answered — after reverse-coding the items marked ``reverse`` (low + high − x, the bounds being
the lowest and highest choice score, or the question's minimum and maximum). The score is described
and compared like a number; the ``alpha`` row gives Cronbach's α with Feldt's interval.

Indicators: per respondent, the need flag is evaluated where the indicator's ``population`` holds
and at least one question it reads was answered (elsewhere it is missing). The flag is described
as a yes/no question and compared across segments. With severity classes, each respondent in the
population gets a phase — 1 when not flagged, else the highest class whose condition holds (the
lowest class listed when none does) — described as shares per phase, and each group an area
``phase`` by the x% rule: the highest p with at least x of the (weighted) population in phase ≥ p.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from analysis.dataset import Categorical, Dataset, Numeric
from analysis.dataset_logic import Evaluator
from analysis.design import Design
from analysis.estimates import proportions_by
from analysis.indicators import area_phase
from analysis.report_variables import Segment, Variable
from analysis.results import Row, row
from analysis.scales import composite, cronbach_alpha, reverse
from forms import expressions as ex

__all__ = ["area_phase", "indicator_variables", "phase_rows", "scale_rows", "scale_variables"]


# -------------------------------------------------------------------------------------------- scales


def _scales(dataset: Dataset) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for slot in dataset.form.slots.values():
        if slot.question.scale and not slot.question.pii:
            found.setdefault(slot.question.scale, []).append(slot.name)
    return found


def _items(dataset: Dataset, names: list[str]) -> tuple[str | None, np.ndarray] | None:
    tables = {dataset.table_of(n).name for n in names if _has(dataset, n)}
    if len(tables) != 1 or not all(_has(dataset, n) for n in names):
        return None
    columns = []
    for name in names:
        column = dataset.column(name)
        if isinstance(column, Categorical) and column.scores is not None:
            x = np.where(
                column.answered & (column.codes >= 0), column.scores[np.maximum(column.codes, 0)], np.nan
            )
            low, high = np.nanmin(column.scores), np.nanmax(column.scores)
        elif isinstance(column, Numeric):
            x = np.where(column.answered, column.values, np.nan)
            q = column.question
            low = getattr(q, "minimum", None)
            high = getattr(q, "maximum", None)
            low = np.nanmin(x) if low is None else low
            high = np.nanmax(x) if high is None else high
        else:
            return None
        columns.append(
            reverse(x, low, high) if column.question is not None and column.question.reverse else x
        )
    return tables.pop(), np.column_stack(columns)


def _has(dataset: Dataset, name: str) -> bool:
    return any(name in t.columns for t in dataset.tables.values())


def scale_variables(dataset: Dataset) -> Iterator[Variable]:
    """Each scale's composite score, as a numeric variable of type ``scale``."""
    for name, members in _scales(dataset).items():
        found = _items(dataset, members)
        if found is None or len(members) < 2:
            continue
        table, items = found
        score = composite(items)
        yield Variable(name, "scale", table, np.isfinite(score.scores), values=score.scores, ordinal=True)


def scale_rows(dataset: Dataset, design: Callable[[str | None], Design], level: float) -> list[Row]:
    """Cronbach's α of each scale (respondents who answered every item), with Feldt's interval."""
    rows = []
    for name, members in _scales(dataset).items():
        found = _items(dataset, members)
        if found is None or len(members) < 2:
            continue
        _, items = found
        complete = int(np.isfinite(items).all(axis=1).sum())
        if complete < 2:
            continue
        r = cronbach_alpha(items, level=level)
        rows.append(
            row(
                "alpha",
                name,
                "scale",
                estimate=r.alpha,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                n=r.n,
                n_total=r.n,
                method=f"{r.method} ({', '.join(members)})",
            )
        )
    return rows


# ---------------------------------------------------------------------------------------- indicators


def indicator_variables(dataset: Dataset) -> Iterator[Variable]:
    """Each indicator's flag (``no``/``yes``), then its phase (``1``…``5``) when it has severity classes."""
    evaluator = Evaluator(dataset, None)
    for compiled in dataset.form.indicators:
        ind = compiled.indicator
        if ind.safety:
            continue  # a safety flag is an individual follow-up, never a ranked prevalence
        counted = _counted(dataset, evaluator, compiled.population, compiled.flag)
        flag = _truth(evaluator, compiled.flag)
        codes = np.where(counted, flag.astype(np.int64), -1)
        yield Variable(ind.name, "indicator", None, counted, codes=codes, levels=("no", "yes"))
        if compiled.severity:
            phase = np.ones(dataset.n, dtype=np.int64)
            lowest = min(level for level, _ in compiled.severity)
            assigned = np.zeros(dataset.n, dtype=bool)
            for level, node in compiled.severity:  # highest first
                hit = flag & ~assigned & _truth(evaluator, node)
                phase[hit], assigned = level, assigned | hit
            phase[flag & ~assigned] = lowest
            codes = np.where(counted, phase - 1, -1)
            yield Variable(
                ind.name,
                "indicator",
                None,
                counted,
                codes=codes,
                levels=("1", "2", "3", "4", "5"),
                tested=False,
            )


def _truth(evaluator: Evaluator, node: ex.Node) -> np.ndarray:
    return evaluator.condition([node], error=False)


def _counted(dataset: Dataset, evaluator: Evaluator, population: ex.Node | None, flag: ex.Node) -> np.ndarray:
    answered = np.zeros(dataset.n, dtype=bool)
    for name in ex.references(flag):
        column = dataset.main.columns.get(name)
        if column is not None:
            answered |= column.answered
        elif _has(dataset, name):
            answered[:] = True  # read from a repeat: counted
    return answered if population is None else answered & _truth(evaluator, population)


def phase_rows(
    dataset: Dataset, var: Variable, design: Design, splits: list[Segment], x: float, level: float
) -> Iterator[Row]:
    """The area phase of an indicator overall and in each group of each segment."""
    assert var.codes is not None
    groupings: list[tuple[str | None, np.ndarray | None, tuple[str, ...]]] = [(None, None, ())]
    groupings += [
        (s.name, s.on(dataset, var.table), s.levels) for s in splits if s.on(dataset, var.table) is not None
    ]
    for name, codes, levels in groupings:
        size = max(len(levels), 1)
        found = proportions_by(var.codes, 5, codes, size, design, valid=var.valid, level=level)
        for g in range(size):
            shares = np.array([e.estimate for e in found[g]])
            if not np.isfinite(shares).all():
                continue
            total = found[g][0]
            yield row(
                "phase",
                var.name,
                "indicator",
                group_var=name,
                group_value=levels[g] if name else None,
                estimate=float(area_phase(shares, x)),
                n_total=total.n_total,
                n_w_total=total.n_w_total,
                method=f"x% rule, x = {x:g}: the highest phase p with at least {x:.0%} of the "
                "population in phase p or above",
            )
