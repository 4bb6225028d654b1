"""The ``survey`` command line.

    survey forms check PATH...                       exit 0 when every file is valid, else 1
    survey forms import-xlsform IN.xlsx -o OUT.toml  XLSForm → TOML (warnings on stderr)
    survey forms export-xlsform IN.toml -o OUT.xlsx  TOML or JSON → XLSForm
    survey rules check / publish / export-seed       rulebooks (survey/cli_rules.py)
    survey serve / db upgrade / demo                 the server (survey/cli_server.py)
    survey users add / tokens create                 accounts (survey/cli_accounts.py)
    survey analyze --form FORM --data DATA ...       the results table (survey/cli_analyze.py)

Problems print one per line as ``PATH: WHERE: PROBLEM``, the same way the web upload shows them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import forms
from forms.errors import DefinitionError, Problem
from survey import cli_accounts, cli_analyze, cli_demo, cli_rules, cli_server
from survey.settings import Settings


def _print(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stdout if problem.severity == "error" else sys.stderr)


def forms_check(args: argparse.Namespace) -> int:
    """Check every file; print each problem; 1 when any file has an error."""
    failed = False
    for path in args.paths:
        problems = forms.check(path)
        _print(problems)
        failed |= any(p.severity == "error" for p in problems)
    return 1 if failed else 0


def forms_import_xlsform(args: argparse.Namespace) -> int:
    """Convert an XLSForm to TOML, reporting what it could not carry over."""
    try:
        compiled, warnings = forms.compile_text(Path(args.input).read_bytes(), "xlsx", args.input)
    except DefinitionError as err:
        _print(err.problems)
        return 1
    _print(warnings)
    forms.dump(compiled.form, args.output)
    return 0


def forms_export_xlsform(args: argparse.Namespace) -> int:
    """Convert a TOML or JSON definition to an XLSForm."""
    try:
        form = forms.load(args.input)
    except DefinitionError as err:
        _print(err.problems)
        return 1
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    forms.dump(form, args.output)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser for every ``survey`` command."""
    top = argparse.ArgumentParser(prog="survey", description="Tanfang (探访): community needs assessment.")
    commands = top.add_subparsers(dest="command", required=True)

    forms_cmd = commands.add_parser("forms", help="check and convert form definitions")
    forms_sub = forms_cmd.add_subparsers(dest="forms_command", required=True)
    check = forms_sub.add_parser("check", help="check form files (.toml, .json, .xlsx)")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.set_defaults(run=forms_check)
    imp = forms_sub.add_parser("import-xlsform", help="convert an XLSForm to TOML")
    imp.add_argument("input", metavar="IN.xlsx")
    imp.add_argument("-o", "--output", required=True, metavar="OUT.toml")
    imp.set_defaults(run=forms_import_xlsform)
    exp = forms_sub.add_parser("export-xlsform", help="convert a TOML or JSON form to an XLSForm")
    exp.add_argument("input", metavar="IN.toml")
    exp.add_argument("-o", "--output", required=True, metavar="OUT.xlsx")
    exp.set_defaults(run=forms_export_xlsform)
    for module in (cli_rules, cli_server, cli_demo, cli_accounts, cli_analyze):
        module.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``survey`` command line; the exit status."""
    args = parser().parse_args(argv)
    return int(args.run(args))


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with ``--db``, ``--host`` and ``--port`` when given."""
    return Settings.from_env(
        database_url=getattr(args, "db", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


if __name__ == "__main__":
    sys.exit(main())
