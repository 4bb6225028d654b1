"""Suppression in the report's output: no small count can be recovered from what the rows publish.

The check is independent of the solver: for each variable, a linear programme over the true
counts behind it — per group of the segment (and the respondents outside every group), per
option (chosen or not, per position for a ranking) — constrained by every number the report's
rows publish (counts, bases, means times their base, top-2-box counts, Borda points, test sizes,
the segment's own distribution, the number of records) and by what a reader knows of the form
(every question was answered; a ranking fills each of its positions once). Each true count of
1 to 4 must keep a range of at least 1 between the programme's minimum and maximum — except how
many did not answer the segment question: every question's base next to the number of records
says how many skipped it, and bases are published on purpose.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

from analysis.dataset import Dataset
from analysis.report import analyze
from analysis.results import TESTS
from tests.analysis.analysishelpers import make_form

FORM = (
    """
[[questions]]
type = "select_one"
name = "grp"
choices = "grp"
segment = true

[[questions]]
type = "select_one"
name = "q1"
choices = "abc"

[[questions]]
type = "select_multiple"
name = "q2"
choices = "abc"

[[questions]]
type = "likert"
name = "q3"
choices = "agree"

[[questions]]
type = "integer"
name = "q4"

[[questions]]
type = "rank"
name = "q5"
choices = "abcd"
top = 3

[[choices.grp]]
name = "g0"
[[choices.grp]]
name = "g1"
[[choices.grp]]
name = "g2"
"""
    + "".join(f'[[choices.abc]]\nname = "{o}"\n' for o in "abc")
    + "".join(f'[[choices.abcd]]\nname = "{o}"\n' for o in "abcd")
    + "".join(f'[[choices.agree]]\nname = "p{v}"\nvalue = {v}\n' for v in range(1, 6))
)

GROUPS = ("g0", "g1", "g2", None)  # None: outside every group (segment not answered)
SCORES = np.arange(1, 6)


def dataset(seed: int, n: int) -> tuple[Dataset, dict[str, np.ndarray]]:
    """Every question answered by everyone; the segment missing for some."""
    rng = np.random.default_rng(seed)
    grp = rng.choice([-1, 0, 1, 2], n, p=[0.1, 0.5, 0.3, 0.1])
    ticks = rng.random((n, 3)) < 0.5
    ticks[~ticks.any(axis=1), rng.integers(0, 3)] = True
    ranks = [rng.permutation(4)[:3] for _ in range(n)]
    data = {
        "grp": grp,
        "q1": rng.choice(3, n, p=[0.7, 0.2, 0.1]),
        "q2": ticks,
        "q3": rng.choice(5, n, p=[0.05, 0.1, 0.2, 0.4, 0.25]),
        "q4": rng.integers(0, 9, n).astype(float),
        "q5": np.array([" ".join("abcd"[i] for i in r) for r in ranks], dtype=object),
    }
    order = np.zeros((n, 4), int)
    for i, r in enumerate(ranks):
        order[i, r] = [1, 2, 3]
    truth = {"grp": grp, "q1": data["q1"], "q2": ticks, "q3": data["q3"], "q4": data["q4"], "q5": order}
    return Dataset.from_columns(make_form(FORM), data), truth


class Programme:
    """Unknown counts with linear equalities; min and max of one unknown."""

    def __init__(self) -> None:
        self.names: dict[tuple, int] = {}
        self.rows: list[dict[int, float]] = []
        self.rhs: list[float] = []

    def var(self, *key: object) -> int:
        return self.names.setdefault(key, len(self.names))

    def equal(self, terms: dict[int, float], value: float) -> None:
        self.rows.append(terms)
        self.rhs.append(value)

    def bounds(self, key: tuple) -> tuple[float, float]:
        a = np.zeros((len(self.rows), len(self.names)))
        for i, terms in enumerate(self.rows):
            for j, c in terms.items():
                a[i, j] += c
        cost = np.zeros(len(self.names))
        cost[self.names[key]] = 1
        low = optimize.linprog(cost, A_eq=a, b_eq=self.rhs, bounds=(0, None), method="highs")
        high = optimize.linprog(-cost, A_eq=a, b_eq=self.rhs, bounds=(0, None), method="highs")
        assert low.status == 0
        return low.fun, (-high.fun if high.status == 0 else np.inf)


def sizes(lp: Programme, report, n: int) -> None:
    """Group sizes y_g: they add up to the records; the segment's own rows publish some."""
    lp.equal({lp.var("y", g): 1.0 for g in GROUPS}, n)
    for r in report.results:
        if r.var == "grp" and r.stat == "prop" and r.group_var is None and r.n is not None:
            lp.equal({lp.var("y", r.option): 1.0}, r.n)


def published(report, var: str):
    """(stat, group (None: all), option, row) for every row of ``var``."""
    for r in report.results:
        if r.var == var:
            yield r.stat, (r.group_value if r.group_var else "*"), r.option, r


def cells(g: str) -> tuple:
    """The groups a published group covers ("*": everyone)."""
    return GROUPS if g == "*" else (g,)


def single(lp: Programme, report, var: str, k: int, scored: bool) -> None:
    for g in GROUPS:  # everyone answered
        lp.equal({**{lp.var(var, g, j): 1.0 for j in range(k)}, lp.var("y", g): -1.0}, 0)
    for stat, g, option, r in published(report, var):
        j = None if option is None else int(option[1:]) - 1 if scored else "abc".index(option)
        if stat in TESTS:
            if r.n is not None:
                lp.equal({lp.var(var, h, i): 1.0 for h in GROUPS[:3] for i in range(k)}, r.n)
            continue
        whole = {lp.var(var, h, i): 1.0 for h in cells(g) for i in range(k)}
        if r.n_total is not None:
            lp.equal(whole, r.n_total)
        if stat == "prop" and r.n is not None:
            lp.equal({lp.var(var, h, j): 1.0 for h in cells(g)}, r.n)
        if stat == "mean" and r.estimate is not None:
            lp.equal(
                {lp.var(var, h, i): float(SCORES[i]) for h in cells(g) for i in range(k)}, r.estimate * r.n
            )
        if stat == "top2box" and r.n is not None:
            lp.equal({lp.var(var, h, i): 1.0 for h in cells(g) for i in (3, 4)}, r.n)


def multiple(lp: Programme, report, var: str) -> None:
    for g in GROUPS:
        for j in range(3):
            lp.equal({lp.var(var, g, j, 1): 1.0, lp.var(var, g, j, 0): 1.0, lp.var("y", g): -1.0}, 0)
    for stat, g, option, r in published(report, var):
        j = "abc".index(option)
        if stat in TESTS:
            if r.n is not None:
                lp.equal({lp.var(var, h, j, c): 1.0 for h in GROUPS[:3] for c in (0, 1)}, r.n)
            continue
        if r.n is not None:
            lp.equal({lp.var(var, h, j, 1): 1.0 for h in cells(g)}, r.n)
        if r.n_total is not None:
            lp.equal({lp.var(var, h, j, c): 1.0 for h in cells(g) for c in (0, 1)}, r.n_total)


def numeric(lp: Programme, report, var: str) -> None:
    for stat, g, _, r in published(report, var):
        if stat in TESTS:
            if r.n is not None:
                lp.equal({lp.var("y", h): 1.0 for h in GROUPS[:3]}, r.n)
        elif r.n is not None:
            lp.equal({lp.var("y", h): 1.0 for h in cells(g)}, r.n)


def ranking(lp: Programme, report, var: str) -> None:
    for g in GROUPS:
        for j in range(4):  # every option somewhere (0: not in the top 3)
            lp.equal({**{lp.var(var, g, j, p): 1.0 for p in range(4)}, lp.var("y", g): -1.0}, 0)
        for p in range(1, 4):  # every position filled once
            lp.equal({**{lp.var(var, g, j, p): 1.0 for j in range(4)}, lp.var("y", g): -1.0}, 0)
    for stat, g, option, r in published(report, var):
        j = "abcd".index(option)
        if stat in TESTS:
            if r.n is not None:
                lp.equal({lp.var(var, h, j, p): 1.0 for h in GROUPS[:3] for p in range(4)}, r.n)
            continue
        if r.n_total is not None:
            lp.equal({lp.var(var, h, j, p): 1.0 for h in cells(g) for p in range(4)}, r.n_total)
        if stat == "first" and r.n is not None:
            lp.equal({lp.var(var, h, j, 1): 1.0 for h in cells(g)}, r.n)
        if stat == "prop" and r.n is not None:
            lp.equal({lp.var(var, h, j, p): 1.0 for h in cells(g) for p in (1, 2, 3)}, r.n)
        if stat == "borda" and r.estimate is not None:
            points = {lp.var(var, h, j, p): float(4 - p) for h in cells(g) for p in (1, 2, 3)}
            lp.equal(points, r.estimate * 3 * r.n_total)


def true_counts(truth: dict[str, np.ndarray]):
    """((variable, group, ...), count) for every count behind the report, from the data."""
    grp = truth["grp"]
    members = {g: grp == (GROUPS.index(g) if g else -1) for g in GROUPS}
    for g, inside in members.items():
        yield ("y", g), int(inside.sum())
        for var, k in (("q1", 3), ("q3", 5)):
            for j in range(k):
                yield (var, g, j), int((inside & (truth[var] == j)).sum())
        for j in range(3):
            for c in (0, 1):
                yield ("q2", g, j, c), int((inside & (truth["q2"][:, j] == bool(c))).sum())
        for j in range(4):
            for p in range(4):
                yield ("q5", g, j, p), int((inside & (truth["q5"][:, j] == p)).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(6, 45))
def test_no_small_count_follows_from_the_report(seed: int, n: int) -> None:
    """Every count of 1–4 behind any row keeps a range of at least 1 given everything published."""
    data, truth = dataset(seed, n)
    report = analyze(data)
    lp = Programme()
    sizes(lp, report, n)
    single(lp, report, "q1", 3, scored=False)
    single(lp, report, "q3", 5, scored=True)
    multiple(lp, report, "q2")
    numeric(lp, report, "q4")
    ranking(lp, report, "q5")
    for key, value in true_counts(truth):
        if 0 < value < 5 and key in lp.names and key != ("y", None):
            low, high = lp.bounds(key)
            assert low <= value + 1e-6 <= high + 2e-6, key
            assert high - low >= 1 - 1e-6, (key, value, low, high)


def test_a_small_group_is_hidden_with_a_complement_in_every_table():
    """A group of 3 is hidden in the segment's own distribution and in every table by it, and so
    is the next smallest group, so its size cannot be found as the rest of the total."""
    data, _ = dataset(7, 40)
    report = analyze(data)
    sizes_ = {r.option: r for r in report.results if r.var == "grp" and r.group_var is None}
    hidden = {g for g, r in sizes_.items() if r.n is None}
    assert len(hidden) != 1
    for r in report.results:
        if r.group_var == "grp" and r.group_value in hidden and r.stat not in TESTS:
            assert r.n is None
            assert r.n_total is None
            assert "suppressed" in r.flags


@pytest.mark.parametrize("seed", range(5))
def test_published_counts_are_the_true_counts(seed: int) -> None:
    """What stays published is exact: every shown count equals the count in the data."""
    data, truth = dataset(seed, 40)
    report = analyze(data)
    known = dict(true_counts(truth))
    for r in report.results:
        if r.var == "q1" and r.stat == "prop" and r.n is not None:
            g = r.group_value if r.group_var else None
            groups = GROUPS if g is None else (g,)
            assert r.n == sum(known[("q1", h, "abc".index(r.option))] for h in groups)
