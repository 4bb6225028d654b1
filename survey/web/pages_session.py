"""The facilitator's guide: ``/collect/{form_id}`` when the form is an interview or focus-group outline.

The fieldwork pages (``survey/web/pages_collect.py``) render this page instead of the
questionnaire's screens for outlines; everything else — the route, the record's UUID, the post,
the sync contract — is theirs. The page holds the session questions, the roster (pseudonymous
codes, attributes, consent), then each topic in order with its prompts, probes, suggested minutes
and facilitator notes, a notes area, and quotes attributed to participant codes.

Without JavaScript it is one plain form posting everything at once (``@action=submit``; errors
in place; ``add:roster``/``add:quotes`` for more rows). With JavaScript, ``survey/static/js/
session.js`` adds the running clocks, quick quote capture, drafts and the outbox through app.js,
so a session works offline exactly like a record. Field names are the answer paths of
``forms.outline_answers``: ``roster[2].p_code``, ``notes.TOPIC``, ``quotes[3].text``,
``timing.TOPIC``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from litestar.response import Template

from forms import compile_form, outline_answers
from forms.model import Repeat, Topic
from survey.domain import collect, sessions
from survey.web.questions import FormView

_QUOTE = re.compile(r"^quotes\[(\d+)\]\.(participant|topic|text)$")
QUOTES = Repeat(name=outline_answers.QUOTES)  # rows of quotes, counted like a repeat's instances


def is_session(entry: collect.Entry) -> bool:
    """True when the form is an outline: its records are sessions."""
    return sessions.is_outline(entry.compiled.form)


@dataclass
class SessionView:
    """What collect_session.html reads beside the FormView: topics, roster, quotes, the roster's logic."""

    view: FormView

    @cached_property
    def parts(self) -> outline_answers.Outline:
        return outline_answers.outline(self.view.compiled.form)

    @property
    def topics(self) -> tuple[Topic, ...]:
        """The outline's topics, in order."""
        return self.view.compiled.form.topics

    @property
    def roster(self) -> Repeat:
        """The roster as a repeat (its first question is the code; consent last)."""
        return outline_answers.roster_repeat(self.view.compiled.form)

    @property
    def minutes(self) -> int:
        """The suggested length of the whole session."""
        return sum(t.minutes or 0 for t in self.topics)

    def codes(self) -> list[str]:
        """The participant codes typed so far (for the quotes' participant lists)."""
        name = f".{self.parts.code}"
        return sorted({v for k, vs in self.view.values.items() if k.endswith(name) for v in vs if v})

    def quotes(self, topic: str | None) -> list[tuple[int, dict[str, str]]]:
        """The quote rows sent for ``topic`` ("" or None: those without a topic), and blank rows added."""
        rows: dict[int, dict[str, str]] = {}
        for key, values in self.view.values.items():
            m = _QUOTE.match(key)
            if m:
                rows.setdefault(int(m[1]), {})[m[2]] = values[-1] if values else ""
        for n in self.view.instances(QUOTES, ""):
            rows.setdefault(n, {})
        return [(n, row) for n, row in sorted(rows.items()) if (row.get("topic") or "") == (topic or "")]

    def roster_logic(self) -> dict[str, Any]:
        """One participant's logic and definition, for session.js to check each roster entry."""
        compiled = compile_form(self.parts.roster)
        view = FormView(compiled, self.view.language, "")
        return {
            "logic": compiled.logic_json(),
            "definition": view.logic_definition(),
            "messages": view.script_messages(),
            "code": self.parts.code,
            "consent": self.parts.consent,
        }


def page(entry: collect.Entry, view: FormView, logic: str, status: int = 200) -> Template:
    """The session page of an outline (new, or sent back with its errors)."""
    context = {"entry": entry, "view": view, "session": SessionView(view), "logic": logic}
    return Template("collect_session.html", context=context, status_code=status)
