"""``survey analyze``: the results table of a form's data, as CSV on stdout or JSON in a file.

    survey analyze --form FORM --data DATA [--by VAR]... [--weights VAR] [--strata VAR]
                   [--cluster VAR] [--json OUT] [--html OUT]

FORM is our TOML (or JSON) or an XLSForm; DATA a CSV or XLSX export (Kobo/ODK layout, or ours).
Without ``--json`` or ``--html`` the table is written to stdout as CSV; ``--json OUT`` writes
``{"meta", "results"}`` (or the CSV when OUT ends in ``.csv``); ``--html OUT`` the report as one
self-contained HTML file, in the form's default language (Chinese unless the form is English);
stdout then gets a one-line summary per file. Warnings about the form and
the data go to stderr as ``PATH: WHERE: PROBLEM``; errors too, with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from forms.errors import DefinitionError
from forms.formats import compile_text, format_of


def run(args: argparse.Namespace) -> int:
    """Read the form and the data, analyse, write the outputs; the exit status."""
    from analysis.dataset import DataError, Dataset  # numpy and scipy only when analysing
    from analysis.report import Options, analyze
    from analysis.results import to_csv, write

    try:
        compiled, warnings = compile_text(Path(args.form).read_bytes(), format_of(args.form), args.form)
        dataset = Dataset.from_file(compiled, args.data)
        options = Options(by=tuple(args.by), weights=args.weights, strata=args.strata, cluster=args.cluster)
        report = analyze(dataset, options)
    except (DefinitionError, DataError) as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as err:
        print(f"survey analyze: {err}", file=sys.stderr)
        return 1
    for problem in [*warnings, *dataset.problems]:
        print(problem, file=sys.stderr)
    if args.json:
        write(report, args.json)
        print(f"{len(report.results)} results from {dataset.n} records written to {args.json}")
    if args.html:
        Path(args.html).write_text(_html(report, dataset.form), encoding="utf-8")
        print(f"the report of {dataset.n} records written to {args.html}")
    if not (args.json or args.html):
        sys.stdout.buffer.write(to_csv(report.results))
        sys.stdout.flush()
    return 0


def _html(report: Any, compiled: Any) -> str:
    """The HTML report in the form's language, fixed text from the server's catalogue."""
    from analysis.report_html import language_of, render
    from survey.web.i18n import translations

    language = language_of(compiled)
    return render(report, compiled, language=language, translations=translations(language))


def register(commands: Any) -> None:
    """Add the analyze command to the ``survey`` parser."""
    command = commands.add_parser(
        "analyze", help="estimates, comparisons, scales and indicators of a form's data"
    )
    command.add_argument("--form", required=True, metavar="FORM", help="the form: .toml, .json or .xlsx")
    command.add_argument("--data", required=True, metavar="DATA", help="the data: a .csv or .xlsx export")
    command.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="VAR",
        help="a segment to compare (repeatable; default: the form's segment questions)",
    )
    command.add_argument("--weights", metavar="VAR", help="the column of survey weights")
    command.add_argument("--strata", metavar="VAR", help="the column of strata")
    command.add_argument("--cluster", metavar="VAR", help="the column of clusters (primary sampling units)")
    command.add_argument(
        "--json", metavar="OUT", help="write the report as JSON (or CSV when OUT ends in .csv)"
    )
    command.add_argument("--html", metavar="OUT", help="write the report as one self-contained HTML file")
    command.set_defaults(run=run)
