"""`survey analyze` reproduces REACH's published results (../shared/data; never copied here).

Talafar (REACH Iraq): every overall and by-socio_eco_division proportion and mean the authors
published is compared by (variable, option, group): estimate within 1e-6 and the same n (their
``n_unweighted``: respondents with the option, or with a value). Not compared, and why:

- rows we suppress (a count of 1–4 respondents, or a complement that keeps it from being
  recovered): we check instead that the authors' count there is indeed below 5, or that the row
  is marked ``complementary``;
- pump_horsepower: its choice names are decimals (0.5, 0.75, 1.5, 7.5) and the authors' CSV wrote
  them mangled ("75", and "5" three times), so their rows cannot be matched to an option.

analysistools' MSNA template: every row of ``results_table_no_ratio.csv`` (prop_select_one,
prop_select_multiple, mean, median; overall and by admin1) is compared the same way, plus n_total
and the analysis_key. Their intervals are srvyr's Wald t intervals; ``interval="reach"``
reproduces them for proportions and means (within 1e-6), not for medians (srvyr inverts the CDF's
interval, we bootstrap), so median intervals are not compared.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from analysis.dataset import Dataset
from analysis.report import Options, analyze
from forms.formats import compile_text
from survey.cli import main

TOLERANCE = 1e-6
MANGLED = {"pump_horsepower"}


def authors(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def run_cli(tmp_path: Path, form: Path, data: Path, *by: str) -> list[dict]:
    out = tmp_path / "report.json"
    args = ["analyze", "--form", str(form), "--data", str(data), "--json", str(out)]
    for name in by:
        args += ["--by", name]
    assert main(args) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"meta", "results"}
    return report["results"]


def talafar_check(
    published: list[dict[str, str]], ours: list[dict], group_var: str | None, intervals: bool = False
) -> Counter[str]:
    """Compare every published row; return how many were compared and why others were not."""
    index = {
        (r["var"], r["option"] or "", r["group_value"] or ""): r
        for r in ours
        if r["stat"] in ("prop", "mean") and r["group_var"] == group_var
    }
    outcome: Counter[str] = Counter()
    for a in published:
        if a["main_variable"] in MANGLED:
            outcome["mangled by the authors"] += 1
            continue
        key = (a["main_variable"], a["choice"], a.get("subset_1_val", ""))
        r = index[key]
        n = int(a["n_unweighted"])
        if r["estimate"] is None:
            assert "suppressed" in r["flags"]
            assert n < 5 or "complementary" in r["flags"], key
            outcome["suppressed"] += 1
            continue
        assert abs(r["estimate"] - float(a["mean.pct"])) <= TOLERANCE, key
        assert r["n"] == n, key
        if intervals:
            assert abs(r["ci_low"] - float(a["mean.pct_low"])) <= TOLERANCE, key
            assert abs(r["ci_high"] - float(a["mean.pct_upp"])) <= TOLERANCE, key
        outcome["compared"] += 1
    return outcome


@pytest.fixture
def talafar(shared_data: Path) -> Path:
    return shared_data / "reach_iraq_talafar"


def test_talafar_overall_proportions_and_means(talafar: Path, tmp_path: Path) -> None:
    """Every published overall row matches our estimate and n, except the ones listed in the docstring."""
    ours = run_cli(tmp_path, talafar / "form.xlsx", talafar / "clean_data.csv")
    outcome = talafar_check(authors(talafar / "overall_analysis.csv"), ours, None)
    assert outcome == {"compared": 363, "suppressed": 107, "mangled by the authors": 9}


def test_talafar_by_socio_economic_division(talafar: Path, tmp_path: Path) -> None:
    """Every published by-group row matches, with a data column (not a question) as the segment."""
    ours = run_cli(tmp_path, talafar / "form.xlsx", talafar / "clean_data.csv", "socio_eco_division")
    published = authors(talafar / "analysis_by_group_socio_eco_division.csv")
    outcome = talafar_check(published, ours, "socio_eco_division")
    assert outcome == {"compared": 1728, "suppressed": 1340, "mangled by the authors": 23}
    assert outcome.total() == len(published)


@pytest.mark.parametrize(
    ("file", "by"),
    [("overall_analysis.csv", ()), ("analysis_by_group_socio_eco_division.csv", ("socio_eco_division",))],
)
def test_talafar_intervals_with_the_reach_option(talafar: Path, file: str, by: tuple[str, ...]) -> None:
    """interval="reach" gives the authors' t intervals too (srvyr after filtering out NA)."""
    compiled = compile_text((talafar / "form.xlsx").read_bytes(), "xlsx", "form.xlsx")[0]
    report = analyze(
        Dataset.from_file(compiled, talafar / "clean_data.csv"), Options(by=by, interval="reach")
    )
    ours = [json.loads(json.dumps(__import__("msgspec").to_builtins(r))) for r in report.results]
    outcome = talafar_check(authors(talafar / file), ours, by[0] if by else None, intervals=True)
    assert outcome["compared"] == (1728 if by else 363)


def test_analysistools_template(shared_data: Path, tmp_path: Path) -> None:
    """analysistools' own results table: every unsuppressed row matches estimate, n, n_total and key."""
    folder = shared_data / "reach_msna_template"
    form, data = folder / "analysistools_MSNA_template_tool.xlsx", folder / "data.csv"
    rows = run_cli(tmp_path, form, data) + run_cli(tmp_path, form, data, "admin1")
    ours = {r["analysis_key"]: r for r in rows}
    outcome: Counter[str] = Counter()
    for a in authors(folder / "results_table_no_ratio.csv"):
        r = ours[a["analysis_key"]]
        if r["estimate"] is None:
            assert float(a["n"]) < 5 or "complementary" in r["flags"]
            outcome["suppressed"] += 1
            continue
        assert abs(r["estimate"] - float(a["stat"])) <= TOLERANCE, a["analysis_key"]
        assert (r["n"], r["n_total"]) == (int(float(a["n"])), int(float(a["n_total"]))), a["analysis_key"]
        outcome[a["analysis_type"]] += 1
    assert outcome == {
        "prop_select_multiple": 60,
        "prop_select_one": 15,
        "mean": 8,
        "median": 8,
        "suppressed": 52,
    }


def test_analysistools_template_intervals_with_the_reach_option(shared_data: Path) -> None:
    """Proportion and mean intervals equal srvyr's with interval="reach" (medians are not compared)."""
    folder = shared_data / "reach_msna_template"
    compiled = compile_text(
        (folder / "analysistools_MSNA_template_tool.xlsx").read_bytes(), "xlsx", "t.xlsx"
    )[0]
    dataset = Dataset.from_file(compiled, folder / "data.csv")
    rows = [
        *analyze(dataset, Options(interval="reach")).results,
        *analyze(dataset, Options(by=("admin1",), interval="reach")).results,
    ]
    ours = {r.analysis_key: r for r in rows}
    compared = 0
    for a in authors(folder / "results_table_no_ratio.csv"):
        r = ours[a["analysis_key"]]
        if a["analysis_type"] == "median" or r.estimate is None:
            continue
        assert abs(r.ci_low - float(a["stat_low"])) <= TOLERANCE, a["analysis_key"]
        assert abs(r.ci_high - float(a["stat_upp"])) <= TOLERANCE, a["analysis_key"]
        compared += 1
    assert compared == 83
