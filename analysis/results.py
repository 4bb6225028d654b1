"""The long results table: one row per estimate or test, read by every output (HTML, CSV, JSON, proposal).

Columns (METHODS.md): ``analysis_key, var, type, stat, option, group_var, group_value, estimate,
ci_low, ci_high, n, n_total, n_w, n_w_total, statistic, df, p_value, p_adjusted, effect_size,
method, flags``.

- ``stat``: ``prop`` (with ``option``), ``mean``, ``median``, ``top2box``, ``first`` and ``borda``
  (a ranking's first choices and Borda points, per ``option``), ``alpha`` (``var`` is the scale),
  ``phase`` (an indicator's area classification by the x% rule), or a test —
  ``chi2``, ``fisher``, ``rao_scott``, ``mannwhitney``, ``kruskal`` — with ``group_var``,
  ``statistic``, ``df``, ``p_value``, ``p_adjusted`` (Benjamini–Hochberg within the family named
  in ``method``) and ``effect_size``.
- ``type``: the question type (``select_one``, ``select_multiple``, ``likert``, ``integer``…),
  ``scale`` for a scale score, ``indicator`` for a need flag, ``data`` for a column outside the form.
- ``n``: for a proportion, the respondents with that option; otherwise the respondents counted.
  ``n_total``: the denominator (respondents who answered). ``n_w``, ``n_w_total``: the same weighted.
- ``flags``: ``indicative`` (n_total < 30), ``imprecise`` (CI wider than 20 points, or CV > 0.3
  for a mean), ``suppressed`` (a count under 5: estimate, interval and counts removed) and
  ``complementary`` (withheld so that no suppressed count can be worked out from the others).
- ``analysis_key``: as analysistools writes it, ``prop_select_one @/@ var %/% option @/@ group_var
  %/% group_value`` (``NA`` where a part is empty).

The JSON file is ``{"meta": {...}, "results": [rows]}``; the CSV has the columns above, flags
joined by ``;`` and empty cells for missing values.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import Any

import msgspec
from msgspec import Struct

__all__ = ["COLUMNS", "Report", "Row", "analysis_key", "read_json", "to_csv", "to_json", "write"]

COLUMNS = (
    "analysis_key",
    "var",
    "type",
    "stat",
    "option",
    "group_var",
    "group_value",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "n_total",
    "n_w",
    "n_w_total",
    "statistic",
    "df",
    "p_value",
    "p_adjusted",
    "effect_size",
    "method",
    "flags",
)

TESTS = frozenset({"chi2", "fisher", "rao_scott", "mannwhitney", "kruskal"})
MULTIPLE_TYPES = frozenset({"select_multiple", "rank"})


class Row(Struct, frozen=True, kw_only=True):
    """One estimate or one test."""

    analysis_key: str
    var: str
    type: str
    stat: str
    option: str | None = None
    group_var: str | None = None
    group_value: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    n_total: int | None = None
    n_w: float | None = None
    n_w_total: float | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    effect_size: float | None = None
    method: str = ""
    flags: tuple[str, ...] = ()


class Report(Struct, frozen=True, kw_only=True):
    """The results table and what produced it (form, data, design, settings, seeds, data problems)."""

    meta: dict[str, Any]
    results: tuple[Row, ...]


def analysis_key(
    stat: str, var: str, type_: str, option: str | None, group_var: str | None, group_value: str | None
) -> str:
    """``prop_select_one @/@ var %/% option @/@ group_var %/% group_value``, analysistools' key."""
    kind = stat
    if stat == "prop":
        kind = "prop_select_multiple" if type_ in MULTIPLE_TYPES else "prop_select_one"
    return f"{kind} @/@ {var} %/% {_na(option)} @/@ {_na(group_var)} %/% {_na(group_value)}"


def _na(text: str | None) -> str:
    return "NA" if text is None or text == "" else text


def row(
    stat: str,
    var: str,
    type_: str,
    *,
    option: str | None = None,
    group_var: str | None = None,
    group_value: str | None = None,
    **values: Any,
) -> Row:
    """A row with its key filled in; non-finite numbers become None."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
    key = analysis_key(stat, var, type_, option, group_var, group_value)
    return Row(
        analysis_key=key,
        var=var,
        type=type_,
        stat=stat,
        option=option,
        group_var=group_var,
        group_value=group_value,
        **clean,
    )


# ------------------------------------------------------------------------------------------ writers

_ENCODER = msgspec.json.Encoder()
_REPORT = msgspec.json.Decoder(Report)  # at import: see forms.formats.FORM_JSON


def to_json(report: Report) -> bytes:
    """``{"meta": {...}, "results": [rows]}`` as indented UTF-8 JSON."""
    return msgspec.json.format(_ENCODER.encode(report), indent=1)


def read_json(data: bytes | str) -> Report:
    """A report back from :func:`to_json`'s output."""
    return _REPORT.decode(data)


def to_csv(rows: tuple[Row, ...] | list[Row]) -> bytes:
    """The rows as CSV (UTF-8 with a byte-order mark so spreadsheets read Chinese text), CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_cell(getattr(r, c)) for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write(report: Report, path: str | os.PathLike[str]) -> None:
    """Write the report as JSON (``.json``) or the rows as CSV (``.csv``), by the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        Path(path).write_bytes(to_csv(report.results))
    elif suffix == ".json":
        Path(path).write_bytes(to_json(report))
    else:
        raise ValueError(f"{path}: write .json or .csv")
