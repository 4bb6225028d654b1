"""The words of the pages in Chinese and English, and which language a request gets.

English source text is the message id; ``en`` needs no catalogue and ``zh`` comes from
``survey/locale/zh/LC_MESSAGES/messages.po`` (docs/i18n.md: add, extract, translate). Templates call
``_("Version %(version)s", version=v)`` and ``ngettext("%(num)d record", "%(num)d records", n)``
(jinja2's newstyle gettext: the text is always a format string, values are escaped), ``lang()``
for the ``<html lang>`` value, and ``other_language()`` with ``language_names`` for the switch.
Python marks text with ``N_("…")`` where it is written and translates it with
``gettext(language, msgid, **params)``.

The language is the ``tanfang_lang`` cookie (set by ``GET /lang/{code}``), else the browser's
``Accept-Language``, else ``settings.language``.
"""

from __future__ import annotations

import gettext as gnu
import io
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from litestar.connection import ASGIConnection

LANGUAGE_COOKIE = "tanfang_lang"
LANGUAGES = {"zh": "zh-CN", "en": "en"}  # our code → the value of <html lang>
NAMES = {"zh": "中文", "en": "English"}  # each language in itself, for the switch: never translated
SOURCE_LANGUAGE = "en"  # the msgids are English: no catalogue
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"


def N_(msgid: str) -> str:  # the name gettext tools look for
    """Mark ``msgid`` for extraction without translating it (translate later with :func:`gettext`)."""
    return msgid


@cache
def translations(language: str) -> gnu.NullTranslations:
    """The catalogue for ``language``, compiled from its .po once; English (and unknown) is identity."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or language not in LANGUAGES or not po.exists():
        return gnu.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, so they show in English
    compiled.seek(0)
    return gnu.GNUTranslations(compiled)


def gettext(language: str, msgid: str, /, **params: Any) -> str:
    """``msgid`` in ``language`` with ``%(name)s`` placeholders filled from ``params``."""
    return translations(language).gettext(msgid) % params


def ngettext(language: str, singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The form of ``singular``/``plural`` for ``n`` in ``language``; ``%(num)d`` is ``n``."""
    return translations(language).ngettext(singular, plural, n) % {"num": n, **params}


def choose(cookie: str | None, accept_language: str, default: str) -> str:
    """The language for a request: the cookie, else the first the browser accepts, else ``default``."""
    if cookie in LANGUAGES:
        return cookie
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "zh"


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The language code this request's pages are shown in (a handler may have just switched it)."""
    chosen = getattr(connection, "scope", {}).get("state", {}).get("language")
    if chosen in LANGUAGES:
        return chosen
    default = connection.app.state.settings.language
    return choose(
        connection.cookies.get(LANGUAGE_COOKIE), connection.headers.get("accept-language", ""), default
    )


_language: ContextVar[str] = ContextVar("tanfang_language", default="zh")


class LocalizedTemplate(jinja2.Template):
    """A template that renders in its ``request``'s language, macros imported without context too."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render with the language of ``request`` (from the context) bound for ``_()``."""
        request = dict(*args, **kwargs).get("request")
        if request is None:
            return super().render(*args, **kwargs)
        token = _language.set(language_of(request))
        try:
            return super().render(*args, **kwargs)
        finally:
            _language.reset(token)


def _template_gettext(msgid: str) -> str:
    return translations(_language.get()).gettext(msgid)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def install(environment: jinja2.Environment) -> None:
    """Give ``environment`` the i18n extension and ``_``/``gettext``/``ngettext`` in the request's language.

    Call before any template is loaded (the template class is set here).
    """
    environment.template_class = LocalizedTemplate
    environment.globals["language_names"] = NAMES
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        _template_gettext, _template_ngettext, newstyle=True
    )


def html_lang(context: Mapping[str, Any]) -> str:
    """Template callable ``lang()``: the request's language as an ``<html lang>`` value."""
    return LANGUAGES[language_of(context["request"])]


def other_language(context: Mapping[str, Any]) -> str:
    """Template callable ``other_language()``: the code the language switch offers."""
    return "en" if language_of(context["request"]) == "zh" else "zh"
