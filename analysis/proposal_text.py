"""The words of the proposal draft in 中文 and English, and how numbers and groups are written.

The proposal is a document in the language the designer picks, whatever the language of the
pages around it, so its phrases live here rather than in the pages' gettext catalogue. Numbers are
written by :func:`number` only, so every figure in a proposal is written the same way and a test
can find it again. Gaps are written by :func:`gap`: ``【待定：…】`` / ``[TO DECIDE: …]`` — marked,
never invented.
"""

from __future__ import annotations

from typing import Any

from forms.compiler import Compiled
from forms.model import Localized, text_in

__all__ = ["PHRASES", "gap", "group_label", "indicator_label", "number", "phrase", "question_label"]

PHRASES: dict[str, Localized] = {
    "title": {"zh": "项目书（草稿）", "en": "Service proposal (draft)"},
    "background": {"zh": "一、项目背景", "en": "1. Background"},
    "needs": {"zh": "二、需求分析", "en": "2. Needs analysis"},
    "objectives": {"zh": "三、服务目标", "en": "3. Objectives"},
    "services": {"zh": "四、服务内容", "en": "4. Services"},
    "plan": {"zh": "五、实施计划", "en": "5. Implementation plan"},
    "evaluation": {"zh": "六、评估指标", "en": "6. Evaluation indicators"},
    "risks": {"zh": "七、风险", "en": "7. Risks"},
    "draft_note": {
        "zh": "本草稿由探访平台根据需求评估数据生成，方括号内为待补充或待决定的内容；预算不在本草稿范围内。",
        "en": (
            "Drafted by Tanfang from the needs-assessment data. Bracketed items are to be filled in "
            "or decided; the budget is out of scope."
        ),
    },
    "source": {
        "zh": "数据来源：{form}（版本 {version}），规则库 {rulebook}。",
        "en": "Data: {form} (version {version}); rulebook {rulebook}.",
    },
    "sample": {
        "zh": "本次评估中，{indicator}一项共有 {n} 名受访者作答。",
        "en": "In this assessment, {n} respondents answered for {indicator}.",
    },
    "policy_gap": {
        "zh": "政策依据（如《“十四五”民政事业发展规划》）与社区概况",
        "en": "the policy basis and a profile of the community",
    },
    "population_gap": {"zh": "服务区域人口数据", "en": "population figures for the area"},
    "need_line": {
        "zh": "{title}：{group}中{indicator}的比例为 {estimate}（95%CI {low}–{high}，n={n}）。",
        "en": "{title}: {estimate} of {group} have {indicator} (95% CI {low}–{high}, n = {n}).",
    },
    "comparison": {
        "zh": "高于全体的 {overall}（{test}，BH 校正 {p}，效应量 {effect}），属比较性需求。",
        "en": (
            "This is above the {overall} of everyone ({test}, BH-adjusted {p}, effect size "
            "{effect}): a comparative need."
        ),
    },
    "benchmark": {
        "zh": "下限高于参照值 {reference}。",
        "en": "Its lower bound is above the benchmark of {reference}.",
    },
    "severity": {
        "zh": "有此需要者中，至少 {x} 达到严重程度第 {cls} 级。",
        "en": "Among those in need, at least {x} reach severity class {cls}.",
    },
    "convergence": {
        "zh": "需要类型（Bradshaw）：{types}（{k}/4）。",
        "en": "Kinds of need (Bradshaw): {types} ({k} of 4).",
    },
    "qualitative": {
        "zh": "访谈与焦点小组：{p} 名访谈对象、{g} 个焦点小组提及（编码：{codes}）。",
        "en": (
            "Interviews and focus groups: raised by {p} interviewees and {g} focus groups (codes: {codes})."
        ),
    },
    "no_qualitative": {
        "zh": "尚无已编码的访谈或焦点小组资料佐证。",
        "en": "No coded interview or focus-group notes corroborate it yet.",
    },
    "priority": {
        "zh": (
            "优先级：第 {rank} 位（{tier}），得分 OPR {opr}（A={a}，B={b}，C={c}，D={d}）；"
            "重抽样中进入前 {top} 位的概率 {ptop}，排名区间 {low}–{high}。"
        ),
        "en": (
            "Priority: rank {rank} ({tier}), OPR {opr} (A = {a}, B = {b}, C = {c}, D = {d}); in the "
            "top {top} in {ptop} of resamples, rank interval {low}–{high}."
        ),
    },
    "tier_high": {"zh": "证据充分，优先", "en": "high: two lines of evidence"},
    "tier_moderate": {"zh": "单一证据，可考虑", "en": "moderate: one line of evidence"},
    "tier_gated": {"zh": "可行性未通过", "en": "held back by the feasibility gate"},
    "insufficient_title": {"zh": "证据不足的需要", "en": "Needs with insufficient evidence"},
    "insufficient_line": {
        "zh": "{title}：证据不足（{why}），暂不列为优先，建议补充资料。",
        "en": "{title}: insufficient evidence ({why}); not prioritised — gather more data.",
    },
    "none_high": {
        "zh": "没有任何需要达到“证据充分，优先”：现有证据不足以确定优先需要。",
        "en": "No need reaches high priority: the evidence is insufficient to single one out.",
    },
    "goal": {
        "zh": "总目标：回应{needs}，提升服务对象的福祉。",
        "en": "Overall goal: respond to {needs} and improve the wellbeing of those served.",
    },
    "method_casework": {"zh": "个案工作", "en": "casework"},
    "method_group_work": {"zh": "小组工作", "en": "group work"},
    "method_community_work": {"zh": "社区工作", "en": "community work"},
    "evidence": {"zh": "证据等级 {level}", "en": "evidence level {level}"},
    "outputs": {"zh": "产出指标", "en": "Outputs"},
    "phase_early": {"zh": "前期（调研宣传）", "en": "Early phase (outreach and preparation)"},
    "phase_middle": {"zh": "中期（执行）", "en": "Middle phase (delivery)"},
    "phase_late": {"zh": "后期（评估总结）", "en": "Late phase (evaluation and summary)"},
    "early_work": {
        "zh": "宣传招募、确认服务对象、以同一工具复测基线；组建社工+义工团队。",
        "en": (
            "Publicity and recruitment, confirming who is served, re-measuring the baseline with the "
            "same instrument; forming the social worker + volunteer team."
        ),
    },
    "late_work": {
        "zh": "以同一工具后测，比较前后变化，撰写总结报告，接受第三方评估。",
        "en": (
            "Post-test with the same instrument, compare before and after, write the final report, "
            "third-party evaluation."
        ),
    },
    "months": {"zh": "{start} 至 {end}", "en": "{start} to {end}"},
    "baseline_line": {
        "zh": (
            "{indicator}：基线 {estimate}（95%CI {low}–{high}，n={n}），目标 {target}；"
            "测量工具：{instrument}；指标定义：{definition}（{form} 版本 {version}）。"
        ),
        "en": (
            "{indicator}: baseline {estimate} (95% CI {low}–{high}, n = {n}), target {target}; "
            "instrument: {instrument}; definition: {definition} ({form} version {version})."
        ),
    },
    "risk_flag": {
        "zh": "{indicator}（{group}）的估计标注为“{flags}”，结论需谨慎。",
        "en": "The estimate for {indicator} ({group}) is flagged {flags}: read it with care.",
    },
    "risk_tied": {
        "zh": "{title} 的排名与其他需要难以区分（排名区间 {low}–{high}）。",
        "en": "The rank of {title} cannot be told apart from others (rank interval {low}–{high}).",
    },
    "risk_pearl": {
        "zh": "{title} 的可行性（PEARL）尚待确定：{items}。",
        "en": "The feasibility (PEARL) of {title} is still to decide: {items}.",
    },
    "risk_quotes": {
        "zh": "引述由系统从编码者确认的片段中选取，写入前须再次确认。",
        "en": "Quotes were machine-selected from coder-confirmed segments; confirm each before use.",
    },
    "risk_smart": {"zh": "{title}：{warning}", "en": "{title}: {warning}"},
    "risk_general": {
        "zh": "服务对象流失、人手变动、场地与经费变化等风险及应对",
        "en": "risks such as drop-out, staff turnover, venues and funding, and how to respond",
    },
    "warn_small_n": {
        "zh": "基线样本少于 30 人，目标仅供参考。",
        "en": "the baseline rests on fewer than 30 respondents; treat the target as indicative.",
    },
    "warn_mdc": {
        "zh": "目标变化 {change} 小于计划人数下可检测的最小变化 {mdc}。",
        "en": (
            "the planned change of {change} is smaller than the minimum detectable change of {mdc} "
            "for the planned number."
        ),
    },
    "everyone": {"zh": "全体受访者", "en": "all respondents"},
    "end_gap": {"zh": "结束日期", "en": "end date"},
    "period_gap": {"zh": "项目起止月份", "en": "start and end months"},
    "pearl_propriety": {"zh": "适当性", "en": "propriety"},
    "pearl_economic": {"zh": "经济可行性", "en": "economic feasibility"},
    "pearl_acceptability": {"zh": "可接受性", "en": "acceptability"},
    "pearl_resources": {"zh": "资源", "en": "resources"},
    "pearl_legality": {"zh": "合法性", "en": "legality"},
    "bradshaw_normative": {"zh": "规范性需要", "en": "normative"},
    "bradshaw_felt": {"zh": "感受性需要", "en": "felt"},
    "bradshaw_expressed": {"zh": "表达性需要", "en": "expressed"},
    "bradshaw_comparative": {"zh": "比较性需要", "en": "comparative"},
    "n_gap": {"zh": "计划服务人数", "en": "planned number served"},
    "target_gap": {"zh": "目标值", "en": "target"},
    "instrument_gap": {"zh": "测量工具", "en": "instrument"},
    "quote": {"zh": "“{text}”（{group}，{site}，{date}）", "en": "“{text}” ({group}, {site}, {date})"},
}


def phrase(key: str, language: str, **params: Any) -> str:
    """The phrase ``key`` in ``language`` (Chinese when missing), with ``params`` filled in."""
    return text_in(PHRASES[key], language, "zh").format(**params)


def gap(what: str, language: str) -> str:
    """A marked gap: something to fill in or decide, never invented."""
    return f"【待定：{what}】" if language == "zh" else f"[TO DECIDE: {what}]"


def number(value: float | int | None, kind: str = "share") -> str:
    """How a figure is written: shares as percentages with one decimal, counts as integers, p to 3 digits."""
    if value is None:
        return "—"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{int(value)}"
    if kind == "p":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:.2f}"


def question_label(compiled: Compiled, name: str, language: str) -> str:
    """A question's label in ``language`` (its name when it has none)."""
    slot = compiled.slots.get(name)
    label = getattr(slot.question, "label", {}) if slot is not None else {}
    return text_in(label, language, "zh") or name


def indicator_label(compiled: Compiled, name: str, language: str) -> str:
    """An indicator's label in ``language`` (its name when it has none)."""
    for c in compiled.indicators:
        if c.indicator.name == name:
            return text_in(c.indicator.label, language, "zh") or name
    return name


def group_label(compiled: Compiled, var: str | None, value: str | None, language: str) -> str:
    """Everyone; or the option's label (南桂社区); or "question: value" for a segment without labels."""
    if var is None:
        return phrase("everyone", language)
    slot = compiled.slots.get(var)
    options = compiled.choices.get(getattr(slot.question, "choices", "") or "", {}) if slot else {}
    choice = options.get(value or "")
    if choice is not None and choice.label:
        return text_in(choice.label, language, "zh")
    sep = "：" if language == "zh" else ": "
    return f"{question_label(compiled, var, language)}{sep}{value or ''}"
