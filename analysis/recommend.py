"""Recommendations: each ranked need with its reasons, every number linked to its results-table row.

A :class:`Recommendation` is data, testable without a server: the need (its rule, target group,
score, tier, rank and stability), its :class:`Reason`\\ s — the estimate with its interval, the
comparison, the severity of those in need, the kinds of need that converge, the coded interviews
and focus groups with de-identified quotes, the rank's stability, what is left of the PEARL gate —
and a SMART objective drafted from the rule's template. Each number a reason cites is a
:class:`Figure`: a value, the field it is (``estimate``, ``ci_low``, ``n_total``, ``p_adjusted``…)
and the ``analysis_key`` of its row. Nothing is recommended without a reason (the constructor
refuses), and needs the data cannot support stay in :meth:`Priorities.tier` ``("insufficient")``.

SMART guardrails (METHODS §5.2, §2.12): a baseline on fewer than 30 respondents, and a planned
change smaller than the minimum detectable change ``(z₀.₉₇₅ + z₀.₈₀)·√(2p(1−p)/N)`` for the
planned number N (a paired proportion with the variance of two independent ones: a conservative
approximation [design choice]).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from msgspec import Struct, field

from analysis.priorities import Need, Priorities
from analysis.proposal_text import gap, group_label, indicator_label, number, phrase
from analysis.qualitative_quotes import Quote
from analysis.results import Row
from forms.compiler import Compiled
from forms.model import Localized

__all__ = ["Figure", "Reason", "Recommendation", "Smart", "Target", "figure", "mdc", "recommend", "smart"]

Kind = Literal[
    "prevalence", "comparison", "benchmark", "severity", "convergence", "qualitative", "stability", "pearl"
]
Z_ALPHA, Z_POWER = 1.959963984540054, 0.8416212335729143  # two-sided 5%, power 80%


class Figure(Struct, frozen=True, kw_only=True):
    """A number from the results table: its value, which field of which row."""

    key: str
    field: str
    value: float


class Reason(Struct, frozen=True, kw_only=True):
    """One reason for a recommendation, with the figures it cites and what else it needs to be said."""

    kind: Kind
    figures: tuple[Figure, ...] = ()
    params: dict[str, str | float | int] = field(default_factory=dict)
    quotes: tuple[Quote, ...] = ()

    def value(self, name: str) -> float | None:
        """The figure of field ``name`` (the first one), or None."""
        return next((f.value for f in self.figures if f.field == name), None)


class Target(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What the designer plans for a need: the end date, how many people, the target share."""

    end: str | None = None
    n: int | None = None
    target: float | None = None


class Smart(Struct, frozen=True, kw_only=True):
    """A drafted SMART objective per language, the figures it cites, its gaps and warnings."""

    text: Localized
    figures: tuple[Figure, ...]
    target: float | None = None  # the designer's target share, when set
    gaps: tuple[str, ...] = ()
    warnings: Localized = field(default_factory=dict)


class Recommendation(Struct, frozen=True, kw_only=True):
    """A ranked need with its reasons and its drafted objective."""

    need: Need
    reasons: tuple[Reason, ...]
    smart: Smart

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError(f"{self.need.rule.id}: nothing is recommended without a reason")

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure the recommendation cites."""
        return tuple(f for r in self.reasons for f in r.figures) + self.smart.figures


def figure(row: Row | None, name: str) -> Figure | None:
    """Field ``name`` of ``row`` as a figure (None when the row or the value is missing)."""
    if row is None or getattr(row, name) is None:
        return None
    return Figure(key=row.analysis_key, field=name, value=float(getattr(row, name)))


def _figures(row: Row | None, *names: str) -> tuple[Figure, ...]:
    return tuple(f for f in (figure(row, n) for n in names) if f is not None)


def recommend(
    priorities: Priorities, compiled: Compiled, targets: Mapping[str, Target] | None = None
) -> tuple[Recommendation, ...]:
    """A recommendation for each ranked need (high, moderate, gated), in rank order."""
    targets = targets or {}
    return tuple(
        Recommendation(need=n, reasons=reasons(n), smart=smart(n, compiled, targets.get(n.rule.id, Target())))
        for n in priorities.needs
        if n.rank is not None
    )


def reasons(need: Need) -> tuple[Reason, ...]:
    """The reasons for a ranked need, the estimate first."""
    f = need.finding
    out = [Reason(kind="prevalence", figures=_figures(f.row, "estimate", "ci_low", "ci_high", "n_total"))]
    c = f.comparison
    if c is not None and c.significant:
        figs = (
            Figure(key=f.row.analysis_key, field="estimate", value=c.group_estimate),  # type: ignore[union-attr,arg-type]
            Figure(key=_overall(f.row), field="estimate", value=c.overall_estimate),  # type: ignore[arg-type]
            Figure(key=c.key, field="p_adjusted", value=c.p_adjusted),  # type: ignore[arg-type]
            Figure(key=c.key, field="effect_size", value=c.effect_size),  # type: ignore[arg-type]
        )
        out.append(Reason(kind="comparison", figures=figs, params={"test": c.test}))
    if f.benchmark and need.rule.reference is not None:
        out.append(
            Reason(
                kind="benchmark", figures=_figures(f.row, "ci_low"), params={"reference": need.rule.reference}
            )
        )
    if need.score is not None and need.score.seriousness.basis == "classes":
        out.append(
            Reason(
                kind="severity",
                figures=tuple(x for r in f.classes for x in _figures(r, "estimate")),
                params={"class": int(need.score.seriousness.input or 0)},
            )
        )
    if f.convergence:
        types = sorted({x.type for x in f.convergence})
        out.append(Reason(kind="convergence", params={"types": ", ".join(types), "k": f.k}))
    q = need.corroboration
    if q.units:
        params = {"participants": q.participants[0], "groups": q.groups[0], "codes": ", ".join(q.codes)}
        out.append(Reason(kind="qualitative", params=params, quotes=q.quotes))
    if need.stability is not None:
        s = need.stability
        params = {"top": s.top, "first": s.first, "low": s.low, "high": s.high, "resamples": s.resamples}
        out.append(Reason(kind="stability", params=params))
    if need.score is not None and (need.score.pending or need.score.failed):
        params = {"pending": ", ".join(need.score.pending), "failed": ", ".join(need.score.failed)}
        out.append(Reason(kind="pearl", params=params))
    return tuple(out)


def _overall(row: Row | None) -> str:
    """The key of everyone's row for the same estimate: the group part set to NA."""
    assert row is not None
    head, _, _ = row.analysis_key.rpartition(" @/@ ")
    return f"{head} @/@ NA %/% NA"


def mdc(p: float, n: int, z_alpha: float = Z_ALPHA, z_power: float = Z_POWER) -> float:
    """The minimum detectable change of a share p with n people measured before and after."""
    return (z_alpha + z_power) * math.sqrt(2 * p * (1 - p) / n)


def smart(need: Need, compiled: Compiled, target: Target) -> Smart:
    """The rule's SMART template filled with the baseline, the designer's plans, and marked gaps."""
    row = need.finding.row
    figures = _figures(row, "estimate", "ci_low", "ci_high", "n_total")
    gaps: list[str] = []
    texts: Localized = {}
    warnings: Localized = {}
    for language in ("zh", "en"):
        fill = _fill(need, compiled, target, language, gaps if language == "zh" else [])
        template = need.rule.smart.get(language) or need.rule.smart.get("zh", "")
        texts[language] = template.format(**fill)
        warned = _warnings(need, target, language)
        if warned:
            warnings[language] = " ".join(warned)
    return Smart(text=texts, figures=figures, target=target.target, gaps=tuple(gaps), warnings=warnings)


def _fill(need: Need, compiled: Compiled, target: Target, language: str, gaps: list[str]) -> dict[str, str]:
    row = need.finding.row
    rule = need.rule

    def or_gap(value: str | None, key: str, name: str) -> str:
        if value:
            return value
        gaps.append(name)
        return gap(phrase(key, language), language)

    baseline = "—"
    if row is not None and row.estimate is not None:
        est, low, high, n = (
            number(row.estimate),
            number(row.ci_low),
            number(row.ci_high),
            number(row.n_total, "count"),
        )
        baseline = (
            f"{est}（95%CI {low}–{high}，n={n}）"
            if language == "zh"
            else f"{est} (95% CI {low}–{high}, n = {n})"
        )
    instrument = rule.text(rule.outcomes[0].instrument, language) if rule.outcomes else None
    group = need.finding.group
    return {
        "end": or_gap(target.end, "end_gap", "end"),
        "activity": rule.text(need.intervention.name, language),
        "population": group_label(compiled, group.var, group.value, language),
        "n": or_gap(None if target.n is None else str(target.n), "n_gap", "n"),
        "indicator": indicator_label(compiled, need.finding.indicator, language),
        "baseline": baseline,
        "target": or_gap(None if target.target is None else number(target.target), "target_gap", "target"),
        "instrument": or_gap(instrument, "instrument_gap", "instrument"),
    }


def _warnings(need: Need, target: Target, language: str) -> list[str]:
    row = need.finding.row
    out = []
    if row is not None and row.n_total is not None and row.n_total < 30:
        out.append(phrase("warn_small_n", language))
    if row is not None and row.estimate is not None and target.n and target.target is not None:
        change, least = abs(row.estimate - target.target), mdc(row.estimate, target.n)
        if change < least:
            out.append(phrase("warn_mdc", language, change=number(change), mdc=number(least)))
    return out
