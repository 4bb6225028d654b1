"""Tanfang analysis: estimates, comparisons, indicators and recommendations (pure Python + numpy/scipy)."""

__all__: list[str] = []
