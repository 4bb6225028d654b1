"""``survey demo``: a database with the form library, sites, users and data — then serve it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from survey.cli_server import add_db_option, serve


def demo(args: argparse.Namespace) -> int:
    """Build (or complete) the demo database, print what it holds and the logins, then serve it."""
    from survey.cli import settings_for
    from survey.domain import demo as builder

    settings = settings_for(args)
    try:
        summary = builder.build(settings.database_url)
    except builder.DemoError as err:
        print(f"survey demo: {err}", file=sys.stderr)
        return 1
    total = sum(summary.submissions.values())
    print(f"demo database: {summary.url}")
    print(
        f"  {total} responses to {len(summary.submissions)} forms ({summary.created} new), "
        f"{len(summary.sites)} sites, built in {summary.seconds:.1f} s"
    )
    print("demo logins (username / password / role):")
    for username, role in summary.users.items():
        print(f"  {username:<12} {builder.PASSWORD:<14} {role}")
    if args.no_serve:
        return 0
    return serve(args)  # prints the URL


def register(commands: Any) -> None:
    """Add the demo command to the ``survey`` parser."""
    command = commands.add_parser(
        "demo", help="create a demo database (forms, sites, users, responses) and serve it"
    )
    add_db_option(command)
    command.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, help="port (default 8000)")
    command.add_argument("--no-serve", action="store_true", help="create the database and stop")
    command.set_defaults(run=demo, workers=1)
