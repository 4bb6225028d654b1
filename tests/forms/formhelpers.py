"""Helpers for the form-language tests: forms are written inline as TOML."""

from __future__ import annotations

import textwrap

import forms

HEADER = """
id = "t"
title = {zh = "测试", en = "Test"}
"""


def make_form(body: str) -> forms.Form:
    """A checked form from TOML ``body`` (the id and title are added)."""
    return forms.loads(HEADER + textwrap.dedent(body), "toml", "test.toml")
