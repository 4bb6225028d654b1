"""The words of the page chrome in Chinese and English, and which language a request gets.

A small table for now; gettext catalogues (Babel) replace it when the pages grow. Templates call
``t("key")`` for a message and ``lang()`` for the ``<html lang>`` value; the language is the
``tanfang_lang`` cookie (set by ``GET /lang/{code}``), else the browser's ``Accept-Language``,
else ``settings.language``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.connection import ASGIConnection

LANGUAGE_COOKIE = "tanfang_lang"
LANGUAGES = {"zh": "zh-CN", "en": "en"}  # our code → the value of <html lang>

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"zh": "探访", "en": "Tanfang"},
    "tagline": {"zh": "社区需求评估", "en": "Community needs assessment"},
    "language_name": {"zh": "中文", "en": "English"},
    "switch_language": {"zh": "English", "en": "中文"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "login_failed": {
        "zh": "用户名或密码不正确，请重试。",
        "en": "The username or password is not right. Please try again.",
    },
    "login_help": {
        "zh": "忘记密码请联系项目管理员。",
        "en": "Forgot your password? Ask your project administrator.",
    },
    "error_title": {"zh": "出错了", "en": "Something went wrong"},
    "error_400": {
        "zh": "请求有误，请检查后重试。",
        "en": "The request was not valid. Please check it and try again.",
    },
    "error_403": {"zh": "你没有权限访问此页面。", "en": "You do not have permission to see this page."},
    "error_404": {"zh": "找不到这个页面。", "en": "This page does not exist."},
    "error_405": {"zh": "此页面不支持该操作。", "en": "This page does not accept that action."},
    "error_413": {"zh": "上传的内容太大。", "en": "What you sent is too large."},
    "error_500": {"zh": "服务器出错了，请稍后再试。", "en": "The server failed. Please try again later."},
    "error_csrf": {
        "zh": "表单已过期。请返回、刷新页面后重新提交。",
        "en": "This form has expired. Go back, reload the page and send it again.",
    },
    "go_home": {"zh": "返回首页", "en": "Go to the start page"},
}


def message(key: str, language: str) -> str:
    """The message ``key`` in ``language`` (Chinese when that language lacks it)."""
    texts = MESSAGES[key]
    return texts.get(language) or texts["zh"]


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
    """The language code this request's pages are shown in."""
    default = connection.app.state.settings.language
    return choose(
        connection.cookies.get(LANGUAGE_COOKIE), connection.headers.get("accept-language", ""), default
    )


def translate(context: Mapping[str, Any], key: str) -> str:
    """Template callable ``t("key")``: the message in the request's language."""
    return message(key, language_of(context["request"]))


def html_lang(context: Mapping[str, Any]) -> str:
    """Template callable ``lang()``: the request's language as an ``<html lang>`` value."""
    return LANGUAGES[language_of(context["request"])]


def other_language(context: Mapping[str, Any]) -> str:
    """Template callable ``other_language()``: the code the language switch offers."""
    return "en" if language_of(context["request"]) == "zh" else "zh"
