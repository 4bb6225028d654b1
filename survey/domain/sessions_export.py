"""Exports of interview and focus-group work: notes per session (Markdown), coded segments and the
code × group matrix (CSV, UTF-8 with a BOM so Excel reads the Chinese).

Nothing personal leaves: questions marked ``pii`` (the facilitator's name) are left out for every
role, every text is de-identified (:func:`analysis.qualitative.deidentify`, with the names the
session holds: :func:`survey.domain.coding.roster_names`), and a participant
removed from a session, or who did not consent, is absent — their roster row, their quotes and
the sentences of the notes attributed to them.
"""

from __future__ import annotations

from collections.abc import Iterable

from analysis.qualitative import Segment, deidentify
from forms.model import AnyQuestion, Form, text_in
from survey.domain import sessions
from survey.domain.coding import roster_names
from survey.domain.coding_summary import Summary
from survey.domain.exports import write_csv


def _label(form: Form, q: AnyQuestion, value: object, language: str, names: tuple[str, ...] = ()) -> str:
    options = {c.name: c for c in form.choices.get(getattr(q, "choices", ""), ())}
    values = value if isinstance(value, list) else [value]
    shown = [
        text_in(options[v].label, language, form.default_language) if v in options else str(v) for v in values
    ]
    return deidentify("、".join(shown), names)


def notes_markdown(s: sessions.Session, language: str = "zh") -> str:
    """One session as Markdown: its details, the roster, then each topic's notes and quotes."""
    form = s.compiled.form
    names = roster_names(s)

    def text(value: dict[str, str]) -> str:
        return text_in(value, language, form.default_language)

    def quote(seg: Segment) -> str:
        return f"\n> {deidentify(seg.text, names)} — {seg.participant}"

    lines = [f"# {text(form.title)}", "", f"- {s.date} · {s.site} · {s.group}", f"- `{s.uuid}`"]
    for q in form.questions:
        if not q.pii and q.name in s.answers and type(q).__name__ not in ("Note", "Calculate"):
            lines.append(f"- **{text(q.label)}**: {_label(form, q, s.answers[q.name], language, names)}")
    lines += _roster(s, language, names)
    by_topic: dict[str, list[Segment]] = {}
    for seg in s.segments:
        by_topic.setdefault(seg.topic, []).append(seg)
    timing = s.answers.get("timing", {})
    for topic in form.topics:
        found = by_topic.get(topic.name, [])
        minutes = f" ({round(timing[topic.name] / 60)} min)" if topic.name in timing else ""
        notes = "".join(deidentify(seg.text, names) for seg in found if seg.key.startswith("n:"))
        lines += ["", f"## {text(topic.label)}{minutes}", "", notes or "—"]
        lines += [quote(seg) for seg in found if seg.key.startswith("q:")]
    loose = [seg for seg in by_topic.get("", []) if seg.key.startswith("q:")]
    if loose:
        lines += ["", "## Quotes"] + [quote(seg) for seg in loose]
    return "\n".join(lines).rstrip() + "\n"


def _roster(s: sessions.Session, language: str, names: tuple[str, ...]) -> list[str]:
    """The roster as a Markdown table: code, then the attributes (never a question marked pii)."""
    form = s.compiled.form
    if not s.participants:
        return []
    shown = [q for q in form.roster[1:] if not q.pii and type(q).__name__ not in ("Note", "Calculate")]
    head = ["code", *(text_in(q.label, language, form.default_language) for q in shown)]
    lines = ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in s.participants:
        cells = [p.code, *(_label(form, q, p.answers.get(q.name, ""), language, names) for q in shown)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


SEGMENT_COLUMNS = [
    "session",
    "method",
    "date",
    "site",
    "group",
    "participant",
    "topic",
    "segment",
    "code",
    "text",
]


def segments_csv(segments: Iterable[Segment]) -> bytes:
    """One row per coded segment and code (the primary coding), the text de-identified.

    ``segments`` come from :func:`survey.domain.coding.coded`, already masked of their session's names.
    """
    rows: list[list[object]] = [SEGMENT_COLUMNS]
    for s in segments:
        for code in s.codes:
            rows.append(
                [
                    s.session,
                    s.method,
                    s.date,
                    s.site,
                    s.group,
                    s.participant,
                    s.topic,
                    s.key,
                    code,
                    deidentify(s.text),
                ]
            )
    return write_csv(rows[0], rows[1:])


def matrix_csv(summary: Summary) -> bytes:
    """Codes × groups: ``k/m`` units per cell (participants, or groups for focus groups), mentions last."""
    cells = {(f.code, f.group): f for f in summary.frequencies}
    unit = "groups" if summary.method == "focus_group" else "participants"
    rows: list[list[object]] = [["code", "label", *(f"{g} ({unit})" for g in summary.groups), "mentions"]]
    for c in summary.codes:
        found = {g: cells.get((c.code, g)) for g in summary.groups}
        row: list[object] = [c.code, text_in(c.label, "zh", "en")]
        row += [
            f"{f.k if f else 0}/{m}" for (g, f), m in zip(found.items(), summary.groups.values(), strict=True)
        ]
        rows.append([*row, sum(f.mentions for f in found.values() if f)])
    return write_csv(rows[0], rows[1:])


def filename(*parts: str) -> str:
    """A safe download name from ``parts``."""
    return "-".join("".join(ch if ch.isalnum() or ch in "._" else "_" for ch in p) for p in parts)
