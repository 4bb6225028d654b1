"""What the results table says about each rule: its rows by group, the trigger, the comparison, convergence.

For a rule, every group of the rule's segments (and everyone) is a possible target. On each
group's row of the rule's indicator (``stat = prop``, option ``yes``) the trigger's conditions are
checked, and the finding for the rule is:

* ``triggered`` when they all hold in some group. The target is the group that stands out — a
  comparative need (below) with the highest lower bound — else everyone, else the triggered group
  with the highest lower bound; the other triggered groups are listed as ``also``.
* ``below`` when the data say the need is under the threshold: the upper bound of every group's
  interval is below a threshold on the estimate, or (where the row has no upper bound) the
  estimate is.
* ``insufficient`` otherwise: too few respondents, a suppressed cell, an interval too wide to
  tell, or no row at all — shown as "insufficient evidence", never dropped.

**Comparative need** (Bradshaw): the group's test against its segment has a Benjamini–Hochberg
p below ``alpha``, an effect size (Cramér's V) of at least ``min_effect``, and the group's
prevalence is above everyone's. A segment the indicator is computed from — its flag, population,
or what they read, followed through calculations and relevance — is **built in**: the difference
is true by construction (``living_alone`` by ``living_arrangement``) and says nothing. A rule's
``reference`` (an external benchmark) is comparative evidence too when the group's lower bound
exceeds it.

**Convergence** ``K`` (0–4) counts the Bradshaw types flagged in the target group for the rule's
domain: each indicator of the domain whose own rule's trigger (or ``convergence_trigger``) holds
flags its types, and a comparative need flags ``comparative``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec
from msgspec import Struct

from analysis.prioritise import Settings
from analysis.results import TESTS, Row
from analysis.rulebook import Condition, Rule, Rulebook
from forms import expressions as ex
from forms.compiler import Compiled

__all__ = ["Check", "Comparison", "Finding", "Flag", "Group", "RowIndex", "built_in", "check", "findings"]

Status = Literal["triggered", "insufficient", "below"]
CLASSES = frozenset({"1", "2", "3", "4", "5"})


class Base(Struct, frozen=True, kw_only=True):
    """Frozen findings."""


class Group(Base):
    """Everyone (no ``var``) or the respondents with ``var = value``."""

    var: str | None = None
    value: str | None = None

    @property
    def key(self) -> str:
        """``""`` for everyone, else ``var=value`` (the keys of ``Settings.population``)."""
        return "" if self.var is None else f"{self.var}={self.value}"


class Check(Base):
    """One trigger condition against the row: the value found and whether it holds (None: no value)."""

    condition: Condition
    actual: float | None
    holds: bool | None


class Comparison(Base):
    """The group's indicator tested against its segment."""

    key: str
    test: str
    p_adjusted: float | None
    effect_size: float | None
    group_estimate: float | None
    overall_estimate: float | None
    significant: bool
    built_in: bool


class Flag(Base):
    """A Bradshaw type flagged for the target group, and the row that flags it."""

    type: str
    indicator: str
    key: str


class Finding(Base):
    """What the results table says about one rule."""

    rule: str
    indicator: str
    domain: str
    group: Group
    row: Row | None
    status: Status
    checks: tuple[Check, ...]
    phase: Row | None = None
    classes: tuple[Row, ...] = ()
    comparison: Comparison | None = None
    benchmark: bool = False
    convergence: tuple[Flag, ...] = ()
    also: tuple[Group, ...] = ()

    @property
    def comparative(self) -> bool:
        """A comparative need: a significant, not built-in difference, or above the benchmark."""
        return self.benchmark or (self.comparison is not None and self.comparison.significant)

    @property
    def k(self) -> int:
        """Bradshaw convergence: how many of the four types are flagged."""
        return len({f.type for f in self.convergence})


class RowIndex:
    """The indicator rows of a results table, found by indicator, group and kind."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.props: dict[tuple[str, str | None, str | None], Row] = {}
        self.phases: dict[tuple[str, str | None, str | None], Row] = {}
        self.tests: dict[tuple[str, str | None], Row] = {}
        self.classes: dict[tuple[str, str | None, str | None], dict[int, Row]] = {}
        for r in rows:
            if r.type != "indicator":
                continue
            if r.stat == "prop" and r.option in CLASSES:
                self.classes.setdefault((r.var, r.group_var, r.group_value), {})[int(r.option)] = r
            elif r.stat == "prop" and r.option == "yes":
                self.props[r.var, r.group_var, r.group_value] = r
            elif r.stat == "phase":
                self.phases[r.var, r.group_var, r.group_value] = r
            elif r.stat in TESTS:
                self.tests[r.var, r.group_var] = r

    def prop(self, indicator: str, group: Group) -> Row | None:
        """The share flagged in ``group``."""
        return self.props.get((indicator, group.var, group.value))

    def phase(self, indicator: str, group: Group) -> Row | None:
        """The area phase of ``group``."""
        return self.phases.get((indicator, group.var, group.value))

    def severity(self, indicator: str, group: Group) -> tuple[Row, ...]:
        """The shares of ``group`` in severity classes 1–5 (empty when the indicator has none)."""
        found = self.classes.get((indicator, group.var, group.value), {})
        return tuple(found[c] for c in sorted(found))

    def test(self, indicator: str, segment: str) -> Row | None:
        """The test of the indicator against ``segment``."""
        return self.tests.get((indicator, segment))

    def groups(self, indicator: str, segments: tuple[str, ...] = ()) -> list[Group]:
        """Everyone, then each group of ``segments`` (every segment when empty) with a row."""
        found = [Group()]
        for var, seg, value in self.props:
            if var == indicator and seg is not None and (not segments or seg in segments):
                found.append(Group(var=seg, value=value))
        return found


def check(trigger: tuple[Condition, ...], row: Row | None) -> tuple[Status, tuple[Check, ...]]:
    """The trigger's verdict on ``row``: triggered, below the threshold, or insufficient evidence."""
    if row is None:
        return "insufficient", tuple(Check(condition=c, actual=None, holds=None) for c in trigger)
    checks = tuple(
        Check(condition=c, actual=getattr(row, c.stat), holds=c.holds(getattr(row, c.stat))) for c in trigger
    )
    if all(c.holds for c in checks):
        return "triggered", checks
    for c in trigger:
        if c.stat == "estimate" and c.op in (">=", ">"):
            top = row.ci_high if row.ci_high is not None else row.estimate
            if top is not None and not c.holds(top):
                return "below", checks
    return "insufficient", checks


def built_in(compiled: Compiled, indicator: str, segment: str) -> bool:
    """Whether ``segment`` is among what the indicator is computed from (followed through the logic)."""
    found = next((c for c in compiled.indicators if c.indicator.name == indicator), None)
    if found is None:
        return False
    todo = set(ex.references(found.flag))
    if found.population is not None:
        todo |= ex.references(found.population)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        slot = compiled.slots.get(name)
        if slot is not None:
            todo |= set(slot.dependencies) - seen
    return segment in seen


def findings(index: RowIndex, compiled: Compiled, book: Rulebook, settings: Settings) -> tuple[Finding, ...]:
    """One finding per ranked rule whose indicator the form has (safety rules never)."""
    names = {c.indicator.name: c.indicator for c in compiled.indicators if not c.indicator.safety}
    return tuple(
        _finding(index, compiled, book, r, settings)
        for r in book.rules
        if not r.safety and r.indicator in names
    )


def _finding(index: RowIndex, compiled: Compiled, book: Rulebook, rule: Rule, settings: Settings) -> Finding:
    overall = index.prop(rule.indicator, Group())
    seen: list[tuple[Group, Status, tuple[Check, ...], Comparison | None, bool]] = []
    for group in index.groups(rule.indicator, rule.segments):
        row = index.prop(rule.indicator, group)
        status, checks = check(rule.trigger, row)
        comparison = _comparison(index, compiled, rule.indicator, group, row, overall, settings)
        above = rule.reference is not None and row is not None and (row.ci_low or 0) > rule.reference
        seen.append((group, status, checks, comparison, above))
    hit = [s for s in seen if s[1] == "triggered"]
    if hit:
        hit.sort(key=lambda s: _preference(s, index, rule.indicator))
        group, status, checks, comparison, above = hit[0]
        also = tuple(s[0] for s in hit[1:])
    else:
        plausible = [s for s in seen if s[1] == "insufficient" and _plausible(rule, index, s[0])]
        group, status, checks, comparison, above = (plausible or seen)[0]
        also = ()
    finding = Finding(
        rule=rule.id,
        indicator=rule.indicator,
        domain=rule.domain,
        group=group,
        row=index.prop(rule.indicator, group),
        status=status,
        checks=checks,
        phase=index.phase(rule.indicator, group),
        classes=index.severity(rule.indicator, group),
        comparison=comparison,
        benchmark=above,
        also=also,
    )
    return _with_convergence(finding, index, compiled, book, settings)


def _preference(seen: tuple, index: RowIndex, indicator: str) -> tuple[int, float]:  # type: ignore[type-arg]
    group, _, _, comparison, above = seen
    row = index.prop(indicator, group)
    low = row.ci_low if row is not None and row.ci_low is not None else 0.0
    standing_out = above or (comparison is not None and comparison.significant)
    rank = 0 if standing_out else (1 if group.var is None else 2)
    return rank, -low


def _plausible(rule: Rule, index: RowIndex, group: Group) -> bool:
    """An insufficient row whose estimate meets the estimate conditions: a need the data cannot confirm."""
    row = index.prop(rule.indicator, group)
    if row is None or row.estimate is None:
        return group.var is None
    conditions = [c for c in rule.trigger if c.stat == "estimate"]
    return all(c.holds(row.estimate) for c in conditions)


def _comparison(
    index: RowIndex,
    compiled: Compiled,
    indicator: str,
    group: Group,
    row: Row | None,
    overall: Row | None,
    settings: Settings,
) -> Comparison | None:
    if group.var is None:
        return None
    test = index.test(indicator, group.var)
    if test is None:
        return None
    inside = built_in(compiled, indicator, group.var)
    mine = row.estimate if row is not None else None
    everyone = overall.estimate if overall is not None else None
    significant = (
        not inside
        and test.p_adjusted is not None
        and test.p_adjusted < settings.alpha
        and (test.effect_size or 0.0) >= settings.min_effect
        and mine is not None
        and everyone is not None
        and mine > everyone
    )
    return Comparison(
        key=test.analysis_key,
        test=test.stat,
        p_adjusted=test.p_adjusted,
        effect_size=test.effect_size,
        group_estimate=mine,
        overall_estimate=everyone,
        significant=significant,
        built_in=inside,
    )


def _with_convergence(
    finding: Finding, index: RowIndex, compiled: Compiled, book: Rulebook, settings: Settings
) -> Finding:
    triggers = {}
    for r in book.rules:
        if not r.safety:
            triggers.setdefault(r.indicator, r.trigger)
    flags: list[Flag] = []
    for c in compiled.indicators:
        ind = c.indicator
        if ind.safety or ind.domain != finding.domain:
            continue
        row = index.prop(ind.name, finding.group)
        status, _ = check(triggers.get(ind.name, settings.convergence_trigger), row)
        if status == "triggered" and row is not None:
            flags += [Flag(type=t, indicator=ind.name, key=row.analysis_key) for t in ind.bradshaw]
    if finding.comparative and finding.status == "triggered":
        key = finding.comparison.key if finding.comparison and finding.comparison.significant else ""
        flags.append(Flag(type="comparative", indicator=finding.indicator, key=key or _key(finding)))
    return msgspec.structs.replace(finding, convergence=tuple(flags))


def _key(finding: Finding) -> str:
    return finding.row.analysis_key if finding.row is not None else ""
