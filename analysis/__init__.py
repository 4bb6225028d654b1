"""Tanfang analysis: estimates, comparisons, indicators and recommendations (pure Python + numpy/scipy).

The public names, by stage (imported on first use, so ``import analysis`` stays cheap):

- data: :class:`Dataset` (exports, stored records or arrays as columns), :class:`DataError`;
- design and estimates: :class:`Design`, :class:`Estimate`;
- the report: :func:`analyze` with :class:`Options` and :class:`Guards` → :class:`Report` of
  :class:`Row`; :func:`write` (JSON or CSV) and :func:`render_html` (the HTML report).
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "DataError": "analysis.dataset",
    "Dataset": "analysis.dataset",
    "Design": "analysis.design",
    "Estimate": "analysis.estimates",
    "Guards": "analysis.report_guards",
    "Options": "analysis.report",
    "Report": "analysis.results",
    "Row": "analysis.results",
    "analyze": "analysis.report",
    "render_html": "analysis.report_html",
    "write": "analysis.results",
}
_RENAMED = {"render_html": "render"}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), _RENAMED.get(name, name))
