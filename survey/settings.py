"""Settings: one frozen Struct, read from ``SURVEY_*`` environment variables and passed explicitly.

Nothing is read at import time: :meth:`Settings.from_env` is called by the command line, and a
test builds ``Settings(database_url=...)`` for its own temporary database.

| variable | default | meaning |
|---|---|---|
| ``SURVEY_DATABASE_URL`` | ``sqlite:///tanfang.sqlite3`` | the database (SQLite file in the working directory, or ``postgresql+psycopg://…``) |
| ``SURVEY_SECRET_KEY`` | generated once and kept in the database | signs CSRF tokens; set it when several servers share a database |
| ``SURVEY_MAX_BODY_BYTES`` | ``20000000`` | the largest request body accepted (413 beyond) |
| ``SURVEY_SESSION_HOURS`` | ``72`` | how long a browser login lasts |
| ``SURVEY_LANGUAGE`` | ``zh`` | the interface language when the browser asks for none |
| ``SURVEY_HOST`` / ``SURVEY_PORT`` | ``127.0.0.1`` / ``8000`` | where ``survey serve`` listens |
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from msgspec import Struct

DEFAULT_DATABASE_URL = "sqlite:///tanfang.sqlite3"


class Settings(Struct, frozen=True, kw_only=True):
    """Everything the app needs to know about its environment."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    max_body_bytes: int = 20_000_000
    session_hours: int = 72
    language: str = "zh"
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``SURVEY_*`` variables; ``overrides`` (from command-line flags) win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, field_type in (
            ("database_url", str),
            ("secret_key", str),
            ("max_body_bytes", int),
            ("session_hours", int),
            ("language", str),
            ("host", str),
            ("port", int),
        ):
            raw = env.get(f"SURVEY_{name.upper()}")
            if raw:
                try:
                    values[name] = field_type(raw)
                except ValueError:
                    raise ValueError(
                        f"SURVEY_{name.upper()}={raw!r} is not a valid {field_type.__name__}"
                    ) from None
        values["debug"] = env.get("SURVEY_DEBUG", "") in ("1", "true", "yes")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
