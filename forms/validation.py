"""Validate a submission against its form and return every problem, never only the first.

:func:`validate` takes answers as JSON values (``{"age": 67, "needs": ["care"], "household":
[{"age": 3}]}``) or as an HTML post (lists of strings, repeats keyed ``household[2].age``), and
works in this order:

1. **relevance first** — questions are visited in dependency order; answers to questions that are
   not relevant are removed and listed in ``dropped`` (they were not asked, so they are not kept);
2. **types** — each answer is read as its question's type (whole numbers, choice names, dates…);
3. **calculations** are recomputed from the answers (the server's value is the one kept);
4. once every value is known: **required** (only when relevant), **ranges**, **constraints**
   (with the question's message in the chosen language), **choice membership and filters**,
   **exclusive options**, "other, specify", **repeat counts**.

Paths name repeat instances from 1, as people count: ``household[2].age``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from msgspec import Struct

from forms import compiler
from forms.evaluate import evaluate, to_bool, to_number, to_string
from forms.model import (
    Calculate,
    Consent,
    Date,
    Decimal,
    Form,
    Geopoint,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Text,
    Time,
    text_in,
)

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh": "此题必答", "en": "This question is required."},
    "constraint": {"zh": "答案不符合要求", "en": "This answer is not allowed."},
    "integer": {"zh": "请填写整数", "en": "Enter a whole number."},
    "decimal": {"zh": "请填写数字", "en": "Enter a number."},
    "text": {"zh": "请填写文字", "en": "Enter text."},
    "choice": {"zh": "“{value}”不是可选的选项", "en": "'{value}' is not one of the options."},
    "filtered": {"zh": "根据前面的回答，“{value}”不可选", "en": "'{value}' is not available given earlier answers."},
    "exclusive": {"zh": "“{value}”不能与其他选项同时选择", "en": "'{value}' cannot be combined with other options."},
    "duplicate": {"zh": "“{value}”选了不止一次", "en": "'{value}' is chosen more than once."},
    "top": {"zh": "最多选择 {top} 项", "en": "Choose at most {top}."},
    "minimum": {"zh": "不能小于 {limit}", "en": "Must be at least {limit}."},
    "maximum": {"zh": "不能大于 {limit}", "en": "Must be at most {limit}."},
    "date": {"zh": "请按 年-月-日 填写日期", "en": "Enter a date as YYYY-MM-DD."},
    "time": {"zh": "请按 时:分 填写时间", "en": "Enter a time as HH:MM."},
    "geopoint": {"zh": "位置应为“纬度 经度”", "en": "Enter a location as 'latitude longitude'."},
    "consent": {"zh": "请回答同意或不同意", "en": "Answer yes or no."},
    "repeat": {"zh": "应为一组记录", "en": "Expected a list of entries."},
    "repeat_count": {"zh": "应有 {expected} 项，实际 {actual} 项", "en": "Expected {expected} entries, got {actual}."},
    "unknown": {"zh": "表单中没有这道题", "en": "This form has no such question."},
    "several": {"zh": "只能有一个答案", "en": "Only one answer is allowed."},
    "other": {"zh": "请注明“其他”的具体内容", "en": "Please specify the other answer."},
    "no_answer": {"zh": "此题不需要回答", "en": "This item takes no answer."},
}


class AnswerProblem(Struct, frozen=True):
    """A problem with one answer: where (``household[2].age``), what kind, and a message for people."""

    path: str
    code: str
    message: str


class Validation(Struct, frozen=True):
    """The outcome: the cleaned answers, every problem, and the paths dropped as not relevant."""

    answers: dict[str, Any]
    errors: tuple[AnswerProblem, ...]
    dropped: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the submission has no errors."""
        return not self.errors


class _Invalid(Exception):
    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params


_CACHE: dict[int, tuple[Form, compiler.Compiled]] = {}


def compiled_for(form: Form | compiler.Compiled) -> compiler.Compiled:
    """The compiled form, compiled once per Form object."""
    if isinstance(form, compiler.Compiled):
        return form
    hit = _CACHE.get(id(form))
    if hit is None or hit[0] is not form:
        if len(_CACHE) > 64:
            _CACHE.clear()
        hit = (form, compiler.compile_form(form))
        _CACHE[id(form)] = hit
    return hit[1]


def validate(
    form: Form | compiler.Compiled,
    answers: Mapping[str, Any],
    language: str | None = None,
    today: date | None = None,
) -> Validation:
    """Check ``answers`` against ``form``; return the cleaned answers and every problem."""
    run = _Run(compiled_for(form), language, today)
    cleaned = run.scope(None, _unflatten(answers), _Frame(None, (), 0), "")
    run.finish()
    return Validation(cleaned, tuple(run.errors), tuple(run.dropped))


# --------------------------------------------------------------------------------------------
# Frames hold the values of one scope (the form, or one repeat instance) for expressions.


class _Frame:
    __slots__ = ("chain", "instances", "parent", "position", "values")

    def __init__(self, parent: _Frame | None, chain: tuple[str, ...], position: int) -> None:
        self.parent = parent
        self.chain = chain
        self.position = position
        self.values: dict[str, Any] = {}
        self.instances: dict[str, list[_Frame]] = {}


class _Env:
    """What an expression sees from one frame: XPath values by name, ``.``, choice columns."""

    __slots__ = ("_today", "current_value", "fields", "frame", "slots")

    def __init__(self, slots: dict[str, compiler.Slot], frame: _Frame, today: date) -> None:
        self.slots = slots
        self.frame = frame
        self._today = today
        self.current_value: Any = ""
        self.fields: Mapping[str, str] = {}

    def ref(self, name: str) -> Any:
        slot = self.slots[name]
        target = slot.repeats
        frame = self.frame
        common = 0
        limit = min(len(target), len(frame.chain))
        while common < limit and target[common] == frame.chain[common]:
            common += 1
        while len(frame.chain) > common:
            frame = frame.parent  # type: ignore[assignment]
        if common == len(target):
            if isinstance(slot.question, Repeat):
                return tuple("" for _ in frame.instances.get(name, ()))
            return frame.values.get(name, "")
        return tuple(_collect(frame, target[common:], name, isinstance(slot.question, Repeat)))

    def current(self) -> Any:
        return self.current_value

    def field(self, name: str) -> Any:
        return self.fields.get(name, "")

    def position(self) -> int:
        return self.frame.position

    def indexed(self, name: str, repeat: str, index: int) -> Any:
        values = self.ref(name)
        if isinstance(values, tuple):
            return values[index - 1] if 1 <= index <= len(values) else ""
        return values

    def today(self) -> date:
        return self._today


def _collect(frame: _Frame, repeats: tuple[str, ...], name: str, is_repeat: bool) -> list[Any]:
    out: list[Any] = []
    for child in frame.instances.get(repeats[0], ()):
        if len(repeats) > 1:
            out.extend(_collect(child, repeats[1:], name, is_repeat))
        elif is_repeat:
            out.extend("" for _ in child.instances.get(name, ()))
        else:
            out.append(child.values.get(name, ""))
    return out


# --------------------------------------------------------------------------------------------


class _Run:
    """One validation: walks the scopes, then checks what needs every value known."""

    def __init__(self, compiled: compiler.Compiled, language: str | None, today: date | None) -> None:
        self.c = compiled
        self.form = compiled.form
        self.language = language or self.form.default_language
        self.today = today or date.today()
        self.errors: list[AnswerProblem] = []
        self.dropped: list[str] = []
        self.pending: list[tuple[compiler.Slot, str, _Frame, Any, Any]] = []

    def env(self, frame: _Frame) -> _Env:
        return _Env(self.c.slots, frame, self.today)

    def fail(self, path: str, code: str, slot: compiler.Slot | None = None, **params: object) -> None:
        self.errors.append(AnswerProblem(path, code, self.message(code, slot, params)))

    def message(self, code: str, slot: compiler.Slot | None, params: Mapping[str, object]) -> str:
        q = slot.question if slot else None
        custom = {"required": q.required_message if q else {}, "constraint": q.constraint_message if q else {}}
        text = custom.get(code) or {}
        if text:
            return text_in(text, self.language, self.form.default_language)
        return text_in(MESSAGES[code], self.language, "en").format(**params)

    def scope(self, owner: str | None, raw: dict[str, Any], frame: _Frame, prefix: str) -> dict[str, Any]:
        """Evaluate one scope's questions in dependency order; return its cleaned answers."""
        out: dict[str, Any] = {}
        env = self.env(frame)
        for name in self.c.scopes[owner].order:
            slot = self.c.slots[name]
            relevant = all(to_bool(evaluate(node, env)) for node in slot.conditions)
            self.member(slot, raw, frame, env, prefix, out, relevant)
        for key in raw:
            if not _empty(raw[key]):
                self.fail(f"{prefix}{key}", "unknown")
        return out

    def member(self, slot, raw, frame, env, prefix, out, relevant) -> None:  # type: ignore[no-untyped-def]
        q, name = slot.question, slot.name
        path = f"{prefix}{name}"
        value = raw.pop(name, None)
        other = raw.pop(f"{name}_other", None) if _has_other(self.c, q) else None
        if not relevant:
            frame.values[name] = ""
            frame.instances[name] = []
            for key, given in ((path, value), (f"{path}_other", other)):
                if not _empty(given):
                    self.dropped.append(key)
            return
        if isinstance(q, Repeat):
            self.repeat(slot, value, frame, env, path, out)
        elif isinstance(q, Calculate):
            result = evaluate(slot.logic["calculation"], env) if "calculation" in slot.logic else ""
            frame.values[name] = "" if isinstance(result, float) and math.isnan(result) else result
            if frame.values[name] != "":
                out[name] = _json_value(frame.values[name])
        elif isinstance(q, Note):
            if not _empty(value):
                self.fail(path, "no_answer", slot)
        else:
            self.answer(slot, value, other, frame, path, out)

    def answer(self, slot, value, other, frame, path, out) -> None:  # type: ignore[no-untyped-def]
        name = slot.name
        try:
            clean, xpath = self.read(slot, value)
        except _Invalid as bad:
            self.fail(path, bad.code, slot, **bad.params)
            frame.values[name] = ""
            return
        frame.values[name] = xpath
        if clean is not None:
            out[name] = clean
        chosen = [] if clean is None else clean if isinstance(clean, list) else [clean]
        if _is_choice(slot) and any(self.c.choices[slot.question.choices][v].other for v in chosen):
            text = _single(other)
            if _empty(text):
                self.fail(f"{path}_other", "other", slot)
            else:
                out[f"{name}_other"] = str(text).strip()
        elif not _empty(other):
            self.dropped.append(f"{path}_other")
        self.pending.append((slot, path, frame, clean, xpath))

    def repeat(self, slot, value, frame, env, path, out) -> None:  # type: ignore[no-untyped-def]
        name = slot.name
        frame.instances[name] = []
        items = [] if value is None else value
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            self.fail(path, "repeat", slot)
            return
        if "repeat_count" in slot.logic:
            expected = to_number(evaluate(slot.logic["repeat_count"], env))
            if not math.isnan(expected) and int(expected) != len(items):
                self.fail(path, "repeat_count", slot, expected=int(expected), actual=len(items))
        cleaned = []
        for i, item in enumerate(items, 1):
            child = _Frame(frame, (*frame.chain, name), i)
            frame.instances[name].append(child)
            cleaned.append(self.scope(name, dict(item), child, f"{path}[{i}]."))
        if cleaned:
            out[name] = cleaned

    def read(self, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
        """The cleaned answer and its XPath value; (None, "") when unanswered."""
        q = slot.question
        multi = isinstance(q, SelectMultiple | Rank)
        if not multi:
            value = _single(value)
        if _empty(value):
            return None, ""
        reader = _READERS[type(q)]
        return reader(self, slot, value)

    def finish(self) -> None:
        """Required, ranges, constraints, choices: checks that need every value known."""
        for slot, path, frame, clean, xpath in self.pending:
            env = self.env(frame)
            if clean is None:
                required = slot.question.required
                if "required" in slot.logic:
                    required = to_bool(evaluate(slot.logic["required"], env))
                if required is True:
                    self.fail(path, "required", slot)
                continue
            self.check_value(slot, path, env, clean, xpath)

    def check_value(self, slot, path, env, clean, xpath) -> None:  # type: ignore[no-untyped-def]
        q = slot.question
        if isinstance(q, Integer | Decimal):
            if q.minimum is not None and clean < q.minimum:
                self.fail(path, "minimum", slot, limit=q.minimum)
            if q.maximum is not None and clean > q.maximum:
                self.fail(path, "maximum", slot, limit=q.maximum)
        if "choice_filter" in slot.logic:
            self.check_filter(slot, path, env, clean)
        if "constraint" in slot.logic:
            env.current_value = xpath
            if not to_bool(evaluate(slot.logic["constraint"], env)):
                self.fail(path, "constraint", slot)

    def check_filter(self, slot, path, env, clean) -> None:  # type: ignore[no-untyped-def]
        options = self.c.choices[slot.question.choices]
        for chosen in clean if isinstance(clean, list) else [clean]:
            env.fields = {"name": chosen, **options[chosen].filters}
            if not to_bool(evaluate(slot.logic["choice_filter"], env)):
                self.fail(path, "filtered", slot, value=chosen)
        env.fields = {}


# --------------------------------------------------------------------------------------------
# Reading answers by type: each returns (cleaned JSON value, XPath value) or raises _Invalid.

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _read_text(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str):
        raise _Invalid("text")
    return value, value


def _read_integer(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise _Invalid("integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise _Invalid("integer")
    return value, float(value)


def _read_decimal(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise _Invalid("decimal")
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value.strip())
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid("decimal")
    return value, float(value)


def _read_choice(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str) or value not in run.c.choices[slot.question.choices]:  # type: ignore[union-attr]
        raise _Invalid("choice", value=value)
    return value, value


def _read_choices(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    q = slot.question
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _Invalid("choice", value=value)
    chosen = [v for v in value if v != ""]
    if not chosen:
        return None, ""
    options = run.c.choices[q.choices]  # type: ignore[union-attr]
    for v in chosen:
        if v not in options:
            raise _Invalid("choice", value=v)
        if chosen.count(v) > 1:
            raise _Invalid("duplicate", value=v)
    if len(chosen) > 1:
        for v in chosen:
            if options[v].exclusive:
                raise _Invalid("exclusive", value=v)
    if isinstance(q, Rank) and q.top is not None and len(chosen) > q.top:
        raise _Invalid("top", top=q.top)
    return chosen, " ".join(chosen)


def _read_date(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    try:
        parsed = date.fromisoformat(value.strip()) if isinstance(value, str) and len(value.strip()) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Invalid("date")
    return parsed.isoformat(), parsed.isoformat()


def _read_time(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    text = value.strip() if isinstance(value, str) else ""
    try:
        parsed = time.fromisoformat(text) if re.fullmatch(r"\d\d:\d\d(:\d\d)?", text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Invalid("time")
    return text, text


def _read_geopoint(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    parts = value.split() if isinstance(value, str) else value if isinstance(value, list) else None
    try:
        numbers = [float(p) for p in parts or ()]
    except (TypeError, ValueError):
        numbers = []
    if not 2 <= len(numbers) <= 4 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        raise _Invalid("geopoint")
    text = " ".join(to_string(n) for n in numbers)
    return text, text


def _read_consent(run: _Run, slot: compiler.Slot, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if value not in ("yes", "no"):
        raise _Invalid("consent")
    return value, value


_READERS = {
    Text: _read_text,
    Integer: _read_integer,
    Decimal: _read_decimal,
    SelectOne: _read_choice,
    Likert: _read_choice,
    SelectMultiple: _read_choices,
    Rank: _read_choices,
    Date: _read_date,
    Time: _read_time,
    Geopoint: _read_geopoint,
    Consent: _read_consent,
}


def _is_choice(slot: compiler.Slot) -> bool:
    return isinstance(slot.question, SelectOne | SelectMultiple | Likert | Rank)


def _has_other(c: compiler.Compiled, q: Any) -> bool:
    options = c.choices.get(getattr(q, "choices", None) or "", {})
    return any(o.other for o in options.values())


def _single(value: Any) -> Any:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        values = [v for v in value if v != ""]
        if len(values) > 1:
            raise _Invalid("several")
        return values[0] if values else None
    return value


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple):
        return all(_empty(v) for v in value)
    return False


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


_INDEXED = re.compile(r"^(?P<name>[^\[\].]+)\[(?P<index>\d+)\]\.(?P<rest>.+)$")


def _unflatten(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers with HTML-post keys like ``household[2].age`` folded into lists of dicts."""
    out: dict[str, Any] = {}
    nested: dict[str, dict[int, dict[str, Any]]] = {}
    for key, value in answers.items():
        m = _INDEXED.match(key)
        if m is None:
            out[key] = value
        else:
            nested.setdefault(m["name"], {}).setdefault(int(m["index"]), {})[m["rest"]] = value
    for name, items in nested.items():
        size = max(items)
        out[name] = [_unflatten(items.get(i, {})) for i in range(1, size + 1)]
    return out
