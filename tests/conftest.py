"""Shared test helpers: one per layer."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
LIBRARY = ROOT / "forms" / "library"


@pytest.fixture
def shared_data() -> Path:
    """The sibling ``shared/data`` folder of real instruments; skip when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED_DATA
