"""The designer's workspace form → :class:`~survey.domain.design.Choices`, with every problem and where.

Fields (one set per rule R):

    chosen            R, repeated: the needs the proposal covers (in the order ticked)
    score:R           the intervention the need is scored with (its effectiveness C)
    use:R             intervention ids, repeated: the services the proposal describes
    pearl:R:ITEM      "" (undecided), "1" or "0" for propriety, economic, acceptability, resources, legality
    target:R          the target share in percent (e.g. 20 for 20%)
    n:R               the planned number of people
    title, start, end, language     the proposal's plan
    settings          the prioritisation settings as TOML (every parameter; empty: the defaults)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec

from analysis.priorities import Choice
from analysis.prioritise import Settings
from analysis.proposal import Plan
from analysis.recommend import Target
from analysis.rulebook import Pearl, Rule
from survey.domain.design import LANGUAGES, Choices

PEARL = ("propriety", "economic", "acceptability", "resources", "legality")


class DesignInputError(ValueError):
    """What is wrong with a posted workspace: ``problems`` maps each field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def settings_toml(settings: Settings) -> str:
    """The settings as the TOML the workspace shows (every field, defaults included)."""
    return msgspec.toml.encode(msgspec.to_builtins(settings, builtin_types=())).decode()


def parse(fields: Mapping[str, Sequence[str]], rules: Sequence[Rule]) -> Choices:
    """The posted fields as choices; DesignInputError lists every problem with its field."""
    problems: dict[str, str] = {}

    def one(name: str) -> str:
        values = fields.get(name) or [""]
        return str(values[0]).strip()

    choices: dict[str, Choice] = {}
    targets: dict[str, Target] = {}
    uses: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        known = {i.id for i in rule.interventions}
        scored = one(f"score:{rule.id}") or None
        if scored is not None and scored not in known:
            problems[f"score:{rule.id}"] = f"no intervention {scored!r} in rule {rule.id}"
        picked = tuple(v for v in fields.get(f"use:{rule.id}", []) if v)
        if set(picked) - known:
            problems[f"use:{rule.id}"] = f"unknown interventions {sorted(set(picked) - known)}"
        pearl = {
            item: _pearl(one(f"pearl:{rule.id}:{item}"), f"pearl:{rule.id}:{item}", problems)
            for item in PEARL
        }
        choices[rule.id] = Choice(intervention=scored, pearl=Pearl(**pearl))
        target = _number(one(f"target:{rule.id}"), f"target:{rule.id}", problems, float, 0, 100)
        n = _number(one(f"n:{rule.id}"), f"n:{rule.id}", problems, int, 1, 100_000)
        targets[rule.id] = Target(target=None if target is None else target / 100, n=n)
        if picked:
            uses[rule.id] = picked
    ids = {r.id for r in rules}
    chosen = tuple(dict.fromkeys(v for v in fields.get("chosen", []) if v in ids))
    language = one("language") or "zh"
    if language not in LANGUAGES:
        problems["language"] = f"the proposal is written in {' or '.join(LANGUAGES)}"
    plan = Plan(
        title=one("title")[:200] or None,
        start=_month(one("start"), "start", problems),
        end=_month(one("end"), "end", problems),
        chosen=chosen,
        interventions=uses,
    )
    settings = _settings(one("settings"), problems)
    if problems:
        raise DesignInputError(problems)
    return Choices(settings=settings, choices=choices, targets=targets, plan=plan, language=language)


def _pearl(text: str, name: str, problems: dict[str, str]) -> int | None:
    if text in ("", "1", "0"):
        return None if text == "" else int(text)
    problems[name] = "PEARL items are 1 (yes), 0 (no) or left undecided"
    return None


def _number(
    text: str, name: str, problems: dict[str, str], kind: Callable[[str], float], low: float, high: float
) -> float | None:
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        problems[name] = f"{text!r} is not a number"
        return None
    if not low <= value <= high:
        problems[name] = f"enter a number from {low:g} to {high:g}"
        return None
    return value


def _month(text: str, name: str, problems: dict[str, str]) -> str | None:
    if not text:
        return None
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[1]) <= 12:
        problems[name] = "a month as YYYY-MM, e.g. 2027-01"
        return None
    return text


def _settings(text: str, problems: dict[str, str]) -> Settings:
    if not text:
        return Settings()
    try:
        return msgspec.toml.decode(text.encode(), type=Settings)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        problems["settings"] = str(err).replace("`$", "settings").replace("`", "")
        return Settings()
