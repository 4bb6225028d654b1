"""`survey analyze`: the command line contract (DESIGN.md §8)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from analysis.results import COLUMNS
from survey.cli import main
from tests.analysis.analysishelpers import HEADER, write_csv

FORM = (
    HEADER
    + """
[[questions]]
type = "select_one"
name = "sex"
choices = "sex"
segment = true

[[questions]]
type = "integer"
name = "age"

[[questions]]
type = "decimal"
name = "w"
weight = true

[[choices.sex]]
name = "f"
[[choices.sex]]
name = "m"
"""
)


def files(tmp_path):  # type: ignore[no-untyped-def]
    form = tmp_path / "form.toml"
    form.write_text(FORM, encoding="utf-8")
    rows = "\n".join(f"{'f' if i % 3 else 'm'},{20 + i},{1 + (i % 4) / 2},d{i % 2}" for i in range(60))
    data = write_csv(tmp_path, "sex,age,w,district\n" + rows + "\n", bom=True)
    return form, data


def test_without_json_the_table_goes_to_stdout_as_csv(tmp_path, capsysbinary):
    """The results table is printed as CSV, with the table's columns."""
    form, data = files(tmp_path)
    assert main(["analyze", "--form", str(form), "--data", str(data)]) == 0
    text = capsysbinary.readouterr().out.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == list(COLUMNS)
    assert {r["stat"] for r in table} >= {"prop", "mean", "median", "mannwhitney"}


def test_json_holds_meta_and_results_with_the_design(tmp_path, capsys):
    """--json writes {"meta", "results"}; --weights makes the design weighted."""
    form, data = files(tmp_path)
    out = tmp_path / "report.json"
    args = [
        "analyze",
        "--form",
        str(form),
        "--data",
        str(data),
        "--by",
        "sex",
        "--by",
        "district",
        "--weights",
        "w",
        "--json",
        str(out),
    ]
    assert main(args) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["meta"]["design"]["weighted"] is True
    assert [s["name"] for s in report["meta"]["segments"]] == ["sex", "district"]
    (test,) = [r for r in report["results"] if r["var"] == "age" and r["group_var"] == "sex" and r["p_value"]]
    assert "weights ignored" in test["method"]
    assert "written to" in capsys.readouterr().out


def test_an_unknown_segment_is_an_error_that_names_it(tmp_path, capsys):
    """--by a column the data lacks: exit 1 and say which."""
    form, data = files(tmp_path)
    assert main(["analyze", "--form", str(form), "--data", str(data), "--by", "town"]) == 1
    assert "no column 'town'" in capsys.readouterr().err


def test_bad_data_says_where(tmp_path, capsys):
    """A file that is not UTF-8: exit 1, PATH: WHERE: PROBLEM on stderr."""
    form, _ = files(tmp_path)
    data = tmp_path / "bad.csv"
    data.write_bytes(b"sex,age\n\xff,1\n")
    assert main(["analyze", "--form", str(form), "--data", str(data)]) == 1
    assert capsys.readouterr().err.strip() == f"{data}: line 2, byte 8: the file is not UTF-8 text"


def test_an_xlsform_is_a_form_too(tmp_path, capsys):
    """FORM may be an XLSForm: our export of the TOML form analyses the same data."""
    from forms import load, write_xlsform

    form, data = files(tmp_path)
    xlsx = tmp_path / "form.xlsx"
    xlsx.write_bytes(write_xlsform(load(form)))
    out = tmp_path / "r.json"
    assert main(["analyze", "--form", str(xlsx), "--data", str(data), "--json", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert any(r["group_var"] == "sex" for r in rows)  # the segment column survived the round trip


def test_strata_with_numbers_give_the_stratified_taylor_se(tmp_path):
    """--strata: the mean's SE is Σ_h n_h/(n_h − 1) Σ_i (z_i − z̄_h)² with z_i = (y_i − ȳ)/n (a
    loop over the strata here), and the median gets Woodruff's design-based interval."""
    form, data = files(tmp_path)
    out = tmp_path / "report.json"
    assert main(["analyze", "--form", str(form), "--data", str(data), "--strata", "district",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    ages = [20 + i for i in range(60)]
    district = [i % 2 for i in range(60)]
    mean = sum(ages) / 60
    variance = 0.0
    for h in (0, 1):
        z = [(a - mean) / 60 for a, d in zip(ages, district, strict=True) if d == h]
        zbar = sum(z) / len(z)
        variance += len(z) / (len(z) - 1) * sum((v - zbar) ** 2 for v in z)
    (row,) = [r for r in report["results"] if r["var"] == "age" and r["stat"] == "mean" and not r["group_var"]]
    assert row["estimate"] == mean
    t = 2.0017174841452352  # t(0.975, 58): 60 respondents in 2 strata
    assert (row["ci_high"] - row["ci_low"]) / 2 == pytest.approx(t * variance**0.5, rel=1e-9)
    (median,) = [r for r in report["results"] if r["var"] == "age" and r["stat"] == "median" and not r["group_var"]]
    assert median["estimate"] == 49
    assert median["ci_low"] < 49 < median["ci_high"]
    assert "Woodruff" in median["method"]
    assert report["meta"]["design"]["strata"] == "district"


def test_html_is_one_self_contained_file_in_the_forms_language(tmp_path, capsys):
    """--html writes a complete page with inline CSS and SVG charts and no script or outside file;
    its words are Chinese for a Chinese form, with the form's labels."""
    form, data = files(tmp_path)
    out = tmp_path / "report.html"
    assert main(["analyze", "--form", str(form), "--data", str(data), "--html", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in text
    assert "<style>" in text
    assert "<svg" in text
    assert "<script" not in text
    assert "<link" not in text
    assert "src=" not in text
    assert "如何阅读本报告" in text  # the page's words in Chinese
    assert "测试" in text  # the form's title
    assert "written to" in capsys.readouterr().out


def test_html_in_english_for_an_english_form(tmp_path):
    """A form whose default language is English gets an English report, suppressed cells said so."""
    form, data = files(tmp_path)
    form.write_text(FORM.replace('title = {zh = "测试", en = "Test"}', 'title = {zh = "测试", en = "Test"}\ndefault_language = "en"'), encoding="utf-8")
    rows = "\n".join(f"{'m' if i < 3 else 'f'},{20 + i},1,d0" for i in range(40))
    data = write_csv(tmp_path, "sex,age,w,district\n" + rows + "\n", name="small.csv")
    out = tmp_path / "report.html"
    assert main(["analyze", "--form", str(form), "--data", str(data), "--html", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    assert "How to read this report" in text
    assert "suppressed: too few respondents" in text  # 3 men of 40
