"""Priority scores with their parts (Hanlon's BPR, the PEARL gate) and the settings they read.

Every number here comes from a configurable table in :class:`Settings` (METHODS §1.5, §1.10):

* **A, size** (0–10): the band score of the prevalence — its lower confidence bound by default,
  the conservative choice — or, with ``size_basis = "people"``, of the people affected
  (prevalence × the group's population, when the assessment gives it). The default prevalence
  bands are Hanlon's table with each two-point band split at its middle [design choice]:
  ≥ 50% → 10, ≥ 25% → 9, ≥ 17.5% → 8, ≥ 10% → 7, ≥ 5% → 6, ≥ 1% → 5, ≥ 0.5% → 4, ≥ 0.1% → 3,
  ≥ 0.05% → 2, ≥ 0.01% → 1, else 0.
* **B, seriousness** (0–20): how bad the need is for those who have it, apart from how many have
  it (that is A): the severity class reached by at least ``phase_share`` (x) of the respondents in
  need — the x% rule over classes 2–5 of the group's class shares, when the indicator has severity
  classes [design choice] — else the rule's class; through ``seriousness`` (0, 5, 10, 15, 20).
* **C, effectiveness** (0–10): the intervention's own score, else its evidence level's
  (A 9, B 6, C 3, D 1 [design choice, not a standard]).
* **BPR**: UIC's ``(A + B)·C / 3`` (max 100), or NACCHO's ``(A + 2B')·C`` with B' = B/2 on 0–10,
  which is 3 × UIC: the same ranking.
* **D, PEARL**: the product of the five 0/1 items. An item not yet decided counts as 1 and is
  listed as pending; a 0 closes the gate.
* **OPR** = BPR × D.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np
from msgspec import Struct, field

from analysis.indicators import area_phase
from analysis.rulebook import Condition, Intervention, Pearl

__all__ = [
    "HANLON",
    "Band",
    "IpaPair",
    "Part",
    "Score",
    "Settings",
    "band_score",
    "bpr",
    "effectiveness",
    "pearl_gate",
    "score",
    "seriousness",
    "severity_class",
    "size",
]


class Base(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Frozen and strict (settings are edited as TOML: a typo fails loudly)."""


class Band(Base):
    """A score for values at or above ``at_least``."""

    at_least: float
    score: float


HANLON = (
    Band(at_least=0.50, score=10),
    Band(at_least=0.25, score=9),
    Band(at_least=0.175, score=8),
    Band(at_least=0.10, score=7),
    Band(at_least=0.05, score=6),
    Band(at_least=0.01, score=5),
    Band(at_least=0.005, score=4),
    Band(at_least=0.001, score=3),
    Band(at_least=0.0005, score=2),
    Band(at_least=0.0001, score=1),
)
PEOPLE = (
    Band(at_least=1000, score=10),
    Band(at_least=500, score=9),
    Band(at_least=250, score=8),
    Band(at_least=100, score=7),
    Band(at_least=50, score=6),
    Band(at_least=20, score=5),
    Band(at_least=10, score=4),
    Band(at_least=5, score=3),
    Band(at_least=1, score=1),
)
DEFAULT_TRIGGER = (
    Condition(stat="estimate", op=">=", value=0.30),
    Condition(stat="ci_low", op=">=", value=0.20),
    Condition(stat="n_total", op=">=", value=30),
)


class IpaPair(Base):
    """An item rated twice: how important it is and how well it is done (the form's question names)."""

    item: str
    importance: str
    performance: str


class Settings(Base):
    """Every parameter of the prioritisation, configurable per assessment (edited as TOML)."""

    formula: Literal["uic", "naccho"] = "uic"
    size_basis: Literal["prevalence", "people"] = "prevalence"
    size_from: Literal["ci_low", "estimate"] = "ci_low"
    prevalence_bands: tuple[Band, ...] = HANLON
    people_bands: tuple[Band, ...] = PEOPLE
    population: dict[str, int] = field(default_factory=dict)  # "" (everyone) or "segment=value" → people
    seriousness: tuple[float, float, float, float, float] = (0, 5, 10, 15, 20)
    effectiveness: dict[str, float] = field(default_factory=lambda: {"A": 9, "B": 6, "C": 3, "D": 1})
    alpha: float = 0.05  # comparative need: BH-adjusted p below this …
    min_effect: float = 0.10  # … and an effect size (Cramér's V) at least this
    min_units: int = 2  # qualitative corroboration: participants or groups coding the need
    convergence_trigger: tuple[Condition, ...] = DEFAULT_TRIGGER  # for indicators no rule reads
    segments: tuple[str, ...] = ()  # segments added to the form's own for the results table
    phase_share: float = 0.20  # the x of the area phase's x% rule
    resamples: int = 1000
    seed: int = 20270101
    top: int = 3
    ipa_centre: Literal["data", "scale"] = "data"
    ipa_pairs: tuple[IpaPair, ...] = ()

    def __post_init__(self) -> None:
        for name in ("prevalence_bands", "people_bands"):
            bands = getattr(self, name)
            if any(a.at_least <= b.at_least for a, b in itertools.pairwise(bands)):
                raise ValueError(f"{name} must go from the highest threshold down")
        if not 0 < self.alpha < 1 or not 0 < self.phase_share <= 1:
            raise ValueError("alpha and phase_share are shares between 0 and 1")
        if self.resamples < 0 or self.top < 1:
            raise ValueError("resamples cannot be negative and top is at least 1")
        unknown = set(self.effectiveness) - {"A", "B", "C", "D"}
        if unknown:
            raise ValueError(f"effectiveness levels are A, B, C and D, not {sorted(unknown)}")


msgspec.json.Decoder(Settings)  # its decoding information built at import: see forms.formats.FORM_JSON


class Part(Base):
    """One component of a score: its value, what it was read from, and the row it came from."""

    score: float
    input: float | None = None
    basis: str = ""
    source: str | None = None  # analysis_key of the results-table row


class Score(Base, kw_only=True):
    """A priority score with every part shown."""

    size: Part
    seriousness: Part
    effectiveness: Part
    bpr: float
    pearl: float
    pending: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    opr: float
    formula: str


def band_score(value: float, bands: Sequence[Band]) -> float:
    """The score of the first band (highest threshold first) whose threshold ``value`` reaches; else 0."""
    for band in bands:
        if value >= band.at_least - 1e-12:
            return band.score
    return 0.0


def size(
    estimate: float,
    ci_low: float | None,
    settings: Settings,
    people: int | None = None,
    source: str | None = None,
) -> Part:
    """A: the size band of the prevalence (or of prevalence × population)."""
    p = ci_low if settings.size_from == "ci_low" and ci_low is not None else estimate
    if settings.size_basis == "people" and people:
        affected = p * people
        return Part(
            score=band_score(affected, settings.people_bands), input=affected, basis="people", source=source
        )
    return Part(
        score=band_score(p, settings.prevalence_bands), input=p, basis=settings.size_from, source=source
    )


def severity_class(shares: Sequence[float | None], x: float) -> int | None:
    """The class (2–5) that at least a share ``x`` of those in need reach; ``shares`` are classes 1–5.

    Class 1 is "no need"; the shares of classes 2–5 are rescaled to sum to 1 and the x% rule picks
    the highest class p with Σ_{q ≥ p} share_q ≥ x. None when a share is missing or nobody is in need.
    """
    if len(shares) != 5 or any(s is None for s in shares):
        return None
    need = np.asarray(shares[1:], dtype=float)
    if need.sum() <= 0:
        return None
    return area_phase(need, x) + 1


def seriousness(cls: int | None, default: int, settings: Settings, source: str | None = None) -> Part:
    """B: the severity class of those in need when known, else the rule's class."""
    if cls is not None:
        return Part(score=settings.seriousness[cls - 1], input=cls, basis="classes", source=source)
    return Part(score=settings.seriousness[default - 1], input=default, basis="rule")


def effectiveness(intervention: Intervention, settings: Settings) -> Part:
    """C: the intervention's own score, else its evidence level's."""
    if intervention.effectiveness is not None:
        return Part(score=intervention.effectiveness, basis=f"intervention {intervention.id}")
    level = intervention.evidence.level
    return Part(score=settings.effectiveness[level], basis=f"evidence {level}")


def bpr(a: float, b: float, c: float, formula: Literal["uic", "naccho"] = "uic") -> float:
    """The basic priority rating: UIC ``(A + B)·C/3``, or NACCHO ``(A + 2·(B/2))·C``."""
    if formula == "naccho":
        return (a + 2 * (b / 2)) * c
    return (a + b) * c / 3


def pearl_gate(pearl: Pearl) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    """(D, pending items, failed items): D is the product of the decided items."""
    names = pearl.__struct_fields__
    pending = tuple(n for n in names if getattr(pearl, n) is None)
    failed = tuple(n for n in names if getattr(pearl, n) == 0)
    return (0.0 if failed else 1.0), pending, failed


def score(a: Part, b: Part, c: Part, pearl: Pearl, formula: Literal["uic", "naccho"] = "uic") -> Score:
    """The whole score: BPR from A, B and C, gated by PEARL."""
    basic = bpr(a.score, b.score, c.score, formula)
    d, pending, failed = pearl_gate(pearl)
    text = "(A + B)·C / 3" if formula == "uic" else "(A + 2·B′)·C, B′ = B/2"
    return Score(
        size=a,
        seriousness=b,
        effectiveness=c,
        bpr=basic,
        pearl=d,
        pending=pending,
        failed=failed,
        opr=basic * d,
        formula=text,
    )
