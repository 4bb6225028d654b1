"""Settings: one frozen Struct, read from ``SURVEY_*`` environment variables and passed explicitly.

Nothing is read at import time: :meth:`Settings.from_env` is called by the command line, and a
test builds ``Settings(database_url=...)`` for its own temporary database.

The variables and their defaults are listed in the README ("Settings"); a test keeps the two
in step.
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
