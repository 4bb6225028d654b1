"""Comparison rows: every variable against every segment, the test chosen by the variable's type.

    variable                         unweighted                     weighted design
    select_one, consent, text calc   chi2, or fisher (Cochran)      rao_scott
    likert, scored select_one        mannwhitney / kruskal          rao_scott on the answer table
    select_multiple, rank (per opt)  chi2 / fisher on 2 × groups    rao_scott
    number, scale score              mannwhitney / kruskal          the same, weights ignored (said)

The tests themselves are :mod:`analysis.compare`'s; each row's ``method`` says which test and why.
:func:`adjust` applies Benjamini–Hochberg within each family — all the tests against one segment —
and names the family in ``method``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import numpy as np

from analysis.compare import TestResult, benjamini_hochberg, categorical, ordinal
from analysis.design import Design
from analysis.report_variables import Variable
from analysis.results import Row, row

__all__ = ["adjust", "compare"]


def compare(
    var: Variable,
    design: Design,
    name: str,
    groups: np.ndarray,
    levels: tuple[str, ...],
    seed: int,
    resamples: int = 2000,
) -> Iterator[Row]:
    """The test rows of ``var`` across the groups of segment ``name``; an R×C Fisher test draws
    ``resamples`` Monte Carlo tables with ``seed``. Unweighted tables are counted in one pass per
    variable and segment and handed to the test as counts."""
    size = len(levels)
    options = {"design": design, "n_groups": size, "seed": seed, "n_resamples": resamples}
    if var.kind == "multiple":
        assert var.ticks is not None
        assert var.denominator is not None
        chosen, asked = _option_counts(var.ticks, var.denominator, groups, size)
        for j, option in enumerate(var.levels):
            if not 0 < chosen[:, j].sum() < asked[:, j].sum():
                continue  # nobody (or everybody) chose it: nothing to compare
            if design.weighted:
                valid = np.asarray(var.denominator[:, j], dtype=bool)
                result = _categorical(var.ticks[:, j].astype(np.int64), groups, k=2, valid=valid, **options)
            else:
                result = _categorical(
                    np.column_stack([asked[:, j] - chosen[:, j], chosen[:, j]]), None, **options
                )
            yield from _row(var, name, result, option)
        return
    if var.kind == "categorical" and not (var.ordinal and not design.weighted):
        assert var.codes is not None
        k = len(var.levels)
        if design.weighted:
            result = _categorical(var.codes, groups, k=k, valid=var.valid, **options)
        else:
            ok = var.valid & (var.codes >= 0) & (groups >= 0)
            table = np.bincount(groups[ok] * k + var.codes[ok], minlength=size * k).reshape(size, k)
            result = _categorical(table, None, **options)
        if var.ordinal:
            result = msgspec.structs.replace(
                result,
                method=f"{result.method} (ordinal answers compared as "
                "categories: rank tests are not design-based)",
            )
        yield from _row(var, name, result)
        return
    assert var.values is not None
    values = np.where(var.valid, var.values, np.nan)
    yield from _row(var, name, ordinal(values, groups, size, design=design, distinct_values=var.distinct()))


def _option_counts(
    ticks: np.ndarray, asked: np.ndarray, groups: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group and option: how many chose it, and how many were asked it (in its denominator).

    A weighted ``bincount`` per option column (rows outside every group go to a spare bin).
    """
    g = np.where(groups >= 0, groups, size)
    denominator = np.broadcast_to(np.asarray(asked, dtype=bool), ticks.shape)

    def count(columns: np.ndarray) -> np.ndarray:
        found = [np.bincount(g, columns[:, j], minlength=size + 1)[:size] for j in range(columns.shape[1])]
        return np.rint(np.column_stack(found)).astype(np.int64)

    chosen = count((ticks & denominator).astype(np.float64))
    if denominator.strides[1] == 0:  # one denominator for every option: count it once
        return chosen, np.repeat(count(denominator[:, :1].astype(np.float64)), ticks.shape[1], axis=1)
    return chosen, count(denominator.astype(np.float64))


def _categorical(codes: np.ndarray, groups: np.ndarray | None, **kwargs: Any) -> TestResult:
    """analysis.compare.categorical; a table of counts needs neither the design nor its sizes."""
    if groups is None:
        kwargs = {key: kwargs[key] for key in ("seed", "n_resamples")}
    return categorical(codes, groups, **kwargs)


def _row(var: Variable, segment: str, result: TestResult, option: str | None = None) -> Iterator[Row]:
    if result.test == "none":
        return
    method = result.method
    if result.df2 is not None:
        method += f"; denominator df {result.df2:.4g}"
    if result.effect_name:
        method += f"; effect size: {result.effect_name}"
    yield row(
        result.test,
        var.name,
        var.type,
        option=option,
        group_var=segment,
        statistic=result.statistic,
        df=result.df,
        p_value=result.p_value,
        effect_size=result.effect_size,
        n=result.n,
        n_total=result.n,
        method=method,
    )


def adjust(rows: list[Row]) -> list[Row]:
    """The test rows with ``p_adjusted``: Benjamini–Hochberg within each segment's family."""
    families: dict[str | None, list[int]] = {}
    for i, r in enumerate(rows):
        families.setdefault(r.group_var, []).append(i)
    out = list(rows)
    for segment, members in families.items():
        q = benjamini_hochberg(
            np.array([rows[i].p_value if rows[i].p_value is not None else np.nan for i in members])
        )
        note = f"; Benjamini–Hochberg over the {len(members)} tests against {segment}"
        for i, adjusted in zip(members, q.tolist(), strict=True):
            value = adjusted if np.isfinite(adjusted) else None
            out[i] = msgspec.structs.replace(rows[i], p_adjusted=value, method=rows[i].method + note)
    return out
