"""``survey users add NAME --role ROLE`` and ``survey tokens create NAME``.

    echo 'a long password' | survey users add ana --role planner   # or type it at the prompt
    survey tokens create ana --name "ana's tablet"                  # the token alone on stdout

Both create the database first when it is new. Problems (an unknown role or user, a short
password, a taken name) go to stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from survey.cli_server import add_db_option, database
from survey.domain import accounts
from survey.store.models import ROLES


def read_password() -> str:
    """The password: typed twice at a prompt on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise accounts.AccountError("the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def users_add(args: argparse.Namespace) -> int:
    """Create a user with a role; the password comes from stdin."""
    accounts.check_role(args.role)  # before asking for a password that would be wasted
    password = read_password()
    with database(args) as db:
        accounts.add_user(db, args.name, password, args.role)
    print(f"added user {args.name} with the role {args.role}")
    return 0


def tokens_create(args: argparse.Namespace) -> int:
    """Print a new API token for a user, and nothing else."""
    with database(args) as db:
        token = accounts.create_token(db, args.name, args.label or "")
    print(token)
    return 0


def _reporting(command: str, run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``run``, with an :class:`~survey.domain.accounts.AccountError` printed to stderr as exit 1."""

    def reported(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except accounts.AccountError as err:
            print(f"survey {command}: {err}", file=sys.stderr)
            return 1

    return reported


def register(commands: Any) -> None:
    """Add the account commands to the ``survey`` parser."""
    users = commands.add_parser("users", help="people who sign in").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="create a user; the password is read from stdin")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, metavar="ROLE", help=f"one of: {', '.join(ROLES)}")
    add_db_option(add)
    add.set_defaults(run=_reporting("users add", users_add))
    tokens = commands.add_parser("tokens", help="API tokens for scripts and devices")
    tokens_sub = tokens.add_subparsers(dest="tokens_command", required=True)
    create = tokens_sub.add_parser("create", help="print a new API token for a user, alone on stdout")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--name", dest="label", metavar="LABEL", help="what the token is for (default: NAME)")
    add_db_option(create)
    create.set_defaults(run=_reporting("tokens create", tokens_create))
