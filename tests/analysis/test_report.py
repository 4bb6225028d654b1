"""The report: which rows, which tests, families, scales, indicators and guards (published reference values)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.dataset import Dataset
from analysis.report import Options, analyze
from analysis.report_needs import area_phase
from analysis.results import COLUMNS, read_json, to_csv, to_json
from tests.analysis.analysishelpers import make_form

ARTHRITIS = """
[[questions]]
type = "select_one"
name = "treatment"
choices = "treatment"
segment = true

[[questions]]
type = "select_one"
name = "improved"
choices = "improved"

[[questions]]
type = "integer"
name = "score"

[[choices.treatment]]
name = "placebo"
[[choices.treatment]]
name = "treated"

[[choices.improved]]
name = "none"
[[choices.improved]]
name = "some"
[[choices.improved]]
name = "marked"
"""


def arthritis() -> Dataset:
    """vcd::Arthritis, Treatment × Improved = [[29, 7, 7], [13, 7, 21]] (METHODS V2)."""
    table = [[29, 7, 7], [13, 7, 21]]
    treatment = np.repeat([0, 1], [sum(r) for r in table])
    improved = np.concatenate([np.repeat([0, 1, 2], r) for r in table])
    return Dataset.from_columns(make_form(ARTHRITIS), {"treatment": treatment, "improved": improved})


def rows(report, **match):  # type: ignore[no-untyped-def]
    return [r for r in report.results if all(getattr(r, k) == v for k, v in match.items())]


def comparisons(report, **match):  # type: ignore[no-untyped-def]
    return [r for r in rows(report, **match) if r.p_value is not None]


class TestComparisons:
    def test_two_categorical_questions_get_pearsons_chi_square(self):
        """Arthritis: χ² = 13.055 on 2 df, p = 0.001463, Cramér's V = 0.394 (R chisq.test, vcd)."""
        (test,) = comparisons(analyze(arthritis()), var="improved", group_var="treatment")
        assert test.stat == "chi2"
        assert test.statistic == pytest.approx(13.055, abs=5e-4)
        assert test.df == 2
        assert test.p_value == pytest.approx(0.001463, abs=5e-7)
        assert test.effect_size == pytest.approx(0.394, abs=5e-4)
        assert "expected counts" in test.method
        assert "Benjamini–Hochberg" in test.method

    def test_a_number_across_two_groups_gets_mann_whitney(self):
        """scipy's example: males [19,22,16,29,24] vs females [20,11,17,12] → U = 17, p = 0.1111."""
        form = make_form(ARTHRITIS)
        data = Dataset.from_columns(
            form,
            {
                "treatment": np.array([0] * 5 + [1] * 4),
                "score": np.array([19, 22, 16, 29, 24, 20, 11, 17, 12], dtype=float),
            },
        )
        (test,) = comparisons(analyze(data), var="score", group_var="treatment")
        assert (test.stat, test.statistic) == ("mannwhitney", 17.0)
        assert test.p_value == pytest.approx(0.1111, abs=1e-4)
        assert "indicative" in test.flags

    def test_benjamini_hochberg_runs_within_each_segment(self):
        """Each segment's tests form one family: adjusting one family leaves the other alone."""
        data = arthritis()
        report = analyze(data, Options(by=("treatment", "improved")))
        for segment in ("treatment", "improved"):
            family = [r for r in report.results if r.p_value is not None and r.group_var == segment]
            assert all(f"over the {len(family)} tests against {segment}" in r.method for r in family)
        (alone,) = comparisons(report, var="improved", group_var="treatment")
        assert alone.p_adjusted == alone.p_value  # a family of one


class TestDescriptives:
    def test_not_asked_leaves_the_denominator(self):
        """A question asked only of some respondents is estimated among those who answered it."""
        form = make_form(
            ARTHRITIS
            + """
[[questions]]
type = "select_one"
name = "side_effects"
choices = "improved"
relevant = "${treatment} = 'treated'"
"""
        )
        data = Dataset.from_columns(
            form,
            {
                "treatment": np.array([0] * 40 + [1] * 40),
                "side_effects": np.array([-1] * 40 + [0] * 30 + [2] * 10),
            },
        )
        (none,) = rows(analyze(data), var="side_effects", stat="prop", option="none", group_var=None)
        assert (none.estimate, none.n, none.n_total) == (0.75, 30, 40)

    def test_every_row_has_its_key_and_the_columns_of_the_table(self):
        """Rows carry analysistools' key, and the CSV has the results table's columns in order."""
        report = analyze(arthritis())
        (marked,) = rows(
            report, var="improved", option="marked", group_var="treatment", group_value="treated"
        )
        assert marked.analysis_key == "prop_select_one @/@ improved %/% marked @/@ treatment %/% treated"
        assert to_csv(report.results).decode("utf-8-sig").splitlines()[0] == ",".join(COLUMNS)
        assert read_json(to_json(report)).results == report.results


class TestGuards:
    def test_cells_of_five_or_more_are_shown(self):
        """A cell of 7 of 43 respondents is shown, and 43 is not thin (≥ 30)."""
        report = analyze(arthritis())
        (cell,) = rows(report, var="improved", option="some", group_var="treatment", group_value="placebo")
        assert (cell.n, cell.n_total) == (7, 43)
        assert "suppressed" not in cell.flags
        assert "indicative" not in cell.flags

    def test_a_cell_under_five_and_its_complement_are_suppressed(self):
        """3 'no' of 60: the count is removed, and so is 'yes' (57 = 60 − 3 would reveal it)."""
        form = make_form(ARTHRITIS)
        data = Dataset.from_columns(form, {"treatment": np.array([0] * 3 + [1] * 57)})
        placebo, treated = rows(analyze(data), var="treatment", group_var=None)
        assert placebo.estimate is None
        assert placebo.n is None
        assert "suppressed" in placebo.flags
        assert treated.estimate is None
        assert "complementary" in treated.flags
        assert placebo.n_total == 60

    def test_a_zero_cell_is_shown(self):
        """Nobody choosing an option discloses nothing about a person: 0 of 60 stays."""
        form = make_form(ARTHRITIS)
        data = Dataset.from_columns(form, {"improved": np.array([0] * 30 + [1] * 30)})
        (marked,) = rows(analyze(data), var="improved", option="marked", group_var=None)
        assert (marked.estimate, marked.n) == (0.0, 0)


SCALES = """
[[questions]]
type = "select_one"
name = "area"
choices = "area"
segment = true

[[questions]]
type = "likert"
name = "i1"
choices = "agree"
scale = "lonely"

[[questions]]
type = "likert"
name = "i2"
choices = "agree"
scale = "lonely"

[[questions]]
type = "likert"
name = "i3"
choices = "agree"
scale = "lonely"
reverse = true

[[choices.area]]
name = "a"
[[choices.area]]
name = "b"

[[choices.agree]]
name = "low"
value = 1
[[choices.agree]]
name = "mid"
value = 2
[[choices.agree]]
name = "high"
value = 3

[[indicators]]
name = "isolated"
flag = "${i1} = 'high'"

[[indicators.severity]]
level = 5
when = "${i2} = 'high' and ${i3} = 'low'"

[[indicators.severity]]
level = 4
when = "${i2} = 'high'"

[[indicators.severity]]
level = 3
when = "${i2} = 'mid'"
"""


class TestScalesAndIndicators:
    def test_alpha_uses_the_reversed_item(self):
        """Items that agree once i3 is reversed give α = 1 (identical columns)."""
        codes = np.array([0, 1, 2] * 20)
        data = Dataset.from_columns(make_form(SCALES), {"i1": codes, "i2": codes, "i3": 2 - codes})
        (alpha,) = rows(analyze(data), stat="alpha", var="lonely")
        assert alpha.estimate == pytest.approx(1.0)
        assert alpha.n == 60

    def test_area_phase_follows_the_x_percent_rule(self):
        """Shares (.40, .30, .08, .12, .10): the 20% rule gives phase 4, the 25% rule phase 3 (METHODS V19)."""
        assert area_phase(np.array([0.40, 0.30, 0.08, 0.12, 0.10]), 0.20) == 4
        assert area_phase(np.array([0.40, 0.30, 0.08, 0.12, 0.10]), 0.25) == 3
        # the same shares built from respondents: phases 1..5 held by 40, 30, 8, 12, 10 of 100
        i1 = np.array([0] * 40 + [2] * 60)
        i2 = np.array([0] * 40 + [0] * 30 + [1] * 8 + [2] * 12 + [2] * 10)
        i3 = np.array([2] * 40 + [2] * 30 + [2] * 8 + [2] * 12 + [0] * 10)
        data = Dataset.from_columns(make_form(SCALES), {"i1": i1, "i2": i2, "i3": i3})
        for share, phase in ((0.20, 4.0), (0.25, 3.0)):
            (area,) = rows(analyze(data, Options(phase_share=share)), stat="phase", group_var=None)
            assert area.estimate == phase
        (prevalence,) = rows(analyze(data), var="isolated", option="yes", group_var=None)
        assert (prevalence.estimate, prevalence.n) == (0.6, 60)


class TestFixes:
    def test_fisher_on_a_sparse_table_whose_statistic_scipy_returns_as_an_array(self):
        """[[2,0,0],[0,1,1]] has more cells than answers (scipy then returns arrays of one): the
        exact p is 1/3 (the four tables with these margins have probabilities 1/6, 2/6, 2/6, 1/6)
        and the statistic, the observed table's probability, is 1/6."""
        from analysis.compare import categorical

        result = categorical(np.array([[2, 0, 0], [0, 1, 1]]), seed=3, n_resamples=20_000)
        assert result.test == "fisher"
        assert result.statistic == pytest.approx(1 / 6)
        assert result.p_value == pytest.approx(1 / 3, abs=0.02)
        data = Dataset.from_columns(
            make_form(ARTHRITIS), {"treatment": np.array([0, 0, 1, 1]), "improved": np.array([0, 0, 1, 2])}
        )
        (test,) = comparisons(analyze(data, Options(fisher_resamples=20_000)), var="improved")
        assert (test.stat, test.statistic) == ("fisher", pytest.approx(1 / 6))
        assert test.p_value == pytest.approx(1 / 3, abs=0.02)


RANKED = """
[[questions]]
type = "select_one"
name = "area"
choices = "area"
segment = true

[[questions]]
type = "rank"
name = "needs"
choices = "needs"
top = 2

[[choices.area]]
name = "a"
[[choices.area]]
name = "b"

[[choices.needs]]
name = "care"
[[choices.needs]]
name = "meals"
[[choices.needs]]
name = "visits"
"""


class TestRankings:
    def test_first_choices_borda_points_and_mentions(self):
        """40 rank care then meals, 20 meals then visits, 10 visits then care (METHODS §2.9): first
        choice 40/70, 20/70, 10/70; mentioned 50/70, 60/70, 30/70; Borda (2 for first, 1 for
        second, ÷ 2): care (80 + 10)/140, meals (40 + 40)/140, visits (20 + 20)/140."""
        answers = ["care meals"] * 40 + ["meals visits"] * 20 + ["visits care"] * 10
        area = np.array([0, 1] * 35)
        data = Dataset.from_columns(make_form(RANKED), {"area": area, "needs": answers})
        report = analyze(data)
        first = {r.option: r for r in rows(report, var="needs", stat="first", group_var=None)}
        borda = {r.option: r for r in rows(report, var="needs", stat="borda", group_var=None)}
        mentioned = {r.option: r for r in rows(report, var="needs", stat="prop", group_var=None)}
        assert {o: r.n for o, r in first.items()} == {"care": 40, "meals": 20, "visits": 10}
        assert first["care"].estimate == pytest.approx(40 / 70)
        assert first["care"].n_total == 70
        assert {o: r.n for o, r in mentioned.items()} == {"care": 50, "meals": 60, "visits": 30}
        assert borda["care"].estimate == pytest.approx(90 / 140)
        assert borda["meals"].estimate == pytest.approx(80 / 140)
        assert borda["visits"].estimate == pytest.approx(40 / 140)
        assert borda["care"].ci_low < borda["care"].estimate < borda["care"].ci_high
        assert first["care"].analysis_key == "first @/@ needs %/% care @/@ NA %/% NA"
        by_area = {r.option: r.n for r in rows(report, var="needs", stat="first", group_value="a")}
        assert by_area == {"care": 20, "meals": 10, "visits": 5}
