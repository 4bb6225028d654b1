"""The report view's summaries: scales, indicators with their phases, counts of flags, the meta.

Split from :mod:`analysis.report_view`, which assembles them into the :class:`View`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from analysis.charts import Diverging, stacked
from analysis.report_labels import Labels, count, interval, number
from analysis.results import TESTS, Report, Row

__all__ = ["counts", "indicators", "meta", "scales"]


def _phases(rows: Mapping, segment: str | None, levels: list[str], labels: Labels) -> Diverging:
    """The shares in phases 1–5: everyone, then each group of one segment."""
    phases = ("1", "2", "3", "4", "5")
    out = [("", [_share(rows.get(("prop", None, None, p))) for p in phases])]
    for v in levels:
        out.append(
            (labels.level(segment or "", v), [_share(rows.get(("prop", segment, v, p))) for p in phases])
        )
    return stacked(out, list(phases))


def _share(r: Row | None) -> float | None:
    return None if r is None else r.estimate


def scales(report: Report, labels: Labels) -> list[dict[str, Any]]:
    out = []
    for r in report.results:
        if r.stat == "alpha":
            items = r.method.rsplit("(", 1)[-1].rstrip(")").split(", ")
            out.append(
                {
                    "name": r.var,
                    "alpha": number(r.estimate, 3),
                    "interval": interval(r.ci_low, r.ci_high, False, 3),
                    "n": count(r.n),
                    "members": [labels.question(i) for i in items],
                    "method": r.method.split(" (")[0],
                    "flags": r.flags,
                }
            )
    return out


def indicators(
    variables: Mapping[tuple[str, str], Mapping], segments: Callable, labels: Labels, value: Callable
) -> list[dict[str, Any]]:
    """Each indicator: its prevalence (``value`` formats the row), area phase and phases chart."""
    out = []
    for var, rows in variables.items():
        if var[1] != "indicator":
            continue
        phase = rows.get(("phase", None, None, None))
        segment, levels = next(iter(segments(var).items()), (None, []))
        out.append(
            {
                "name": var[0],
                "label": labels.indicator(var[0]),
                "prevalence": value(rows.get(("prop", None, None, "yes"))),
                "phase": number(phase.estimate, 0) if phase else "",
                "segment": labels.question(segment) if segment else "",
                "phases": _phases(rows, segment, levels, labels) if phase else None,
                **labels.indicator_meta(var[0]),
            }
        )
    return out


def counts(report: Report) -> dict[str, int]:
    shown = [r for r in report.results if r.stat not in TESTS]
    return {
        "rows": len(report.results),
        "suppressed": sum("suppressed" in r.flags for r in shown),
        "indicative": sum("indicative" in r.flags for r in shown),
        "imprecise": sum("imprecise" in r.flags for r in shown),
        "tests": sum(r.stat in TESTS for r in report.results),
        "significant": sum(
            r.stat in TESTS and r.p_adjusted is not None and r.p_adjusted < 0.05 for r in report.results
        ),
    }


def meta(meta: Mapping[str, Any], labels: Labels) -> dict[str, Any]:
    options = meta.get("options", {})
    guards = options.get("guards", {})
    design = meta.get("design", {})
    data = meta.get("data", {})
    return {
        "source": data.get("source", ""),
        "records": count(data.get("records")),
        "tables": {k: count(v) for k, v in data.get("tables", {}).items()},
        "form": meta.get("form", {}),
        "weights": design.get("weights") or "",
        "strata": design.get("strata") or "",
        "cluster": design.get("cluster") or "",
        "weighted": bool(design.get("weighted")),
        "n_eff": number(design.get("kish_n_eff"), 1),
        "deff": number(design.get("kish_deff"), 3),
        "segments": [labels.question(s["name"]) for s in meta.get("segments", [])],
        "seeds": meta.get("seeds", {}),
        "guards": guards,
        "level": options.get("level", 0.95),
        "phase_share": options.get("phase_share", 0.2),
        "interval": options.get("interval", "default"),
        "missing_items": meta.get("missing_items", ""),
        "suppression": meta.get("suppression", ""),
        "families": meta.get("families", ""),
        "not_described": [labels.question(n) for n in meta.get("not_described", [])],
        "problems": list(meta.get("problems", []))[:50],
        "problems_total": len(meta.get("problems", [])),
    }
