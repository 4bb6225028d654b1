"""Reading one answer as its question's type, for `forms.validation`.

Each reader takes the question's plan and a raw answer and returns ``(cleaned JSON value, XPath
value)`` or raises `Invalid` with a message code (``integer``, ``choice``, ``date``…). Answers may
arrive as JSON values or as an HTML post's lists of strings; `unflatten` folds an HTML post's
``household[2].age`` keys into lists of dicts first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, time
from typing import Any

from forms.evaluate import to_string
from forms.model import (
    Choice,
    Consent,
    Date,
    Decimal,
    Geopoint,
    Integer,
    Likert,
    Rank,
    SelectMultiple,
    SelectOne,
    Text,
    Time,
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
    "repeat_many": {"zh": "最多 {limit} 项", "en": "At most {limit} entries."},
    "unknown": {"zh": "表单中没有这道题", "en": "This form has no such question."},
    "several": {"zh": "只能有一个答案", "en": "Only one answer is allowed."},
    "other": {"zh": "请注明“其他”的具体内容", "en": "Please specify the other answer."},
    "no_answer": {"zh": "此题不需要回答", "en": "This item takes no answer."},
}
"""The built-in messages, by code, in each language; ``{value}``, ``{limit}``… are the parameters."""


class Invalid(Exception):
    """An answer that cannot be read: a message code and its parameters."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params


_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TIME = re.compile(r"\d\d:\d\d(:\d\d)?")


def read_text(options: Any, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str):
        raise Invalid("text")
    return value, value


HUGE = 2**1023  # integers whose float() would overflow are refused, as the browser refuses them
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # YYYY-MM-DD only (fromisoformat also takes 2024-W11-5)


def read_integer(options: Any, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise Invalid("integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not -HUGE < value < HUGE:  # beyond a float: not a count of anything
        raise Invalid("integer")
    return value, float(value)


def read_decimal(options: Any, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        raise Invalid("decimal")
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value.strip())
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("decimal")
    return value, float(value)


def read_choice(options: dict[str, Choice], value: Any) -> tuple[Any, Any]:
    if not isinstance(value, str) or value not in options:
        raise Invalid("choice", value=value)
    return value, value


def read_choices(
    options: dict[str, Choice], value: Any, exclusive: frozenset[str], top: int | None
) -> tuple[Any, Any]:
    """A select_multiple or rank answer: a list of option names (or one space-separated string)."""
    if type(value) is str:
        value = value.split()
    elif not isinstance(value, list | tuple):
        raise Invalid("choice", value=value)
    chosen = []
    for v in value:
        if type(v) is not str or (v not in options and v.strip() != ""):
            raise Invalid("choice", value=v)
        if v in options:
            chosen.append(v)
    if not chosen:
        return None, ""
    if len(chosen) > 1:
        if len(set(chosen)) < len(chosen):
            raise Invalid("duplicate", value=next(v for v in chosen if chosen.count(v) > 1))
        if not exclusive.isdisjoint(chosen):
            raise Invalid("exclusive", value=next(v for v in chosen if v in exclusive))
    if top is not None and len(chosen) > top:
        raise Invalid("top", top=top)
    return chosen, " ".join(chosen)


def read_date(options: Any, value: Any) -> tuple[Any, Any]:
    try:
        text = value.strip() if isinstance(value, str) else ""
        parsed = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid("date")
    return parsed.isoformat(), parsed.isoformat()


def read_time(options: Any, value: Any) -> tuple[Any, Any]:
    text = value.strip() if isinstance(value, str) else ""
    try:
        parsed = time.fromisoformat(text) if _TIME.fullmatch(text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid("time")
    return text, text


def read_geopoint(options: Any, value: Any) -> tuple[Any, Any]:
    parts = value.split() if isinstance(value, str) else value if isinstance(value, list) else None
    try:
        numbers = [float(p) for p in parts or ()]
    except (TypeError, ValueError):
        numbers = []
    if not 2 <= len(numbers) <= 4 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        raise Invalid("geopoint")
    text = " ".join(to_string(n) for n in numbers)
    return text, text


def read_consent(options: Any, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if value not in ("yes", "no"):
        raise Invalid("consent")
    return value, value


READERS: dict[type, Callable[[Any, Any], tuple[Any, Any]]] = {
    Text: read_text,
    Integer: read_integer,
    Decimal: read_decimal,
    SelectOne: read_choice,
    Likert: read_choice,
    Date: read_date,
    Time: read_time,
    Geopoint: read_geopoint,
    Consent: read_consent,
}
"""The reader of each single-answer type; select_multiple and rank take `read_choices`."""
MULTIPLE = (SelectMultiple, Rank)


def single(value: Any) -> Any:
    """The one answer of an HTML post's list of strings (blanks ignored); `Invalid` for several."""
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        values = [v for v in value if v != ""]
        if len(values) > 1:
            raise Invalid("several")
        return values[0] if values else None
    return value


def empty(value: Any) -> bool:
    """No answer: None, blank text, or a list of those (at any depth, read without recursion)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if not isinstance(value, list | tuple):
        return False
    lists = [value]  # a list nested a thousand deep is a malformed answer, not a crash
    while lists:
        for item in lists.pop():
            if isinstance(item, list | tuple):
                lists.append(item)
            elif item is not None and not (isinstance(item, str) and item.strip() == ""):
                return False
    return True


# an index of more digits is no instance (and no int() of thousands of digits, which Python refuses)
_INDEXED = re.compile(r"^(?P<name>[^\[\].]+)\[(?P<index>\d{1,9})\]\.(?P<rest>.+)$")


MAX_INSTANCES = 10_000
"""The most instances a repeat may have, and the highest number an HTML-post key may give them."""


def unflatten(answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """Answers with HTML-post keys like ``household[2].age`` folded into lists of dicts.

    Answers without such keys are returned as they are (validation only reads them). Instances
    count from 1, and a gap is an empty instance; a key numbered 0 or above `MAX_INSTANCES` is
    left as it is, so that it is reported as no question of the form — folded, ``[0]`` was lost
    without a word and ``[100000000]`` made a hundred million empty instances.
    """
    if "[" not in "".join(answers):
        return answers
    out: dict[str, Any] = {}
    nested: dict[str, dict[int, dict[str, Any]]] = {}
    for key, value in answers.items():
        m = _INDEXED.match(key)
        if m is None or not 1 <= int(m["index"]) <= MAX_INSTANCES:
            out[key] = value
        else:
            nested.setdefault(m["name"], {}).setdefault(int(m["index"]), {})[m["rest"]] = value
    for name, items in nested.items():
        size = max(items)
        out[name] = [unflatten(items.get(i, {})) for i in range(1, size + 1)]
    return out


def plain_choices(value: list[Any], accepted: frozenset[str], top: int | None) -> bool:
    """True for a list of distinct plain options within a rank's k: the common case, taken inline."""
    n = len(value)
    try:
        return (
            n > 0
            and accepted.issuperset(value)
            and (n == 1 or len(set(value)) == n)
            and (top is None or n <= top)
        )
    except TypeError:  # an unhashable item (a list in the list): the general path says what is wrong
        return False
