"""From a form's stored records to its prioritised needs, recommendations and proposal draft.

:func:`analysis_of` builds the form's dataset from its stored records (every version, merged) and
its results table — by the form's segments, the segments the matching rules name and those the
settings add — once per state of the data: the result is kept in memory, keyed by the form's
versions, its records (count and last id), the rulebook's content and the settings, so the
dashboard, the workspace and the three proposal files read the same table. :func:`assess` adds the
qualitative corroboration of the coded interviews and focus groups and the designer's choices
(:class:`Choices`, one JSON document per form in ``design_plans``), and returns the priorities and
recommendations.

The rulebook is the one the form's assessment uses (survey.domain.rules: its latest published
version, else the one published for every assessment, else the seed shipped with Tanfang); the
priorities and the proposal name it (``ID@VERSION``) and :attr:`Assessed.rulebook` says where it
is from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import msgspec
from msgspec import Struct, field
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from analysis import rulebook
from analysis.dataset import Dataset
from analysis.priorities import Choice, Corroboration, Priorities, corroboration, prioritise
from analysis.prioritise import Settings
from analysis.prioritise_stability import Samples, samples
from analysis.proposal import Document, Plan, build
from analysis.recommend import Recommendation, Target, recommend
from analysis.report import Options, analyze
from analysis.report_guards import Guards
from analysis.report_variables import segment
from analysis.results import Report
from forms.compiler import Compiled
from survey.domain import coding, publishing, rules, sessions
from survey.domain.accounts import Principal
from survey.store.models import AuditLog, DesignPlan, FormRecord, Submission

LANGUAGES = ("zh", "en")
SAFETY_DOMAIN = "safety"


class DesignError(LookupError):
    """No such questionnaire, or nothing to analyse: ``status`` says which HTTP status fits."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


class Choices(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Everything a designer decides for one form's needs; stored as JSON, edited in the workspace."""

    settings: Settings = field(default_factory=Settings)
    choices: dict[str, Choice] = field(default_factory=dict)  # rule id → intervention, PEARL
    targets: dict[str, Target] = field(default_factory=dict)  # rule id → end, N, target share
    plan: Plan = field(default_factory=Plan)
    language: str = "zh"


msgspec.json.Decoder(Choices)  # its decoding information built at import: see forms.formats.FORM_JSON


class Analysis(Struct, frozen=True, kw_only=True):
    """A form's data and results table, as the dashboard and the proposal read them."""

    compiled: Compiled
    dataset: Dataset
    report: Report
    samples: Samples
    by: tuple[str, ...]
    skipped: tuple[str, ...]  # segments asked for that cannot split this data


class Assessed(Struct, frozen=True, kw_only=True):
    """An analysis with its priorities and recommendations under the designer's choices."""

    analysis: Analysis
    choices: Choices
    priorities: Priorities
    recommendations: tuple[Recommendation, ...]
    rulebook: rules.Origin


# ----------------------------------------------------------------------------------------- choices


def load_choices(db: DbSession, form_id: str) -> Choices:
    """The stored choices for ``form_id`` (defaults when none are stored)."""
    stored = db.scalar(select(DesignPlan.choices).where(DesignPlan.form_id == form_id))
    return msgspec.convert(stored, Choices) if stored else Choices()


def save_choices(db: DbSession, principal: Principal, form_id: str, choices: Choices) -> None:
    """Store ``choices`` for ``form_id`` and log who changed them."""
    questionnaire(db, form_id)
    plan = db.scalar(select(DesignPlan).where(DesignPlan.form_id == form_id))
    data = msgspec.to_builtins(choices)
    if plan is None:
        db.add(DesignPlan(form_id=form_id, choices=data, updated_by=principal.user_id))
    else:
        plan.choices, plan.updated_by = data, principal.user_id
        plan.updated_at = _now()
    db.add(AuditLog(user_id=principal.user_id, action="design.save", target=form_id))
    db.flush()


def _now() -> Any:
    from survey.store.models import utcnow

    return utcnow()


# ---------------------------------------------------------------------------------------- analysis


def questionnaires(db: DbSession) -> list[tuple[str, dict[str, str]]]:
    """The published questionnaires: (form id, title), by id."""
    rows = db.execute(select(FormRecord.id, FormRecord.title).where(FormRecord.kind == "questionnaire"))
    return sorted((fid, title) for fid, title in rows)


def questionnaire(db: DbSession, form_id: str) -> list[Compiled]:
    """The compiled versions of questionnaire ``form_id``, newest first (DesignError when there is none)."""
    kind = (
        db.scalar(select(FormRecord.kind).where(FormRecord.id == form_id)) if "\x00" not in form_id else None
    )
    if kind != "questionnaire":
        raise DesignError(f"no questionnaire {form_id!r}")
    return [publishing.compiled(v) for v in reversed(publishing.versions(db).get(form_id, []))]


_CACHE: OrderedDict[tuple[Any, ...], Analysis] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 12


def analysis_of(db: DbSession, form_id: str, settings: Settings, used: rules.InUse) -> Analysis:
    """The dataset and results table of ``form_id``'s stored records under rulebook ``used`` (kept
    while the data, the rulebook and the settings stay the same)."""
    versions = questionnaire(db, form_id)
    count, last = db.execute(
        select(func.count(Submission.id), func.max(Submission.id)).where(Submission.form_id == form_id)
    ).one()
    if not count:
        raise DesignError(f"{form_id!r} has no records to analyse yet", status=409)
    where = db.get_bind().url.render_as_string(hide_password=True)
    key = (
        where,
        form_id,
        tuple(c.form.version for c in versions),
        count,
        last,
        used.origin.hash,
        msgspec.json.encode(settings),
    )
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    found = _analyse(db, form_id, versions, settings, used.book)
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def _analyse(
    db: DbSession, form_id: str, versions: list[Compiled], settings: Settings, book: rulebook.Rulebook
) -> Analysis:
    rows = db.execute(
        select(Submission.uuid, Submission.form_version, Submission.answers)
        .where(Submission.form_id == form_id)
        .order_by(Submission.id)
    )
    records = [{"uuid": u, "form_version": v, "answers": a} for u, v, a in rows]
    dataset = Dataset.from_records({c.form.version: c for c in versions}, records, form_id)
    return analyse(dataset, settings, book)


def analyse(
    dataset: Dataset, settings: Settings, book: rulebook.Rulebook, guards: Guards | None = None
) -> Analysis:
    """The results table of ``dataset`` by its segments, the rules' and the settings' (``guards``: the
    analysis's defaults — small cells suppressed — unless given)."""
    by, skipped = _segments(dataset, settings, book)
    options = Options(by=by, phase_share=settings.phase_share, guards=guards or Guards())
    return Analysis(
        compiled=dataset.form,
        dataset=dataset,
        report=analyze(dataset, options),
        samples=samples(dataset, by),
        by=by,
        skipped=skipped,
    )


def _segments(
    dataset: Dataset, settings: Settings, book: rulebook.Rulebook
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The form's segments (calculated ones too), the matching rules' and the settings' — those that split."""
    form = dataset.form
    indicators = {c.indicator.name for c in form.indicators}
    wanted = [s.name for s in form.slots.values() if s.question.segment and not s.question.pii]
    wanted += [s for r in book.rules if r.indicator in indicators for s in r.segments]
    wanted += list(settings.segments)
    by, skipped = [], []
    for name in dict.fromkeys(wanted):
        slot = form.slots.get(name)
        if slot is None or slot.question.pii:
            continue
        try:
            segment(dataset, name)
        except (KeyError, ValueError):
            skipped.append(name)
            continue
        by.append(name)
    return tuple(by), tuple(skipped)


# ---------------------------------------------------------------------------------- priorities


def qualitative(db: DbSession, book: rulebook.Rulebook) -> dict[str, Corroboration]:
    """Per ranked rule: the coded interviews and focus groups that corroborate it, with quotes."""
    found = sessions.load(db)
    if not found:
        return {}
    segments = coding.coded(found, coding.passes(db, found))
    safety = {c.code for s in found for c in s.compiled.form.codebook if c.domain == SAFETY_DOMAIN}
    units = sessions.units(found)
    return {
        r.id: corroboration(segments, units, [c for c in r.codes if c not in safety])
        for r in book.rules
        if not r.safety and r.codes
    }


def assess(db: DbSession, form_id: str, choices: Choices | None = None) -> Assessed:
    """The form's priorities and recommendations under the stored (or given) choices."""
    choices = choices or load_choices(db, form_id)
    used = rules.for_form(db, form_id)
    book = used.book
    found = analysis_of(db, form_id, choices.settings, used)
    priorities = prioritise(
        found.report.results,
        found.compiled,
        book,
        choices.settings,
        samples=found.samples,
        qualitative=qualitative(db, book),
        choices=choices.choices,
    )
    targets = {k: _with_end(v, choices.plan) for k, v in choices.targets.items()}
    for need in priorities.needs:
        targets.setdefault(need.rule.id, _with_end(Target(), choices.plan))
    recs = recommend(priorities, found.compiled, targets)
    return Assessed(
        analysis=found, choices=choices, priorities=priorities, recommendations=recs, rulebook=used.origin
    )


def _with_end(target: Target, plan: Plan) -> Target:
    return target if target.end or not plan.end else msgspec.structs.replace(target, end=plan.end)


def proposal(db: DbSession, form_id: str, language: str | None = None) -> Document:
    """The proposal draft for ``form_id`` in ``language`` (the stored choice by default)."""
    done = assess(db, form_id)
    lang = language if language in LANGUAGES else done.choices.language
    return build(
        done.priorities,
        done.recommendations,
        done.analysis.report.results,
        done.analysis.compiled,
        done.choices.plan,
        lang,
    )


def rule_ids(assessed: Assessed) -> Iterable[str]:
    """The rules the form's needs come from, in the order shown."""
    return (n.rule.id for n in assessed.priorities.needs)
