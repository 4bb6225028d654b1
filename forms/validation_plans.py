"""What `forms.validation` does for each question, decided once per compiled form, and the scopes it fills.

A `Plan` holds one question's steps with its expressions compiled to closures; `Plans` holds every
plan per scope (the form, or a repeat) in evaluation order, also as flat rows (what
`forms.validation_code` writes each scope's function from), and how ``${name}`` resolves from each
scope. A `Scope` holds the values of one scope instance and is what an expression sees from it (a
`forms.env.DirectEnv`: the scope's own questions are read from ``values`` in place, other names
climb to an outer scope or gather a repeat's instances).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from forms import compiler
from forms import expressions as ex
from forms.evaluate import compile_bool, compile_node
from forms.model import (
    CHOICE_TYPES,
    Calculate,
    Choice,
    Consent,
    Integer,
    Likert,
    Note,
    Repeat,
    SelectOne,
    Text,
)
from forms.validation_read import MULTIPLE, READERS
from forms.validation_shortcuts import CHECK_LATER, CHECK_NOW, NO_CHECKS, passing, sum_over

ANSWER, MULTI, CALCULATE, REPEAT, NOTE = range(5)
# How validation takes a question (a row's step: a template of forms.validation_code): a calculation,
# a choice name with no "other" and no checks, plain choice names, a whole number, text, anything else.
STEP_CALCULATE, STEP_CHOICE, STEP_CHOICES, STEP_INTEGER, STEP_TEXT, STEP_GENERAL, STEP_REPEAT, STEP_NOTE = (
    range(8)
)
Check = Callable[[Any], Any]
_STEADY = frozenset(ex.FUNCTIONS) - {"now", "uuid"}  # calls that give the same value when run again


@dataclass(frozen=True, slots=True)
class Plan:
    """One question's validation steps, with its expressions compiled to closures.

    ``checks`` says when the checks that follow an answer (ranges, constraint, choice filter) run:
    at once when they read nothing but the answer itself, else once every value is known.
    """

    slot: compiler.Slot
    name: str
    kind: int
    conditions: tuple[Check, ...]
    reader: Callable[[Any, Any], tuple[Any, Any]] | None = None
    options: dict[str, Choice] | None = None
    other_key: str | None = None
    required: bool = False
    required_if: Check | None = None
    constraint: Check | None = None
    choice_filter: Check | None = None
    minimum: float | None = None
    maximum: float | None = None
    compute: Check | None = None
    checks: int = NO_CHECKS
    fast: tuple[type, frozenset[str] | None] | None = None  # values taken as they are: (type, accepted)
    others: frozenset[str] = frozenset()  # the "other, specify" options
    exclusive: frozenset[str] = frozenset()  # options that stand alone
    top: int | None = None  # a rank's k


class Plans:
    """Every question's plan, per scope in evaluation order, plus how names resolve from each scope."""

    def __init__(self, compiled: compiler.Compiled) -> None:
        self.compiled = compiled
        self.form = compiled.form
        self.slots = compiled.slots
        self.local = {  # the questions of each scope itself, read straight from its values
            owner: frozenset(
                name
                for name, slot in compiled.slots.items()
                if not isinstance(slot.question, Repeat)
                and (slot.repeats[-1] if slot.repeats else None) == owner
            )
            for owner in compiled.scopes
        }
        self.readers: dict[str | None, dict[str, Callable[[Scope], Any]]] = {
            owner: {} for owner in compiled.scopes
        }
        self._closures: dict[tuple[bool, int, str | None], tuple[ex.Node, Check]] = {}
        self._gates: dict[tuple[int, ...], tuple[Check, ...]] = {}
        self.scopes = {
            owner: tuple(self._plan(compiled.slots[name], _Readers(self, owner)) for name in scope.order)
            for owner, scope in compiled.scopes.items()
        }
        read = frozenset(  # the names some expression reads: only their XPath values are kept
            name
            for slot in compiled.slots.values()
            for node in (*slot.conditions, *slot.logic.values())
            for name in ex.references(node)
        )
        probe = Scope(self, None, None, 0, None)  # what a check that reads only the answer sees
        self.rows = {
            owner: tuple(_row(p, p.name in read, probe) for p in plans)
            for owner, plans in self.scopes.items()
        }
        self.known = {  # the keys a scope's answers may hold
            owner: frozenset(p.name for p in plans) | {p.other_key for p in plans if p.other_key}
            for owner, plans in self.scopes.items()
        }
        # each scope's generated function (forms.validation_code), made when the scope is first met
        self.walks: dict[str | None, Callable[..., dict[str, Any]]] = {}

    def reader(self, owner: str | None, name: str) -> Callable[[Scope], Any]:
        """How ``${name}`` is read from scope ``owner``: here, climbing to an outer scope, or gathered."""
        found = _reader(*self._route(owner, name), name)
        self.readers[owner][name] = found
        return found

    def _route(self, owner: str | None, name: str) -> tuple[int, tuple[str, ...], bool]:
        """From scope ``owner`` to ``${name}``: scopes to climb, repeats to gather, whether it is a repeat."""
        slot = self.slots[name]
        chain = () if owner is None else (*self.slots[owner].repeats, owner)
        common = 0
        while common < min(len(chain), len(slot.repeats)) and chain[common] == slot.repeats[common]:
            common += 1
        return len(chain) - common, slot.repeats[common:], isinstance(slot.question, Repeat)

    def _over_repeat(self, node: ex.Node, owner: str | None) -> Check | None:
        """``sum(${q})`` of a repeat's question and ``count(${repeat})``, for a repeat of this scope.

        The household roster's totals: one closure each instead of gathering a nodeset to add up.
        """
        if not (
            isinstance(node, ex.Call)
            and node.name in ("sum", "count")
            and len(node.args) == 1
            and isinstance(node.args[0], ex.Ref)
            and node.args[0].name in self.slots
        ):
            return None
        name = node.args[0].name
        climb, gather, is_repeat = self._route(owner, name)
        if node.name == "count" and climb == 0 and not gather and is_repeat:
            return lambda scope: float(len(scope.instances.get(name, ())))
        if node.name == "sum" and climb == 0 and len(gather) == 1 and not is_repeat:
            return sum_over(gather[0], name)
        return None

    def _compile(self, node: ex.Node, direct: Mapping[str, Any], condition: bool = False) -> Check:
        """One closure per node and use: a group's relevance is one closure, shared by its members."""
        # keyed by the scope too: the same expression text (one parsed node) read from another
        # scope resolves its names differently (${q} at the top level vs inside a repeat)
        owner = getattr(direct, "owner", None)
        key = (condition, id(node), owner)
        if key not in self._closures:
            make = compile_bool if condition else compile_node
            found = None if condition else self._over_repeat(node, owner)
            self._closures[key] = (node, found or make(node, direct))
        return self._closures[key][1]

    def _plan(self, slot: compiler.Slot, direct: Mapping[str, Any]) -> Plan:
        q, logic = slot.question, slot.logic
        conditions = tuple(self._compile(node, direct, True) for node in slot.conditions)
        conditions = self._gates.setdefault(tuple(map(id, conditions)), conditions)

        def compiled(key: str, condition: bool = False) -> Check | None:
            return self._compile(logic[key], direct, condition) if key in logic else None

        if isinstance(q, Repeat):
            return Plan(slot, q.name, REPEAT, conditions, compute=compiled("repeat_count"))
        if isinstance(q, Calculate):
            return Plan(slot, q.name, CALCULATE, conditions, compute=compiled("calculation"))
        if isinstance(q, Note):
            return Plan(slot, q.name, NOTE, conditions)
        options = self.compiled.choices.get(q.choices) if isinstance(q, CHOICE_TYPES) else None
        others = frozenset(n for n, o in (options or {}).items() if o.other)
        exclusive = frozenset(n for n, o in (options or {}).items() if o.exclusive)
        minimum, maximum = getattr(q, "minimum", None), getattr(q, "maximum", None)
        return Plan(
            slot,
            q.name,
            MULTI if isinstance(q, MULTIPLE) else ANSWER,
            conditions,
            reader=READERS.get(type(q)),
            options=options,
            other_key=f"{q.name}_other" if others else None,
            required=q.required is True,
            required_if=compiled("required", True),
            constraint=compiled("constraint", True),
            choice_filter=compiled("choice_filter", True),
            minimum=minimum,
            maximum=maximum,
            checks=_when_checked(logic, minimum, maximum),
            fast=_fast_path(q, options, others | exclusive),
            others=others,
            exclusive=exclusive,
            top=getattr(q, "top", None),
        )


class _Readers(Mapping[str, Any]):
    """How each name is read from scope ``owner``: None for its own questions (in place), else a reader."""

    def __init__(self, plans: Plans, owner: str | None) -> None:
        self.plans, self.owner = plans, owner

    def __getitem__(self, name: str) -> Callable[[Scope], Any] | None:
        if name in self.plans.local[self.owner]:
            return None
        if name not in self.plans.slots:
            raise KeyError(name)
        return self.plans.readers[self.owner].get(name) or self.plans.reader(self.owner, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.plans.slots)

    def __len__(self) -> int:
        return len(self.plans.slots)


def _when_checked(logic: Mapping[str, ex.Node], minimum: Any, maximum: Any) -> int:
    if "choice_filter" in logic:
        return CHECK_LATER
    if "constraint" in logic:
        node = logic["constraint"]
        return CHECK_LATER if ex.references(node) or ex.calls(node) - _STEADY else CHECK_NOW
    return CHECK_NOW if minimum is not None or maximum is not None else NO_CHECKS


_CONSENT = frozenset({"yes", "no"})


def _fast_path(q: Any, options: dict[str, Choice] | None, special: frozenset[str]) -> tuple[type, Any] | None:
    """Values a question takes exactly as JSON sends them: plain choice names, whole numbers, text.

    Options that are "other, specify" or stand alone take the general path.
    """
    if isinstance(q, MULTIPLE):
        return (list, frozenset(options or ()) - special)
    if isinstance(q, SelectOne | Likert):
        return (str, frozenset(options or ()) - special)
    if isinstance(q, Consent):
        return (str, _CONSENT)
    if isinstance(q, Integer):
        return (int, None)
    if isinstance(q, Text):
        return (str, None)
    return None


def _row(p: Plan, read: bool, probe: Scope) -> tuple[Any, ...]:
    """A plan as the tuple `forms.validation_code` writes from: (plan, name, step, conditions, extra, read).

    ``extra`` is what the step needs at hand: the accepted choice names, the calculation, the
    whole numbers taken at once, or when the checks run; ``read`` says whether an expression
    reads the question's value.
    """
    q, step, extra = p.slot.question, STEP_GENERAL, None
    if p.kind == CALCULATE:
        step, extra = STEP_CALCULATE, p.compute or _nothing
    elif p.kind in (REPEAT, NOTE):
        step = STEP_REPEAT if p.kind == REPEAT else STEP_NOTE
    elif p.kind == MULTI:
        step, extra = STEP_CHOICES, p.fast[1]  # type: ignore[index]
    elif isinstance(q, SelectOne | Likert | Consent) and not p.other_key and not p.checks:
        step, extra = STEP_CHOICE, p.fast[1]  # type: ignore[index]
    elif isinstance(q, Integer):
        step, extra = STEP_INTEGER, passing(p, probe)
    elif isinstance(q, Text):
        step, extra = STEP_TEXT, p.checks
    return (p, p.name, step, p.conditions, extra, read)


def _nothing(scope: Any) -> str:
    return ""  # a calculate without a calculation


# --------------------------------------------------------------------------------------------

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})


class Scope:
    """The values of one scope instance (the form, or a repeat instance): what an expression sees."""

    __slots__ = ("current_value", "day", "fields", "index", "instances", "owner", "parent", "plans", "values")

    def __init__(
        self, plans: Plans, parent: Scope | None, owner: str | None, index: int, day: date | None
    ) -> None:
        self.plans = plans
        self.parent = parent
        self.owner = owner
        self.index = index  # the instance's position in its repeat, from 1; 0 for the form
        self.day = day
        self.values: dict[str, Any] = {}  # XPath values by name
        self.instances: dict[str, list[Scope]] = {}
        self.current_value: Any = ""
        self.fields: Mapping[str, str] = _NO_FIELDS

    def ref(self, name: str) -> Any:
        """``${name}``: from this scope, an outer one, or gathered from a repeat's instances."""
        read = self.plans.readers[self.owner].get(name)
        return (read or self.plans.reader(self.owner, name))(self)

    def current(self) -> Any:
        return self.current_value

    def field(self, name: str) -> Any:
        return self.fields.get(name, "")

    def position(self) -> int:
        return self.index

    def indexed(self, name: str, repeat: str, index: int) -> Any:
        values = self.ref(name)
        if isinstance(values, tuple):
            return values[index - 1] if 1 <= index <= len(values) else ""
        return values

    def today(self) -> date:
        return self.day or _today()

    def path(self, name: str) -> str:
        """The path of question ``name`` in this scope, repeat instances counted from 1."""
        parts = [name]
        scope: Scope | None = self
        while scope is not None and scope.parent is not None:
            parts.append(f"{scope.owner}[{scope.index}].")
            scope = scope.parent
        return "".join(reversed(parts))


_CLOCK: list[Any] = [-1.0, date.min]  # when the date was last looked up (time.monotonic()), and the date


def _today() -> date:
    """The local date, looked up again after a second: date.today() costs more than asking the clock."""
    now = time.monotonic()
    if now - _CLOCK[0] >= 1.0:
        _CLOCK[:] = now, date.today()
    return _CLOCK[1]  # type: ignore[no-any-return]


def _reader(climb: int, gather: tuple[str, ...], is_repeat: bool, name: str) -> Callable[[Scope], Any]:
    """Read ``${name}`` from a scope: ``climb`` scopes up, then gathered from the ``gather`` repeats.

    A repeat's own name reads as one ``""`` per instance (what ``count()`` counts).
    """
    if not gather and not is_repeat and climb <= 1:
        if climb == 0:
            return lambda scope: scope.values.get(name, "")
        return lambda scope: scope.parent.values.get(name, "")
    if len(gather) == 1 and not is_repeat and climb == 0:  # ${q} of a roster, from outside it
        repeat = gather[0]
        return lambda scope: tuple([child.values.get(name, "") for child in scope.instances.get(repeat, ())])

    def read(scope: Scope) -> Any:
        for _ in range(climb):
            scope = scope.parent  # type: ignore[assignment]
        if not gather:
            if is_repeat:
                return ("",) * len(scope.instances.get(name, ()))
            return scope.values.get(name, "")
        return tuple(_collect(scope, gather, name, is_repeat))

    return read


def _collect(scope: Scope, repeats: tuple[str, ...], name: str, is_repeat: bool) -> list[Any]:
    out: list[Any] = []
    for child in scope.instances.get(repeats[0], ()):
        if len(repeats) > 1:
            out.extend(_collect(child, repeats[1:], name, is_repeat))
        elif is_repeat:
            out.extend("" for _ in child.instances.get(name, ()))
        else:
            out.append(child.values.get(name, ""))
    return out
