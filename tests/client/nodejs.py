"""Running survey/static/js/logic.js in node for the parity tests, and comparing its values with Python's.

`run(request)` sends one batch to ``parity_runner.js`` (one node process per call) and returns its
answer. Values cross as JSON with NaN, infinities and -0 kept (`transport`), and come back tagged
(`decode`), so `same` can compare them exactly: type, NaN, the sign of zero, nodesets.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

RUNNER = Path(__file__).with_name("parity_runner.js")
LOGIC = Path(__file__).resolve().parents[2] / "survey" / "static" / "js" / "logic.js"


def node() -> str:
    """The node executable; the parity tests fail (never skip) without it, as CI installs it."""
    found = (
        os.environ.get("NODE")
        or shutil.which("node")
        or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    )
    if found is None:
        pytest.fail(
            "node (v18+) is needed for the browser parity tests: apt-get install nodejs", pytrace=False
        )
    return found


def transport(value: Any) -> Any:
    """Plain JSON data with non-finite floats as {"$f": ...}, which the runner revives."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$f": "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {key: transport(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [transport(item) for item in value]
    return value


def run(request: dict[str, Any]) -> Any:
    """One batch through the runner; its stderr is the failure message when node fails."""
    text = json.dumps(transport(request), ensure_ascii=False, allow_nan=False)
    done = subprocess.run(
        [node(), str(RUNNER)], input=text.encode(), capture_output=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"node failed:\n{done.stderr.decode(errors='replace')[-4000:]}", pytrace=False)
    return json.loads(done.stdout)


def decode(tagged: list[Any]) -> Any:
    """A value the runner tagged, as Python holds it: floats, strings, bools, tuples, dicts."""
    kind, data = tagged
    match kind:
        case "n":
            return float(data)
        case "s" | "b":
            return data
        case "l":
            return tuple(decode(item) for item in data)
        case "d":
            return {key: decode(item) for key, item in data}
        case "e":
            return Raised(data)
    raise ValueError(f"unknown tag {kind!r}")


class Raised:
    """An EvaluationError at a position: what a case gives when it cannot run."""

    def __init__(self, position: int) -> None:
        self.position = position

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raised) and other.position == self.position

    def __hash__(self) -> int:
        return hash(self.position)

    def __repr__(self) -> str:
        return f"Raised(position={self.position})"


def same(a: Any, b: Any) -> bool:
    """Exactly the same value: same type, NaN equals NaN, 0.0 is not -0.0, items alike."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float):
        if a != a or b != b:
            return a != a and b != b
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def plain(value: Any) -> Any:
    """A cleaned answer for comparison: every number a float (JSON has one number type)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return [plain(item) for item in value]
