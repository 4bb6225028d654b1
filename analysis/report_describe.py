"""Descriptive rows of the report: every estimate of a variable, overall and in each group of a segment.

Per variable kind (one vectorised call covers every group):

    categorical   prop per option; likert and scored items add mean and top2box (the top two
                  scored points, unscored options such as "don't know" outside the denominator)
    multiple      prop per option, among the rows that answered (and for which the option existed)
    rank          prop per option (mentioned in the top t: the headline), ``first`` (the share
                  ranking it first) and ``borda`` (Borda points t, t − 1, …, 1 divided by t and
                  averaged over those who answered: 1 = everyone ranked it first) — METHODS §2.9
    numeric       mean and median (the median's bootstrap is seeded; the seed is in ``method``)

``interval="reach"`` replaces the proportion and mean intervals by analysistools'/srvyr's: a Wald
t interval, ``estimate ± t(n − 1) · SE``, where the SE is the Taylor-linearised SE with every
respondent their own PSU and a group is a domain of the whole sample (``n`` is the sample size).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.design import Design, Ratios, cell_proportions, ratio_means
from analysis.estimates import (
    Estimate,
    column_means_by,
    mean_by,
    median_by,
    proportions_by,
    select_multiple_by,
)
from analysis.report_variables import Variable
from analysis.results import Row, row

__all__ = ["Grouping", "describe"]


@dataclass(slots=True)
class Grouping:
    """The groups rows are split into: codes (-1: none), their labels, the segment's name (None: all)."""

    name: str | None
    codes: np.ndarray | None
    levels: tuple[str, ...]

    @property
    def size(self) -> int:
        """How many groups."""
        return max(len(self.levels), 1)

    def label(self, g: int) -> str | None:
        """The label of group ``g`` (None for the whole sample)."""
        return self.levels[g] if self.name is not None else None


def _estimate_row(
    stat: str,
    var: Variable,
    grouping: Grouping,
    g: int,
    e: Estimate,
    option: str | None = None,
    method: str | None = None,
) -> Row:
    return row(
        stat,
        var.name,
        var.type,
        option=option,
        group_var=grouping.name,
        group_value=grouping.label(g),
        estimate=e.estimate,
        ci_low=e.ci_low,
        ci_high=e.ci_high,
        n=e.n,
        n_total=e.n_total,
        n_w=e.n_w,
        n_w_total=e.n_w_total,
        df=e.df,
        method=method or e.method,
    )


def describe(
    var: Variable, design: Design, grouping: Grouping, *, seed: int, interval: str, level: float = 0.95
) -> Iterator[Row]:
    """The estimates of ``var`` in each group of ``grouping``."""
    groups, size = grouping.codes, grouping.size
    if var.kind == "categorical":
        assert var.codes is not None
        k = len(var.levels)
        found = proportions_by(var.codes, k, groups, size, design, valid=var.valid, level=level)
        reach = (
            _reach(cell_proportions, var.codes, k, groups, size, var.valid, level)
            if interval == "reach"
            else None
        )
        for g in range(size):
            for j, option in enumerate(var.levels):
                yield _estimate_row("prop", var, grouping, g, _replace(found[g][j], reach, g, j), option)
        if var.ordinal and var.values is not None:
            yield from _scored(var, design, grouping, level, interval)
    elif var.kind == "multiple":
        assert var.ticks is not None
        assert var.denominator is not None
        found = select_multiple_by(var.ticks, var.denominator, groups, size, design, level=level)
        reach = None
        if interval == "reach":
            reach = _reach(ratio_means, var.ticks.astype(float), None, groups, size, var.denominator, level)
        for g in range(size):
            for j, option in enumerate(var.levels):
                yield _estimate_row("prop", var, grouping, g, _replace(found[g][j], reach, g, j), option)
        if var.order is not None:
            yield from _ranked(var, design, grouping, level)
    else:
        yield from _numeric(var, design, grouping, level, interval, seed)


def _ranked(var: Variable, design: Design, grouping: Grouping, level: float) -> Iterator[Row]:
    """First choices and Borda points of a ranking, per option."""
    assert var.order is not None
    order, k = var.order, len(var.levels)
    top = max(int(var.top or order.max(initial=1)), 1)
    first = np.where(var.valid, k, -1)  # k: answered, but nothing ranked first
    rows, options = np.nonzero(order == 1)
    first[rows] = np.where(var.valid[rows], options, -1)
    firsts = proportions_by(first, k + 1, grouping.codes, grouping.size, design, level=level)
    points = np.where((order > 0) & (order <= top), (top + 1 - order) / top, 0.0)
    borda = column_means_by(points, grouping.codes, grouping.size, design, valid=var.valid, level=level)
    method = f"Borda points ({top} for first … 1 for rank {top}) ÷ {top}, averaged over those who answered"
    for g in range(grouping.size):
        for j, option in enumerate(var.levels):
            yield _estimate_row("first", var, grouping, g, firsts[g][j], option)
        for j, option in enumerate(var.levels):
            b = borda[g][j]
            yield _estimate_row("borda", var, grouping, g, b, option, f"{method}; {b.method}")


def _numeric(
    var: Variable, design: Design, grouping: Grouping, level: float, interval: str, seed: int
) -> Iterator[Row]:
    assert var.values is not None
    values = np.where(var.valid, var.values, np.nan)
    means = mean_by(values, grouping.codes, grouping.size, design, level=level)
    reach = None
    if interval == "reach":
        reach = _reach(ratio_means, values, None, grouping.codes, grouping.size, None, level)
    found = var.distinct()
    medians = median_by(values, grouping.codes, grouping.size, design, seed, level=level, values=found)
    for g in range(grouping.size):
        yield _estimate_row("mean", var, grouping, g, _replace(means[g], reach, g, 0))
        yield _estimate_row("median", var, grouping, g, medians[g])


def _scored(var: Variable, design: Design, grouping: Grouping, level: float, interval: str) -> Iterator[Row]:
    """Mean score and top-2-box of a likert or scored item."""
    assert var.values is not None
    assert var.scores is not None
    scored = var.valid & np.isfinite(var.values)
    points = np.unique(var.scores[np.isfinite(var.scores)])
    means = mean_by(np.where(scored, var.values, np.nan), grouping.codes, grouping.size, design, level=level)
    top = (var.values >= points[-2]).astype(np.int64) if len(points) >= 3 else None
    boxes = None
    if top is not None:
        boxes = proportions_by(top, 2, grouping.codes, grouping.size, design, valid=scored, level=level)
    for g in range(grouping.size):
        yield _estimate_row("mean", var, grouping, g, means[g])
        if boxes is not None:
            box = boxes[g][1]
            top2 = f"{_point(points[-2])}, {_point(points[-1])}"
            method = f"share answering the top two points ({top2}); {box.method}"
            yield _estimate_row("top2box", var, grouping, g, box, method=method)


def _point(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -------------------------------------------------------------------------------- REACH intervals


def _reach(engine, data, k, groups, size, valid, level) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """analysistools' interval (srvyr after ``filter(!is.na(var))``): Wald t with the Taylor SE of
    the answered rows as a domain of the whole sample, on (answered rows − 1) degrees of freedom."""
    answered = np.isfinite(data) if k is None else data >= 0
    if valid is not None:
        answered = answered & np.asarray(valid, dtype=bool)
    domain = Design(strata=np.zeros(len(data), dtype=np.int8))  # one stratum: forces the Taylor variance
    if k is None:
        r: Ratios = engine(data, domain, mask=answered, groups=groups, n_groups=size)
    else:
        r = engine(data, k, domain, valid=answered, groups=groups, n_groups=size)
    df = np.maximum(answered.sum(axis=0) - 1, 1)
    half = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(r.variance)
    return r.estimate - half, r.estimate + half


def _replace(e: Estimate, reach: tuple[np.ndarray, np.ndarray] | None, g: int, j: int) -> Estimate:
    if reach is None:
        return e
    import msgspec

    low, high = float(reach[0][g, j]), float(reach[1][g, j])
    return msgspec.structs.replace(
        e,
        ci_low=low,
        ci_high=high,
        method="Wald t interval, n − 1 df, domain Taylor SE (analysistools/srvyr)",
    )
