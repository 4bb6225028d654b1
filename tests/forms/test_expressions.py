"""The expression language: parsing, printing, static checks and evaluation, as the spec states them."""

import math
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.compiler import compile_form
from forms.evaluate import (
    EvaluationError,
    MappingEnv,
    Value,
    compile_bool,
    compile_node,
    evaluate,
    evaluate_answer,
    evaluate_bool,
    evaluate_str,
    to_bool,
    to_number,
    to_string,
)
from forms.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    Binary,
    Call,
    Current,
    ExpressionError,
    Field,
    Node,
    Num,
    Parent,
    Ref,
    Str,
    Unary,
    calls,
    check_calls,
    depth,
    format_number,
    node_from_json,
    node_to_json,
    parse,
    references,
    same,
    strip_positions,
    unparse,
    uses_current,
)
from forms.formats import loads
from forms.validation import validate
from tests.forms.formhelpers import chain_form

NAN, INF = math.nan, math.inf
TODAY = date(2024, 3, 15)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"

ANSWERS: dict[str, Value] = {
    "age": 70.0,
    "empty": "",
    "needs": "care food",
    "name": "王小明",
    "text": " 42 ",
    "born": "1950-06-01",
    "members": ("3", "", "5"),
    "ages": (70.0, 12.0),
    "none": (),
}
"""The answers every evaluation table reads: a number, the empty answer, a select_multiple,
Chinese text, a number typed as text, a date and three repeated questions (seen from outside)."""


def ev(
    source: str,
    answers: Mapping[str, Value] | None = None,
    current: Value = "",
    fields: Mapping[str, Value] | None = None,
    position: int = 0,
) -> Value:
    """Evaluate source against ANSWERS (plus any extra answers) on TODAY."""
    env = MappingEnv({**ANSWERS, **(answers or {})}, current, fields or {}, position, TODAY)
    return evaluate(parse(source), env)


def ev_text(source: str) -> str:
    """Evaluate source, which must give a string."""
    result = ev(source)
    assert isinstance(result, str)
    return result


def same_value(actual: object, expected: object) -> bool:
    """Equal values of the same type, where NaN equals NaN."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return type(actual) is type(expected) and actual == expected


def grouping(node: Node) -> str:
    """The tree fully parenthesised, to show how an expression grouped."""
    match node:
        case Binary(op=op, left=left, right=right):
            return f"({grouping(left)} {op} {grouping(right)})"
        case Unary(operand=operand):
            return f"(-{grouping(operand)})"
        case Call(name=name, args=args):
            return f"{name}({', '.join(map(grouping, args))})"
    return unparse(node)


def days(day: str) -> float:
    """Days since 1970-01-01, as the language counts dates."""
    return float((date.fromisoformat(day) - date(1970, 1, 1)).days)


# ------------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("12", Num(12.0)),
        ("3.5", Num(3.5)),
        (".5", Num(0.5)),
        ("5.", Num(5.0)),
        ("'care'", Str("care")),
        ('"it\'s"', Str("it's")),
        ("''", Str("")),
        ("${age}", Ref("age")),
        ("${ age }", Ref("age")),
        ("${年龄}", Ref("年龄")),
        (".", Current()),
        ("..", Parent()),
        ("district", Field("district")),
        ("filter_admin-2.b", Field("filter_admin-2.b")),
        ("地区", Field("地区")),
        ("x-1", Field("x-1")),
        ("today()", Call("today", ())),
        ("count-selected(.)", Call("count-selected", (Current(),))),
        ("jr:choice-name(${a}, 'a')", Call("jr:choice-name", (Ref("a"), Str("a")))),
        ("concat ( 'a' , 'b' )", Call("concat", (Str("a"), Str("b")))),
        ("position(..)", Call("position", (Parent(),))),
        ("-3", Unary("-", Num(3.0))),
        ("${a} mod 2", Binary("mod", Ref("a"), Num(2.0))),
        ("filter=${neighbourhood}", Binary("=", Field("filter"), Ref("neighbourhood"))),
        (".>0 and .<50", Binary("and", Binary(">", Current(), Num(0.0)), Binary("<", Current(), Num(50.0)))),
    ],
)
def test_primaries_parse_to_their_nodes(source: str, tree: Node) -> None:
    """Each kind of primary parses to its node: numbers, strings, ${refs}, '.', '..', names and calls."""
    assert same(parse(source), tree)


def test_positions_are_where_nodes_start() -> None:
    """Every node records the 0-based offset of its first character; a binary node starts with its left side."""
    tree = parse("${a} + f(1, 'x')")
    assert isinstance(tree, Binary)
    assert isinstance(tree.right, Call)
    assert (tree.pos, tree.left.pos, tree.right.pos) == (0, 0, 7)
    assert [arg.pos for arg in tree.right.args] == [9, 12]


@pytest.mark.parametrize(
    "source",
    [
        "${a}\n+\t${b}*2",
        "${a}\u00a0+\u3000${b}\u00a0*\u00a02",
        "\u200b${a} + ${b} * 2\ufeff",
        "  ${a}+${b}*2  ",
    ],
)
def test_whitespace_between_tokens_is_ignored(source: str) -> None:
    """Newlines, tabs, no-break and ideographic spaces, and zero-width spaces may appear between tokens."""
    assert same(parse(source), parse("${a} + ${b} * 2"))


def test_keywords_are_operators_only_between_operands() -> None:
    """'and', 'or', 'div' and 'mod' are operators between operands and are rejected where an operand belongs."""
    assert same(parse("${a} div ${b} mod 2"), parse("(${a} div ${b}) mod 2"))
    assert same(parse("${and} and ${or}"), Binary("and", Ref("and"), Ref("or")))
    with pytest.raises(ExpressionError, match="unexpected 'mod'"):
        parse("mod = 1")


def test_parse_is_cached() -> None:
    """Parsing the same text twice returns the very same immutable tree."""
    assert parse("${a} + 1") is parse("${a} + 1")


# ------------------------------------------------------------------------------ precedence, associativity


@pytest.mark.parametrize(
    ("source", "grouped"),
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 * 2 + 3", "((1 * 2) + 3)"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 div 4 div 2", "((8 div 4) div 2)"),
        ("7 mod 4 * 2", "((7 mod 4) * 2)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b or c", "((a and b) or c)"),
        ("a or b or c", "((a or b) or c)"),
        ("a = b < c", "(a = (b < c))"),
        ("a < b = c", "((a < b) = c)"),
        ("a != b = c", "((a != b) = c)"),
        ("a < b <= c", "((a < b) <= c)"),
        ("1 + 2 < 3 * 4", "((1 + 2) < (3 * 4))"),
        ("a = 1 and b != 2", "((a = 1) and (b != 2))"),
        ("-a * b", "((-a) * b)"),
        ("- - a", "(-(-a))"),
        ("-(a + b)", "(-(a + b))"),
        ("a - -1", "(a - (-1))"),
        ("(a or b) and c", "((a or b) and c)"),
        ("${age} >= 60 and selected(${n}, 'care')", "((${age} >= 60) and selected(${n}, 'care'))"),
        ("if(.>1, 2, 3) + 1", "(if((. > 1), 2, 3) + 1)"),
    ],
)
def test_operators_follow_xpath_precedence_and_left_associativity(source: str, grouped: str) -> None:
    """or < and < equality < relational < additive < multiplicative < unary minus, each level left-associative."""
    assert grouping(parse(source)) == grouped


# -------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("${a} + ", "unexpected end of expression", 7),
        ("", "empty expression", 1),
        ("   ", "empty expression", 1),
        ("${a", "unclosed '${'", 1),
        ("1 + ${a + ${b}", "unclosed '${'", 5),
        ("${}", "empty reference '${}'", 1),
        ("${ }", "empty reference '${}'", 1),
        ("${a b}", "invalid question name 'a b' in '${...}'", 1),
        ("$a", "unexpected '$' (a reference is written ${name})", 1),
        ("'abc", "unterminated string (no closing ')", 1),
        ('concat(${a}, "x)', 'unterminated string (no closing ")', 14),
        ("1.2.3", "bad number '1.2.3'", 1),
        ("2 * 3e5", "bad number '3e5'", 5),
        ("${a} ${b}", "unexpected '${b}'", 6),
        ("${a} 'x'", "unexpected string 'x'", 6),
        ("if(${a} = 1, 2, 3))", "unexpected ')'", 19),
        ("(1 + 2", "expected ')' but found end of expression", 7),
        ("f(1 2)", "expected ',' or ')' in f() but found '2'", 5),
        ("f(1,", "unexpected end of expression", 5),
        ("a and or b", "unexpected 'or'", 7),
        ("* 2", "unexpected '*'", 1),
        ("${a} == 1", "use '=' instead of '=='", 6),
        ("${a} && ${b}", "use 'and' instead of '&&'", 6),
        ("${a} || ${b}", "use 'or' instead of '||'", 6),
        ("!${a}", "use not(...) or '!=' instead of '!'", 1),
        ("${a} / 2", "unsupported '/' (divide with 'div'; refer to questions as ${name})", 6),
        ("if（${a}, 1, 0)", "full-width '（' (use '(')", 3),
        ("f(1，2)", "full-width '，' (use ',')", 4),
        ("‘yes’", "curly quote '‘' (quote strings with ' or \")", 1),
        ("${a} + #", "unexpected character '#'", 8),
    ],
)
def test_errors_name_the_problem_and_its_column(source: str, message: str, column: int) -> None:
    """A parse error carries the message, the source and the 1-based column, and prints as 'message at column N'."""
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    error = caught.value
    assert (error.message, error.column, error.source) == (message, column, source)
    assert error.position == column - 1
    assert str(error) == f"{message} at column {column}"


def test_expression_errors_are_value_errors() -> None:
    """ExpressionError is a ValueError, so generic input handling catches it."""
    assert issubclass(ExpressionError, ValueError)
    assert issubclass(EvaluationError, ExpressionError)


def test_pointer_puts_a_caret_under_the_problem_counting_wide_characters() -> None:
    """The pointer shows the offending line with a caret under the column, two cells per CJK character."""
    with pytest.raises(ExpressionError) as caught:
        parse("${年龄} >\n )")
    assert caught.value.pointer() == " )\n ^"
    with pytest.raises(ExpressionError) as caught:
        parse("${年龄} > )")
    assert caught.value.pointer() == "${年龄} > )\n          ^"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    """Absurdly deep parentheses give an ExpressionError instead of a RecursionError."""
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 3000 + "1" + ")" * 3000)


def test_a_long_flat_chain_is_too_deep_to_check_and_says_how_deep() -> None:
    """A chain makes a tree as deep as it is long; checking, evaluating and printing walk it recursively."""
    with pytest.raises(ExpressionError, match=r"nested too deeply \(5000 levels, at most 200\)"):
        parse(" + ".join(["${a}"] * 5000))
    assert depth(parse(" or ".join(["${a} = 1"] * 40))) == 41  # a long real one is far from the limit


def test_a_chain_at_the_limit_is_checked_evaluated_and_printed() -> None:
    """The deepest tree allowed goes through every stage that walks it recursively."""
    chain = " + ".join(["${a}"] * MAX_DEPTH)
    assert depth(parse(chain)) == MAX_DEPTH
    compiled = compile_form(loads(chain_form(MAX_DEPTH)))
    assert validate(compiled, {"a": 2}).answers["total"] == 2 * MAX_DEPTH
    assert unparse(parse(chain)) == chain
    assert compiled.logic_json(browser=True)


# ------------------------------------------------------------------------------------------- printing


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("${a}+1", "${a} + 1"),
        ("(${a} + 1)", "${a} + 1"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a + (b + c)", "a + (b + c)"),
        ("(a or b) and c", "(a or b) and c"),
        ("-(1 + 2)", "-(1 + 2)"),
        ("-(-(1))", "--1"),
        ("(-1) * 2", "-1 * 2"),
        ("3.0", "3"),
        ("0.50", "0.5"),
        (".5", "0.5"),
        ("10000000000000000000000", "10000000000000000000000"),
        ("0.0000001", "0.0000001"),
        ('"x"', "'x'"),
        ('"it\'s"', '"it\'s"'),
        ("if(.>1,'a','b')", "if(. > 1, 'a', 'b')"),
        ("${ a }", "${a}"),
        ("selected( ${needs} ,'care' )", "selected(${needs}, 'care')"),
    ],
)
def test_unparse_prints_canonically_with_minimal_parentheses(source: str, canonical: str) -> None:
    """unparse spaces operators, keeps only needed parentheses, prefers ' quotes and prints 3 not 3.0."""
    assert unparse(parse(source)) == canonical


def test_unparse_refuses_what_xpath_cannot_write() -> None:
    """A string holding both quote kinds, NaN and infinity have no XPath 1.0 literal, so unparse refuses them."""
    for node in (Str('it\'s "x"'), Num(NAN), Num(INF)):
        with pytest.raises(ValueError, match="cannot print"):
            unparse(node)


def test_a_negative_number_literal_prints_as_negation() -> None:
    """Num(-3) prints as '-3', which parses back as negation of 3 (the parser never makes negative literals)."""
    assert unparse(Num(-3.0)) == "-3"
    assert same(parse("-3"), Unary("-", Num(3.0)))


def test_strip_positions_and_same_ignore_where_nodes_were() -> None:
    """Trees from differently spaced text differ in positions only; strip_positions and same ignore that."""
    a, b = parse("${a}+f(1)"), parse("  ${a} + f( 1 )")
    assert a != b
    assert strip_positions(a) == strip_positions(b)
    assert same(a, b)


# ----------------------------------------------------------------------------------------------- JSON


def test_json_shape_is_tagged_by_k_with_positions() -> None:
    """Each node is a JSON object tagged by "k" with its fields and "pos", as the browser reads it."""
    assert msgspec.json.decode(node_to_json(parse("-${a} + f(.)"))) == {
        "k": "bin",
        "op": "+",
        "left": {"k": "neg", "op": "-", "operand": {"k": "ref", "name": "a", "pos": 1}, "pos": 0},
        "right": {"k": "call", "name": "f", "args": [{"k": "cur", "pos": 10}], "pos": 8},
        "pos": 0,
    }


@pytest.mark.parametrize(
    "source",
    [
        "if(${age} >= 60 and not(selected(${needs}, 'none')), 'older', \"it's\")",
        "district = ${district} or .. = . or -1.5 mod 2",
        "count-selected(.) <= 3 div 1",
    ],
)
def test_json_round_trip_keeps_the_tree(source: str) -> None:
    """node_from_json(node_to_json(tree)) is the same tree, positions included."""
    assert node_from_json(node_to_json(parse(source))) == parse(source)


@pytest.mark.parametrize(
    "data",
    [
        b'{"k": "nope", "pos": 0}',
        b'{"k": "num", "value": 1, "pos": 0, "extra": 1}',
        b'{"k": "bin", "op": "**", "left": {"k": "cur"}, "right": {"k": "cur"}}',
        b'{"k": "neg", "op": "+", "operand": {"k": "cur"}}',
    ],
)
def test_json_decoding_rejects_malformed_trees(data: bytes) -> None:
    """Unknown tags, unknown fields and unknown operators fail to decode with msgspec's ValidationError."""
    with pytest.raises(msgspec.ValidationError):
        node_from_json(data)


# ---------------------------------------------------------------------------------- static questions


def test_references_and_calls_are_collected_from_the_whole_tree() -> None:
    """references lists every ${name} and calls every function name, however deeply nested."""
    tree = parse("if(selected(${needs}, 'care'), ${age} + count(${members}), indexed-repeat(${x}, ${r}, 1))")
    assert references(tree) == {"needs", "age", "members", "x", "r"}
    assert calls(tree) == {"if", "selected", "count", "indexed-repeat"}
    assert references(parse("1 + district")) == frozenset()


def test_uses_current_detects_dot_only() -> None:
    """uses_current is true when the expression reads '.', and not for '..' or references."""
    assert uses_current(parse("count-selected(.) <= 3"))
    assert not uses_current(parse("position(..) = ${n}"))


@pytest.mark.parametrize(
    ("source", "problems"),
    [
        ("pulldata('a', 'b', 'c', 'd')", [("unknown function 'pulldata'", 1)]),
        ("count-selected(., 2)", [("count-selected() takes 1 argument, got 2", 1)]),
        ("1 + if(1, 2)", [("if() takes 3 arguments, got 2", 5)]),
        ("today(1)", [("today() takes no arguments, got 1", 1)]),
        ("round()", [("round() takes 1 to 2 arguments, got 0", 1)]),
        ("concat()", [("concat() takes at least 1 argument, got 0", 1)]),
        ("position(${a})", [("position() takes '..' as its argument", 1)]),
        (
            "indexed-repeat(.,${r},1)",
            [("indexed-repeat() takes ${question} and ${repeat} as its first two arguments", 1)],
        ),
        (
            "regex(., '[a-')",
            [("invalid regular expression '[a-': unterminated character set at position 0", 1)],
        ),
        ("not(foo()) or bar(1)", [("unknown function 'foo'", 5), ("unknown function 'bar'", 15)]),
        ("selected(${a}, 'x') and regex(., '^[0-9]+$') and max(1, 2, 3)", []),
    ],
)
def test_check_calls_reports_every_call_that_cannot_run(source: str, problems: list[tuple[str, int]]) -> None:
    """check_calls finds unknown functions, wrong arity and unusable arguments, each at the call's column."""
    errors = check_calls(parse(source), source)
    assert [(e.message, e.column) for e in errors] == problems
    assert all(e.source == source for e in errors)


# ------------------------------------------------------------------------------------ property tests

KEYWORDS = {"and", "or", "div", "mod"}
OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
names = st.from_regex(r"[A-Za-z_\u4e00-\u9fa5][A-Za-z0-9_.\-\u4e00-\u9fa5]{0,5}", fullmatch=True).filter(
    lambda name: name not in KEYWORDS
)
printable_strings = st.text(max_size=8).filter(lambda text: not ("'" in text and '"' in text))
numbers = st.floats(min_value=0, allow_nan=False, allow_infinity=False) | st.integers(0, 10**9).map(float)
function_names = st.sampled_from([*FUNCTIONS, "jr:choice-name", "pulldata"]) | names
leaves = st.one_of(
    numbers.map(Num),
    printable_strings.map(Str),
    names.map(Ref),
    st.just(Current()),
    st.just(Parent()),
    names.map(Field),
)


def _compound(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        children.map(lambda operand: Unary("-", operand)),
        st.builds(Binary, st.sampled_from(OPERATORS), children, children),
        st.builds(Call, function_names, st.lists(children, max_size=3).map(tuple)),
    )


trees = st.recursive(leaves, _compound, max_leaves=15)


@given(trees)
def test_parse_inverts_unparse(tree: Node) -> None:
    """For any tree of non-negative literals, parse(unparse(tree)) is the tree, ignoring positions."""
    assert same(parse(unparse(tree)), tree)


@given(trees)
def test_unparse_is_stable(tree: Node) -> None:
    """Printing, parsing and printing again gives the same text."""
    text = unparse(tree)
    assert unparse(parse(text)) == text


@given(trees)
def test_json_round_trips_any_tree(tree: Node) -> None:
    """Any tree survives node_to_json then node_from_json unchanged."""
    assert node_from_json(node_to_json(tree)) == tree


EVAL_NAMES = ["a", "b", "c", "r"]
texts = st.one_of(
    st.just(""),
    st.text(max_size=6),
    st.sampled_from(
        ["12", " -3.5 ", "1e3", "2024-02-29", "2023-02-30", "10:30", "1970-01-01T25:00", "a b c"]
    ),
)
scalars = texts | st.floats()
values = scalars | st.lists(scalars, max_size=4).map(tuple)
SAFE = {
    name: arity for name, arity in FUNCTIONS.items() if name not in {"regex", "position", "indexed-repeat"}
}


def _safe_call(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def with_args(name: str) -> st.SearchStrategy[Node]:
        low, high = SAFE[name]
        return st.lists(children, min_size=low, max_size=high if high is not None else low + 2).map(
            lambda args: Call(name, tuple(args))
        )

    return st.one_of(
        st.sampled_from(sorted(SAFE)).flatmap(with_args),
        st.just(Call("position", (Parent(),))),
        children.map(lambda index: Call("indexed-repeat", (Ref("a"), Ref("r"), index))),
        st.builds(
            lambda text, p: Call("regex", (text, Str(p))), children, st.sampled_from(["^[0-9]+$", "a|b", ""])
        ),
        children.map(lambda operand: Unary("-", operand)),
        st.builds(Binary, st.sampled_from(OPERATORS), children, children),
    )


eval_leaves = st.one_of(
    st.floats().map(Num),
    texts.map(Str),
    st.sampled_from([*EVAL_NAMES, "missing"]).map(Ref),
    st.just(Current()),
    st.just(Parent()),
    st.sampled_from(["col", "missing"]).map(Field),
)
runnable = st.recursive(eval_leaves, _safe_call, max_leaves=12)


@settings(max_examples=300)
@given(runnable, st.dictionaries(st.sampled_from(EVAL_NAMES), values), values, st.integers(0, 5))
def test_evaluation_never_raises_on_any_answers(
    tree: Node, answers: dict[str, Value], current: Value, position: int
) -> None:
    """Any runnable tree evaluates to a value over any answers, empty, textual, numeric or repeated."""
    env = MappingEnv(answers, current=current, fields={"col": "x"}, position=position, today=TODAY)
    result = evaluate(tree, env)
    assert isinstance(result, str | float | bool | tuple)
    assert isinstance(evaluate_answer(tree, env), str)


# --------------------------------------------------------------------------------------- conversions


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("", NAN),
        (" 12 ", 12.0),
        ("-3.5", -3.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", NAN),
        ("+1", NAN),
        ("12abc", NAN),
        ("١٢", NAN),
        ("NaN", NAN),
        ("Infinity", NAN),
        ("1970-01-02", 1.0),
        ("2024-03-15", days("2024-03-15")),
        ("1969-12-31", -1.0),
        ("2024-02-30", NAN),
        ("1970-01-01T12:00", 0.5),
        ("1970-01-02T06:00:00.000+08:00", 1.25),
        ("12:00", 0.5),
        ("06:00:00", 0.25),
        ("25:00", NAN),
        (True, 1.0),
        (False, 0.0),
        (3.0, 3.0),
        ((), NAN),
        (("4", "5"), 4.0),
    ],
)
def test_to_number_follows_xpath_plus_iso_dates(value: Value, number: float) -> None:
    """XPath number(): decimals only (no exponent, no '+'), "" is NaN, dates count days and times fractions of a day."""
    assert same_value(to_number(value), number)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (-0.0, "0"),
        (0.5, "0.5"),
        (-2.25, "-2.25"),
        (1e21, "1000000000000000000000"),
        (1e-7, "0.0000001"),
        (NAN, "NaN"),
        (INF, "Infinity"),
        (-INF, "-Infinity"),
        (True, "true"),
        (False, "false"),
        ("x", "x"),
        ((), ""),
        (("a", "b"), "a"),
        ((5.0,), "5"),
    ],
)
def test_to_string_follows_xpath(value: Value, text: str) -> None:
    """XPath string(): integers without '.0', never an exponent, NaN and Infinity by name, a nodeset as its first item."""
    assert to_string(value) == text
    if isinstance(value, float):
        assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "truth"),
    [
        (0.0, False),
        (NAN, False),
        (-1.0, True),
        ("", False),
        ("false", True),
        ("0", True),
        ((), False),
        (("",), True),
    ],
)
def test_to_bool_follows_xpath(value: Value, truth: bool) -> None:
    """XPath boolean(): numbers are true unless 0 or NaN; strings and nodesets unless empty ('false' is true)."""
    assert to_bool(value) is truth


# --------------------------------------------------------------------------------------- operators

COMPARISONS = [
    ("${age} >= 60", True),
    ("${empty} >= 60", False),
    ("${empty} < 60", False),
    ("${empty} = ''", True),
    ("${empty} != ''", False),
    ("${age} = ''", False),
    ("${age} != ''", True),
    ("${age} = '70'", True),
    ("${age} = '70.0'", True),
    ("'70' = '70.0'", False),
    ("${text} = 42", True),
    ("true() = 'x'", True),
    ("false() = ''", True),
    ("0 = false()", True),
    ("${members} = 5", True),
    ("${members} != 5", True),
    ("${members} = 9", False),
    ("${members} = ''", True),
    ("${none} = ''", False),
    ("${none} != ''", False),
    ("${members} = true()", True),
    ("${none} = false()", True),
    ("${ages} > 60", True),
    ("${ages} > 80", False),
    ("${ages} = ${members}", False),
    ("0 div 0 = 0 div 0", False),
    ("0 div 0 != 0 div 0", True),
    ("'b' > 'a'", False),
    ("${born} < today()", True),
    ("${born} = '1950-06-01'", True),
    ("'09:30' < '10:15'", True),
    ("'2024-03-15T08:00' > '2024-03-15'", True),
]


@pytest.mark.parametrize(("source", "expected"), COMPARISONS)
def test_comparisons_follow_xpath_with_empty_answers_false(source: str, expected: bool) -> None:
    """= and != compare as booleans, else numbers, else strings; < <= > >= compare numbers; nodesets compare any item."""
    assert ev(source) is expected


ARITHMETIC = [
    ("1 + 2 * 3", 7.0),
    ("${empty} + 1", NAN),
    ("${age} + ${empty}", NAN),
    ("${text} + 1", 43.0),
    ("'abc' * 2", NAN),
    ("7 div 2", 3.5),
    ("1 div 0", INF),
    ("-1 div 0", -INF),
    ("0 div 0", NAN),
    ("5 mod 2", 1.0),
    ("5 mod -2", 1.0),
    ("-5 mod 2", -1.0),
    ("5.5 mod 2", 1.5),
    ("5 mod 0", NAN),
    ("-${age}", -70.0),
    ("-${empty}", NAN),
    ("true() + true()", 2.0),
    ("today() - ${born}", days("2024-03-15") - days("1950-06-01")),
    ("${members} + 1", 4.0),
]


@pytest.mark.parametrize(("source", "expected"), ARITHMETIC)
def test_arithmetic_is_ieee_on_xpath_numbers(source: str, expected: float) -> None:
    """Arithmetic converts to numbers, so an empty operand gives NaN; div by zero is ±Infinity or NaN; mod keeps the dividend's sign."""
    assert same_value(ev(source), expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${empty} or 1", True),
        ("${empty} and 1", False),
        ("'' or ''", False),
        ("${empty} and regex('a', '(')", False),
        ("1 or regex('a', '(')", True),
    ],
)
def test_and_or_short_circuit_on_truth(source: str, expected: bool) -> None:
    """'and' and 'or' convert to booleans and skip the right side when the left decides."""
    assert ev(source) is expected


def test_dot_is_the_current_value() -> None:
    """'.' reads the current value, so a constraint on an empty answer compares false."""
    assert ev(". <= 120", current=130.0) is False
    assert ev(". <= 120", current="") is False
    assert ev("string-length(.)", current="abc") == 3.0


def test_bare_names_read_choice_columns() -> None:
    """A bare name reads the choice row's column, and a missing column is the empty string."""
    assert ev("district = ${d}", answers={"d": "d1"}, fields={"district": "d1"}) is True
    assert ev("district = ${d}", answers={"d": "d1"}) is False
    assert ev("district = ''") is True


# --------------------------------------------------------------------------------------- functions

FUNCTION_CASES = [
    ("if(${age} >= 60, 'old', 'young')", "old"),
    ("if(${empty}, 'yes', 'no')", "no"),
    ("if(true(), 1, regex('a', '('))", 1.0),
    ("selected(${needs}, 'care')", True),
    ("selected(${needs}, 'car')", False),
    ("selected(${needs}, ' food ')", True),
    ("selected(${empty}, 'care')", False),
    ("selected(${needs}, '')", False),
    ("selected('1 12', 1)", True),
    ("count-selected(${needs})", 2.0),
    ("count-selected(${empty})", 0.0),
    ("count-selected('  a   b ')", 2.0),
    ("selected-at(${needs}, 0)", "care"),
    ("selected-at(${needs}, 1)", "food"),
    ("selected-at(${needs}, 2)", ""),
    ("selected-at(${needs}, -1)", ""),
    ("selected-at(${needs}, ${empty})", ""),
    ("selected-at(${empty}, 0)", ""),
    ("string-length(${name})", 3.0),
    ("string-length(${empty})", 0.0),
    ("string-length(${age})", 2.0),
    ("string-length('  ')", 2.0),
    ("regex('13812345678', '^1[3-9][0-9]{9}$')", True),
    ("regex('1381234567', '^1[3-9][0-9]{9}$')", False),
    ("regex(${empty}, '^1[3-9][0-9]{9}$')", False),
    ("regex(${empty}, '^$')", True),
    ("regex('a1', '[0-9]')", True),
    ("regex('٣', '\\d')", False),
    ("concat('a', 1, true())", "a1true"),
    ("concat(${empty}, 'x')", "x"),
    ("concat(${members})", "35"),
    ("concat(${age} + ${empty})", "NaN"),
    ("coalesce(${empty}, 'x')", "x"),
    ("coalesce(${age}, 'x')", 70.0),
    ("coalesce(${empty}, ${empty})", ""),
    ("coalesce(0, 'x')", 0.0),
    ("int(3.7)", 3.0),
    ("int(-3.7)", -3.0),
    ("int(${text})", 42.0),
    ("int(${empty})", NAN),
    ("number(${text})", 42.0),
    ("number(${empty})", NAN),
    ("number('1e3')", NAN),
    ("number(${born})", days("1950-06-01")),
    ("number(true())", 1.0),
    ("string(3)", "3"),
    ("string(1 div 3)", "0.3333333333333333"),
    ("string(0 div 0)", "NaN"),
    ("string(${empty})", ""),
    ("string(${members})", "3"),
    ("round(2.5)", 3.0),
    ("round(-2.5)", -3.0),
    ("round(2.4)", 2.0),
    ("round(2.675, 2)", 2.68),
    ("round(1250, -2)", 1300.0),
    ("round(${empty})", NAN),
    ("round(1.5, ${empty})", NAN),
    ("today()", "2024-03-15"),
    ("sum(${members})", 8.0),
    ("sum(${ages})", 82.0),
    ("sum(${none})", 0.0),
    ("sum(${age})", 70.0),
    ("sum(${empty})", 0.0),
    ("count(${members})", 3.0),
    ("count(${none})", 0.0),
    ("count(${age})", 1.0),
    ("count(${empty})", 1.0),
    ("min(${members})", 3.0),
    ("max(${members})", 5.0),
    ("max(1, 7, ${empty}, 3)", 7.0),
    ("min(${ages}, 50)", 12.0),
    ("max(${none})", NAN),
    ("min(${empty})", NAN),
    ("max('x', 1)", NAN),
    ("not(${empty})", True),
    ("not(0)", True),
    ("not('false')", False),
    ("true()", True),
    ("false()", False),
    ("boolean('false')", True),
    ("boolean(0 div 0)", False),
    ("boolean(${empty})", False),
    ("boolean(${none})", False),
    ("boolean(${members})", True),
    ("indexed-repeat(${members}, ${roster}, 3)", "5"),
    ("indexed-repeat(${members}, ${roster}, 1.9)", "3"),
    ("indexed-repeat(${members}, ${roster}, 4)", ""),
    ("indexed-repeat(${members}, ${roster}, ${empty})", ""),
    ("contains(${needs}, 'foo')", True),
    ("contains(${needs}, 'x')", False),
    ("contains(${empty}, 'a')", False),
    ("contains(${needs}, ${empty})", True),
    ("starts-with(${name}, '王')", True),
    ("starts-with(${empty}, '王')", False),
    ("starts-with(${name}, ${empty})", True),
    ("substr('abcdef', 2)", "cdef"),
    ("substr('abcdef', 1, 3)", "bc"),
    ("substr('abcdef', -2)", "ef"),
    ("substr(${name}, 0, 1)", "王"),
    ("substr(${empty}, 0, 1)", ""),
    ("substr('abc', ${empty})", ""),
    ("floor(-2.5)", -3.0),
    ("floor(${empty})", NAN),
    ("ceiling(2.1)", 3.0),
    ("ceiling(${empty})", NAN),
    ("abs(-3)", 3.0),
    ("abs(${empty})", NAN),
    ("pow(2, 10)", 1024.0),
    ("pow(${empty}, 2)", NAN),
    ("pow(0, -1)", INF),
    ("pow(-8, 1 div 3)", NAN),
    ("pow(10, 400)", INF),
]


@pytest.mark.parametrize(("source", "expected"), FUNCTION_CASES)
def test_functions_behave_as_odk_including_on_empty_answers(source: str, expected: object) -> None:
    """Each function gives ODK's result, and an empty answer gives "", 0, false or NaN as documented, never an error."""
    assert same_value(ev(source), expected)


def test_every_function_has_hand_worked_cases() -> None:
    """Every function in FUNCTIONS appears in the hand-worked tables or has its own test below."""
    own_tests = {"now", "uuid", "position"}
    covered = {name for source, _ in FUNCTION_CASES for name in calls(parse(source))}
    assert set(FUNCTIONS) - covered == own_tests


def test_now_is_an_iso_datetime_with_offset() -> None:
    """now() is the current local date and time in ISO form with milliseconds and a UTC offset."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", ev_text("now()"))


def test_uuid_is_random() -> None:
    """uuid() is a fresh version-4 UUID; uuid(n) is n random letters and digits; an empty n gives a UUID."""
    first, second = ev_text("uuid()"), ev_text("uuid()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second
    assert re.fullmatch(r"[A-Za-z0-9]{8}", ev_text("uuid(8)"))
    assert len(ev_text("uuid(${empty})")) == 36


def test_position_is_the_repeat_instance() -> None:
    """position(..) is the 1-based index of the current repeat instance, 0 outside a repeat."""
    assert ev("position(..)", position=2) == 2.0
    assert ev("position(..)") == 0.0


@pytest.mark.parametrize(
    "name",
    sorted(FUNCTIONS),
)
def test_every_function_accepts_empty_arguments(name: str) -> None:
    """Called with the fewest arguments, all empty answers, every function returns a value instead of raising."""
    low, _ = FUNCTIONS[name]
    special = {"position": "position(..)", "indexed-repeat": "indexed-repeat(${empty}, ${empty}, ${empty})"}
    source = special.get(name, f"{name}({', '.join(['${empty}'] * low)})")
    assert isinstance(ev(source), str | float | bool)


def test_results_convert_for_their_use() -> None:
    """evaluate_bool gives a condition, evaluate_str XPath's string, evaluate_answer the stored answer with NaN empty."""
    env = MappingEnv(ANSWERS, today=TODAY)
    assert evaluate_bool(parse("${needs}"), env) is True
    assert evaluate_str(parse("${empty} + 1"), env) == "NaN"
    assert evaluate_answer(parse("${empty} + 1"), env) == ""
    assert evaluate_answer(parse("${age} div 4"), env) == "17.5"
    assert evaluate_answer(parse("1 div 0"), env) == "Infinity"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        (
            "regex(${a}, '(')",
            "invalid regular expression '(': missing ), unterminated subpattern at position 0",
            1,
        ),
        (
            "not(regex('a', '['))",
            "invalid regular expression '[': unterminated character set at position 0",
            5,
        ),
        ("1 + pulldata('a')", "unknown function 'pulldata'", 5),
        ("count-selected(1, 2)", "count-selected() takes 1 argument, got 2", 1),
        ("position(${a})", "position() takes '..' as its argument", 1),
        (
            "indexed-repeat('a', ${r}, 1)",
            "indexed-repeat() takes ${question} and ${repeat} as its first two arguments",
            1,
        ),
    ],
)
def test_evaluation_errors_are_only_for_expressions_that_cannot_run(
    source: str, message: str, column: int
) -> None:
    """A bad regex, an unknown function, a wrong arity or a misused position()/indexed-repeat() raise EvaluationError at the call."""
    with pytest.raises(EvaluationError) as caught:
        ev(source)
    assert (caught.value.message, caught.value.column) == (message, column)


# ----------------------------------------------------------------------------------------- compiling


def test_compiling_is_once_per_node_and_a_bad_call_raises_only_when_reached() -> None:
    """compile_node and compile_bool cache per node; a call that cannot run compiles, and raises only if evaluation reaches it."""
    node = parse("${age} >= 60 and pulldata('a')")
    assert compile_node(node) is compile_node(node)
    assert compile_bool(node) is compile_bool(node)
    env = MappingEnv(ANSWERS, today=TODAY)
    assert compile_bool(node)(MappingEnv({"age": 12.0})) is False
    with pytest.raises(EvaluationError) as caught:
        compile_bool(node)(env)
    assert (caught.value.message, caught.value.column) == ("unknown function 'pulldata'", 18)
    assert ev("if(true(), 1, pulldata())") == 1.0


def test_equal_nodes_with_different_zeros_compile_apart() -> None:
    """Num(0.0) and Num(-0.0) are equal Structs but divide differently, so each keeps its own compiled form."""
    env = MappingEnv({})
    assert evaluate(Binary("div", Num(1.0), Num(0.0)), env) == INF
    assert evaluate(Binary("div", Num(1.0), Num(-0.0)), env) == -INF


literals = st.floats().map(Num) | texts.map(Str)
COMPARED = ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]


@settings(max_examples=300)
@given(st.sampled_from(COMPARED), values, literals, st.sampled_from([Ref("a"), Current(), Field("col")]))
def test_operators_on_a_literal_agree_with_the_general_rule(
    op: str, answer: Value, literal: Num | Str, operand: Node
) -> None:
    """Comparisons and arithmetic with a literal on either side give what they give with the literal read as an answer."""
    env = MappingEnv({"a": answer, "b": literal.value}, current=answer, fields={"col": answer})
    for folded, general in [
        (Binary(op, operand, literal), Binary(op, operand, Ref("b"))),  # type: ignore[arg-type]
        (Binary(op, literal, operand), Binary(op, Ref("b"), operand)),  # type: ignore[arg-type]
    ]:
        assert same_value(evaluate(folded, env), evaluate(general, env))
        assert evaluate_bool(folded, env) is to_bool(evaluate(general, env))


@given(values, texts | st.floats(), st.sampled_from(["^[0-9]+$", "a|b", "", "("]))
def test_selected_and_regex_on_a_literal_agree_with_the_general_rule(
    answer: Value, choice: str | float, pattern: str
) -> None:
    """selected() with a literal choice and regex() with a literal pattern give what they give with the literal as an answer."""
    env = MappingEnv({"a": answer, "c": choice, "p": pattern})
    literal = Str(choice) if isinstance(choice, str) else Num(choice)
    assert evaluate(Call("selected", (Ref("a"), literal)), env) is evaluate(
        parse("selected(${a}, ${c})"), env
    )
    try:
        expected: object = evaluate(parse("regex(${a}, ${p})"), env)
    except EvaluationError as error:
        expected = error.message
    try:
        actual: object = evaluate(Call("regex", (Ref("a"), Str(pattern))), env)
    except EvaluationError as error:
        actual = error.message
    assert actual == expected


@pytest.mark.parametrize(
    ("source", "truth"),
    [
        ("if(${age} > 60, ${empty}, 'x')", False),
        ("if(${empty}, 0, ${needs})", True),
        ("not(${empty})", True),
        ("not(${members})", False),
        ("${empty} or not(${age} < 18)", True),
        ("if(${members} = 5, ${none}, ${ages})", False),
        ("selected(${needs}, ' food ') and 1 + 1 = 2", True),
        ("60 < ${age}", True),
        ("${ages}", True),
        ("0 div 0", False),
    ],
)
def test_a_condition_is_the_truth_of_its_value(source: str, truth: bool) -> None:
    """evaluate_bool, whose if/not/and/or are compiled as conditions, agrees with boolean() of the value."""
    env = MappingEnv(ANSWERS, today=TODAY)
    assert evaluate_bool(parse(source), env) is truth
    assert to_bool(evaluate(parse(source), env)) is truth


def _condition_call(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.tuples(children, children, children).map(lambda args: Call("if", args)),
        children.map(lambda operand: Call("not", (operand,))),
        st.builds(Binary, st.sampled_from(["and", "or", "=", "!=", "<", ">="]), children, children),
        st.tuples(children, children).map(lambda args: Call("selected", args)),
        _safe_call(children),
    )


conditions = st.one_of(
    runnable.filter(lambda tree: not calls(tree) & {"uuid", "now"}),
    st.recursive(eval_leaves, _condition_call, max_leaves=8).filter(
        lambda tree: not calls(tree) & {"uuid", "now"}
    ),
)


@settings(max_examples=300)
@given(conditions, st.dictionaries(st.sampled_from(EVAL_NAMES), values), values, st.integers(0, 5))
def test_compile_bool_is_to_bool_of_the_value(
    tree: Node, answers: dict[str, Value], current: Value, position: int
) -> None:
    """A tree compiled as a condition is true exactly when its value is, whatever its shape."""
    env = MappingEnv(answers, current=current, fields={"col": "x"}, position=position, today=TODAY)
    assert compile_bool(tree)(env) is to_bool(compile_node(tree)(env))


# ------------------------------------------------------------------------------------ real forms and docs


def _real_expressions() -> list[str]:
    openpyxl = pytest.importorskip("openpyxl")
    columns = {"relevant", "constraint", "calculation", "choice_filter", "repeat_count"}
    found = []
    for path in sorted(DATA.glob("*/*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        if "survey" not in book.sheetnames:
            continue  # a data export, not a form
        rows = book["survey"].iter_rows(values_only=True)
        header = [str(cell or "").strip().lower() for cell in next(rows)]
        for row in rows:
            found += [
                str(v) for h, v in zip(header, row, strict=False) if h in columns and v not in (None, "")
            ]
    return found


@pytest.mark.skipif(not DATA.is_dir(), reason="the shared real-form data is not present")
def test_every_expression_in_the_real_reach_forms_parses_and_checks() -> None:
    """Every relevant, constraint, calculation, choice filter and repeat count in the REACH forms parses, checks clean and round-trips."""
    expressions = _real_expressions()
    assert len(expressions) > 500
    for source in expressions:
        tree = parse(source)
        assert check_calls(tree, source) == [], source
        assert same(parse(unparse(tree)), tree), source


def test_the_docs_describe_every_function() -> None:
    """docs/expressions.md has a table row for every function, with the arity FUNCTIONS declares."""
    section = DOCS.read_text(encoding="utf-8").split("\n## Functions\n")[1].split("\n#")[0]
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in section.splitlines()
        if line.startswith("| `")
    }
    for name, (low, high) in FUNCTIONS.items():
        signature = next((s for s in rows if s.startswith(f"`{name}(")), None)
        assert signature, f"{name} is missing from {DOCS.name}"
        arity = str(low) if low == high else f"{low}–{'∞' if high is None else high}"
        assert rows[signature] == arity, name
