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


def chain_form(length: int) -> str:
    """A form (TOML) whose calculation ``total`` adds ``${a}`` to itself ``length`` times: a tree that deep."""
    chain = " + ".join(["${a}"] * length)
    return HEADER + textwrap.dedent(
        f"""
        version = "1"
        default_language = "zh"

        [[questions]]
        type = "integer"
        name = "a"
        label = {{zh = "甲", en = "A"}}

        [[questions]]
        type = "calculate"
        name = "total"
        calculation = "{chain}"
        """
    )
