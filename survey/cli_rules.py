"""``survey rules``: check, publish and start a rulebook.

    survey rules check PATH... [--form FORM]...               exit 0 when every file is valid, else 1
    survey rules publish PATH [--assessment NAME_OR_ID] [--db URL]   a new version for the assessment
    survey rules export-seed [-o OUT.toml]                    the seed rulebook, comments and all

Problems print one per line as ``PATH: WHERE: PROBLEM`` (errors on stdout, warnings on stderr),
the same way the admin page shows them: ``line 3, column 7`` for TOML syntax, ``rule ID (rules[i]),
interventions[0].evidence.level`` for a field. With ``--form``, ``check`` also reads the rules
against those forms (survey.domain.rules checks a published rulebook against its assessment's).
Without ``--assessment``, ``publish`` publishes for every assessment that has none of its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import forms
from analysis import rulebook
from forms.errors import DefinitionError, Problem
from survey.cli_server import add_db_option, database
from survey.domain import rules


def _print(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stdout if problem.severity == "error" else sys.stderr)


def check(args: argparse.Namespace) -> int:
    """Check every rulebook file (against the ``--form`` files when given); 1 when any has an error."""
    against = []
    for path in args.forms:
        try:
            against.append(forms.load(path))
        except DefinitionError as err:
            _print(err.problems)
            return 1
        except (OSError, ValueError) as err:
            print(f"{path}: file: {err}", file=sys.stdout)
            return 1
    failed = False
    for path in args.paths:
        problems = rulebook.check(path, against)
        _print(problems)
        failed |= any(p.severity == "error" for p in problems)
    return 1 if failed else 0


def publish(args: argparse.Namespace) -> int:
    """Publish the rulebook for the assessment (or for every one); print what happened."""
    try:
        data = Path(args.path).read_bytes()
    except OSError as err:
        print(f"{args.path}: file: {err.strerror or err}", file=sys.stdout)
        return 1
    with database(args) as db:
        scope, name = None, "every assessment"
        if args.assessment:
            found = rules.assessment_named(db, args.assessment)
            if found is None:
                print(f"survey rules publish: no assessment {args.assessment!r}", file=sys.stderr)
                return 1
            scope, name = found.id, found.name
        try:
            row, warnings, created = rules.publish(db, data, args.path, scope)
        except rules.RulesError as err:
            _print(err.problems)
            return 1
        _print(warnings)
        label, used = f"{row.rulebook_id}@{row.version}", rules.in_use(db, scope).origin
    if created:
        print(f"published rulebook {label} for {name} (sha256 {row.hash[:12]})")
    else:
        print(f"rulebook {label} is already published for {name} with the same content; nothing changed")
    if used.label != label:
        print(f"in use for {name}: {used.label} (publish this one under a new version to use it again)")
    return 0


def export_seed(args: argparse.Namespace) -> int:
    """Write the seed rulebook's TOML to ``-o`` (stdout without it)."""
    text = rulebook.seed_text()
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def register(commands: Any) -> None:
    """Add ``survey rules`` to the ``survey`` parser."""
    top = commands.add_parser("rules", help="check, publish and start rulebooks")
    sub = top.add_subparsers(dest="rules_command", required=True)
    checking = sub.add_parser("check", help="check rulebook files (.toml)")
    checking.add_argument("paths", nargs="+", metavar="PATH")
    checking.add_argument(
        "--form", dest="forms", action="append", default=[], metavar="FORM", help="also check against FORM"
    )
    checking.set_defaults(run=check)
    pub = sub.add_parser("publish", help="publish a rulebook for an assessment (or for every one)")
    pub.add_argument("path", metavar="PATH")
    pub.add_argument("--assessment", metavar="NAME_OR_ID", help="its slug, name or id (default: every one)")
    add_db_option(pub)
    pub.set_defaults(run=publish)
    seed = sub.add_parser("export-seed", help="write the seed rulebook, to start a centre's own")
    seed.add_argument("-o", "--output", metavar="OUT.toml", help="the file to write (default: stdout)")
    seed.set_defaults(run=export_seed)
