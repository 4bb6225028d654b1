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
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from msgspec import Struct

from forms import compiler
from forms.evaluate import to_number, to_string

try:  # TEMPORARY until the closure compiler lands
    from forms.evaluate import compile_bool, compile_node
except ImportError:  # pragma: no cover
    from forms.evaluate import evaluate, to_bool

    def compile_node(node):  # type: ignore[no-untyped-def]
        return lambda env: evaluate(node, env)

    def compile_bool(node):  # type: ignore[no-untyped-def]
        return lambda env: to_bool(evaluate(node, env))


from forms.model import (
    CHOICE_TYPES,
    Calculate,
    Choice,
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
    "filtered": {
        "zh": "根据前面的回答，“{value}”不可选",
        "en": "'{value}' is not available given earlier answers.",
    },
    "exclusive": {
        "zh": "“{value}”不能与其他选项同时选择",
        "en": "'{value}' cannot be combined with other options.",
    },
    "duplicate": {"zh": "“{value}”选了不止一次", "en": "'{value}' is chosen more than once."},
    "top": {"zh": "最多选择 {top} 项", "en": "Choose at most {top}."},
    "minimum": {"zh": "不能小于 {limit}", "en": "Must be at least {limit}."},
    "maximum": {"zh": "不能大于 {limit}", "en": "Must be at most {limit}."},
    "date": {"zh": "请按 年-月-日 填写日期", "en": "Enter a date as YYYY-MM-DD."},
    "time": {"zh": "请按 时:分 填写时间", "en": "Enter a time as HH:MM."},
    "geopoint": {"zh": "位置应为“纬度 经度”", "en": "Enter a location as 'latitude longitude'."},
    "consent": {"zh": "请回答同意或不同意", "en": "Answer yes or no."},
    "repeat": {"zh": "应为一组记录", "en": "Expected a list of entries."},
    "repeat_count": {
        "zh": "应有 {expected} 项，实际 {actual} 项",
        "en": "Expected {expected} entries, got {actual}.",
    },
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


_CACHE: dict[int, tuple[object, _Plans]] = {}


def _plans_for(form: Form | compiler.Compiled) -> _Plans:
    hit = _CACHE.get(id(form))
    if hit is None or hit[0] is not form:
        if len(_CACHE) > 64:
            _CACHE.clear()
        compiled = form if isinstance(form, compiler.Compiled) else compiler.compile_form(form)
        hit = (form, _Plans(compiled))
        _CACHE[id(form)] = hit
    return hit[1]


def validate(
    form: Form | compiler.Compiled,
    answers: Mapping[str, Any],
    language: str | None = None,
    today: date | None = None,
) -> Validation:
    """Check ``answers`` against ``form``; return the cleaned answers and every problem."""
    run = _Run(_plans_for(form), language, today)
    cleaned = run.scope(None, _unflatten(answers), _Frame(None, None, 0), "")
    run.finish()
    return Validation(cleaned, tuple(run.errors), tuple(run.dropped))


# --------------------------------------------------------------------------------------------
# Plans: what to do for each question, decided once per compiled form.

ANSWER, CALCULATE, NOTE, REPEAT, MULTI = range(5)
Check = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """One question's validation steps, with its expressions compiled to closures."""

    slot: compiler.Slot
    name: str
    kind: int
    conditions: tuple[Check, ...]
    reader: Callable[..., tuple[Any, Any]] | None = None
    options: dict[str, Choice] | None = None
    other_key: str | None = None
    required: bool = False
    required_if: Check | None = None
    constraint: Check | None = None
    choice_filter: Check | None = None
    minimum: float | None = None
    maximum: float | None = None
    compute: Check | None = None
    checks: bool = False  # a given answer still has checks to pass once every value is known
    fast: tuple[type, Container[Any]] | None = None  # values taken as they are: (type, accepted)
    others: frozenset[str] = frozenset()  # the "other, specify" options
    exclusive: frozenset[str] = frozenset()  # options that stand alone
    top: int | None = None  # a rank's k


def _plan(c: compiler.Compiled, slot: compiler.Slot) -> _Plan:
    q, logic = slot.question, slot.logic
    conditions = tuple(compile_bool(node) for node in slot.conditions)
    if isinstance(q, Repeat):
        count = compile_node(logic["repeat_count"]) if "repeat_count" in logic else None
        return _Plan(slot, q.name, REPEAT, conditions, compute=count)
    if isinstance(q, Calculate):
        compute = compile_node(logic["calculation"]) if "calculation" in logic else None
        return _Plan(slot, q.name, CALCULATE, conditions, compute=compute)
    if isinstance(q, Note):
        return _Plan(slot, q.name, NOTE, conditions)
    options = c.choices.get(q.choices) if isinstance(q, CHOICE_TYPES) else None
    has_other = bool(options) and any(o.other for o in options.values())  # type: ignore[union-attr]
    return _Plan(
        slot,
        q.name,
        MULTI if isinstance(q, SelectMultiple | Rank) else ANSWER,
        conditions,
        reader=_READERS[type(q)],
        options=options,
        other_key=f"{q.name}_other" if has_other else None,
        required=q.required is True,
        required_if=compile_bool(logic["required"]) if "required" in logic else None,
        constraint=compile_bool(logic["constraint"]) if "constraint" in logic else None,
        choice_filter=compile_bool(logic["choice_filter"]) if "choice_filter" in logic else None,
        minimum=getattr(q, "minimum", None),
        maximum=getattr(q, "maximum", None),
        fast=_fast_path(q, options),
        others=frozenset(n for n, o in (options or {}).items() if o.other),
        exclusive=frozenset(n for n, o in (options or {}).items() if o.exclusive),
        top=getattr(q, "top", None),
        checks=any(key in logic for key in ("constraint", "choice_filter"))
        or getattr(q, "minimum", None) is not None
        or getattr(q, "maximum", None) is not None,
    )


class _Anything:
    def __contains__(self, value: object) -> bool:
        return True


def _fast_path(q: Any, options: dict[str, Choice] | None) -> tuple[type, Container[Any]] | None:
    """Values a question takes exactly as JSON sends them: choice names, whole numbers, text."""
    if isinstance(q, SelectOne | Likert):
        return (str, frozenset(options or ()))
    if isinstance(q, Integer):
        return (int, _Anything())
    if isinstance(q, Text):
        return (str, _Anything())
    return None


class _Plans:
    """Every question's plan, per scope in evaluation order, plus how names resolve from each scope."""

    def __init__(self, compiled: compiler.Compiled) -> None:
        self.compiled = compiled
        self.form = compiled.form
        self.slots = compiled.slots
        self.scopes = {
            owner: tuple(_plan(compiled, compiled.slots[name]) for name in scope.order)
            for owner, scope in compiled.scopes.items()
        }
        self.rows = {  # the same plans as flat tuples, for the hot loop in _Run.scope
            owner: tuple(
                (
                    p,
                    p.name,
                    p.kind,
                    p.conditions,
                    p.other_key,
                    p.fast[0] if p.fast else None,
                    p.fast[1] if p.fast else frozenset(p.options or ()),
                    p.others,
                    p.checks,
                    p.required or p.required_if is not None,
                )
                for p in plans
            )
            for owner, plans in self.scopes.items()
        }
        self.resolvers: dict[str | None, dict[str, tuple[int, tuple[str, ...], bool]]] = {
            owner: {} for owner in compiled.scopes
        }
        self.local = {  # the questions of each scope itself, read straight from its frame
            owner: frozenset(
                name
                for name, slot in compiled.slots.items()
                if not isinstance(slot.question, Repeat)
                and (slot.repeats[-1] if slot.repeats else None) == owner
            )
            for owner in compiled.scopes
        }

    def resolver(self, owner: str | None, name: str) -> tuple[int, tuple[str, ...], bool]:
        """How ``${name}`` resolves from scope ``owner``: frames to climb, repeats to gather, is a repeat."""
        slot = self.slots[name]
        chain = () if owner is None else (*self.slots[owner].repeats, owner)
        common = 0
        while common < min(len(chain), len(slot.repeats)) and chain[common] == slot.repeats[common]:
            common += 1
        found = (len(chain) - common, slot.repeats[common:], isinstance(slot.question, Repeat))
        self.resolvers[owner][name] = found
        return found


# --------------------------------------------------------------------------------------------
# Frames hold the values of one scope (the form, or one repeat instance) for expressions.


class _Frame:
    __slots__ = ("instances", "owner", "parent", "position", "values")

    def __init__(self, parent: _Frame | None, owner: str | None, position: int) -> None:
        self.parent = parent
        self.owner = owner
        self.position = position
        self.values: dict[str, Any] = {}
        self.instances: dict[str, list[_Frame]] = {}


class _Env:
    """What an expression sees from one frame: XPath values by name, ``.``, choice columns."""

    __slots__ = ("_today", "current_value", "fields", "frame", "local", "plans", "resolved", "values")

    def __init__(self, plans: _Plans, frame: _Frame, today: date | None) -> None:
        self.plans = plans
        self.frame = frame
        self.values = frame.values
        self.local = plans.local[frame.owner]
        self.resolved = plans.resolvers[frame.owner]
        self._today = today
        self.current_value: Any = ""
        self.fields: Mapping[str, str] = {}

    def ref(self, name: str) -> Any:
        if name in self.local:
            return self.values.get(name, "")
        found = self.resolved.get(name) or self.plans.resolver(self.frame.owner, name)
        climb, gather, is_repeat = found
        frame = self.frame
        for _ in range(climb):
            frame = frame.parent  # type: ignore[assignment]
        if not gather:
            if is_repeat:
                return ("",) * len(frame.instances.get(name, ()))
            return frame.values.get(name, "")
        if len(gather) == 1 and not is_repeat:  # ${q} of a roster, from outside it
            return tuple([child.values.get(name, "") for child in frame.instances.get(gather[0], ())])
        return tuple(_collect(frame, gather, name, is_repeat))

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
        return self._today or date.today()  # asked only by the few forms that call today()


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

    def __init__(self, plans: _Plans, language: str | None, today: date | None) -> None:
        self.plans = plans
        self.form = plans.form
        self.language = language or self.form.default_language
        self.today = today
        self.errors: list[AnswerProblem] = []
        self.dropped: list[str] = []
        self.pending: list[tuple[_Plan, str, _Env, Any, Any]] = []  # (plan, path prefix, …)

    def fail(self, path: str, code: str, plan: _Plan | None = None, **params: object) -> None:
        self.errors.append(AnswerProblem(path, code, self.message(code, plan, params)))

    def message(self, code: str, plan: _Plan | None, params: Mapping[str, object]) -> str:
        q = plan.slot.question if plan else None
        custom = {
            "required": q.required_message if q else {},
            "constraint": q.constraint_message if q else {},
        }
        text = custom.get(code) or {}
        if text:
            return text_in(text, self.language, self.form.default_language)
        return text_in(MESSAGES[code], self.language, "en").format(**params)

    def scope(self, owner: str | None, raw: dict[str, Any], frame: _Frame, prefix: str) -> dict[str, Any]:
        """Evaluate one scope's questions in dependency order; return its cleaned answers.

        This loop runs for every question of every submission, so it is written flat: no path
        string is built unless something is wrong, and a group's relevance is decided once.
        """
        out: dict[str, Any] = {}
        env = _Env(self.plans, frame, self.today)
        values = frame.values
        pop = raw.pop
        pending = self.pending.append
        decided: dict[Check, bool] = {}
        for (
            plan,
            name,
            kind,
            conditions,
            other_key,
            fast_type,
            accepted,
            others,
            checks,
            must,
        ) in self.plans.rows[owner]:
            value = pop(name, None)
            other = pop(other_key, None) if other_key else None
            relevant = True
            for condition in conditions:
                known = decided.get(condition)
                if known is None:
                    known = decided[condition] = condition(env)
                if not known:
                    relevant = False
                    break
            if not relevant:
                if value is not None or other is not None:
                    self.not_relevant(prefix + name, value, other)
            elif kind in (ANSWER, MULTI):
                if value is None or value == "":
                    if must:
                        pending((plan, prefix, env, None, ""))
                    if other is not None:
                        self.other(plan, None, other, prefix + name, out)
                elif kind == MULTI:
                    if type(value) is list and _plain_choices(value, plan, accepted):
                        values[name] = xpath = " ".join(value)
                        out[name] = value
                        if other is not None or not others.isdisjoint(value):
                            self.other(plan, value, other, prefix + name, out)
                        if checks:
                            pending((plan, prefix, env, value, xpath))
                    else:
                        self.answer(plan, value, other, env, prefix, out)
                elif type(value) is fast_type and value in accepted:
                    # the common case, inlined: a valid choice name, or a whole number as JSON sends it
                    values[name] = xpath = value if fast_type is str else float(value)
                    out[name] = value
                    if other is not None or value in others:
                        self.other(plan, value, other, prefix + name, out)
                    if checks:
                        pending((plan, prefix, env, value, xpath))
                else:
                    self.answer(plan, value, other, env, prefix, out)
            elif kind == CALCULATE:
                result = plan.compute(env) if plan.compute else ""
                if result == result and result != "":  # NaN is no value
                    values[name] = result
                    if type(result) is float and result.is_integer() and -_EXACT < result < _EXACT:
                        result = int(result)
                    out[name] = result
            elif kind == REPEAT:
                self.repeat(plan, value, frame, env, prefix + name, out)
            elif not _empty(value):
                self.fail(prefix + name, "no_answer", plan)
        for key in raw:
            if not _empty(raw[key]):
                self.fail(prefix + key, "unknown")
        return out

    def not_relevant(self, path: str, value: Any, other: Any) -> None:
        if not _empty(value):
            self.dropped.append(path)
        if not _empty(other):
            self.dropped.append(f"{path}_other")

    def answer(
        self, plan: _Plan, value: Any, other: Any, env: _Env, prefix: str, out: dict[str, Any]
    ) -> None:
        try:
            clean, xpath = self.read(plan, value)
        except _Invalid as bad:
            self.fail(prefix + plan.name, bad.code, plan, **bad.params)
            return
        if clean is not None:
            env.frame.values[plan.name] = xpath
            out[plan.name] = clean
        if plan.other_key:
            self.other(plan, clean, other, prefix + plan.name, out)
        if plan.checks or (clean is None and (plan.required or plan.required_if)):
            self.pending.append((plan, prefix, env, clean, xpath))

    def other(self, plan: _Plan, clean: Any, other: Any, path: str, out: dict[str, Any]) -> None:
        """The "other, specify" text: required when "other" is chosen, dropped otherwise."""
        chosen = [] if clean is None else clean if isinstance(clean, list) else [clean]
        if any(plan.options[v].other for v in chosen):  # type: ignore[index]
            text = _single(other) if isinstance(other, list) else other
            if _empty(text) or not isinstance(text, str):
                self.fail(f"{path}_other", "other", plan)
            else:
                out[plan.other_key] = text.strip()  # type: ignore[index]
        elif not _empty(other):
            self.dropped.append(f"{path}_other")

    def repeat(
        self, plan: _Plan, value: Any, frame: _Frame, env: _Env, path: str, out: dict[str, Any]
    ) -> None:
        name = plan.name
        frame.instances[name] = []
        items = [] if value is None else value
        if not isinstance(items, list) or any(not isinstance(i, Mapping) for i in items):
            self.fail(path, "repeat", plan)
            return
        if plan.compute is not None:
            expected = to_number(plan.compute(env))
            if expected == expected and int(expected) != len(items):
                self.fail(path, "repeat_count", plan, expected=int(expected), actual=len(items))
        cleaned = []
        for i, item in enumerate(items, 1):
            child = _Frame(frame, name, i)
            frame.instances[name].append(child)
            cleaned.append(self.scope(name, dict(item), child, f"{path}[{i}]."))
        if cleaned:
            out[name] = cleaned

    def read(self, plan: _Plan, value: Any) -> tuple[Any, Any]:
        """The cleaned answer and its XPath value; (None, "") when unanswered."""
        if plan.kind == MULTI:
            return plan.reader(self, plan, value)  # type: ignore[misc]
        if type(value) is not str and isinstance(value, list | tuple):
            value = _single(value)
        if value is None or (type(value) is str and (not value or value.isspace())):
            return None, ""
        return plan.reader(self, plan, value)  # type: ignore[misc]

    def finish(self) -> None:
        """Required, ranges, constraints, choices: checks that need every value known."""
        for plan, prefix, env, clean, xpath in self.pending:
            path = prefix + plan.name
            if clean is None:
                required = plan.required_if(env) if plan.required_if else plan.required
                if required:
                    self.fail(path, "required", plan)
                continue
            if plan.minimum is not None and clean < plan.minimum:
                self.fail(path, "minimum", plan, limit=plan.minimum)
            if plan.maximum is not None and clean > plan.maximum:
                self.fail(path, "maximum", plan, limit=plan.maximum)
            if plan.choice_filter is not None:
                self.check_filter(plan, path, env, clean)
            if plan.constraint is not None:
                env.current_value = xpath
                if not plan.constraint(env):
                    self.fail(path, "constraint", plan)

    def check_filter(self, plan: _Plan, path: str, env: _Env, clean: Any) -> None:
        for chosen in clean if isinstance(clean, list) else [clean]:
            env.fields = {"name": chosen, **plan.options[chosen].filters}  # type: ignore[index]
            if not plan.choice_filter(env):  # type: ignore[misc]
                self.fail(path, "filtered", plan, value=chosen)
        env.fields = {}


# --------------------------------------------------------------------------------------------
# Reading answers by type: each returns (cleaned JSON value, XPath value) or raises _Invalid.

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _read_text(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str):
        raise _Invalid("text")
    return value, value


def _read_integer(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise _Invalid("integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise _Invalid("integer")
    return value, float(value)


def _read_decimal(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise _Invalid("decimal")
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value.strip())
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid("decimal")
    return value, float(value)


def _read_choice(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str) or value not in plan.options:  # type: ignore[operator]
        raise _Invalid("choice", value=value)
    return value, value


def _plain_choices(value: list[Any], plan: _Plan, accepted: frozenset[str]) -> bool:
    """True for a list of distinct valid options that needs no closer look (the common case)."""
    n = len(value)
    try:
        return (
            n > 0
            and accepted.issuperset(value)
            and (n == 1 or (len(set(value)) == n and plan.exclusive.isdisjoint(value)))
            and (plan.top is None or n <= plan.top)
        )
    except TypeError:  # an unhashable item (a list in the list): the slow path says what is wrong
        return False


def _read_choices(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    if type(value) is str:
        value = value.split()
    elif not isinstance(value, list | tuple):
        raise _Invalid("choice", value=value)
    options: dict[str, Choice] = plan.options  # type: ignore[assignment]
    chosen = []
    for v in value:
        if type(v) is not str or (v not in options and v.strip() != ""):
            raise _Invalid("choice", value=v)
        if v in options:
            chosen.append(v)
    if not chosen:
        return None, ""
    if len(chosen) > 1:
        if len(set(chosen)) < len(chosen):
            raise _Invalid("duplicate", value=next(v for v in chosen if chosen.count(v) > 1))
        if not plan.exclusive.isdisjoint(chosen):
            raise _Invalid("exclusive", value=next(v for v in chosen if v in plan.exclusive))
    if plan.top is not None and len(chosen) > plan.top:
        raise _Invalid("top", top=plan.top)
    return chosen, " ".join(chosen)


def _read_date(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    try:
        parsed = (
            date.fromisoformat(value.strip()) if isinstance(value, str) and len(value.strip()) == 10 else None
        )
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Invalid("date")
    return parsed.isoformat(), parsed.isoformat()


def _read_time(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    text = value.strip() if isinstance(value, str) else ""
    try:
        parsed = time.fromisoformat(text) if re.fullmatch(r"\d\d:\d\d(:\d\d)?", text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Invalid("time")
    return text, text


def _read_geopoint(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
    parts = value.split() if isinstance(value, str) else value if isinstance(value, list) else None
    try:
        numbers = [float(p) for p in parts or ()]
    except (TypeError, ValueError):
        numbers = []
    if not 2 <= len(numbers) <= 4 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        raise _Invalid("geopoint")
    text = " ".join(to_string(n) for n in numbers)
    return text, text


def _read_consent(run: _Run, plan: _Plan, value: Any) -> tuple[Any, Any]:
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


_EXACT = 2.0**53  # floats below this in size are whole numbers JSON can carry exactly


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


_INDEXED = re.compile(r"^(?P<name>[^\[\].]+)\[(?P<index>\d+)\]\.(?P<rest>.+)$")


def _unflatten(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers with HTML-post keys like ``household[2].age`` folded into lists of dicts."""
    if "[" not in "".join(answers):
        return dict(answers)
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
