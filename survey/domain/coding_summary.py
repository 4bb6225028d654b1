"""What planners read from the coded sessions: frequencies, co-occurrence, quotes, κ, triangulation.

Everything here is computed from the stored sessions and their codings on each request, through
the pure functions of :mod:`analysis.qualitative` — so a participant removed from a session, or
one who did not consent, is absent from every number and quote. Codes in the ``safety`` domain
(disclosures of self-harm, violence, neglect) are individual follow-ups: they are never quoted
and never join triangulation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from analysis.qualitative import (
    Agreement,
    Frequency,
    Pair,
    SurveyEvidence,
    Triangulation,
    co_occurrence,
    code_frequency,
    deidentify,
    triangulate,
)
from analysis.qualitative_quotes import Corpus, Quote
from analysis.qualitative_text import Context, Term, frequent_terms, kwic
from forms.model import Localized
from survey.domain import coding, publishing, sessions
from survey.store.models import Submission

SAFETY = "safety"
MIN_SUPPORT = 3


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """One outline's coded sessions, summarised."""

    form_id: str
    title: Localized
    method: str
    sessions: int
    coded: int
    units: int
    codes: tuple[coding.CodeOption, ...]
    groups: dict[str, int]  # group → its units (participants, or focus groups)
    frequencies: tuple[Frequency, ...]
    pairs: tuple[Pair, ...]
    quotes: dict[str, tuple[Quote, ...]]
    agreement: Agreement
    min_support: int


def _extra_words(found: Iterable[sessions.Session]) -> tuple[str, ...]:
    words = {w for s in found for c in s.compiled.form.codebook for w in c.keywords}
    return tuple(sorted(words))


def summary(db: DbSession, form_id: str, min_support: int = MIN_SUPPORT) -> Summary:
    """Frequencies by group, co-occurrence over units, quotes per code and κ for ``form_id``."""
    title = sessions.outline_title(db, form_id)
    latest = publishing.latest(db, form_id)
    if latest is None:
        raise sessions.SessionError(f"no published version of {form_id!r}")
    form = publishing.compiled(latest).form
    found = sessions.load(db, form_id)
    done = coding.passes(db, found)
    segments = coding.coded(found, done)
    units = sessions.units(found)
    options = coding.code_options(form)
    safety = {c.code for c in options if c.domain == SAFETY}
    corpus = Corpus(segments, _extra_words(found))
    quotes = {
        c.code: corpus.quotes(c.code)
        for c in options
        if c.code not in safety and any(c.code in s.codes for s in segments)
    }
    return Summary(
        form_id=form_id,
        title=title,
        method=form.kind,
        sessions=len(found),
        coded=sum(1 for s in found if done.get(s.uuid)),
        units=len(units),
        codes=options,
        groups=dict(sorted(Counter(u.group for u in units).items())),
        frequencies=code_frequency(segments, units),
        pairs=co_occurrence(segments, min_support, over="units"),
        quotes=quotes,
        agreement=coding.double_coded(found, done, [c.code for c in options]),
        min_support=min_support,
    )


def triangulation(db: DbSession, survey: Iterable[SurveyEvidence] = ()) -> tuple[Triangulation, ...]:
    """Per need domain across every outline: survey evidence, participants, groups and quotes."""
    found = sessions.load(db)
    done = coding.passes(db, found)
    segments = coding.coded(found, done)
    domains: dict[str, str] = {}
    for s in found:
        for c in s.compiled.form.codebook:
            if c.domain and c.domain != SAFETY:
                domains.setdefault(c.code, c.domain)
    quotes = _domain_quotes(Corpus(segments, _extra_words(found)), domains)
    survey = [e for e in survey if e.domain != SAFETY]
    return triangulate(segments, sessions.units(found), domains, survey, quotes)


def _domain_quotes(corpus: Corpus, domains: dict[str, str]) -> dict[str, list[str]]:
    """Up to three quotes per domain: the most typical quote of each of its codes, in turn."""
    by_domain: dict[str, list[Quote]] = {}
    for code, domain in sorted(domains.items()):
        by_domain.setdefault(domain, []).extend(corpus.quotes(code, k=1))
    out: dict[str, list[str]] = {}
    for domain, found in by_domain.items():
        ranked = sorted(found, key=lambda q: (-q.typicality, q.session, q.key))
        texts: list[str] = []
        for q in ranked:
            if q.text not in texts:
                texts.append(q.text)
        out[domain] = texts[:3]
    return out


def survey_evidence(db: DbSession) -> list[SurveyEvidence]:
    """Each questionnaire indicator with a need domain: its prevalence in the stored records."""
    from analysis.dataset import Dataset  # numpy-heavy: only when a planner asks
    from analysis.qualitative_survey import evidence

    out: list[SurveyEvidence] = []
    for form_id, versions in publishing.versions(db).items():
        newest = [publishing.compiled(v) for v in reversed(versions)]
        if not newest or newest[0].form.kind != "questionnaire":
            continue
        if not any(i.domain and not i.safety for c in newest for i in c.form.indicators):
            continue
        records = _records(db, form_id)
        if records:
            dataset = Dataset.from_records({c.form.version: c for c in newest}, records, form_id)
            out.extend(evidence(dataset))
    return out


def _records(db: DbSession, form_id: str) -> list[dict[str, Any]]:
    rows = db.execute(
        select(Submission.form_version, Submission.answers).where(Submission.form_id == form_id)
    )
    return [{"form_version": v, "answers": a} for v, a in rows]


class Exploration(msgspec.Struct, frozen=True):
    """Words across an outline's sessions: frequent terms, and a keyword in its contexts."""

    form_id: str
    title: Localized
    terms: tuple[Term, ...]
    keyword: str
    contexts: tuple[Context, ...]


def explore(db: DbSession, form_id: str, keyword: str = "", top: int = 40) -> Exploration:
    """Frequent terms (jieba, with the domain's words and the codebook's keywords) and KWIC, de-identified."""
    title = sessions.outline_title(db, form_id)
    found = sessions.load(db, form_id)
    texts = [
        (f"{s.date} {s.site} {seg.key}", deidentify(seg.text, coding.roster_names(s)))
        for s in found
        for seg in s.segments
    ]
    extra = _extra_words(found)
    terms = frequent_terms([t for _, t in texts], top=top, extra=extra)
    keyword = keyword.strip()[:40]
    return Exploration(form_id, title, terms, keyword, kwic(texts, keyword) if keyword else ())
