"""The HTML report: one self-contained file (inline CSS and SVG, no script) from the results rows.

:func:`render` builds the view (:mod:`analysis.report_view`) with the form's labels in one
language and renders ``templates/report.html`` with Jinja2 — the same ``report_body.html`` the
planner pages include, so the file and the pages show the same things. Fixed text goes through
the gettext ``translations`` given (the server's catalogue; English without one). The language is
the form's default when it is Chinese or English, else Chinese.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path

import jinja2

from analysis.report_labels import Labels
from analysis.report_view import View, view
from analysis.results import Report
from forms.compiler import Compiled

__all__ = ["TEMPLATES", "environment", "language_of", "render", "render_view"]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def environment(translations: gettext.NullTranslations | None = None) -> jinja2.Environment:
    """Jinja over ``templates/``: autoescaped, strict, with ``_()`` from ``translations``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    words = translations or gettext.NullTranslations()
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def language_of(compiled: Compiled) -> str:
    """The report's language: the form's default when it is zh or en, else zh."""
    default = compiled.form.default_language
    return default if default in HTML_LANG else "zh"


def render(
    report: Report,
    compiled: Compiled,
    *,
    language: str | None = None,
    translations: gettext.NullTranslations | None = None,
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The report as a complete HTML document."""
    language = language or language_of(compiled)
    return render_view(view(report, Labels(compiled, language, extra)), translations)


def render_view(shown: View, translations: gettext.NullTranslations | None = None) -> str:
    """A view as a complete HTML document."""
    template = environment(translations).get_template("report.html")
    return template.render(view=shown, html_lang=HTML_LANG.get(shown.language, shown.language))
