"""Dependencies every handler may ask for: the database session and who is asking.

``db`` is one session per request, committed when the handler succeeds. ``principal`` is the
user behind an ``Authorization: Bearer`` token or the session cookie, or None. The guards turn
"no one" into 401 and "the wrong role" into 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import Engine
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from survey.domain import accounts
from survey.domain.accounts import Principal
from survey.store import db as store

SESSION_COOKIE = "tanfang_session"
T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CLIENT_HEADER, CLIENT = "x-requested-with", "tanfang"
"""The header the fieldwork client sends with API calls it makes on a session cookie. Another site
cannot make a browser send a custom header without a CORS preflight (which it never gets), so an
API write on a cookie without it is refused: the API's CSRF protection. Token calls need nothing."""


def provide_db(request: Request[Any, Any, Any]) -> Iterator[DbSession]:
    """One database session for the request: committed on success, rolled back on error."""
    factory: sessionmaker[DbSession] = request.app.state.sessions
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def identify(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Who is asking, cached on the connection; bearer tokens first, then the session cookie."""
    if "principal" in connection.scope.get("state", {}):
        return connection.scope["state"]["principal"]
    found = None
    header = connection.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        engine: Engine = connection.app.state.engine
        # a bare read-only connection (no ORM session): a token is checked on every API call
        with engine.connect().execution_options(**{store.READ_ONLY: True}) as db:
            found = accounts.principal_from_token(db, header[7:].strip())
    elif cookie := connection.cookies.get(SESSION_COOKIE):
        factory: sessionmaker[DbSession] = connection.app.state.read_sessions  # never waits for a writer
        with factory() as session:
            found = accounts.principal_from_session(session, cookie)
    connection.scope.setdefault("state", {})["principal"] = found
    return found


def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The principal for handlers that need to know who is asking."""
    return identify(request)


def require(*roles: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: 401 without credentials, 403 without one of ``roles`` (admins pass every guard)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = identify(connection)
        if principal is None:
            raise NotAuthorizedException("sign in or send an Authorization: Bearer token")
        if roles and not principal.has(*roles):
            raise PermissionDeniedException(f"this needs the role {' or '.join(roles)}")
        unsafe = connection.scope.get("method") not in SAFE_METHODS
        on_cookie = principal.via == "session" and connection.url.path.startswith("/api/")
        if on_cookie and unsafe and connection.headers.get(CLIENT_HEADER) != CLIENT:
            raise PermissionDeniedException(f"an API write on a session needs {CLIENT_HEADER}: {CLIENT}")

    return guard


async def in_thread(
    request: Request[Any, Any, Any], work: Callable[..., T], *args: Any, write: bool = False
) -> T:
    """``work(db, *args)`` in a worker thread, on a session opened, committed and closed there.

    No transaction outlives the thread, so nothing the event loop does (a guard reading who is
    asking) ever waits on a lock that only the event loop could release. ``write=False`` uses a
    read-only session (on SQLite it takes no lock at all). The transaction begins when ``work``
    first uses the session, so what it does before (checking a batch) holds no lock yet; it is
    committed when ``work`` returns, rolled back when it raises.
    """

    def run() -> T:
        factory = request.app.state.sessions if write else request.app.state.read_sessions
        with factory() as db:
            result = work(db, *args)
            db.commit()
            return result

    return await sync_to_thread(run)
