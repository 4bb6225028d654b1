"""Qualitative evidence from interview and focus-group sessions (METHODS §4): pure functions.

The unit of coding is a :class:`Segment` — a sentence of a topic's notes, or a quote — with its
provenance (session, participant code, population group, site, date) and the codes a coder
confirmed. From segments:

* :func:`suggest` — codes suggested by codebook keywords found as substrings of the raw text,
  skipped when a negation stands within two characters before (suggestions only: a coder confirms);
* :func:`deidentify` — names (by title, kinship, introduction, and the session's own roster), phone,
  ID, account, plate and door numbers and any long run of digits (in Chinese numerals too) masked;
* :func:`code_frequency` — per code and group, units not mentions: participants for interviews,
  "k of m groups" for focus groups (never a percentage of people from focus groups);
* :func:`co_occurrence` — pairs of codes with their count and Jaccard index, above a support;
* :func:`agreement` — Cohen's κ per code and overall for double-coded segments;
* :func:`triangulate` — per need domain, the survey estimate beside what sessions say.

De-identifying is in :mod:`analysis.qualitative_deidentify`, quote selection in
:mod:`analysis.qualitative_quotes`, tokens and exploration (jieba) in :mod:`analysis.qualitative_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np

from analysis.qualitative_deidentify import deidentify as deidentify  # re-exported: callers import it here

if TYPE_CHECKING:  # scipy, which analysis.indicators brings, only when agreement is computed
    from analysis.indicators import Kappa

Method = Literal["interview", "focus_group"]
NEGATIONS = ("不", "没", "没有", "未", "无", "并不", "从不")
"""A keyword with one of these within two characters before it is not suggested (不孤单)."""
NEGATION_WINDOW = 2


class Segment(msgspec.Struct, frozen=True, kw_only=True):
    """A coded unit of text with its provenance; ``key`` is its place in the session (``n:topic:2``)."""

    session: str
    key: str
    text: str
    method: Method
    participant: str = ""
    topic: str = ""
    group: str = ""
    site: str = ""
    date: str = ""
    codes: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        """What is counted: the group (session) in a focus group, the participant in an interview."""
        return self.session if self.method == "focus_group" else f"{self.session}/{self.participant}"

    @property
    def speaker(self) -> str:
        """Who said it, unique across sessions ("" for a facilitator's note with no participant)."""
        return f"{self.session}/{self.participant}" if self.participant else ""


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    """A counted unit (a focus group, or an interview participant) and its group."""

    key: str
    method: Method
    group: str = ""
    site: str = ""


class Suggestion(msgspec.Struct, frozen=True):
    """A code suggested for a text: the keyword that matched and where."""

    code: str
    keyword: str
    start: int


class Frequency(msgspec.Struct, frozen=True, kw_only=True):
    """How many units of a group mention a code: ``k`` of ``m``; ``mentions`` counts segments."""

    code: str
    group: str
    method: Method
    k: int
    m: int
    mentions: int

    @property
    def share(self) -> float | None:
        """k/m for interview participants; None for focus groups (groups are not people)."""
        return self.k / self.m if self.method == "interview" and self.m else None


class Pair(msgspec.Struct, frozen=True):
    """Two codes together: how often (segments or units with both) and their Jaccard index."""

    a: str
    b: str
    count: int
    jaccard: float


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    """Cohen's κ per code (None when the coders never used it) and pooled over codes."""

    by_code: dict[str, Kappa | None]
    overall: Kappa | None
    segments: int


class SurveyEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """What the survey says about a need domain: an indicator's prevalence with its interval."""

    domain: str
    form: str
    indicator: str
    estimate: float
    low: float
    high: float
    n: int
    bradshaw: tuple[str, ...] = ()


class Triangulation(msgspec.Struct, frozen=True, kw_only=True):
    """One need domain: survey prevalence beside participants and groups coding it, and quotes."""

    domain: str
    survey: tuple[SurveyEvidence, ...]
    codes: tuple[str, ...]
    participants: tuple[int, int]
    groups: tuple[int, int]
    quotes: tuple[str, ...]


# ------------------------------------------------------------------------------- suggestions


def negated(text: str, start: int) -> bool:
    """True when a negation stands within two characters before ``start``."""
    window = text[max(0, start - NEGATION_WINDOW) : start]
    return any(n in window for n in NEGATIONS)


def suggest(text: str, keywords: Mapping[str, Sequence[str]]) -> tuple[Suggestion, ...]:
    """Codes whose keywords occur in ``text`` (substrings of the raw text, not tokens), unnegated.

    ``keywords`` maps each code to its keywords; the first unnegated occurrence decides, in the
    order of the codebook.
    """
    found = []
    for code, words in keywords.items():
        hit = _first_hit(text, words)
        if hit is not None:
            found.append(Suggestion(code, *hit))
    return tuple(found)


def _first_hit(text: str, words: Sequence[str]) -> tuple[str, int] | None:
    best: tuple[str, int] | None = None
    for word in words:
        start = text.find(word) if word else -1
        while start >= 0 and negated(text, start):
            start = text.find(word, start + 1)
        if start >= 0 and (best is None or start < best[1]):
            best = (word, start)
    return best


# ------------------------------------------------------------------------------------ counting


def code_frequency(segments: Iterable[Segment], units: Iterable[Unit]) -> tuple[Frequency, ...]:
    """Per code and group: units with ≥ 1 segment coded c, of the group's units; mentions too.

    ``units`` is every unit that took part (with or without coded segments): the denominators.
    Rows come sorted by code, then group.
    """
    by_group: dict[tuple[Method, str], set[str]] = {}
    group_of: dict[str, tuple[Method, str]] = {}
    for u in units:
        by_group.setdefault((u.method, u.group), set()).add(u.key)
        group_of[u.key] = (u.method, u.group)
    coded: dict[tuple[str, Method, str], set[str]] = {}
    mentions: dict[tuple[str, Method, str], int] = {}
    for s in segments:
        where = group_of.get(s.unit)
        if where is None:  # a unit not taking part (removed): not counted
            continue
        for code in set(s.codes):
            key = (code, *where)
            coded.setdefault(key, set()).add(s.unit)
            mentions[key] = mentions.get(key, 0) + 1
    rows = [
        Frequency(code=c, group=g, method=m, k=len(found), m=len(by_group[m, g]), mentions=mentions[c, m, g])
        for (c, m, g), found in coded.items()
    ]
    return tuple(sorted(rows, key=lambda f: (f.code, f.group, f.method)))


def co_occurrence(
    segments: Iterable[Segment], min_support: int = 3, over: Literal["segments", "units"] = "segments"
) -> tuple[Pair, ...]:
    """Pairs of codes with ``count`` = |S_a ∩ S_b| ≥ ``min_support`` and Jaccard |S_a ∩ S_b| / |S_a ∪ S_b|.

    ``over="segments"``: S_c is the set of segments coded c; ``"units"``: of units (participants,
    or groups) with a segment coded c. Most frequent pairs first, then by name.
    """
    sets: dict[str, set[str]] = {}
    for s in segments:
        for code in s.codes:
            sets.setdefault(code, set()).add(s.unit if over == "units" else f"{s.session}#{s.key}")
    pairs = []
    for a, b in combinations(sorted(sets), 2):
        both = len(sets[a] & sets[b])
        if both >= min_support:
            pairs.append(Pair(a, b, both, both / len(sets[a] | sets[b])))
    return tuple(sorted(pairs, key=lambda p: (-p.count, p.a, p.b)))


# ----------------------------------------------------------------------------------- agreement


def agreement(
    first: Mapping[str, Iterable[str]], second: Mapping[str, Iterable[str]], codes: Sequence[str]
) -> Agreement:
    """Cohen's κ of two coders over the segments both coded (``segment → codes`` each).

    Per code, each segment is a yes/no decision by each coder (a 2×2 table); ``overall`` pools
    the tables of the codes either coder used. A code neither used has no κ (None) and stays out
    of the pool: agreeing that an unused code is absent would only inflate agreement.
    """
    from analysis.indicators import cohen_kappa  # scipy: only here, not for every page that counts codes

    shared = sorted(first.keys() & second.keys())
    pooled = np.zeros((2, 2))
    by_code: dict[str, Kappa | None] = {}
    a = {s: set(first[s]) for s in shared}
    b = {s: set(second[s]) for s in shared}
    for code in codes:
        table = np.zeros((2, 2))
        for s in shared:
            table[int(code not in a[s]), int(code not in b[s])] += 1
        used = table[0].sum() + table[:, 0].sum() > 0
        by_code[code] = cohen_kappa(table) if used else None
        pooled += table if used else 0
    overall = cohen_kappa(pooled) if pooled.sum() else None
    return Agreement(by_code=by_code, overall=overall, segments=len(shared))


# ------------------------------------------------------------------------------- triangulation


def triangulate(
    segments: Iterable[Segment],
    units: Iterable[Unit],
    domains: Mapping[str, str],
    survey: Iterable[SurveyEvidence] = (),
    quotes: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Triangulation, ...]:
    """One row per need domain: survey evidence, participants and groups coding it, 1–3 quotes.

    ``domains`` maps each code to its need domain (a unit counts once per domain however many of
    its codes point there); ``survey`` holds indicator estimates with their domains; ``quotes`` the quotes
    already chosen for it (:mod:`analysis.qualitative_quotes`). Domains come sorted by name.
    """
    by_domain: dict[str, list[SurveyEvidence]] = {}
    for e in survey:
        by_domain.setdefault(e.domain, []).append(e)
    quotes = quotes or {}
    totals: dict[str, set[str]] = {"interview": set(), "focus_group": set()}
    for u in units:
        totals[u.method].add(u.key)
    reached: dict[str, dict[str, set[str]]] = {}
    codes_of: dict[str, set[str]] = {}
    for s in segments:
        for code in s.codes:
            if code in domains and s.unit in totals[s.method]:
                codes_of.setdefault(domains[code], set()).add(code)
                found = reached.setdefault(domains[code], {"interview": set(), "focus_group": set()})
                found[s.method].add(s.unit)
    rows = []
    for domain in sorted(set(codes_of) | set(by_domain)):
        hit = reached.get(domain, {"interview": set(), "focus_group": set()})
        rows.append(
            Triangulation(
                domain=domain,
                survey=tuple(by_domain.get(domain, ())),
                codes=tuple(sorted(codes_of.get(domain, ()))),
                participants=(len(hit["interview"]), len(totals["interview"])),
                groups=(len(hit["focus_group"]), len(totals["focus_group"])),
                quotes=tuple(quotes.get(domain, ())[:3]),
            )
        )
    return tuple(rows)
