"""Hypothesis strategies for the parity tests: expressions with environments, forms with answers.

`expression_cases()` draws a runnable tree (every function but the random ``now()`` and
``uuid()``) and a `MappingEnv`'s contents. `logic_forms()` draws a questionnaire whose logic is
dense — relevance on questions and groups, required expressions, constraints on ``.``,
calculations, choice filters over choice columns, repeats with counts, references into and out of
repeats — and `answers()` draws the JSON answers a client might send for a form, mostly valid,
sometimes empty, mistyped or not relevant.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from forms.expressions import (
    FUNCTIONS,
    Binary,
    Call,
    Current,
    Field,
    Node,
    Num,
    Parent,
    Ref,
    Str,
    Unary,
    unparse,
)
from forms.model import (
    AnyQuestion,
    Calculate,
    Choice,
    Consent,
    Date,
    Decimal,
    Form,
    Geopoint,
    Group,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Text,
    Time,
)

OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
PATTERNS = [
    "^[0-9]+$",
    "a|b",
    "",
    "^1[3-9][0-9]{9}$",
    "^.{2}$",
    "\\d",
    "\\s",
    "[^a-c]",
    "^$",
    "世",
    "(a)\\1",
    "x{,2}$",
]

# ------------------------------------------------------------------------------- expressions

EVAL_NAMES = ["a", "b", "c", "r", "s"]
texts = st.one_of(
    st.just(""),
    st.text(max_size=6),
    st.sampled_from(
        [
            "12",
            " -3.5 ",
            "1e3",
            "2024-02-29",
            "2023-02-30",
            "10:30",
            "1970-01-01T25:00",
            "a b c",
            "care food",
            "你好",
            "１２",
            "0.1",
            "-0",
            "5.",
            ".5",
            "true",
            "2024-03-15T06:00:00+08:00",
            "😀",
        ]
    ),
)
floats = st.floats() | st.sampled_from(
    [0.0, -0.0, 0.5, 2.5, -2.5, 1e16, 1e21, 1e-7, 5e-324, 1.7976931348623157e308]
)
scalars = texts | floats | st.booleans()
values = scalars | st.lists(scalars, max_size=4).map(tuple)
SAFE = {
    name: arity
    for name, arity in FUNCTIONS.items()
    if name not in {"regex", "position", "indexed-repeat", "now", "uuid", "pow"}
}


def _calls(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def with_args(name: str) -> st.SearchStrategy[Node]:
        low, high = SAFE[name]
        most = high if high is not None else low + 2
        return st.lists(children, min_size=low, max_size=most).map(lambda args: Call(name, tuple(args)))

    exponents = st.integers(-40, 40).map(float) | st.just(0.5)
    return st.one_of(
        st.sampled_from(sorted(SAFE)).flatmap(with_args),
        st.just(Call("position", (Parent(),))),
        children.map(lambda index: Call("indexed-repeat", (Ref("a"), Ref("r"), index))),
        st.builds(lambda text, p: Call("regex", (text, Str(p))), children, st.sampled_from(PATTERNS)),
        st.builds(lambda text, p: Call("regex", (text, p)), children, texts.map(Str)),
        st.builds(lambda x, y: Call("pow", (x, Num(y))), children, exponents),
        children.map(lambda operand: Unary("-", operand)),
        st.builds(Binary, st.sampled_from(OPERATORS), children, children),
    )


eval_leaves = st.one_of(
    floats.map(Num),
    texts.map(Str),
    st.sampled_from([*EVAL_NAMES, "missing"]).map(Ref),
    st.just(Current()),
    st.just(Parent()),
    st.sampled_from(["col", "missing"]).map(Field),
)
trees = st.recursive(eval_leaves, _calls, max_leaves=14)


@st.composite
def expression_cases(draw: Any) -> tuple[Node, dict[str, Any]]:
    """A runnable tree and an environment: answers, the current value, a choice row, a position."""
    env = {
        "values": draw(st.dictionaries(st.sampled_from(EVAL_NAMES), values)),
        "current": draw(values),
        "fields": {"col": draw(texts)},
        "position": draw(st.integers(0, 5)),
        "today": draw(st.dates()).isoformat(),
    }
    return draw(trees), env


# ------------------------------------------------------------------------------------- forms

CHOICES = {
    "opts": (
        Choice(name="c0", filters={"district": "d1"}),
        Choice(name="c1", filters={"district": "d1"}),
        Choice(name="c2", filters={"district": "d2"}, exclusive=True),
        Choice(name="other", filters={"district": "d2"}, other=True),
    ),
    "scale": tuple(Choice(name=str(i), value=float(i)) for i in range(1, 6)),
    "towns": (Choice(name="d1"), Choice(name="d2"), Choice(name="d3")),
}
CHOICE_KINDS = {"select_one": SelectOne, "select_multiple": SelectMultiple, "rank": Rank}
SIMPLE = {"text": Text, "date": Date, "time": Time, "geopoint": Geopoint, "note": Note, "consent": Consent}


class _Scope:
    """The questions drawn so far, to refer only backwards (so no cycles) and from the right places."""

    def __init__(self) -> None:
        self.earlier: list[tuple[str, str, tuple[str, ...]]] = []  # (name, kind, repeats around it)
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind[:3]}{self.count}"


def _leaf(draw: Any, scope: _Scope, current: bool, fields: tuple[str, ...]) -> Node:
    options = ["num", "str"] + (["ref"] * 4 if scope.earlier else []) + (["cur"] * 2 if current else [])
    options += ["field"] * 2 if fields else []
    match draw(st.sampled_from(options)):
        case "num":
            return Num(float(draw(st.integers(0, 12) | st.sampled_from([0.5, 60.0, 100.0]))))
        case "str":
            return Str(
                draw(
                    st.sampled_from(
                        ["", "x", "c0", "c1", "c2", "d1", "d2", "yes", "no", "3", "2024-01-01", "社工"]
                    )
                )
            )
        case "ref":
            return Ref(draw(st.sampled_from(scope.earlier))[0])
        case "cur":
            return Current()
    return Field(draw(st.sampled_from(fields)))


def _expression(
    draw: Any, scope: _Scope, *, current: bool = False, fields: tuple[str, ...] = (), depth: int = 0
) -> Node:
    """A random tree over earlier questions, mostly conditions with something to decide."""
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return _leaf(draw, scope, current, fields)
    sub = lambda: _expression(draw, scope, current=current, fields=fields, depth=depth + 1)  # noqa: E731
    form = draw(st.sampled_from(["cmp", "cmp", "cmp", "logic", "arith", "call", "call", "if", "neg"]))
    match form:
        case "cmp":
            return Binary(draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="])), sub(), sub())
        case "logic":
            return Binary(draw(st.sampled_from(["and", "or"])), sub(), sub())
        case "arith":
            return Binary(draw(st.sampled_from(["+", "-", "*", "div", "mod"])), sub(), sub())
        case "if":
            return Call("if", (sub(), sub(), sub()))
        case "neg":
            return Unary("-", sub())
    name = draw(
        st.sampled_from(
            [
                "selected",
                "count-selected",
                "selected-at",
                "string-length",
                "concat",
                "coalesce",
                "int",
                "number",
                "round",
                "sum",
                "count",
                "min",
                "max",
                "not",
                "contains",
                "substr",
                "regex",
                "boolean",
                "today",
                "position",
                "indexed-repeat",
                "abs",
            ]
        )
    )
    if name == "regex":
        return Call("regex", (sub(), Str(draw(st.sampled_from(PATTERNS)))))
    if name == "position":
        return Call("position", (Parent(),))
    if name == "indexed-repeat":
        inside = [(n, r) for n, kind, rs in scope.earlier if rs and kind != "repeat" for r in rs[-1:]]
        if not inside:
            return sub()
        question, repeat = draw(st.sampled_from(inside))
        return Call("indexed-repeat", (Ref(question), Ref(repeat), Num(float(draw(st.integers(0, 3))))))
    low, high = FUNCTIONS[name]
    count = draw(st.integers(low, high if high is not None else low + 2))
    return Call(name, tuple(sub() for _ in range(count)))


def _text(draw: Any, scope: _Scope, **kw: Any) -> str:
    return unparse(_expression(draw, scope, **kw))


def _maybe(draw: Any, scope: _Scope, **kw: Any) -> str | None:
    return _text(draw, scope, **kw) if draw(st.integers(0, 2)) == 0 else None


def _question(draw: Any, scope: _Scope, repeats: tuple[str, ...], depth: int) -> AnyQuestion:
    kinds = [
        "text",
        "integer",
        "integer",
        "decimal",
        "select_one",
        "select_multiple",
        "rank",
        "likert",
        "date",
        "time",
        "geopoint",
        "note",
        "consent",
        "calculate",
        "calculate",
    ]
    kind = draw(st.sampled_from(kinds + (["group", "repeat"] if depth < 2 else [])))
    name = scope.name(kind)
    required: bool | str = draw(st.booleans())
    if kind in ("note", "group", "repeat", "calculate"):
        required = False
    elif draw(st.integers(0, 3)) == 0:
        required = _text(draw, scope)
    common: dict[str, Any] = {"name": name, "relevant": _maybe(draw, scope), "required": required}
    if kind not in ("note", "group", "repeat", "calculate"):
        common["constraint"] = _maybe(draw, scope, current=True)
    question: AnyQuestion
    match kind:
        case "integer":
            low = draw(st.none() | st.integers(-5, 20))
            question = Integer(
                **common, minimum=low, maximum=draw(st.none() | st.integers(max(low or 0, 20), 150))
            )
        case "decimal":
            question = Decimal(
                **common, minimum=draw(st.none() | st.just(-1.5)), maximum=draw(st.none() | st.just(99.5))
            )
        case "select_one" | "select_multiple" | "rank":
            listed = draw(st.sampled_from(["opts", "towns"]))
            columns = ("name", "district") if listed == "opts" else ("name",)
            extra: dict[str, Any] = {"top": draw(st.none() | st.integers(1, 3))}
            if kind != "rank":
                extra = {"choice_filter": _maybe(draw, scope, fields=columns)}
            question = CHOICE_KINDS[kind](**common, choices=listed, **extra)
        case "likert":
            question = Likert(**common, choices="scale")
        case "calculate":
            question = Calculate(**common, calculation=_text(draw, scope))
        case "group":
            question = Group(**common, questions=_questions(draw, scope, repeats, depth + 1))
        case "repeat":
            counts = [n for n, k, rs in scope.earlier if k == "integer" and rs == repeats]
            count = draw(st.sampled_from([None, "2", *(f"${{{n}}}" for n in counts)]))
            inner = _questions(draw, scope, (*repeats, name), depth + 1)
            question = Repeat(**common, questions=inner, repeat_count=count)
        case _:
            question = (Integer if kind == "integer" else SIMPLE[kind])(**common)
    scope.earlier.append((name, kind, repeats))
    return question


def _questions(draw: Any, scope: _Scope, repeats: tuple[str, ...], depth: int) -> tuple[AnyQuestion, ...]:
    return tuple(
        _question(draw, scope, repeats, depth) for _ in range(draw(st.integers(1, 5 if depth else 9)))
    )


@st.composite
def logic_forms(draw: Any) -> Form:
    """A questionnaire dense with logic, every expression referring to earlier questions."""
    questions = _questions(draw, _Scope(), (), 0)
    return Form(id="generated", title={"zh": "生成"}, questions=questions, choices=CHOICES)


# ----------------------------------------------------------------------------------- answers

ANSWERS: dict[str, st.SearchStrategy[Any]] = {
    "text": st.sampled_from(["", "x", "  ", "社工", "c0", "12", "2024-01-01"])
    | st.text(max_size=5)
    | st.just(3),
    "integer": st.integers(-6, 160)
    | st.sampled_from(["12", " 7 ", "+3", "１２", "x", 2.0, 2.5, True, "", None]),
    "decimal": st.floats(-3, 120, allow_nan=False) | st.sampled_from(["1.5", "1e2", ".5", "x", "", True, 7]),
    "date": st.dates().map(str) | st.sampled_from(["2023-02-30", "0000-01-01", "15/03/2024", "", 20240315]),
    "time": st.sampled_from(["06:30", "23:59:59", "24:00", "6:30", "", "12:00 "]),
    "geopoint": st.sampled_from(
        [
            "22.5 114.1",
            "22.5 114.1 10 5",
            [22.5, 114.1],
            "91 0",
            "x",
            "",
            "1.5e1 -180",
            ["22", "114"],
            [True, 0],
        ]
    ),
    "consent": st.sampled_from(["yes", "no", True, False, "maybe", ""]),
    "note": st.sampled_from(["", "x", None]),
    "calculate": st.sampled_from(["x", "", None]),
}


def _choice_answer(draw: Any, question: Any, options: list[str]) -> Any:
    if isinstance(question, SelectMultiple | Rank):
        picked = draw(st.lists(st.sampled_from([*options, "nope", " "]), max_size=4))
        return draw(st.sampled_from([picked, " ".join(picked)])) if draw(st.integers(0, 5)) else ""
    return draw(st.sampled_from([*options, *options, "nope", "", ["c0"]]))


def _answer(draw: Any, question: AnyQuestion, out: dict[str, Any], choices: dict[str, Any]) -> None:
    name = question.name
    if isinstance(question, Group):
        for inner in question.questions:
            _answer(draw, inner, out, choices)
        return
    if draw(st.integers(0, 4)) == 0:
        return  # unanswered
    if isinstance(question, Repeat):
        instances = []
        for _ in range(draw(st.integers(0, 3))):
            item: dict[str, Any] = {}
            for inner in question.questions:
                _answer(draw, inner, item, choices)
            instances.append(item)
        out[name] = instances
        return
    if isinstance(question, SelectOne | SelectMultiple | Rank | Likert):
        options = [c.name for c in choices[question.choices]]
        out[name] = _choice_answer(draw, question, options)
        if any(c.other for c in choices[question.choices]) and draw(st.booleans()):
            out[f"{name}_other"] = draw(st.sampled_from(["其他", "", "  "]))
        return
    kind = type(question).__struct_config__.tag
    out[name] = draw(ANSWERS[kind])


@st.composite
def answers(draw: Any, form: Form) -> dict[str, Any]:
    """Answers a client could send for ``form``; now and then a key the form does not have."""
    out: dict[str, Any] = {}
    for question in form.questions:
        _answer(draw, question, out, form.choices)
    if draw(st.integers(0, 9)) == 0:
        out["stray"] = "x"
    return out


# ------------------------------------------------------------------------------ a large form


def big_form(sections: int = 28) -> Form:
    """A 300-question form of ordinary logic: sections behind consent, a roster, cascades, totals."""
    questions: list[AnyQuestion] = [Consent(name="consent", required=True), Integer(name="n", minimum=0)]
    for s in range(sections):
        p = f"s{s}_"
        inner = (
            Integer(name=f"{p}age", required=True, minimum=0, maximum=120, constraint=". >= 0 and . <= 120"),
            SelectOne(name=f"{p}town", choices="towns"),
            SelectOne(name=f"{p}place", choices="opts", choice_filter=f"district = ${{{p}town}}"),
            SelectMultiple(name=f"{p}needs", choices="opts", constraint="count-selected(.) <= 3"),
            Text(
                name=f"{p}phone",
                relevant=f"selected(${{{p}needs}}, 'c1')",
                constraint="regex(., '^1[3-9][0-9]{9}$')",
            ),
            Decimal(name=f"{p}income", relevant=f"${{{p}age}} >= 16", required=f"${{{p}age}} >= 18"),
            Calculate(name=f"{p}older", calculation=f"if(${{{p}age}} >= 60, 1, 0)"),
            Calculate(name=f"{p}score", calculation=f"${{{p}age}} div 10 + count-selected(${{{p}needs}})"),
            Date(name=f"{p}visit", constraint=". <= today()"),
            Text(name=f"{p}remark", relevant=f"${{{p}score}} > 5 and ${{consent}} = 'yes'"),
        )
        questions.append(Group(name=f"{p}section", relevant="${consent} = 'yes'", questions=inner))
    roster = (
        Integer(name="m_age", required=True),
        SelectOne(name="m_town", choices="towns"),
        Calculate(name="m_older", calculation="if(${m_age} >= 60, 1, 0)"),
        Text(name="m_name", relevant="position(..) > 1", constraint="string-length(.) <= 20"),
    )
    questions += [
        Repeat(name="members", repeat_count="${n}", questions=roster),
        Calculate(name="n_older", calculation="sum(${m_older})"),
        Note(name="done", relevant="${n_older} >= 1 or count(${members}) = 0"),
    ]
    return Form(id="big", title={"zh": "大表"}, questions=tuple(questions), choices=CHOICES)


def big_answers(seed: int) -> dict[str, Any]:
    """Plausible answers to `big_form`, varied by ``seed``."""
    out: dict[str, Any] = {"consent": "yes", "n": 4}
    for s in range(28):
        p, k = f"s{s}_", (s * 7 + seed) % 11
        out |= {
            f"{p}age": 10 * k,
            f"{p}town": ["d1", "d2", "d3"][k % 3],
            f"{p}place": ["c0", "c2", "other"][k % 3],
            f"{p}needs": [["c0"], ["c1", "c0"], ["c2", "c1"], []][k % 4],
            f"{p}phone": "13812345678" if k % 2 else "123",
            f"{p}visit": f"2024-0{1 + k % 9}-1{k % 10}",
        }
        if k % 3:
            out[f"{p}income"] = 1000.5 * k
    out["members"] = [{"m_age": 20 * i + seed, "m_town": "d1", "m_name": "张" * i} for i in range(4)]
    return out
