"""The pages in 中文 and English: every message is translated, and each request gets its language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import DictLoader, Environment, StrictUndefined
from litestar.testing import TestClient

from survey.app import create_app
from survey.settings import Settings
from survey.store.models import ROLES
from survey.web import i18n, pages_admin

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "survey" / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BROWSER_PLACEHOLDER = re.compile(r"\{\w+\}")  # strings app.js fills in: _("Last sync {time}")


def extracted() -> Iterator[tuple[str, int, str]]:
    """(file, line, msgid) for every message Babel extracts with babel.cfg, as ``make messages`` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    for filename, line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        yield filename, line, message[0] if isinstance(message, tuple) else message


def zh_catalog() -> Catalog:
    with ZH_PO.open("rb") as source:
        return read_po(source, locale="zh")


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)} | set(BROWSER_PLACEHOLDER.findall(text))


def translations_of(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


# --- the catalogue --------------------------------------------------------------------------------


def test_every_extracted_message_has_a_reviewed_chinese_translation() -> None:
    """Text marked with _(), ngettext() or N_() anywhere in survey/ or templates/ has a non-fuzzy zh msgstr."""
    catalog = zh_catalog()
    missing = []
    for filename, line, msgid in extracted():
        message = catalog.get(msgid)
        if message is None or message.fuzzy or not all(translations_of(message)):
            missing.append(f"{filename}:{line}: {msgid!r}")
    assert not missing, "untranslated (run `make messages`, then translate in messages.po):\n" + "\n".join(
        sorted(set(missing))
    )


def test_extraction_finds_the_pages_and_the_web_layer() -> None:
    """Extraction reads the templates and N_()-marked codes (a broken babel.cfg would find nothing)."""
    found = {msgid for _file, _line, msgid in extracted()}
    assert {"Sign in", "Users", "Enter a username.", "This page does not exist."} <= found


def test_translations_keep_the_placeholders_of_their_message() -> None:
    """Each zh msgstr has the same %(name)s (and {name}) placeholders as its msgid, and formats without error."""
    wrong = []
    for message in zh_catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(placeholders(msgid) for msgid in ids))
        params = {"num": 1} | {name: 1 for msgid in ids for name in PLACEHOLDER.findall(msgid) if name}
        for text in filter(None, translations_of(message)):
            found = placeholders(text)
            if len(ids) > 1:  # a plural: the one Chinese form may leave the number out
                found, expected = found - {"%(num)d"}, expected - {"%(num)d"}
            if found != expected or not _formats(text, params):
                wrong.append(f"{message.id!r} → {text!r}")
    assert not wrong, "\n".join(wrong)


def _formats(text: str, params: dict[str, int]) -> bool:
    try:
        text % params
    except (KeyError, ValueError, TypeError):
        return False
    return True


def test_codes_the_admin_domain_returns_all_have_words() -> None:
    """Every issue code in survey/domain/admin.py and every role has a message on the admin pages."""
    source = (ROOT / "survey" / "domain" / "admin.py").read_text()
    codes = set(re.findall(r'Issue\("\w+", "(\w+)"\)', source)) | set(re.findall(r'issue="(\w+)"', source))
    assert codes  # the patterns still find them
    assert codes <= set(pages_admin.ISSUES)
    assert set(ROLES) == set(pages_admin.ROLE_NAMES)


# --- translating ----------------------------------------------------------------------------------


def test_gettext_translates_into_chinese_and_leaves_english_as_written() -> None:
    """English is the msgid itself; zh comes from the catalogue; params fill %(name)s."""
    assert i18n.gettext("en", "Sign in") == "Sign in"
    assert i18n.gettext("zh", "Sign in") == "登录"
    assert i18n.gettext("zh", "Version %(version)s is published.", version="2") == "版本 2 已发布。"
    assert i18n.gettext("fr", "Sign in") == "Sign in"


def test_ngettext_chooses_the_english_form_by_number() -> None:
    """English has a singular and a plural; %(num)d is the number."""
    assert i18n.ngettext("en", "%(num)d record", "%(num)d records", 1) == "1 record"
    assert i18n.ngettext("en", "%(num)d record", "%(num)d records", 3) == "3 records"


def _request(cookie: str | None = None, accept: str = "", default: str = "zh") -> SimpleNamespace:
    """Just what the language choice reads from a litestar request."""
    settings = SimpleNamespace(language=default)
    cookies = {i18n.LANGUAGE_COOKIE: cookie} if cookie else {}
    return SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(settings=settings)),
        cookies=cookies,
        headers={"accept-language": accept},
    )


def _environment(templates: dict[str, str]) -> Environment:
    environment = Environment(loader=DictLoader(templates), autoescape=True, undefined=StrictUndefined)
    i18n.install(environment)
    return environment


def test_templates_translate_in_macros_imported_without_context() -> None:
    """_() in a macro imported without context still speaks the request's language."""
    environment = _environment(
        {
            "_m.html": '{% macro sign_in() %}{{ _("Sign in") }}{% endmacro %}',
            "page.html": '{% import "_m.html" as m %}{{ m.sign_in() }}|{{ _("Sign out") }}',
        }
    )
    page = environment.get_template("page.html")
    assert page.render(request=_request(cookie="en")) == "Sign in|Sign out"
    assert page.render(request=_request(accept="zh-CN")) == "登录|退出登录"


def test_template_parameters_are_escaped_and_counted() -> None:
    """Values given to _() are HTML-escaped; ngettext() offers %(num)d."""
    environment = _environment(
        {
            "page.html": '{{ _("Version %(version)s is published.", version=v) }}'
            '|{{ ngettext("%(num)d record", "%(num)d records", n) }}'
        }
    )
    rendered = environment.get_template("page.html").render(request=_request(cookie="en"), v="<b>", n=2)
    assert rendered == "Version &lt;b&gt; is published.|2 records"


# --- choosing the language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookie", "accept", "default", "expected"),
    [
        ("en", "zh-CN", "zh", "en"),  # the cookie first
        (None, "fr-FR, en;q=0.8", "zh", "en"),  # else the first language the browser accepts that we have
        ("fr", "de", "en", "en"),  # an unknown cookie and browser: the settings
        (None, "", "fr", "zh"),  # an unknown setting: Chinese
    ],
)
def test_the_language_is_the_cookie_else_the_browser_else_the_settings(
    cookie: str | None, accept: str, default: str, expected: str
) -> None:
    """Cookie, then Accept-Language, then settings.language; what we lack falls through to the next."""
    assert i18n.language_of(_request(cookie, accept, default)) == expected  # type: ignore[arg-type]


def test_switching_language_renders_the_login_page_in_english_then_chinese(client: TestClient) -> None:
    """/lang/en turns the login page English; /lang/zh turns it back to Chinese."""
    client.get("/lang/en", params={"next": "/login"})
    english = client.get("/login").text
    assert '<html lang="en">' in english
    assert "<h1>Sign in</h1>" in english
    assert "Forgot your password? Ask your project administrator." in english
    assert ">中文</a>" in english  # the switch names the other language in itself
    client.get("/lang/zh", params={"next": "/login"})
    chinese = client.get("/login").text
    assert '<html lang="zh-CN">' in chinese
    assert "<h1>登录</h1>" in chinese
    assert "忘记密码请联系项目管理员。" in chinese
    assert ">English</a>" in chinese


def test_an_unknown_language_falls_back(tmp_path: Path, client: TestClient) -> None:
    """/lang/fr is not found; a French browser gets the settings' language (Chinese, or English if set)."""
    assert client.get("/lang/fr").status_code == 404
    assert "<h1>登录</h1>" in client.get("/login", headers={"Accept-Language": "fr"}).text
    english_site = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'en.sqlite3'}", language="en"))
    with TestClient(english_site) as other:
        assert "<h1>Sign in</h1>" in other.get("/login", headers={"Accept-Language": "fr"}).text


def test_error_pages_speak_the_request_language(client: TestClient) -> None:
    """An error page's message comes from the catalogue, in the request's language."""
    assert "找不到这个页面。" in client.get("/no/such/page").text
    assert "This page does not exist." in client.get("/no/such/page", headers={"Accept-Language": "en"}).text
