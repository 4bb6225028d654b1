"""The whole results table from a form's dataset: descriptives, comparisons, scales, indicators, guards.

:func:`analyze` walks the form: every question that can be described (not text, not personal
data) gets its estimates overall and in each group of each segment (:mod:`analysis.report_describe`)
and a test against each segment (:mod:`analysis.report_compare`, Benjamini–Hochberg within each
segment's family); each scale gets Cronbach's α and its score described and compared; each
indicator its prevalence, severity classes and area phase by the x% rule
(:mod:`analysis.report_needs`). Each variable's rows are then protected together
(:mod:`analysis.report_suppress`: counts under 5 suppressed, and further counts until none of
them follows from what is published), and every row gets its flags (:mod:`analysis.report_guards`):
``indicative`` below 30 respondents, ``imprecise`` when the interval is wider than 20 points.
The result is a :class:`~analysis.results.Report` — rows plus ``meta`` saying what produced them
(form, data, design, segments, settings, seeds, data problems) — that the CSV, JSON and HTML
outputs all read.

Segments are the ``by`` columns when given (questions or columns of the data), else the form's
questions marked ``segment``. The design comes from the ``weights``, ``strata`` and ``cluster``
columns of the records; without them every respondent counts once.
"""

from __future__ import annotations

from itertools import groupby
from typing import Literal

import numpy as np
from msgspec import Struct, to_builtins

from analysis.dataset import Dataset
from analysis.design import Design, kish
from analysis.report_compare import adjust, compare
from analysis.report_describe import Grouping, describe
from analysis.report_guards import Guards, guard
from analysis.report_needs import indicator_variables, phase_rows, scale_rows, scale_variables
from analysis.report_suppress import forced_groups, protect_rows
from analysis.report_variables import Segment, Variable, design_for, segments, variables
from analysis.results import Report, Row

__all__ = ["Options", "analyze"]


class Options(Struct, frozen=True, kw_only=True):
    """What to analyse and how.

    ``interval``: ``default`` (Wilson or t unweighted, logit or t with the design df weighted) or
    ``reach`` (analysistools' Wald t intervals, to compare with REACH outputs). ``phase_share`` is
    the x of the area classification's x% rule (0.20: IPC and WASH; 0.25: another common choice).
    """

    by: tuple[str, ...] = ()
    weights: str | None = None
    strata: str | None = None
    cluster: str | None = None
    interval: Literal["default", "reach"] = "default"
    level: float = 0.95
    seed: int = 20240601
    phase_share: float = 0.20
    fisher_resamples: int = 2000
    guards: Guards = Guards()


def analyze(dataset: Dataset, options: Options | None = None) -> Report:
    """The results table of ``dataset`` as ``options`` say."""
    options = options or Options()
    splits = segments(dataset, options.by)
    designs: dict[str | None, Design] = {}

    def design(table: str | None) -> Design:
        if table not in designs:
            designs[table] = design_for(dataset, table, options.weights, options.strata, options.cluster)
        return designs[table]

    rows: list[Row] = []
    tests: list[Row] = []
    described = [*variables(dataset), *scale_variables(dataset), *indicator_variables(dataset)]
    sizes = {name: table.n for name, table in dataset.tables.items()}
    forced = forced_groups(splits, sizes, options.guards.min_cell)
    for _, same in groupby(described, key=lambda v: (v.name, v.type)):
        group = list(same)  # an indicator's flag and its phases are protected together
        found: list[Row] = []
        checks: list[Row] = []
        for var in group:
            _analyse(dataset, var, design(var.table), splits, options, found, checks)
            if var.type == "indicator" and not var.tested:
                table = design(var.table)
                found += phase_rows(dataset, var, table, splits, options.phase_share, options.level)
        local = [*found, *checks]
        protect_rows(
            local,
            list(range(len(local))),
            group,
            min_cell=options.guards.min_cell,
            weighted=design(group[0].table).weighted,
            forced=forced,
            groupings=_groupings(dataset, splits, group[0]),
        )
        rows += local[: len(found)]
        tests += local[len(found) :]
    rows += scale_rows(dataset, design, options.level)
    results = [guard(r, options.guards) for r in [*rows, *adjust(tests)]]
    return Report(meta=_meta(dataset, options, splits, design(None), described), results=tuple(results))


def _analyse(
    dataset: Dataset,
    var: Variable,
    design: Design,
    splits: list[Segment],
    options: Options,
    rows: list[Row],
    tests: list[Row],
) -> None:
    """Describe ``var`` overall and per segment, and test it against each segment."""
    rows += describe(
        var,
        design,
        Grouping(None, None, ()),
        seed=options.seed,
        interval=options.interval,
        level=options.level,
    )
    for split in splits:
        codes = split.on(dataset, var.table)
        if codes is None or split.name == var.name:
            continue
        grouping = Grouping(split.name, codes, split.levels)
        rows += describe(
            var, design, grouping, seed=options.seed, interval=options.interval, level=options.level
        )
        if var.tested:
            tests += compare(
                var, design, split.name, codes, split.levels, options.seed, options.fisher_resamples
            )


def _groupings(dataset: Dataset, splits: list[Segment], var: Variable) -> dict[str | None, np.ndarray]:
    """Group codes over the rows of ``var``'s table: None (everyone in group 0) and each segment."""
    n = len(var.valid)
    found: dict[str | None, np.ndarray] = {None: np.zeros(n, dtype=np.int64)}
    for split in splits:
        codes = split.on(dataset, var.table)
        if codes is not None and split.name != var.name:
            found[split.name] = codes
    return found


def _meta(
    dataset: Dataset, options: Options, splits: list[Segment], design: Design, described: list[Variable]
) -> dict[str, object]:
    form = dataset.form.form
    n_eff, deff = kish(design.weights_or_ones()) if dataset.n else (0.0, 1.0)
    analysed = {v.name for v in described}
    skipped = [
        s.name
        for s in dataset.form.slots.values()
        if s.name not in analysed and any(s.name in t.columns for t in dataset.tables.values())
    ]
    return {
        "form": {"id": form.id, "version": form.version, "title": form.title},
        "data": {
            "source": dataset.source,
            "records": dataset.n,
            "tables": {name or "records": t.n for name, t in dataset.tables.items()},
        },
        "design": {
            "weights": options.weights,
            "strata": options.strata,
            "cluster": options.cluster,
            "weighted": design.weighted,
            "kish_n_eff": n_eff,
            "kish_deff": deff,
        },
        "segments": [{"name": s.name, "levels": list(s.levels)} for s in splits],
        "options": to_builtins(options),
        "seeds": {
            "median_bootstrap": options.seed,
            "fisher_monte_carlo": options.seed,
            "fisher_resamples": options.fisher_resamples,
        },
        "families": "Benjamini–Hochberg within each segment: all tests against it form one family",
        "missing_items": "Cronbach's alpha: respondents who answered every item of the scale (listwise); "
        "scale score: the mean of the answered items when at least half are answered, else missing; "
        "reverse-coded items are reversed first (low + high − answer)",
        "suppression": f"counts of 1–{options.guards.min_cell - 1} respondents are withheld, and further "
        "counts until none of them follows from the published numbers (totals, other groups, "
        "differences, means times their base); a group hidden in a segment's own distribution is "
        "hidden in every table by that segment",
        "not_described": skipped,
        "problems": [str(p) for p in dataset.problems],
    }
