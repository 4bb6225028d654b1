"""The proposal draft: the sector's sections, every number followed to its row, gaps marked, Word that opens."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document as Word

from analysis.priorities import prioritise
from analysis.prioritise import Settings
from analysis.proposal import Plan, build
from analysis.proposal_render import to_docx, to_markdown
from analysis.recommend import Target, recommend
from tests.analysis.test_prioritise import form, rules, table

SECTIONS = {
    "zh": [
        "一、项目背景",
        "二、需求分析",
        "三、服务目标",
        "四、服务内容",
        "五、实施计划",
        "六、评估指标",
        "七、风险",
    ],
    "en": [
        "1. Background",
        "2. Needs analysis",
        "3. Objectives",
        "4. Services",
        "5. Implementation plan",
        "6. Evaluation indicators",
        "7. Risks",
    ],
}
SHARE = re.compile(r"(\d+\.\d)%")


def draft(
    language: str = "zh",
    plan: Plan | None = None,
    targets: dict[str, Target] | None = None,
    p: float = 0.0004,
):  # type: ignore[no-untyped-def]
    rows = table(p)
    priorities = prioritise(rows, form(), rules(), Settings())
    recs = recommend(priorities, form(), targets or {})
    return build(priorities, recs, rows, form(), plan or Plan(), language), rows, recs


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_draft_has_the_sectors_seven_sections_in_order(language: str) -> None:
    """项目背景, 需求分析, 服务目标, 服务内容, 实施计划, 评估指标, 风险 — as level-2 headings, in that order."""
    doc, _, _ = draft(language)
    assert [b.text for b in doc.blocks if b.kind == "heading" and b.level == 2] == SECTIONS[language]


def test_every_figure_is_the_value_of_its_row() -> None:
    """Each figure the draft cites names a row of the results table and equals that row's field."""
    doc, rows, _ = draft()
    by_key = {r.analysis_key: r for r in rows}
    assert doc.figures
    for f in doc.figures:
        assert f.key in by_key, f.key
        assert getattr(by_key[f.key], f.field) == pytest.approx(f.value), (f.key, f.field)


def test_every_percentage_in_the_text_is_a_cited_figure_or_the_designers_target() -> None:
    """Each “12.3%” of each block is one of that block's own figures (or the target the designer set)."""
    doc, _, _ = draft(plan=Plan(end="2027-12"), targets={"LON-01": Target(target=0.2, n=40)})
    for block in doc.blocks:
        allowed = {f"{100 * f.value:.1f}" for f in block.figures} | {"20.0"}  # the target the designer typed
        if "可检测的最小变化" in block.text:  # derived, worked by hand: 35.9 − 20.0, and
            allowed |= {"15.9", "30.1"}  # (1.960 + 0.842)·√(2 · .359 · .641 / 40) = 30.05 points
        for number in SHARE.findall(block.text):
            assert number in allowed, (number, block.text)


def test_the_needs_analysis_states_the_estimate_interval_and_comparison_of_the_rows() -> None:
    """35.9% (28.1%–44.5%, n=128) among those living alone, above everyone's 17.6%, BH p < 0.001."""
    doc, _, _ = draft()
    text = "\n".join(b.text for b in doc.section("二、需求分析"))
    assert "35.9%（95%CI 28.1%–44.5%，n=128）" in text
    assert "高于全体的 17.6%" in text
    assert "p<0.001" in text


def test_gaps_are_marked_never_invented() -> None:
    """Without an end date, a number of people or a target, the objective says so in brackets."""
    doc, _, recs = draft()
    smart = next(b.text for b in doc.section("三、服务目标") if b.kind == "bullet")
    assert "【待定：结束日期】" in smart
    assert "【待定：计划服务人数】" in smart
    assert "【待定：目标值】" in smart
    assert set(recs[0].smart.gaps) == {"end", "n", "target"}


def test_a_target_too_small_to_detect_is_a_risk() -> None:
    """From 35.9% to 30% with 40 people is under the minimum detectable change (about 30 points): flagged."""
    doc, _, _ = draft(targets={"LON-01": Target(target=0.30, n=40, end="2027-12")})
    risks = " ".join(b.text for b in doc.section("七、风险"))
    assert "小于计划人数下可检测的最小变化" in risks


def test_when_no_need_is_high_the_draft_says_the_evidence_is_insufficient() -> None:
    """No significant difference and no interviews: the needs section opens with “insufficient evidence”."""
    doc, _, _ = draft(p=0.5)
    first = doc.section("二、需求分析")[0]
    assert "现有证据不足以确定优先需要" in first.text


def test_safety_never_enters_the_draft() -> None:
    """The self-harm rule and its action appear nowhere in the draft."""
    doc, _, _ = draft()
    text = to_markdown(doc)
    assert "自伤" not in text
    assert "当日跟进" not in text


def test_markdown_keeps_the_headings_and_the_quotes() -> None:
    """The Markdown has ``##`` for each section."""
    text = to_markdown(draft()[0])
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == SECTIONS["zh"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_word_file_opens_with_every_section(language: str) -> None:
    """python-docx reads the .docx back: the title, every section heading, and the needs' numbers."""
    doc, _, _ = draft(language)
    word = Word(io.BytesIO(to_docx(doc)))
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings == SECTIONS[language]
    assert any("35.9%" in p.text for p in word.paragraphs)
    assert word.core_properties.title == doc.title
