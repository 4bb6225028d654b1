"""What the HTML report shows, built from the results rows and the form: sections, tables, charts.

:func:`view` turns a :class:`~analysis.results.Report` into plain structures the templates only
lay out (``templates/report_body.html``): one :class:`Section` per variable in the order of the
rows — its overall estimates, a chart, and per segment a table (options × groups) with its test —
then every comparison, the scales, the indicators and the meta. Numbers arrive formatted; labels
come from the form in ``language`` (its default language where a label lacks it). Fixed text is
the templates' (translated there): a line or chart item carries a ``key`` (``mean``, ``phase``,
``all``…) where the template writes the words.

Flags travel with every value: ``suppressed`` (and ``complementary``) values are empty and the
template says so; ``indicative`` and ``imprecise`` values are shown with their mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis import report_view_summary as summary
from analysis.charts import Bars, Diverging, Item, bars, diverging
from analysis.report_labels import Labels, count, interval, number, p_value, percent
from analysis.results import TESTS, Report, Row

__all__ = ["Line", "Section", "Test", "Value", "View", "view"]


@dataclass(slots=True)
class Value:
    """One estimate as shown: the value, its interval, counts and flags ("" where there is none)."""

    text: str = ""
    interval: str = ""
    n: str = ""
    base: str = ""
    n_w: str = ""
    flags: tuple[str, ...] = ()

    @property
    def hidden(self) -> bool:
        return "suppressed" in self.flags


@dataclass(slots=True)
class Line:
    """A line of a table: a label (``key`` names fixed text instead) and one value per column."""

    label: str
    values: list[Value]
    key: str = ""


@dataclass(slots=True)
class Test:
    """One comparison, formatted."""

    name: str
    question: str
    segment: str
    option: str
    test: str
    statistic: str
    df: str
    p: str
    p_adjusted: str
    effect: str
    effect_name: str
    n: str
    why: str
    significant: bool
    flags: tuple[str, ...]


@dataclass(slots=True)
class Part:
    """A question by one segment: its groups (label, base), lines (a value per group), chart, tests."""

    name: str
    label: str
    groups: list[tuple[str, Value]]
    lines: list[Line]
    chart: Bars | Diverging | None
    chart_kind: str
    tests: list[Test]


@dataclass(slots=True)
class Section:
    """One variable: ``kind`` is share, multiple, rank, likert, number, scale or indicator."""

    name: str
    label: str
    type: str
    kind: str
    base: Value
    lines: list[Line]
    chart: Bars | Diverging | None
    chart_kind: str
    parts: list[Part]
    note: str = ""


@dataclass(slots=True)
class View:
    """The whole report as the templates read it."""

    title: str
    language: str
    sections: list[Section]
    tests: list[Test]
    scales: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    meta: dict[str, Any]
    weighted: bool
    counts: dict[str, int] = field(default_factory=dict)


def _value(r: Row | None, share: bool = True) -> Value:
    if r is None:
        return Value()
    fmt = percent if share else number
    return Value(
        text=fmt(r.estimate),
        interval=interval(r.ci_low, r.ci_high, share),
        n=count(r.n),
        base=count(r.n_total),
        n_w=number(r.n_w, 1),
        flags=r.flags,
    )


def _item(label: str, r: Row | None, share: bool = True, key: str = "") -> Item:
    if r is None:
        return Item(label, None, key=key)
    v = _value(r, share)
    text = f"{v.text} ({v.interval})" if v.interval else v.text
    return Item(label, r.estimate, r.ci_low, r.ci_high, text, r.flags, key)


class _Index:
    """The rows of the report by variable, then by (stat, group var, group value, option)."""

    def __init__(self, report: Report) -> None:
        self.order: list[tuple[str, str]] = []
        self.rows: dict[tuple[str, str], dict[tuple[str, str | None, str | None, str | None], Row]] = {}
        for r in report.results:
            key = (r.var, "scale" if r.stat == "alpha" else r.type)
            if key not in self.rows:
                self.order.append(key)
                self.rows[key] = {}
            self.rows[key][(r.stat, r.group_var, r.group_value, r.option)] = r

    def options(self, var: tuple[str, str], stat: str) -> list[str]:
        return list(dict.fromkeys(o for (s, g, _, o) in self.rows[var] if s == stat and g is None and o))

    def segments(self, var: tuple[str, str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for s, g, v, _ in self.rows[var]:
            if g is not None and v is not None and s not in TESTS:
                levels = found.setdefault(g, [])
                if v not in levels:
                    levels.append(v)
        return found


def view(report: Report, labels: Labels) -> View:
    """The view of ``report``, labelled by ``labels`` (the form's text in one language)."""
    index = _Index(report)
    sections, tests = [], []
    for var in index.order:
        if var[1] == "scale" and ("alpha", None, None, None) in index.rows[var] and len(index.rows[var]) == 1:
            continue  # the alpha row alone: listed with the scales
        section = _section(index, var, labels)
        sections.append(section)
        tests += [t for part in section.parts for t in part.tests]
    weighted = bool(report.meta.get("design", {}).get("weighted"))
    return View(
        title=labels.title,
        language=labels.language,
        sections=sections,
        tests=tests,
        scales=summary.scales(report, labels),
        indicators=summary.indicators(index.rows, index.segments, labels, _value),
        meta=summary.meta(report.meta, labels),
        weighted=weighted,
        counts=summary.counts(report),
    )


def _kind(var: tuple[str, str], rows: Mapping) -> str:
    type_ = var[1]
    stats = {k[0] for k in rows}
    if type_ == "indicator":
        return "indicator"
    if type_ == "scale":
        return "scale"
    if "borda" in stats:
        return "rank"
    if type_ == "select_multiple":
        return "multiple"
    if "mean" in stats and "prop" in stats:
        return "likert"
    if "mean" in stats:
        return "number"
    return "share"


def _section(index: _Index, var: tuple[str, str], labels: Labels) -> Section:
    rows = index.rows[var]
    kind = _kind(var, rows)
    name = var[0]
    options = index.options(var, "prop")
    if kind == "indicator":
        options = [o for o in options if o in ("no", "yes")]
    label = labels.question(name) if kind != "indicator" else labels.indicator(name)
    lines, chart, chart_kind = _overall(rows, kind, name, options, labels)
    first = next((r for r in rows.values() if r.group_var is None and r.stat not in TESTS), None)
    base = Value(
        base=count(first.n_total) if first else "", n_w=number(first.n_w_total if first else None, 1)
    )
    parts = [
        _part(rows, kind, name, options, segment, levels, labels)
        for segment, levels in index.segments(var).items()
    ]
    return Section(name, label, labels.type_of(name, var[1]), kind, base, lines, chart, chart_kind, parts)


def _overall(rows: Mapping, kind: str, name: str, options: list[str], labels: Labels):
    def get(stat: str, option: str | None = None) -> Row | None:
        return rows.get((stat, None, None, option))

    if kind in ("number", "scale"):
        lines = [
            Line("", [_value(get("mean"), False)], "mean"),
            Line("", [_value(get("median"), False)], "median"),
        ]
        return lines, None, ""
    if kind == "indicator":
        yes = get("prop", "yes")
        lines = [Line("", [_value(yes)], "prevalence")]
        phase = get("phase")
        if phase is not None:
            lines.append(Line("", [Value(text=number(phase.estimate, 0), flags=phase.flags)], "area_phase"))
        return lines, None, ""
    if kind == "rank":
        ordered = sorted(options, key=lambda o: -_estimate(get("borda", o), -1.0))
        lines = [
            Line(
                labels.option(name, o),
                [_value(get("prop", o)), _value(get("first", o)), _value(get("borda", o), False)],
            )
            for o in ordered
        ]
        return lines, bars([_item(labels.option(name, o), get("prop", o)) for o in ordered]), "bars"
    lines = [Line(labels.option(name, o), [_value(get("prop", o))]) for o in options]
    if kind == "likert":
        lines += [
            Line("", [_value(get("mean"), False)], "mean"),
            Line("", [_value(get("top2box"))], "top2box"),
        ]
        scored = [o for o in options if labels.score(name, o) is not None]
        shares = [get("prop", o).estimate if get("prop", o) else None for o in scored]
        chart = diverging([("", _rescale(shares))], [labels.option(name, o) for o in scored])
        chart.rows[0].label = ""
        return lines, chart, "diverging"
    return lines, bars([_item(labels.option(name, o), get("prop", o)) for o in options]), "bars"


def _estimate(r: Row | None, missing: float) -> float:
    return missing if r is None or r.estimate is None else r.estimate


def _rescale(shares: list[float | None]) -> list[float | None]:
    """Shares of the scored points among themselves ("don't know" left out of a likert bar)."""
    if any(s is None for s in shares):
        return [None] * len(shares)
    total = sum(shares)  # type: ignore[arg-type]
    return [s / total if total else 0.0 for s in shares]  # type: ignore[operator]


def _part(
    rows: Mapping, kind: str, name: str, options: list[str], segment: str, levels: list[str], labels: Labels
) -> Part:
    def get(stat: str, level: str, option: str | None = None) -> Row | None:
        return rows.get((stat, segment, level, option))

    names = [labels.level(segment, v) for v in levels]
    first_stat = {"number": "mean", "scale": "mean", "rank": "prop"}.get(kind, "prop")
    groups = []
    for v, label in zip(levels, names, strict=True):
        r = get(first_stat, v, None if first_stat == "mean" else (options[0] if options else None))
        groups.append(
            (
                label,
                Value(base=count(r.n_total) if r else "", flags=r.flags if r and r.n_total is None else ()),
            )
        )
    chart, chart_kind = None, ""
    if kind in ("number", "scale"):
        lines = [Line("", [_value(get(s, v), False) for v in levels], s) for s in ("mean", "median")]
        items = [_item("", rows.get(("mean", None, None, None)), False, "all")]
        items += [_item(n, get("mean", v), False) for v, n in zip(levels, names, strict=True)]
        chart, chart_kind = bars(items, percent=False), "bars"
    elif kind == "indicator":
        lines = [Line("", [_value(get("prop", v, "yes")) for v in levels], "prevalence")]
        phases = [p for p in ("1", "2", "3", "4", "5") if ("prop", None, None, p) in rows]
        lines += [Line(p, [_value(get("prop", v, p)) for v in levels], "phase") for p in phases]
        if any(get("phase", v) for v in levels):
            lines.append(
                Line(
                    "",
                    [Value(text=number(r.estimate, 0) if (r := get("phase", v)) else "") for v in levels],
                    "area_phase",
                )
            )
        items = [_item("", rows.get(("prop", None, None, "yes")), True, "all")]
        items += [_item(n, get("prop", v, "yes")) for v, n in zip(levels, names, strict=True)]
        chart, chart_kind = bars(items), "bars"
    else:
        lines = [Line(labels.option(name, o), [_value(get("prop", v, o)) for v in levels]) for o in options]
        if kind == "likert":
            lines += [Line("", [_value(get("mean", v), False) for v in levels], "mean")]
            lines += [Line("", [_value(get("top2box", v)) for v in levels], "top2box")]
            scored = [o for o in options if labels.score(name, o) is not None]
            stack = [
                (n, _rescale([r.estimate if (r := get("prop", v, o)) else None for o in scored]))
                for v, n in zip(levels, names, strict=True)
            ]
            chart, chart_kind = diverging(stack, [labels.option(name, o) for o in scored]), "diverging"
        if kind == "rank":
            lines += [
                Line(labels.option(name, o), [_value(get("first", v, o)) for v in levels], "first")
                for o in options
            ]
    tests = [_test(r, labels, name, segment) for k, r in rows.items() if k[0] in TESTS and k[1] == segment]
    return Part(segment, labels.question(segment), groups, lines, chart, chart_kind, tests)


def _test(r: Row, labels: Labels, name: str, segment: str) -> Test:
    """A test row, its ``method`` split into why the test was chosen and the effect size's name."""
    parts = r.method.split("; ")
    effect_name = next((p.removeprefix("effect size: ") for p in parts if p.startswith("effect size: ")), "")
    return Test(
        name=name,
        question=labels.question(name),
        segment=labels.question(segment),
        option=labels.option(name, r.option) if r.option else "",
        test=r.stat,
        statistic=number(r.statistic, 3),
        df=number(r.df, 2),
        p=p_value(r.p_value),
        p_adjusted=p_value(r.p_adjusted),
        effect=number(r.effect_size, 3),
        effect_name=effect_name,
        n=count(r.n),
        why=parts[0],
        significant=r.p_adjusted is not None and r.p_adjusted < 0.05,
        flags=r.flags,
    )
