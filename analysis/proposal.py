"""The proposal draft (项目书) as a document of blocks, in the sector's structure, in 中文 or English.

Sections (METHODS §5.3): 一、项目背景 · 二、需求分析 · 三、服务目标 (SMART, with baselines and
intervals) · 四、服务内容 · 五、实施计划 (前期/中期/后期) · 六、评估指标 (baselines and the
instruments to reuse at evaluation) · 七、风险. The needs are those the designer chose (by default
the high-priority ones); the needs with insufficient evidence are listed as such. Every number
taken from the results table is a :class:`~analysis.recommend.Figure` on the block that shows it,
so a reader — or a test — can follow it to its row; what the data cannot say is a marked gap.
Safety needs never appear: they are not ranked, so they are never recommended.

The blocks are rendered as Markdown and Word (:mod:`analysis.proposal_render`) and as HTML
(``templates/proposal.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct, field

from analysis.priorities import Need, Priorities
from analysis.prioritise_evidence import Group, RowIndex
from analysis.proposal_text import gap, group_label, indicator_label, number, phrase
from analysis.recommend import Figure, Recommendation, figure
from analysis.results import Row
from forms.compiler import Compiled

__all__ = ["Block", "Document", "Plan", "build"]


class Plan(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The designer's choices for the whole proposal."""

    title: str | None = None
    start: str | None = None  # e.g. 2027-01
    end: str | None = None
    chosen: tuple[str, ...] = ()  # rule ids; empty: the high-priority needs
    interventions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule id → intervention ids


class Block(Struct, frozen=True, kw_only=True):
    """A heading (``level`` 1–3), a paragraph, a bullet, a quote or a table row (``cells``)."""

    kind: str  # heading | para | bullet | quote | table
    text: str = ""
    level: int = 0
    figures: tuple[Figure, ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()  # a table: header row first


class Document(Struct, frozen=True, kw_only=True):
    """The draft: its language, title and blocks."""

    language: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every results-table figure the draft shows."""
        return tuple(f for b in self.blocks for f in b.figures)

    def section(self, heading: str) -> tuple[Block, ...]:
        """The blocks under the level-2 heading ``heading`` (up to the next one)."""
        out: list[Block] = []
        inside = False
        for b in self.blocks:
            if b.kind == "heading" and b.level == 2:
                inside = b.text == heading
            elif inside:
                out.append(b)
        return tuple(out)


def _h(text: str, level: int = 2) -> Block:
    return Block(kind="heading", text=text, level=level)


def _p(text: str, figures: Sequence[Figure | None] = (), kind: str = "para") -> Block:
    return Block(kind=kind, text=text, figures=tuple(f for f in figures if f is not None))


def build(
    priorities: Priorities,
    recommendations: Sequence[Recommendation],
    rows: Sequence[Row],
    compiled: Compiled,
    plan: Plan,
    language: str = "zh",
) -> Document:
    """The proposal for the chosen needs of ``recommendations``, in ``language``."""
    lang = language
    chosen = _chosen(recommendations, plan)
    index = RowIndex(rows)
    form = compiled.form
    title = plan.title or f"{form.title.get(lang) or form.title.get('zh', form.id)} · {phrase('title', lang)}"
    blocks = [
        _h(title, 1),
        _p(phrase("draft_note", lang)),
        _p(phrase("source", lang, form=form.id, version=form.version, rulebook=priorities.rulebook)),
    ]
    blocks += [_h(phrase("background", lang)), *_background(chosen, index, compiled, priorities, lang)]
    blocks += [_h(phrase("needs", lang)), *_needs(chosen, priorities, compiled, lang)]
    blocks += [_h(phrase("objectives", lang)), *_objectives(chosen, compiled, lang)]
    blocks += [_h(phrase("services", lang)), *_services(chosen, plan, lang)]
    blocks += [_h(phrase("plan", lang)), *_schedule(chosen, plan, lang)]
    blocks += [_h(phrase("evaluation", lang)), *_evaluation(chosen, index, compiled, plan, lang)]
    blocks += [_h(phrase("risks", lang)), *_risks(chosen, compiled, lang)]
    return Document(language=lang, title=title, blocks=tuple(blocks))


def _chosen(recommendations: Sequence[Recommendation], plan: Plan) -> list[Recommendation]:
    if plan.chosen:
        by_id = {r.need.rule.id: r for r in recommendations}
        return [by_id[i] for i in plan.chosen if i in by_id]
    return [r for r in recommendations if r.need.tier == "high"]


def _title(need: Need, lang: str) -> str:
    return need.rule.text(need.rule.title, lang)


# ------------------------------------------------------------------------------------------ sections


def _background(
    chosen: list[Recommendation], index: RowIndex, compiled: Compiled, priorities: Priorities, lang: str
) -> list[Block]:
    out = [_p(gap(phrase("policy_gap", lang), lang))]
    if not priorities.settings.population:
        out.append(_p(gap(phrase("population_gap", lang), lang)))
    for r in chosen:
        row = index.prop(r.need.finding.indicator, Group())
        n = figure(row, "n_total")
        if n is not None:
            label = indicator_label(compiled, r.need.finding.indicator, lang)
            out.append(_p(phrase("sample", lang, indicator=label, n=number(n.value, "count")), [n]))
    return out


def _needs(
    chosen: list[Recommendation], priorities: Priorities, compiled: Compiled, lang: str
) -> list[Block]:
    out: list[Block] = []
    if priorities.insufficient:
        out.append(_p(phrase("none_high", lang)))
    for r in chosen:
        out += _need_blocks(r, priorities, compiled, lang)
    thin = priorities.tier("insufficient")
    if thin:
        out.append(_h(phrase("insufficient_title", lang), 3))
        for n in thin:
            out.append(
                _p(phrase("insufficient_line", lang, title=_title(n, lang), why=_why(n, lang)), kind="bullet")
            )
    return out


def _need_blocks(r: Recommendation, priorities: Priorities, compiled: Compiled, lang: str) -> list[Block]:
    need, f = r.need, r.need.finding
    row = f.row
    label = indicator_label(compiled, f.indicator, lang)
    group = group_label(compiled, f.group.var, f.group.value, lang)
    shown = [figure(row, k) for k in ("estimate", "ci_low", "ci_high", "n_total")]
    values = {
        k: number(x.value if x else None) for k, x in zip(("estimate", "low", "high"), shown, strict=False)
    }
    out = [
        _h(_title(need, lang), 3),
        _p(
            phrase(
                "need_line",
                lang,
                title=_title(need, lang),
                group=group,
                indicator=label,
                n=number(row.n_total if row else None, "count"),
                **values,
            ),
            shown,
        ),
    ]
    for reason in r.reasons:
        out += _reason_blocks(reason, priorities, lang)
    out.append(_p(_priority_line(need, priorities, lang)))
    return out


def _reason_blocks(reason: Any, priorities: Priorities, lang: str) -> list[Block]:
    if reason.kind == "comparison":
        overall, p, effect = reason.figures[1], reason.figures[2], reason.figures[3]
        text = phrase(
            "comparison",
            lang,
            overall=number(overall.value),
            test=reason.params["test"],
            p=("p<0.001" if p.value < 0.001 else f"p={number(p.value, 'p')}"),
            effect=number(effect.value, "ratio"),
        )
        return [_p(text, [overall, p, effect])]
    if reason.kind == "benchmark":
        return [_p(phrase("benchmark", lang, reference=number(float(reason.params["reference"]))))]
    if reason.kind == "severity":
        x = number(priorities.settings.phase_share)
        return [_p(phrase("severity", lang, x=x, cls=reason.params["class"]), reason.figures)]
    if reason.kind == "convergence":
        kinds = str(reason.params["types"]).split(", ")
        named = ("、" if lang == "zh" else ", ").join(phrase(f"bradshaw_{t}", lang) for t in kinds)
        return [_p(phrase("convergence", lang, types=named, k=reason.params["k"]))]
    if reason.kind == "qualitative":
        p = reason.params
        out = [_p(phrase("qualitative", lang, p=p["participants"], g=p["groups"], codes=p["codes"]))]
        out += [
            _p(
                phrase(
                    "quote", lang, text=q.text, group=q.group or "—", site=q.site or "—", date=q.date or "—"
                ),
                kind="quote",
            )
            for q in reason.quotes
        ]
        return out
    return []


def _priority_line(need: Need, priorities: Priorities, lang: str) -> str:
    s, st = need.score, need.stability
    assert s is not None
    return phrase(
        "priority",
        lang,
        rank=need.rank,
        tier=phrase(f"tier_{need.tier}", lang),
        opr=f"{s.opr:.1f}",
        a=f"{s.size.score:g}",
        b=f"{s.seriousness.score:g}",
        c=f"{s.effectiveness.score:g}",
        d=f"{s.pearl:g}",
        top=priorities.settings.top,
        ptop=number(st.top) if st else "—",
        low=st.low if st else "—",
        high=st.high if st else "—",
    )


def _why(need: Need, lang: str) -> str:
    row = need.finding.row
    if row is None or row.estimate is None:
        return "无数据或已抑制" if lang == "zh" else "no data, or suppressed"
    failed = [c.condition.stat for c in need.finding.checks if c.holds is False]
    if "n_total" in failed or "n" in failed:
        return f"n={number(row.n_total, 'count')}" if lang == "zh" else f"n = {number(row.n_total, 'count')}"
    return (
        f"区间过宽：{number(row.ci_low)}–{number(row.ci_high)}"
        if lang == "zh"
        else f"interval too wide: {number(row.ci_low)}–{number(row.ci_high)}"
    )


def _objectives(chosen: list[Recommendation], compiled: Compiled, lang: str) -> list[Block]:
    if not chosen:
        return [_p(gap(phrase("objectives", lang), lang))]
    needs = (
        "、".join(_title(r.need, lang) for r in chosen)
        if lang == "zh"
        else "; ".join(_title(r.need, lang) for r in chosen)
    )
    out = [_p(phrase("goal", lang, needs=needs))]
    for r in chosen:
        out.append(_p(r.smart.text.get(lang, ""), r.smart.figures, kind="bullet"))
    return out


def _services(chosen: list[Recommendation], plan: Plan, lang: str) -> list[Block]:
    out: list[Block] = []
    for r in chosen:
        rule = r.need.rule
        out.append(_h(_title(r.need, lang), 3))
        for i in _interventions(r, plan):
            refs = "; ".join(i.evidence.refs)
            how = f"{phrase('method_' + i.method, lang)}, {phrase('evidence', lang, level=i.evidence.level)}"
            head = (
                f"{rule.text(i.name, lang)}（{how}）"
                if lang == "zh"
                else f"{rule.text(i.name, lang)} ({how})"
            )
            text = " ".join(
                x for x in (head, rule.text(i.description, lang) if i.description else "", refs) if x
            )
            out.append(_p(text, kind="bullet"))
    return out or [_p(gap(phrase("services", lang), lang))]


def _interventions(r: Recommendation, plan: Plan) -> list[Any]:
    wanted = plan.interventions.get(r.need.rule.id)
    if not wanted:
        return [r.need.intervention]
    return [i for i in r.need.rule.interventions if i.id in wanted] or [r.need.intervention]


def _schedule(chosen: list[Recommendation], plan: Plan, lang: str) -> list[Block]:
    when = (
        phrase("months", lang, start=plan.start, end=plan.end)
        if plan.start and plan.end
        else gap(phrase("period_gap", lang), lang)
    )
    middle = "；".join(
        r.need.rule.text(i.name, lang) for r in chosen for i in _interventions(r, plan)
    ) or gap(phrase("services", lang), lang)
    return [
        _p(when),
        _p(f"{phrase('phase_early', lang)}：{phrase('early_work', lang)}", kind="bullet"),
        _p(f"{phrase('phase_middle', lang)}：{middle}", kind="bullet"),
        _p(f"{phrase('phase_late', lang)}：{phrase('late_work', lang)}", kind="bullet"),
    ]


def _evaluation(
    chosen: list[Recommendation], index: RowIndex, compiled: Compiled, plan: Plan, lang: str
) -> list[Block]:
    out: list[Block] = []
    for r in chosen:
        rule, group = r.need.rule, r.need.finding.group
        outputs = [rule.text(o, lang) for i in _interventions(r, plan) for o in i.outputs]
        if outputs:
            out.append(
                _p(
                    f"{phrase('outputs', lang)}：{'、'.join(outputs)} {gap(phrase('target_gap', lang), lang)}",  # noqa: E501
                    kind="bullet",
                )
            )
        for o in rule.outcomes:
            row = index.prop(o.indicator, group)
            shown = [figure(row, k) for k in ("estimate", "ci_low", "ci_high", "n_total")]
            definition = next(
                (c.indicator.flag for c in compiled.indicators if c.indicator.name == o.indicator),
                o.indicator,
            )
            target = (
                number(r.smart.target)
                if r.smart.target is not None and o.indicator == rule.indicator
                else None
            )
            out.append(
                _p(
                    phrase(
                        "baseline_line",
                        lang,
                        indicator=indicator_label(compiled, o.indicator, lang),
                        estimate=number(row.estimate if row else None),
                        low=number(row.ci_low if row else None),
                        high=number(row.ci_high if row else None),
                        n=number(row.n_total if row else None, "count"),
                        target=target or gap(phrase("target_gap", lang), lang),
                        instrument=rule.text(o.instrument, lang),
                        definition=definition,
                        form=compiled.form.id,
                        version=compiled.form.version,
                    ),
                    shown,
                    kind="bullet",
                )
            )
    return out or [_p(gap(phrase("evaluation", lang), lang))]


def _risks(chosen: list[Recommendation], compiled: Compiled, lang: str) -> list[Block]:
    out: list[Block] = []
    for r in chosen:
        need, row = r.need, r.need.finding.row
        title = _title(need, lang)
        if row is not None and row.flags:
            group = group_label(compiled, need.finding.group.var, need.finding.group.value, lang)
            label = indicator_label(compiled, need.finding.indicator, lang)
            out.append(
                _p(
                    phrase("risk_flag", lang, indicator=label, group=group, flags=", ".join(row.flags)),
                    kind="bullet",
                )
            )
        if need.stability is not None and need.stability.tied:
            out.append(
                _p(
                    phrase("risk_tied", lang, title=title, low=need.stability.low, high=need.stability.high),
                    kind="bullet",
                )
            )
        if need.score is not None and need.score.pending:
            out.append(
                _p(
                    phrase(
                        "risk_pearl",
                        lang,
                        title=title,
                        items="、".join(phrase(f"pearl_{i}", lang) for i in need.score.pending),
                    ),
                    kind="bullet",
                )
            )
        if lang in r.smart.warnings:
            out.append(
                _p(phrase("risk_smart", lang, title=title, warning=r.smart.warnings[lang]), kind="bullet")
            )
    if any(r.need.corroboration.quotes for r in chosen):
        out.append(_p(phrase("risk_quotes", lang), kind="bullet"))
    out.append(_p(gap(phrase("risk_general", lang), lang), kind="bullet"))
    return out
