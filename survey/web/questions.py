"""What the form page's templates read: the form split into screens, answers and errors by path.

A :class:`FormView` is made per request from the compiled form, the page language, the record's
UUID and (after a post) the answers as the browser sent them: ``{"age": ["67"], "roster[2].name":
["Li"]}``. Templates walk ``view.screens()`` and call ``_questions.html``'s one macro per question
type; each input's ``name`` is its answer path, so the post goes straight back to
:func:`forms.validation.validate` and to app.js.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from msgspec import to_builtins

from forms.compiler import Compiled
from forms.model import AnyQuestion, Choice, Group, Localized, Repeat
from forms.validation import MESSAGES, validate

_INSTANCE = re.compile(r"^(?P<path>.+)\[(?P<index>\d+)\]\.")
_SINGLE_REFERENCE = re.compile(r"^\s*\$\{(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\}\s*$")
MAX_INSTANCES = 50  # a repeat shown without JavaScript never grows past this in one step


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen of the form on a tablet: a top-level group, a repeat, or loose questions."""

    key: str
    label: Localized
    questions: tuple[AnyQuestion, ...]
    group: AnyQuestion | None


@dataclass
class FormView:
    """A form being filled in one language, with the answers and errors of the page so far."""

    compiled: Compiled
    language: str
    uuid: str
    values: Mapping[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    site: str = ""
    reviewing: bool = False
    extra: dict[str, int] = field(default_factory=dict)  # repeat path → instances added or removed

    # --- text -------------------------------------------------------------------------------
    @property
    def form_language(self) -> str:
        """The form's own language closest to the page's: the page's when the form has it."""
        form = self.compiled.form
        return self.language if self.language in form.languages else form.default_language

    def text(self, value: Localized) -> str:
        """``value`` in the form language, else the form's default, else any."""
        form = self.compiled.form
        return (
            value.get(self.form_language)
            or value.get(form.default_language)
            or next(iter(value.values()), "")
        )

    @property
    def title(self) -> str:
        """The form's title."""
        return self.text(self.compiled.form.title)

    # --- structure --------------------------------------------------------------------------
    def screens(self) -> list[Screen]:
        """Top-level groups and repeats each get a screen; loose questions between them share one."""
        screens: list[Screen] = []
        loose: list[AnyQuestion] = []
        for q in self.compiled.form.questions:
            if isinstance(q, Group | Repeat):
                if loose:
                    screens.append(Screen(f"s{len(screens)}", {}, tuple(loose), None))
                    loose = []
                screens.append(Screen(q.name, q.label, (q,) if isinstance(q, Repeat) else q.questions, q))
            else:
                loose.append(q)
        if loose:
            screens.append(Screen(f"s{len(screens)}", {}, tuple(loose), None))
        return screens

    @staticmethod
    def kind(q: AnyQuestion) -> str:
        """The question's type name (``select_one``, ``repeat``…)."""
        return type(q).__struct_config__.tag  # type: ignore[return-value]

    def choices(self, q: AnyQuestion) -> list[Choice]:
        """The options of a choice question, in the order written."""
        return list(self.compiled.choices.get(getattr(q, "choices", ""), {}).values())

    def required(self, q: AnyQuestion) -> bool:
        """True when the question is always required (a required expression is decided by the logic)."""
        return q.required is True

    @staticmethod
    def dom_id(path: str) -> str:
        """An HTML id for an answer path: ``roster[2].age`` → ``q-roster-2-age``."""
        return "q-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")

    # --- answers ----------------------------------------------------------------------------
    def values_at(self, path: str) -> list[str]:
        """What was sent for ``path`` (a list: checkboxes and ranks send several)."""
        return list(self.values.get(path, ()))

    def value(self, path: str) -> str:
        """The first value sent for ``path``, or ``""``."""
        found = self.values.get(path)
        return found[0] if found else ""

    def error(self, path: str) -> list[str]:
        """The problems with the answer at ``path``."""
        return self.errors.get(path, [])

    def error_list(self) -> Iterator[tuple[str, str]]:
        """Every (path, message), in the order of the form, for the summary at the top."""
        for path, messages in self.errors.items():
            for message in messages:
                yield path, message

    def instances(self, q: Repeat, prefix: str) -> list[int]:
        """The instance numbers (from 1) to show for the repeat ``q`` under ``prefix``."""
        path = prefix + q.name
        sent = 0
        for key in self.values:
            m = _INSTANCE.match(key)
            while m is not None:
                if m["path"] == path:
                    sent = max(sent, int(m["index"]))
                    break
                m = _INSTANCE.match(key, m.end())
        count = max(sent, self._counted(q, prefix)) if self.values else self._counted(q, prefix) or 1
        count = min(MAX_INSTANCES, max(0, count + self.extra.get(path, 0)))
        return list(range(1, count + 1))

    def _counted(self, q: Repeat, prefix: str) -> int:
        """The instances a ``repeat_count`` of the form ``${n}`` asks for, from what was sent."""
        m = _SINGLE_REFERENCE.match(q.repeat_count or "")
        if m is None:
            return 0
        raw = self.value(prefix + m["name"]) or self.value(m["name"])
        return int(raw) if raw.strip().isdigit() else 0

    def add_instance(self, path: str) -> None:
        """Show one more instance of the repeat at ``path`` (the "add" button without JavaScript)."""
        self.extra[path] = self.extra.get(path, 0) + 1

    def remove_instance(self, path: str) -> None:
        """Drop the instance ``path`` (``roster[2]``) and renumber the ones after it."""
        m = re.fullmatch(r"(?P<repeat>.+)\[(?P<index>\d+)\]", path)
        if m is None:
            return
        repeat, gone = m["repeat"], int(m["index"])
        kept: dict[str, list[str]] = {}
        for key, values in self.values.items():
            head = f"{repeat}["
            if key.startswith(head) and (close := key.find("]", len(head))) > 0:
                index = int(key[len(head) : close]) if key[len(head) : close].isdigit() else 0
                if index == gone:
                    continue
                if index > gone:
                    key = f"{head}{index - 1}{key[close:]}"
            kept[key] = values
        self.values = kept  # one instance fewer is now sent, so one fewer is shown

    # --- review -----------------------------------------------------------------------------
    def review(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Each screen's title and its (question, answer shown) pairs, for the answers that count."""
        cleaned = validate(self.compiled, self.values, language=self.form_language).answers
        out = []
        for screen in self.screens():
            rows: list[tuple[str, str]] = []
            self._review_rows(screen.questions, cleaned, "", rows)
            out.append((self.text(screen.label) or self.title, rows))
        return out

    def _review_rows(
        self,
        questions: tuple[AnyQuestion, ...],
        answers: Mapping[str, Any],
        prefix: str,
        rows: list[tuple[str, str]],
    ) -> None:
        for q in questions:
            if isinstance(q, Group):
                self._review_rows(q.questions, answers, prefix, rows)
            elif isinstance(q, Repeat):
                for n, item in enumerate(answers.get(q.name) or [], start=1):
                    rows.append((f"{self.text(q.label)} {n}", ""))
                    self._review_rows(q.questions, item, f"{prefix}{q.name}[{n}].", rows)
            elif self.kind(q) not in ("note", "calculate") and answers.get(q.name) not in (None, "", []):
                rows.append((self.text(q.label), self.shown(q, answers[q.name])))
                other = answers.get(f"{q.name}_other")
                if other:
                    rows.append(("", str(other)))

    def shown(self, q: AnyQuestion, value: Any) -> str:
        """An answer as people read it: choice labels instead of names, in order for a rank."""
        options = self.compiled.choices.get(getattr(q, "choices", ""), {})
        if self.kind(q) == "consent":
            options = {}
        values = value if isinstance(value, list) else [value]
        labels = [self.text(options[v].label) if v in options else str(v) for v in values]
        return "、".join(labels) if self.form_language == "zh" else ", ".join(labels)

    # --- for app.js -------------------------------------------------------------------------
    def script_messages(self) -> dict[str, Any]:
        """The validation messages app.js shows, in the form language: by problem code, and each
        question's own constraint and required messages."""
        language = self.form_language
        codes = {code: texts.get(language) or texts["en"] for code, texts in MESSAGES.items()}
        constraint, required = {}, {}
        for name, slot in self.compiled.slots.items():
            q = slot.question
            if q.constraint_message:
                constraint[name] = self.text(q.constraint_message)
            if q.required_message:
                required[name] = self.text(q.required_message)
        return {"codes": codes, "constraint": constraint, "required": required}

    def logic_definition(self) -> dict[str, Any]:
        """What logic.js needs of the definition beside the logic: types, limits and choice lists,
        without the labels (the page carries those already)."""
        keep = ("name", "type", "required", "minimum", "maximum", "top", "choices", "choice_filter")

        def question(q: AnyQuestion) -> dict[str, Any]:
            data = {k: v for k, v in to_builtins(q).items() if k in keep}
            if isinstance(q, Group | Repeat):
                data["questions"] = [question(child) for child in q.questions]
            return data

        lists = {
            name: [{k: v for k, v in to_builtins(c).items() if k != "label"} for c in options]
            for name, options in self.compiled.form.choices.items()
        }
        return {"questions": [question(q) for q in self.compiled.form.questions], "choices": lists}
