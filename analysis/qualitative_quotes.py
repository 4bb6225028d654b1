"""Representative quotes for a code, chosen deterministically and explainably (METHODS §4.2).

1. Candidates: segments coded c by a coder (never a mere suggestion) that a participant said (a
   quote, or a note attributed to a participant code), de-identified, 15–150 characters long. The
   names a session's roster holds are the caller's to mask (:func:`analysis.qualitative.deidentify`
   with ``names``): ``survey.domain.coding.coded`` gives segments already masked with them.
2. Typicality: the cosine between a segment's TF-IDF vector (jieba tokens; IDF over every segment
   given, the project's corpus) and the centroid of all segments coded c.
3. Diversity: candidates are taken by typicality (ties by session and place, so the same data
   always gives the same quotes); at most one per participant, and a site already quoted waits
   until no candidate from a new site is left.
4. Each quote carries its provenance (session, participant code, group, site, date, place) and
   ``selected_by = "machine"``: chosen by this rule from coder-confirmed segments, to be confirmed
   by a person before it goes into a proposal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

from analysis.qualitative import Segment, deidentify
from analysis.qualitative_text import tfidf, tokens

MIN_CHARS, MAX_CHARS = 15, 150


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """A de-identified quote with where it came from and how typical it is of its code."""

    code: str
    text: str
    typicality: float
    session: str
    key: str
    participant: str
    group: str
    site: str
    date: str
    selected_by: str = "machine"


class Corpus:
    """Segments with their TF-IDF vectors, made once: the project's corpus for choosing quotes."""

    def __init__(self, segments: Sequence[Segment], extra: Iterable[str] = ()) -> None:
        self.segments = list(segments)
        self.matrix = tfidf([tokens(deidentify(s.text), tuple(extra)) for s in self.segments])

    def typicality(self, code: str) -> dict[int, float]:
        """Cosine of each segment coded ``code`` (by its index) to the centroid of those segments."""
        coded = [i for i, s in enumerate(self.segments) if code in s.codes]
        if not coded:
            return {}
        rows = self.matrix[coded]
        centroid = rows.mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        scores = rows @ centroid / norm if norm > 0 else np.zeros(len(coded))
        return {i: round(float(score), 12) for i, score in zip(coded, scores, strict=True)}

    def quotes(self, code: str, k: int = 3) -> tuple[Quote, ...]:
        """Up to ``k`` typical, diverse, de-identified quotes for ``code``."""
        segments = self.segments
        scores = self.typicality(code)
        ranked = sorted(scores, key=lambda i: (-scores[i], segments[i].session, segments[i].key))
        candidates = [i for i in ranked if segments[i].participant and _fits(segments[i])]
        chosen: list[int] = []
        speakers: set[str] = set()
        sites: set[str] = set()
        for new_site_only in (True, False):
            for i in candidates:
                s = segments[i]
                taken = i in chosen or s.speaker in speakers or (new_site_only and s.site in sites)
                if len(chosen) == k or taken:
                    continue
                chosen.append(i)
                speakers.add(s.speaker)
                sites.add(s.site)
        chosen.sort(key=lambda i: (-scores[i], segments[i].session, segments[i].key))
        return tuple(_quote(segments[i], code, scores[i]) for i in chosen)


def representative_quotes(
    segments: Sequence[Segment], code: str, k: int = 3, extra: Iterable[str] = ()
) -> tuple[Quote, ...]:
    """Up to ``k`` typical, diverse, de-identified quotes for ``code`` from ``segments``.

    ``segments`` is the corpus (every segment of the project: the IDF is computed over it); only
    those coded ``code`` are candidates. ``extra`` adds words to the tokenizer (the codebook's).
    For several codes, make one :class:`Corpus` and ask it for each.
    """
    return Corpus(segments, extra).quotes(code, k)


def _words(s: Segment) -> str:
    """The words as quoted: de-identified, without the speaker's code a note may open with (P03：)."""
    text = s.text.strip()
    for mark in ("：", ":"):
        if s.participant and text.startswith(s.participant + mark):
            text = text[len(s.participant) + 1 :].strip()
    return deidentify(text)


def _fits(s: Segment) -> bool:
    return MIN_CHARS <= len(_words(s)) <= MAX_CHARS


def _quote(s: Segment, code: str, score: float) -> Quote:
    return Quote(
        code=code,
        text=_words(s),
        typicality=score,
        session=s.session,
        key=s.key,
        participant=s.participant,
        group=s.group,
        site=s.site,
        date=s.date,
    )
