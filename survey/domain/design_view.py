"""What the planner's dashboard shows: plain data for ``templates/dashboard*.html``.

* a heat map — population groups (the levels of one segment, chosen on the page) × need domains,
  each cell the highest prevalence among the domain's indicators in that group, with its row;
* the ranked needs with their intervals, scores and parts, tiers and rank stability, and the needs
  with insufficient evidence or below their thresholds, with the reason;
* the triangulation table — per need domain, the survey's estimates beside the interviews and focus
  groups that raise it (coded by a person) and their quotes (survey.domain.coding_summary);
* a drill-down per ranked need: the indicator's rows in every group, with their flags and keys;
* the importance–performance quadrants when the form pairs the two;
* which rulebook the needs come from (``rulebook_from``: the assessment's, every assessment's or the seed).

Texts come in the request's language; page words are the template's (gettext).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct
from sqlalchemy.orm import Session as DbSession

from analysis.priorities import Need
from analysis.prioritise_evidence import RowIndex
from analysis.prioritise_ipa import Ipa
from analysis.proposal_text import group_label, indicator_label
from analysis.qualitative import SurveyEvidence, Triangulation
from analysis.results import Row
from forms.compiler import Compiled
from forms.model import text_in
from survey.domain import coding_summary, rules
from survey.domain.design import Assessed, assess


def N_(msgid: str) -> str:  # the name gettext tools look for: translated in the template
    """Mark ``msgid`` for extraction (the page translates it)."""
    return msgid


DOMAINS = {
    "loneliness_social_isolation": N_("Loneliness and social isolation"),
    "daily_living_care": N_("Daily living and care"),
    "health_access": N_("Access to health care"),
    "digital_inclusion": N_("Digital inclusion"),
    "study_stress": N_("Study stress"),
    "peer_family_relations": N_("Peers and family"),
    "child_supervision": N_("Supervision of children"),
    "carer_burden": N_("Carer burden"),
    "disability_support": N_("Disability support"),
    "local_integration": N_("Local integration"),
    "service_access": N_("Access to services"),
    "financial_hardship": N_("Financial hardship"),
    "workforce_supervision": N_("Supervision of the workforce"),
    "workforce_training": N_("Training of the workforce"),
}


class Cell(Struct, frozen=True, kw_only=True):
    """One group × domain: the highest prevalence among the domain's indicators, and which."""

    estimate: float
    low: float | None
    high: float | None
    n: int | None
    indicator: str
    key: str


class HeatMap(Struct, frozen=True, kw_only=True):
    """Groups (rows) × domains (columns)."""

    segment: str
    segment_label: str
    groups: tuple[tuple[str, str], ...]  # (value, label)
    domains: tuple[str, ...]
    cells: dict[str, dict[str, Cell]]  # group value ("" for everyone) → domain → cell


class Drill(Struct, frozen=True, kw_only=True):
    """A row of the drill-down: a group's estimate of the need's indicator."""

    group: str
    row: Row


class NeedView(Struct, frozen=True, kw_only=True):
    """A need as the dashboard shows it."""

    need: Need
    title: str
    indicator: str
    group: str
    intervention: str
    drill: tuple[Drill, ...] = ()


class Dashboard(Struct, frozen=True, kw_only=True):
    """Everything the planner's dashboard shows for one form."""

    form_id: str
    title: str
    records: int
    rulebook: str
    rulebook_from: rules.Origin
    segments: tuple[tuple[str, str], ...]  # (name, label)
    skipped: tuple[str, ...]
    heat: HeatMap | None
    ranked: tuple[NeedView, ...]
    others: tuple[NeedView, ...]
    insufficient: bool
    triangulation: tuple[Triangulation, ...]
    ipa: Ipa | None
    settings: dict[str, Any]
    indicators: dict[str, str]  # indicator name → label in the page's language


def dashboard(db: DbSession, form_id: str, by: str | None, language: str) -> Dashboard:
    """The dashboard of ``form_id``; the heat map's rows are the groups of segment ``by``."""
    done = assess(db, form_id)
    found = done.analysis
    compiled = found.compiled
    index = RowIndex(found.report.results)
    views = [_view(n, compiled, index, found.by, language) for n in done.priorities.needs]
    by = by if by in found.by else (found.by[0] if found.by else None)
    return Dashboard(
        form_id=form_id,
        title=text_in(compiled.form.title, language, "zh"),
        records=found.dataset.n,
        rulebook=done.priorities.rulebook,
        rulebook_from=done.rulebook,
        segments=tuple((s, _question(compiled, s, language)) for s in found.by),
        skipped=found.skipped,
        heat=_heat(compiled, index, by, language) if by else None,
        ranked=tuple(v for v in views if v.need.rank is not None),
        others=tuple(v for v in views if v.need.rank is None),
        insufficient=done.priorities.insufficient,
        triangulation=_triangulation(db, done, compiled),
        ipa=done.priorities.ipa,
        settings={"resamples": done.choices.settings.resamples, "seed": done.choices.settings.seed},
        indicators={c.indicator.name: indicator_label(compiled, c.indicator.name, language)
                    for c in compiled.indicators},
    )


def _question(compiled: Compiled, name: str, language: str) -> str:
    slot = compiled.slots.get(name)
    return text_in(getattr(slot.question, "label", {}), language, "zh") or name if slot else name


def _view(need: Need, compiled: Compiled, index: RowIndex, by: tuple[str, ...], language: str) -> NeedView:
    rule, f = need.rule, need.finding
    drill = ()
    if need.rank is not None:
        groups = index.groups(f.indicator, ())
        drill = tuple(
            Drill(group=group_label(compiled, g.var, g.value, language), row=row)
            for g in groups
            if (row := index.prop(f.indicator, g)) is not None and (g.var is None or g.var in by)
        )
    return NeedView(
        need=need,
        title=rule.text(rule.title, language),
        indicator=indicator_label(compiled, f.indicator, language),
        group=group_label(compiled, f.group.var, f.group.value, language),
        intervention=rule.text(need.intervention.name, language),
        drill=drill,
    )


def _heat(compiled: Compiled, index: RowIndex, segment: str, language: str) -> HeatMap:
    indicators = [c.indicator for c in compiled.indicators if not c.indicator.safety and c.indicator.domain]
    domains = tuple(dict.fromkeys(i.domain for i in indicators if i.domain))
    groups = [("", group_label(compiled, None, None, language))]
    seen = {value for (var, seg, value) in index.props if seg == segment and value is not None}
    slot = compiled.slots.get(segment)
    order = list(compiled.choices.get(getattr(slot.question, "choices", "") or "", {})) if slot else []
    ordered = [v for v in order if v in seen] + sorted(seen - set(order))
    groups += [(v, group_label(compiled, segment, v, language)) for v in ordered]
    cells: dict[str, dict[str, Cell]] = {}
    for value, _ in groups:
        var = None if value == "" else segment
        for ind in indicators:
            row = index.props.get((ind.name, var, value or None))
            if row is None or row.estimate is None:
                continue
            here = cells.setdefault(value, {})
            old = here.get(ind.domain or "")
            if old is None or row.estimate > old.estimate:
                here[ind.domain or ""] = Cell(
                    estimate=row.estimate,
                    low=row.ci_low,
                    high=row.ci_high,
                    n=row.n_total,
                    indicator=text_in(ind.label, language, "zh") or ind.name,
                    key=row.analysis_key,
                )
    return HeatMap(
        segment=segment,
        segment_label=_question(compiled, segment, language),
        groups=tuple(groups),
        domains=domains,
        cells=cells,
    )


def _triangulation(db: DbSession, done: Assessed, compiled: Compiled) -> tuple[Triangulation, ...]:
    """Per need domain of this form: its overall estimates beside the coded sessions (coding_summary)."""
    index = RowIndex(done.analysis.report.results)
    survey = []
    mine = set()
    for c in compiled.indicators:
        ind = c.indicator
        row = index.props.get((ind.name, None, None))
        if ind.safety or not ind.domain or row is None or row.estimate is None:
            continue
        mine.add(ind.domain)
        survey.append(
            SurveyEvidence(
                domain=ind.domain,
                form=compiled.form.id,
                indicator=ind.name,
                estimate=row.estimate,
                low=row.ci_low if row.ci_low is not None else row.estimate,
                high=row.ci_high if row.ci_high is not None else row.estimate,
                n=row.n_total or 0,
                bradshaw=tuple(ind.bradshaw),
            )
        )
    return tuple(t for t in coding_summary.triangulation(db, survey) if t.domain in mine)


class RuleView(Struct, frozen=True, kw_only=True):
    """A rule in the workspace: its need (scored and placed), interventions and what is chosen."""

    view: NeedView
    interventions: tuple[tuple[str, str, str, str], ...]  # (id, name, method, evidence level)
    chosen: bool
    uses: tuple[str, ...]
    scored_with: str
    pearl: dict[str, int | None]
    target: float | None
    n: int | None
    smart: str
    warnings: str


class Workspace(Struct, frozen=True, kw_only=True):
    """The designer's workspace: every rule of the form with the choices made so far."""

    form_id: str
    title: str
    rules: tuple[RuleView, ...]
    plan: Any
    language: str
    settings: str
    insufficient: bool
    rulebook: rules.Origin


def workspace(db: DbSession, form_id: str, language: str, settings_text: Any) -> Workspace:
    """The workspace of ``form_id``; ``settings_text`` writes the settings as TOML."""
    done = assess(db, form_id)
    compiled, index = done.analysis.compiled, RowIndex(done.analysis.report.results)
    recs = {r.need.rule.id: r for r in done.recommendations}
    plan = done.choices.plan
    chosen = (
        set(plan.chosen)
        if plan.chosen
        else {r.need.rule.id for r in done.recommendations if r.need.tier == "high"}
    )
    rules = []
    for need in done.priorities.needs:
        rule, rec = need.rule, recs.get(need.rule.id)
        target = done.choices.targets.get(rule.id)
        rules.append(
            RuleView(
                view=_view(need, compiled, index, done.analysis.by, language),
                interventions=tuple(
                    (i.id, rule.text(i.name, language), i.method, i.evidence.level)
                    for i in rule.interventions
                ),
                chosen=rule.id in chosen,
                uses=plan.interventions.get(rule.id, (need.intervention.id,)),
                scored_with=need.intervention.id,
                pearl={k: getattr(need.pearl, k) for k in need.pearl.__struct_fields__},
                target=target.target if target else None,
                n=target.n if target else None,
                smart=rec.smart.text.get(language, "") if rec else "",
                warnings=rec.smart.warnings.get(language, "") if rec else "",
            )
        )
    return Workspace(
        form_id=form_id,
        title=text_in(compiled.form.title, language, "zh"),
        rules=tuple(rules),
        plan=plan,
        language=done.choices.language,
        settings=settings_text(done.choices.settings),
        insufficient=done.priorities.insufficient,
        rulebook=done.rulebook,
    )
