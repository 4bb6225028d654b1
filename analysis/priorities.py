"""Needs in order: each rule's finding scored, tiered by its evidence, ranked, and tested for stability.

The pipeline of METHODS §1.10, every parameter in :class:`~analysis.prioritise.Settings`:

1. :func:`analysis.prioritise_evidence.findings` — the rule's target group, trigger, comparison
   and Bradshaw convergence, from the results table;
2. the score (:mod:`analysis.prioritise`): A from the prevalence, B from the severity class, C
   from the chosen intervention (the designer's, else the rule's best-evidenced), gated by PEARL
   (the rule's defaults, overridden by the designer's);
3. the **tier** — how much evidence stands behind the need, shown beside the score and never
   folded into it:

   ============  ===============================================================================
   high          triggered, gate open, and a second, independent line of evidence: a comparative
                 need (or above the benchmark), or qualitative corroboration by at least
                 ``min_units`` interview participants or focus groups
   moderate      triggered on one line of evidence only
   gated         triggered, but a PEARL item is 0
   insufficient  the data can neither support nor rule out the need ("insufficient evidence")
   below         the data put the need under the rule's threshold
   ============  ===============================================================================

4. the ranking: high, then moderate, then gated; within a tier by OPR, then — scores are coarse,
   so ties are common — by the lines of evidence (comparative, qualitative), then K, then prevalence;
5. stability (:mod:`analysis.prioritise_stability`): the same key recomputed on each bootstrap
   draw — prevalence, hence A, resampled; tier, B, C and D held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec
import numpy as np
from msgspec import Struct

from analysis.prioritise import (
    Score,
    Settings,
    bpr,
    effectiveness,
    score,
    seriousness,
    severity_class,
    size,
)
from analysis.prioritise_evidence import Finding, RowIndex, findings
from analysis.prioritise_ipa import Ipa, ipa, pairs_by_name
from analysis.prioritise_stability import Samples, Stability, draws, rank_stability, shares, wilson_low
from analysis.qualitative import Segment, Unit
from analysis.qualitative_quotes import Quote, representative_quotes
from analysis.results import Row
from analysis.rulebook import Intervention, Pearl, Rule, Rulebook
from forms.compiler import Compiled

__all__ = ["Choice", "Corroboration", "Need", "Priorities", "corroboration", "prioritise"]

Tier = Literal["high", "moderate", "gated", "insufficient", "below"]
TIERS: tuple[Tier, ...] = ("high", "moderate", "gated", "insufficient", "below")
RANKED = frozenset({"high", "moderate", "gated"})


class Choice(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What the designer decided for one rule: the intervention to score with, and PEARL."""

    intervention: str | None = None
    pearl: Pearl | None = None


class Corroboration(Struct, frozen=True, kw_only=True):
    """Interview participants and focus groups whose coded notes raise the need, and quotes."""

    codes: tuple[str, ...] = ()
    participants: tuple[int, int] = (0, 0)
    groups: tuple[int, int] = (0, 0)
    quotes: tuple[Quote, ...] = ()

    @property
    def units(self) -> int:
        """Participants plus focus groups coding the need (each counted once)."""
        return self.participants[0] + self.groups[0]


class Need(Struct, frozen=True, kw_only=True):
    """A rule's need, scored and placed."""

    rule: Rule
    finding: Finding
    intervention: Intervention
    pearl: Pearl
    score: Score | None
    tier: Tier
    corroboration: Corroboration
    rank: int | None = None
    stability: Stability | None = None


class Priorities(Struct, frozen=True, kw_only=True):
    """The needs of one form's results in order — ranked ones first — and what produced them."""

    rulebook: str
    settings: Settings
    needs: tuple[Need, ...]
    ipa: Ipa | None = None

    def tier(self, *tiers: Tier) -> tuple[Need, ...]:
        """The needs in any of ``tiers``."""
        return tuple(n for n in self.needs if n.tier in tiers)

    @property
    def insufficient(self) -> bool:
        """True when no need reaches high priority: the evidence cannot single one out."""
        return not self.tier("high")


def corroboration(
    segments: Sequence[Segment], units: Iterable[Unit], codes: Iterable[str], quotes: int = 3
) -> Corroboration:
    """Units coding any of ``codes`` (participants in interviews, groups in focus groups) and quotes.

    ``segments`` are coder-confirmed (never suggestions); the quotes are chosen per code by
    :func:`analysis.qualitative_quotes.representative_quotes`, at most one per speaker.
    """
    codes = tuple(codes)
    totals: dict[str, set[str]] = {"interview": set(), "focus_group": set()}
    for u in units:
        totals[u.method].add(u.key)
    hit: dict[str, set[str]] = {"interview": set(), "focus_group": set()}
    for s in segments:
        if s.unit in totals[s.method] and set(s.codes) & set(codes):
            hit[s.method].add(s.unit)
    chosen: list[Quote] = []
    for code in codes:
        for q in representative_quotes(segments, code, k=1):
            if all(q.session != c.session or q.participant != c.participant for c in chosen):
                chosen.append(q)
    return Corroboration(
        codes=codes,
        participants=(len(hit["interview"]), len(totals["interview"])),
        groups=(len(hit["focus_group"]), len(totals["focus_group"])),
        quotes=tuple(chosen[:quotes]),
    )


def prioritise(
    rows: Iterable[Row],
    compiled: Compiled,
    book: Rulebook,
    settings: Settings,
    *,
    samples: Samples | None = None,
    qualitative: Mapping[str, Corroboration] | None = None,
    choices: Mapping[str, Choice] | None = None,
) -> Priorities:
    """The needs ``book``'s rules find in ``rows`` (one form's results table), in order."""
    rows = list(rows)
    qualitative, choices = qualitative or {}, choices or {}
    scored = []
    for f in findings(RowIndex(rows), compiled, book, settings):
        rule = book.rule(f.rule)
        scored.append(_need(f, rule, choices.get(rule.id, Choice()), qualitative.get(rule.id), settings))
    ranked = sorted((n for n in scored if n.tier in RANKED), key=lambda n: _order(n, settings))
    rest = sorted((n for n in scored if n.tier not in RANKED), key=lambda n: (TIERS.index(n.tier), n.rule.id))
    ranked = _stability(ranked, samples, settings)
    pairs = settings.ipa_pairs or pairs_by_name(compiled.slots)
    return Priorities(
        rulebook=f"{book.id}@{book.version}",
        settings=settings,
        needs=(*ranked, *rest),
        ipa=ipa(pairs, rows, settings.ipa_centre, _midpoint(compiled, pairs)) if pairs else None,
    )


def _need(f: Finding, rule: Rule, choice: Choice, qual: Corroboration | None, settings: Settings) -> Need:
    intervention = _intervention(rule, choice, settings)
    pearl = _merge(rule.pearl, choice.pearl)
    qual = qual or Corroboration(codes=rule.codes)
    found = None
    if f.status == "triggered" and f.row is not None and f.row.estimate is not None:
        people = settings.population.get(f.group.key)
        a = size(f.row.estimate, f.row.ci_low, settings, people, f.row.analysis_key)
        cls = severity_class([r.estimate for r in f.classes], settings.phase_share)
        source = f.classes[0].analysis_key if cls is not None else None
        b = seriousness(cls, rule.severity, settings, source)
        found = score(a, b, effectiveness(intervention, settings), pearl, settings.formula)
    return Need(
        rule=rule,
        finding=f,
        intervention=intervention,
        pearl=pearl,
        score=found,
        tier=_tier(f, found, qual, settings),
        corroboration=qual,
    )


def _intervention(rule: Rule, choice: Choice, settings: Settings) -> Intervention:
    for i in rule.interventions:
        if i.id == choice.intervention:
            return i
    return max(rule.interventions, key=lambda i: effectiveness(i, settings).score)


def _merge(base: Pearl, override: Pearl | None) -> Pearl:
    if override is None:
        return base
    given = {k: getattr(override, k) for k in override.__struct_fields__ if getattr(override, k) is not None}
    return msgspec.structs.replace(base, **given)


def _tier(f: Finding, found: Score | None, qual: Corroboration, settings: Settings) -> Tier:
    if f.status != "triggered" or found is None:
        return "below" if f.status == "below" else "insufficient"
    if found.pearl == 0:
        return "gated"
    return "high" if f.comparative or qual.units >= settings.min_units else "moderate"


def _lines(n: Need, settings: Settings) -> int:
    """Independent lines of evidence beyond the trigger: a comparative need, qualitative corroboration."""
    return int(n.finding.comparative) + int(n.corroboration.units >= settings.min_units)


def _order(n: Need, settings: Settings) -> tuple[int, float, int, int, float, str]:
    assert n.score is not None
    assert n.finding.row is not None
    lines, k = _lines(n, settings), n.finding.k
    return TIERS.index(n.tier), -n.score.opr, -lines, -k, -(n.finding.row.estimate or 0.0), n.rule.id


def _stability(ranked: list[Need], samples: Samples | None, settings: Settings) -> list[Need]:
    placed = [msgspec.structs.replace(n, rank=i + 1) for i, n in enumerate(ranked)]
    if samples is None or not ranked or settings.resamples == 0:
        return placed
    counts = draws(samples.design, settings.resamples, settings.seed)
    weights = samples.design.weights_or_ones()
    keys = np.column_stack([_draw_keys(n, samples, counts, weights, settings) for n in ranked])
    found = rank_stability(keys, settings.top)
    return [msgspec.structs.replace(n, stability=s) for n, s in zip(placed, found, strict=True)]


def _draw_keys(
    n: Need, samples: Samples, counts: np.ndarray, weights: np.ndarray, settings: Settings
) -> np.ndarray:
    """The ranking key of ``n`` in each draw: tier held, OPR from the resampled prevalence."""
    assert n.score is not None
    group = n.finding.group
    flag = samples.flags.get(n.finding.indicator)
    if flag is None or (group.var is not None and group.var not in samples.groups):
        return np.full(counts.shape[0], np.nan)
    p, m = shares(counts, flag, samples.mask(group.var, group.value), weights)
    x = wilson_low(p, m) if settings.size_from == "ci_low" else p
    people = settings.population.get(group.key)
    if settings.size_basis == "people" and people:
        a = _bands(x * people, settings.people_bands)
    else:
        a = _bands(x, settings.prevalence_bands)
    opr = bpr(a, n.score.seriousness.score, n.score.effectiveness.score, settings.formula) * n.score.pearl
    tier = len(TIERS) - TIERS.index(n.tier)
    ties = _lines(n, settings) * 1e-2 + n.finding.k * 1e-3 + np.nan_to_num(p) * 1e-4
    return tier * 1e4 + opr + ties


def _bands(x: np.ndarray, bands: Sequence) -> np.ndarray:  # type: ignore[type-arg]
    out = np.zeros_like(x, dtype=float)
    for band in reversed(bands):  # lowest threshold first, so higher bands overwrite
        out = np.where(x >= band.at_least - 1e-12, band.score, out)
    return out


def _midpoint(compiled: Compiled, pairs: Sequence) -> float | None:  # type: ignore[type-arg]
    """The middle of the importance question's scale (its choice scores or its range), if known."""
    slot = compiled.slots.get(pairs[0].importance) if pairs else None
    if slot is None:
        return None
    options = compiled.choices.get(getattr(slot.question, "choices", "") or "", {})
    scores = [c.value for c in options.values() if c.value is not None]
    if scores:
        return (min(scores) + max(scores)) / 2
    low, high = getattr(slot.question, "minimum", None), getattr(slot.question, "maximum", None)
    return (low + high) / 2 if low is not None and high is not None else None
