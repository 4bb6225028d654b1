"""Compile a form: resolve every name and expression once, and report every problem with its place.

:func:`compile_form` walks the form, parses each expression into an AST (:mod:`forms.expressions`),
checks references, functions, choice lists, names and cycles, and returns a :class:`Compiled`
form — the slots in document order, their parsed logic and dependencies, and an evaluation order
per scope — or raises :class:`~forms.errors.DefinitionError` listing every problem.

Names are unique across the whole form (``${name}`` must be unambiguous); the participant roster
of an outline is its own namespace. A question's *path* joins its containers' names with ``/``
(``household/age``); problems name that path, the field and the column of the expression.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from msgspec import to_builtins

from forms import expressions as ex
from forms.errors import DefinitionError, Problem
from forms.model import (
    CHOICE_TYPES,
    AnyQuestion,
    Calculate,
    Choice,
    Decimal,
    Form,
    Group,
    Indicator,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectOne,
)

EXPRESSION_FIELDS = ("relevant", "required", "constraint", "calculation", "choice_filter", "repeat_count")
ORDERING_FIELDS = ("relevant", "calculation", "repeat_count", "choice_filter")
"""Fields whose value must be known before a question is checked: they fix the evaluation order."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One question of the form, compiled.

    ``repeats`` lists the names of the repeats around the question, outermost first;
    ``conditions`` are the relevance ASTs of its containers inside its own scope, then its own;
    ``logic`` maps an expression field to its AST; ``dependencies`` are the names that field set
    reads (container relevance included).
    """

    question: AnyQuestion
    path: str
    repeats: tuple[str, ...]
    conditions: tuple[ex.Node, ...]
    logic: dict[str, ex.Node]
    dependencies: frozenset[str]

    @property
    def name(self) -> str:
        """The question's name."""
        return self.question.name


@dataclass(frozen=True, slots=True)
class Scope:
    """The top level of a form or one repeat: what to evaluate, in an order that respects dependencies."""

    repeat: str | None
    order: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledIndicator:
    """An indicator with its expressions parsed."""

    indicator: Indicator
    flag: ex.Node
    population: ex.Node | None
    severity: tuple[tuple[int, ex.Node], ...]
    dependencies: frozenset[str]


@dataclass(slots=True)
class Compiled:
    """A checked form, ready to validate answers, run in a browser and feed the analysis."""

    form: Form
    slots: dict[str, Slot]
    scopes: dict[str | None, Scope]
    choices: dict[str, dict[str, Choice]]
    indicators: tuple[CompiledIndicator, ...]
    warnings: tuple[Problem, ...] = ()
    roster: dict[str, Slot] = field(default_factory=dict)

    def dependencies(self, name: str) -> frozenset[str]:
        """The questions whose answers the logic of question ``name`` reads."""
        return self.slots[name].dependencies

    def logic_json(self, *, browser: bool = False) -> dict[str, object]:
        """The compiled logic as plain data: per question, each expression's AST.

        With ``browser``, what the browser's engine (survey/static/js/logic.js) does not read is
        left out to keep the page small: each slot's ``conditions`` (it derives them from the paths)
        and every node's source position ``pos``.
        """
        return {
            "slots": {name: _slot_json(slot, browser) for name, slot in self.slots.items()},
            "scopes": {scope.repeat or "": list(scope.order) for scope in self.scopes.values()},
        }


def _slot_json(slot: Slot, browser: bool) -> dict[str, object]:
    plain = _without_positions if browser else to_builtins
    data: dict[str, object] = {
        "type": type(slot.question).__struct_config__.tag,
        "path": slot.path,
        "repeats": list(slot.repeats),
    }
    if not browser:
        data["conditions"] = [plain(c) for c in slot.conditions]
    data["logic"] = {key: plain(node) for key, node in slot.logic.items()}
    return data


def _without_positions(node: ex.Node) -> object:
    """``node`` as plain data with no ``pos`` key at any depth."""
    return _drop_pos(to_builtins(node))


def _drop_pos(data: object) -> object:
    if isinstance(data, dict):
        return {key: _drop_pos(value) for key, value in data.items() if key != "pos"}
    if isinstance(data, list | tuple):
        return [_drop_pos(item) for item in data]
    return data


# --------------------------------------------------------------------------------------------


def walk(
    questions: tuple[AnyQuestion, ...], prefix: str = "", repeats: tuple[str, ...] = ()
) -> Iterator[tuple[AnyQuestion, str, tuple[str, ...], tuple[AnyQuestion, ...]]]:
    """Every question, group and repeat in document order: (question, path, repeats, containers)."""
    yield from _walk(questions, prefix, repeats, ())


def _walk(questions, prefix, repeats, containers):  # type: ignore[no-untyped-def]
    for q in questions:
        path = f"{prefix}{q.name}"
        yield q, path, repeats, containers
        if isinstance(q, Group | Repeat):
            inner = (*repeats, q.name) if isinstance(q, Repeat) else repeats
            yield from _walk(q.questions, f"{path}/", inner, (*containers, q))


class _Checker:
    """Collects problems while compiling; one per form."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.problems: list[Problem] = []

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def parse(
        self, where: str, source: str, known: set[str], *, fields: set[str] | None = None
    ) -> ex.Node | None:
        """Parse one expression and check its calls and references; ``None`` after an error."""
        try:
            node = ex.parse(source)
        except ex.ExpressionError as err:
            self.error(f"{where}, column {err.column}", f"{err.message} in {source!r}")
            return None
        ok = True
        for err in ex.check_calls(node):
            self.error(f"{where}, column {err.column}", f"{err.message} in {source!r}")
            ok = False
        for name in sorted(ex.references(node) - known):
            self.error(where, f"unknown question ${{{name}}} in {source!r}")
            ok = False
        bare = _field_names(node)
        if fields is None and bare:
            self.error(where, f"bare name {sorted(bare)[0]!r} in {source!r}: write ${{{sorted(bare)[0]}}}")
            ok = False
        elif fields is not None and bare - fields:
            name = sorted(bare - fields)[0]
            self.error(where, f"choice_filter reads {name!r}, which is not a column of the choice list")
            ok = False
        return node if ok else None


def _field_names(node: ex.Node) -> set[str]:
    found: set[str] = set()

    def visit(n: ex.Node) -> None:
        match n:
            case ex.Field(name=name):
                found.add(name)
            case ex.Unary(operand=o):
                visit(o)
            case ex.Binary(left=a, right=b):
                visit(a)
                visit(b)
            case ex.Call(args=args):
                for a in args:
                    visit(a)

    visit(node)
    return found


def compile_form(form: Form, source: str = "<form>") -> Compiled:
    """Check ``form`` and compile its logic; raise DefinitionError listing every problem."""
    checker = _Checker(form)
    choices = _check_choices(checker, form)
    slots = _compile_questions(checker, form, form.questions, choices, "question")
    roster = _compile_questions(checker, form, form.roster, choices, "roster question")
    indicators = tuple(_compile_indicators(checker, form, slots))
    _check_outline(checker, form)
    _check_cycles(checker, slots)
    errors = [p.at(source) for p in checker.problems]
    if errors:
        raise DefinitionError(errors)
    scopes = _scopes(form, slots)
    return Compiled(form, slots, scopes, choices, indicators, roster=roster)


def _check_choices(checker: _Checker, form: Form) -> dict[str, dict[str, Choice]]:
    lists: dict[str, dict[str, Choice]] = {}
    for list_name, options in form.choices.items():
        by_name: dict[str, Choice] = {}
        for choice in options:
            if choice.name in by_name:
                checker.error(f"choices.{list_name}", f"duplicate choice name {choice.name!r}")
            by_name[choice.name] = choice
        lists[list_name] = by_name
    return lists


def _compile_questions(checker, form, questions, choices, what) -> dict[str, Slot]:  # type: ignore[no-untyped-def]
    entries = list(walk(questions))
    known: dict[str, str] = {}
    for q, path, _, _ in entries:
        if q.name in known:
            checker.error(f"{what} {path}", f"duplicate name {q.name!r} (also {known[q.name]})")
        known.setdefault(q.name, path)
    names = set(known)
    for q, path, _, _ in entries:
        _check_question(checker, q, path, what, choices, names)
    slots: dict[str, Slot] = {}
    parsed: dict[str, dict[str, ex.Node]] = {}
    for q, path, repeats, containers in entries:
        logic = _parse_logic(checker, q, f"{what} {path}", names, choices)
        parsed[q.name] = logic
        scope_containers = containers[_last_repeat_index(containers) :]
        conditions = tuple(
            parsed[c.name]["relevant"] for c in scope_containers if "relevant" in parsed[c.name]
        )
        own = (*conditions, logic["relevant"]) if "relevant" in logic else conditions
        deps: set[str] = set()
        for node in (*own, *logic.values()):
            deps |= ex.references(node)
        if q.name not in slots:
            slots[q.name] = Slot(q, path, repeats, own, logic, frozenset(deps))
    return slots


def _last_repeat_index(containers: tuple[AnyQuestion, ...]) -> int:
    for i in range(len(containers) - 1, -1, -1):
        if isinstance(containers[i], Repeat):
            return i + 1
    return 0


def _check_question(checker, q, path, what, choices, names) -> None:  # type: ignore[no-untyped-def]
    where = f"{what} {path}"
    if isinstance(q, CHOICE_TYPES):
        options = choices.get(q.choices)
        if options is None:
            checker.error(f"{where}, choices", f"no choice list named {q.choices!r}")
        elif not options:
            checker.error(f"{where}, choices", f"choice list {q.choices!r} is empty")
        elif isinstance(q, Likert) and any(c.value is None for c in options.values()):
            checker.error(f"{where}, choices", f"likert list {q.choices!r} needs a value on every choice")
        elif isinstance(q, Rank) and q.top is not None and q.top > len(options):
            checker.error(f"{where}, top", f"top {q.top} is more than the {len(options)} choices")
        if options and any(c.other for c in options.values()) and f"{q.name}_other" in names:
            checker.error(where, f"{q.name}_other is reserved for the 'other, specify' text of {q.name}")
    if q.scale is not None and not isinstance(q, Likert | Integer | Decimal | SelectOne | Calculate):
        checker.error(f"{where}, scale", "only likert, numeric or scored select items can belong to a scale")
    if q.weight and not isinstance(q, Integer | Decimal | Calculate):
        checker.error(f"{where}, weight", "a weight must be a number (integer, decimal or calculate)")
    if isinstance(q, Note | Group | Repeat) and q.required is True:
        checker.error(f"{where}, required", f"a {type(q).__struct_config__.tag} has no answer to require")


def _parse_logic(checker, q, where, names, choices) -> dict[str, ex.Node]:  # type: ignore[no-untyped-def]
    logic: dict[str, ex.Node] = {}
    for key in EXPRESSION_FIELDS:
        source = getattr(q, key, None)
        if not isinstance(source, str) or isinstance(source, bool):
            continue
        fields = None
        if key == "choice_filter":
            fields = {"name"} | {k for c in choices.get(q.choices, {}).values() for k in c.filters}
        node = checker.parse(f"{where}, {key}", source, names, fields=fields)
        if node is not None:
            logic[key] = node
    return logic


def _compile_indicators(checker: _Checker, form: Form, slots: dict[str, Slot]) -> Iterator[CompiledIndicator]:
    names = set(slots)
    seen: set[str] = set()
    for ind in form.indicators:
        where = f"indicator {ind.name}"
        if ind.name in seen:
            checker.error(where, f"duplicate indicator name {ind.name!r}")
        seen.add(ind.name)
        flag = checker.parse(f"{where}, flag", ind.flag, names)
        population = checker.parse(f"{where}, population", ind.population, names) if ind.population else None
        severity = []
        for s in ind.severity:
            node = checker.parse(f"{where}, severity {s.level}", s.when, names)
            if node is not None:
                severity.append((s.level, node))
        if flag is None:
            continue
        deps: set[str] = set(ex.references(flag))
        for node in (population, *(n for _, n in severity)):
            if node is not None:
                deps |= ex.references(node)
        ordered = tuple(sorted(severity, key=lambda item: -item[0]))
        yield CompiledIndicator(ind, flag, population, ordered, frozenset(deps))


def _check_outline(checker: _Checker, form: Form) -> None:
    codes = {c.code for c in form.codebook}
    seen: set[str] = set()
    for c in form.codebook:
        if c.code in seen:
            checker.error(f"codebook {c.code}", f"duplicate code {c.code!r}")
        seen.add(c.code)
        if c.parent is not None and c.parent not in codes:
            checker.error(f"codebook {c.code}, parent", f"no code named {c.parent!r}")
    topics: set[str] = set()
    for t in form.topics:
        if t.name in topics:
            checker.error(f"topic {t.name}", f"duplicate topic name {t.name!r}")
        topics.add(t.name)
        for code in t.codes:
            if code not in codes:
                checker.error(f"topic {t.name}, codes", f"no code named {code!r} in the codebook")


def _check_cycles(checker: _Checker, slots: dict[str, Slot]) -> None:
    """Calculations and relevance must not depend on themselves, directly or through others."""
    graph = {name: _ordering_refs(slot) & slots.keys() for name, slot in slots.items()}
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    chain = " → ".join(f"${{{n}}}" for n in [*cycle, dep])
                    checker.error(f"question {slots[cycle[0]].path}", f"cycle: {chain}")
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def _ordering_refs(slot: Slot) -> set[str]:
    refs: set[str] = set()
    for node in slot.conditions:
        refs |= ex.references(node)
    for key in ORDERING_FIELDS:
        if key in slot.logic and key != "relevant":
            refs |= ex.references(slot.logic[key])
    return refs


def _scopes(form: Form, slots: dict[str, Slot]) -> dict[str | None, Scope]:
    """Per scope, its direct members (questions and repeats) in an order that respects dependencies."""
    members: dict[str | None, list[str]] = {None: []}
    for name, slot in slots.items():
        q = slot.question
        if isinstance(q, Group):
            continue
        owner = slot.repeats[-1] if slot.repeats else None
        members.setdefault(owner, []).append(name)
        if isinstance(q, Repeat):
            members.setdefault(name, [])
    return {owner: Scope(owner, _order(owner, names, slots)) for owner, names in members.items()}


def _order(owner: str | None, names: list[str], slots: dict[str, Slot]) -> tuple[str, ...]:
    depth = 0 if owner is None else len(slots[owner].repeats) + 1

    def unit_of(name: str) -> str | None:
        """The member of this scope that holds question ``name``, if any."""
        slot = slots[name]
        if len(slot.repeats) > depth and (owner is None or slot.repeats[depth - 1] == owner):
            return slot.repeats[depth]
        if len(slot.repeats) == depth and (owner is None or (slot.repeats and slot.repeats[-1] == owner)):
            return name
        return None

    deps: dict[str, set[str]] = {n: set() for n in names}
    for name, slot in slots.items():
        if isinstance(slot.question, Group):
            continue
        unit = unit_of(name)
        if unit is None or unit not in deps:
            continue
        for ref in _ordering_refs(slot):
            target = unit_of(ref) if ref in slots else None
            if target is not None and target != unit and target in deps:
                deps[unit].add(target)
    order: list[str] = []
    done: set[str] = set()
    remaining = list(names)
    while remaining:
        ready = next((n for n in remaining if deps[n] <= done), remaining[0])  # a cycle: document order
        remaining.remove(ready)
        order.append(ready)
        done.add(ready)
    return tuple(order)


__all__ = [
    "Compiled",
    "CompiledIndicator",
    "Scope",
    "Slot",
    "compile_form",
    "walk",
]
