"""Shortcuts of `forms.validation_plans`, decided once per compiled form: answers that pass at once.

- `passing`: the whole numbers an integer question takes without running its checks again;
- `passes`: whether an answer is within its range and passes a constraint that reads only it;
- `sum_over`: ``sum(${q})`` over a repeat of the scope, added up item by item.

``NO_CHECKS``, ``CHECK_NOW`` and ``CHECK_LATER`` say when a question's checks run: never, as soon as
it is read (they read only the answer), or once every value is known.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from forms import expressions as ex
from forms.evaluate import to_number
from forms.validation_read import HUGE

if TYPE_CHECKING:
    from forms.validation_plans import Plan, Scope

NO_CHECKS, CHECK_NOW, CHECK_LATER = range(3)


_PURE = (ex.Num, ex.Str, ex.Current, ex.Unary, ex.Binary)  # nodes whose value depends on ``.`` alone
_SPAN = 1024  # the most whole numbers decided in advance for one question


def passing(p: Plan, probe: Scope) -> range | frozenset[int]:
    """The whole numbers an integer question takes at once; any other answer takes the general path.

    Every number a float can hold when it has no checks. When its range is short and its constraint
    reads nothing but the answer (no names, no calls), the numbers of the range that pass, decided
    here as `passes` would decide them. Else none: its checks run for each answer.
    """
    if p.checks == NO_CHECKS:
        return range(1 - HUGE, HUGE)
    low, high, node = p.minimum, p.maximum, p.slot.logic.get("constraint")
    if p.checks != CHECK_NOW or low is None or high is None or not 0 <= high - low < _SPAN:
        return frozenset()
    if node is not None and not all(isinstance(n, _PURE) for n in ex.walk(node)):
        return frozenset()
    try:
        numbers = range(math.ceil(low), math.floor(high) + 1)
        return frozenset(n for n in numbers if passes(p, probe, n, float(n)))
    except Exception:  # a constraint that cannot run is left to run, and fail, for each answer
        return frozenset()


def passes(plan: Plan, scope: Scope, clean: Any, xpath: Any) -> bool:
    """Whether an answer is within its range and passes a constraint that reads only the answer."""
    if plan.minimum is not None and clean < plan.minimum:
        return False
    if plan.maximum is not None and clean > plan.maximum:
        return False
    if plan.constraint is None:
        return True
    scope.current_value = xpath
    ok = plan.constraint(scope)
    scope.current_value = ""
    return bool(ok)


def sum_over(repeat: str, name: str) -> Callable[[Scope], float]:
    """``sum(${name})`` over the instances of ``repeat``: `forms.functions` ``sum``, item by item."""

    def total(scope: Scope) -> float:
        result = 0.0  # plain left-to-right addition, as sum() over the gathered nodeset does
        for child in scope.instances.get(repeat, ()):
            item = child.values.get(name, "")
            if type(item) is float:
                result += item
            elif item != "":
                result += to_number(item)
        return result

    return total
