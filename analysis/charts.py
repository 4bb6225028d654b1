"""Chart geometry for the HTML report: bars with interval whiskers, diverging and stacked bars.

Pure arithmetic on the report's numbers: each function returns a small structure of coordinates
in a fixed SVG coordinate system (``WIDTH`` wide, as tall as the rows need) that
``templates/_charts.html`` draws as inline SVG — no script, no chart library, crisp on a phone
(the SVG scales to its container's width). Labels sit on their own line above each bar, so long
Chinese or English option labels never collide with the bars.

* :func:`bars` — one horizontal bar per item, its interval as a whisker, the value written after
  it; a suppressed item is drawn as an empty dashed box that says so.
* :func:`diverging` — likert answers as one stacked bar per row, centred on the neutral point:
  the lower half of the scale to the left, the upper half to the right (Robbins & Heiberger's
  diverging stacked bar).
* :func:`stacked` — shares that add to one (severity phases 1–5) left to right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["BAR_COLOUR", "PHASE_COLOURS", "Bars", "Diverging", "Item", "bars", "diverging", "stacked"]

WIDTH = 420
LEFT = 8  # where bars start
RIGHT = 150  # room kept for the value text after the longest bar
ROW = 46  # height of one labelled bar
BAR_COLOUR = "#2f6db5"
PHASE_COLOURS = ("#cdfacd", "#fae61e", "#e67800", "#c80000", "#640000")  # IPC-style phases 1–5
PHASE_INK = ("#1d2430", "#1d2430", "#1d2430", "#ffffff", "#ffffff")


@dataclass(slots=True)
class Item:
    """One thing to draw: its label, value and interval (None: not shown), the text written after it."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    text: str = ""
    flags: tuple[str, ...] = ()
    key: str = ""


@dataclass(slots=True)
class Bar:
    label: str
    key: str
    text: str
    label_y: float
    y: float
    width: float
    low: float | None
    high: float | None
    text_x: float
    suppressed: bool
    faint: bool


@dataclass(slots=True)
class Bars:
    """Horizontal bars on a 0…``top`` scale; ``ticks`` are (x, label) for the axis."""

    width: int
    height: float
    left: float
    span: float
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    colour: str = BAR_COLOUR


def bars(items: Sequence[Item], *, top: float | None = None, percent: bool = True) -> Bars:
    """Bars for ``items`` on 0…``top`` (default 100% for shares, else the largest upper bound)."""
    highest = max([x for i in items for x in (i.value, i.high) if x is not None] + [0.0])
    top = top if top is not None else (1.0 if percent else _nice(highest))
    span = WIDTH - LEFT - RIGHT
    scale = span / top if top > 0 else 0.0
    out = []
    for k, item in enumerate(items):
        y = k * ROW + 22
        shown = item.value is not None
        width = max(0.0, (item.value or 0.0) * scale)
        low = None if item.low is None or not shown else LEFT + max(item.low, 0.0) * scale
        high = None if item.high is None or not shown else LEFT + min(item.high, top) * scale
        end = max(width + LEFT, high or 0.0)
        out.append(
            Bar(
                label=item.label,
                key=item.key,
                text=item.text,
                label_y=y - 6,
                y=y,
                width=width,
                low=low,
                high=high,
                text_x=(end if shown else LEFT + span * 0.25) + 6,
                suppressed=not shown,
                faint="indicative" in item.flags or "imprecise" in item.flags,
            )
        )
    fractions = (0.0, 0.25, 0.5, 0.75, 1.0)
    ticks = [(LEFT + f * span, _tick(f * top, percent)) for f in fractions]
    return Bars(width=WIDTH, height=len(items) * ROW + 18, left=LEFT, span=span, bars=out, ticks=ticks)


def _nice(value: float) -> float:
    """A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:g}" if value >= 10 or value == 0 else f"{value:.2g}"


# ------------------------------------------------------------------------------- stacked bars


@dataclass(slots=True)
class Piece:
    x: float
    width: float
    colour: str
    ink: str
    text: str


@dataclass(slots=True)
class Stack:
    label: str
    label_y: float
    y: float
    pieces: list[Piece]
    suppressed: bool


@dataclass(slots=True)
class Diverging:
    """Rows of stacked pieces; ``centre`` is the x of the neutral point (None for a plain stack);
    ``legend`` is (colour, label) per answer point."""

    width: int
    height: float
    centre: float | None
    rows: list[Stack]
    legend: list[tuple[str, str]] = field(default_factory=list)


def _colours(k: int) -> list[str]:
    """k colours from disagreeing (red) through a neutral grey (odd k) to agreeing (blue)."""
    reds, blues = ("#b2182b", "#d6604d", "#f4a582"), ("#92c5de", "#4393c3", "#2166ac")
    half = k // 2
    pick = [round(i * 2 / (half - 1)) if half > 1 else 0 for i in range(half)]
    return [
        *(reds[i] for i in pick),
        *(["#d9d9d9"] if k % 2 else []),
        *(blues[2 - i] for i in reversed(pick)),
    ]


def diverging(rows: Sequence[tuple[str, Sequence[float | None]]], points: Sequence[str]) -> Diverging:
    """One diverging stacked bar per (label, shares of each point, lowest first); a row with a
    missing share is drawn as suppressed."""
    k = len(points)
    colours = _colours(k)
    half = (WIDTH - 2 * LEFT) / 2
    centre = LEFT + half
    out = []
    for r, (label, shares) in enumerate(rows):
        y = r * ROW + 22
        if any(s is None for s in shares) or not shares:
            out.append(Stack(label, y - 6, y, [], True))
            continue
        values = [float(s) for s in shares]  # type: ignore[arg-type]
        below = sum(values[: k // 2]) + (values[k // 2] / 2 if k % 2 else 0.0)
        x = centre - below * half
        pieces = []
        for j, v in enumerate(values):
            w = v * half
            ink = "#ffffff" if colours[j] in ("#b2182b", "#2166ac", "#4393c3", "#d6604d") else "#1d2430"
            pieces.append(Piece(x, w, colours[j], ink, f"{v * 100:.0f}%" if w >= 34 else ""))
            x += w
        out.append(Stack(label, y - 6, y, pieces, False))
    legend = list(zip(colours, points, strict=True))
    return Diverging(WIDTH, len(rows) * ROW + 18, centre, out, legend)


def stacked(rows: Sequence[tuple[str, Sequence[float | None]]], points: Sequence[str]) -> Diverging:
    """Shares that add to one (phases 1–5), left to right, one bar per row."""
    span = WIDTH - 2 * LEFT
    out = []
    for r, (label, shares) in enumerate(rows):
        y = r * ROW + 22
        if any(s is None for s in shares) or not shares:
            out.append(Stack(label, y - 6, y, [], True))
            continue
        x, pieces = float(LEFT), []
        for j, v in enumerate(shares):
            w = float(v) * span  # type: ignore[arg-type]
            text = f"{float(v) * 100:.0f}%" if w >= 34 else ""  # type: ignore[arg-type]
            pieces.append(Piece(x, w, PHASE_COLOURS[j % 5], PHASE_INK[j % 5], text))
            x += w
        out.append(Stack(label, y - 6, y, pieces, False))
    legend = [(PHASE_COLOURS[j % 5], p) for j, p in enumerate(points)]
    return Diverging(WIDTH, len(rows) * ROW + 18, None, out, legend)
