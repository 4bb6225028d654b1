"""``survey users add NAME --role ROLE`` and ``survey tokens create NAME``."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add the account commands to the ``survey`` parser."""
