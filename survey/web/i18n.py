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
    # --- admin pages (survey/web/pages_admin.py) ---
    "admin_title": {"zh": "管理", "en": "Administration"},
    "admin_overview": {"zh": "概览", "en": "Overview"},
    "admin_forms": {"zh": "问卷", "en": "Forms"},
    "admin_users": {"zh": "用户", "en": "Users"},
    "admin_assignments": {"zh": "任务分配", "en": "Assignments"},
    "admin_conflicts": {"zh": "记录冲突", "en": "Conflicts"},
    "admin_form": {"zh": "问卷", "en": "Form"},
    "admin_kind": {"zh": "类型", "en": "Kind"},
    "admin_versions": {"zh": "版本", "en": "Versions"},
    "admin_version": {"zh": "版本", "en": "Version"},
    "admin_submissions": {"zh": "已收记录", "en": "Records"},
    "admin_open_conflicts": {"zh": "待处理冲突", "en": "Open conflicts"},
    "admin_users_count": {"zh": "用户（在用）", "en": "Users (active)"},
    "admin_recent_audit": {"zh": "最近的操作记录", "en": "Recent activity"},
    "admin_when": {"zh": "时间", "en": "When"},
    "admin_who": {"zh": "操作人", "en": "Who"},
    "admin_action": {"zh": "操作", "en": "Action"},
    "admin_target": {"zh": "对象", "en": "Target"},
    "admin_detail": {"zh": "详情", "en": "Detail"},
    "admin_no_forms": {"zh": "还没有发布问卷。", "en": "No form is published yet."},
    "admin_no_audit": {"zh": "还没有操作记录。", "en": "Nothing has been recorded yet."},
    "admin_publish": {"zh": "发布问卷", "en": "Publish a form"},
    "admin_publish_help": {
        "zh": "上传 TOML、JSON 或 XLSForm（.xlsx）文件。已发布的版本不能修改：改动后的问卷请使用新的版本号。",
        "en": "Upload a TOML, JSON or XLSForm (.xlsx) file. A published version never changes: "
        "give a changed form a new version number.",
    },
    "admin_file": {"zh": "问卷文件", "en": "Form file"},
    "admin_publish_button": {"zh": "发布", "en": "Publish"},
    "admin_publish_failed": {
        "zh": "这份问卷未能发布。请修改以下问题后重新上传：",
        "en": "This form was not published. Fix these problems and upload it again:",
    },
    "admin_chosen_file": {"zh": "你选择的文件", "en": "The file you chose"},
    "admin_choose_again": {
        "zh": "修改后请重新选择该文件。",
        "en": "After fixing it, choose the file again.",
    },
    "admin_where": {"zh": "位置", "en": "Where"},
    "admin_problem": {"zh": "问题", "en": "Problem"},
    "admin_warning": {"zh": "提醒", "en": "Warning"},
    "admin_published_new": {"zh": "版本 {version} 已发布。", "en": "Version {version} is published."},
    "admin_published_same": {
        "zh": "版本 {version} 此前已以相同内容发布，没有改动。",
        "en": "Version {version} was already published with the same content; nothing changed.",
    },
    "admin_hash": {"zh": "内容指纹", "en": "Content hash"},
    "admin_published_at": {"zh": "发布时间", "en": "Published"},
    "admin_published_by": {"zh": "发布人", "en": "By"},
    "admin_back_to_forms": {"zh": "返回问卷列表", "en": "Back to the forms"},
    "admin_new_user": {"zh": "新建用户", "en": "New user"},
    "admin_role": {"zh": "角色", "en": "Role"},
    "admin_roles": {"zh": "角色", "en": "Roles"},
    "admin_status": {"zh": "状态", "en": "Status"},
    "admin_active": {"zh": "在用", "en": "Active"},
    "admin_inactive": {"zh": "已停用", "en": "Deactivated"},
    "admin_no_role": {"zh": "无角色", "en": "No role"},
    "admin_password_hint": {"zh": "至少 8 个字符。", "en": "At least 8 characters."},
    "admin_create_user": {"zh": "创建用户", "en": "Create the user"},
    "admin_grant": {"zh": "授予角色", "en": "Grant"},
    "admin_revoke": {"zh": "撤销", "en": "Revoke"},
    "admin_deactivate": {"zh": "停用账号", "en": "Deactivate"},
    "admin_activate": {"zh": "重新启用", "en": "Reactivate"},
    "admin_role_admin": {"zh": "管理员", "en": "Admin"},
    "admin_role_planner": {"zh": "规划人员", "en": "Planner"},
    "admin_role_designer": {"zh": "服务设计", "en": "Designer"},
    "admin_role_fieldworker": {"zh": "社工（调查员）", "en": "Fieldworker"},
    "admin_fieldworker": {"zh": "社工（调查员）", "en": "Fieldworker"},
    "admin_site": {"zh": "地点", "en": "Site"},
    "admin_any_site": {"zh": "任何地点", "en": "Any site"},
    "admin_choose": {"zh": "请选择", "en": "Choose"},
    "admin_assign": {"zh": "分配", "en": "Assign"},
    "admin_remove": {"zh": "移除", "en": "Remove"},
    "admin_no_assignments": {"zh": "还没有任务分配。", "en": "Nothing is assigned yet."},
    "admin_no_fieldworkers": {
        "zh": "还没有在用的社工账号，请先在“用户”页创建。",
        "en": "There is no active fieldworker yet: create one on the Users page first.",
    },
    "admin_no_conflicts": {"zh": "没有待处理的冲突。", "en": "No conflict is waiting."},
    "admin_conflicts_help": {
        "zh": "同一个记录编号（UUID）收到了内容不同的两份记录。请决定保留哪一份；"
        "另一份会另行保存，不会丢失。",
        "en": "Two records with different content arrived under the same UUID. Decide which one stands; "
        "the other is kept aside, never lost.",
    },
    "admin_stored_record": {"zh": "已存记录", "en": "Stored record"},
    "admin_new_record": {"zh": "新收到的记录", "en": "New record"},
    "admin_received": {"zh": "接收时间", "en": "Received"},
    "admin_collector": {"zh": "采集人", "en": "Collector"},
    "admin_answer": {"zh": "题目", "en": "Question"},
    "admin_same_answers": {
        "zh": "答案相同，只有其他信息（版本、时间或地点）不同。",
        "en": "The answers are the same; only other details (version, time or site) differ.",
    },
    "admin_keep_stored": {"zh": "保留已存记录", "en": "Keep the stored record"},
    "admin_use_new": {"zh": "改用新记录", "en": "Use the new one"},
    "admin_done_user_created": {"zh": "用户已创建。", "en": "The user is created."},
    "admin_done_role_granted": {"zh": "角色已授予。", "en": "The role is granted."},
    "admin_done_role_revoked": {"zh": "角色已撤销。", "en": "The role is revoked."},
    "admin_done_user_deactivated": {"zh": "账号已停用。", "en": "The user is deactivated."},
    "admin_done_user_activated": {"zh": "账号已重新启用。", "en": "The user is active again."},
    "admin_done_assigned": {"zh": "任务已分配。", "en": "Assigned."},
    "admin_done_unassigned": {"zh": "任务已移除。", "en": "The assignment is removed."},
    "admin_done_kept_stored": {
        "zh": "已保留已存记录，新记录另行保存。",
        "en": "The stored record stands; the new one is kept aside.",
    },
    "admin_done_used_new": {
        "zh": "已改用新记录，原记录另行保存。",
        "en": "The new record stands; the old content is kept aside.",
    },
    "admin_issue_no_file": {"zh": "请选择要上传的问卷文件。", "en": "Choose the form file to upload."},
    "admin_issue_file_type": {
        "zh": "只能上传 .toml、.json 或 .xlsx 文件。",
        "en": "Upload a .toml, .json or .xlsx file.",
    },
    "admin_issue_not_utf8": {
        "zh": "文件不是 UTF-8 编码的文本，请以 UTF-8 另存后再上传。",
        "en": "The file is not UTF-8 text: save it as UTF-8 and upload it again.",
    },
    "admin_issue_username_required": {"zh": "请填写用户名。", "en": "Enter a username."},
    "admin_issue_username_taken": {"zh": "这个用户名已被使用。", "en": "This username is taken."},
    "admin_issue_password_short": {
        "zh": "密码至少需要 8 个字符。",
        "en": "The password needs at least 8 characters.",
    },
    "admin_issue_role_unknown": {"zh": "请选择一个角色。", "en": "Choose a role."},
    "admin_issue_user_unknown": {"zh": "找不到这个用户。", "en": "There is no such user."},
    "admin_issue_role_held": {"zh": "该用户已有这个角色。", "en": "The user already holds this role."},
    "admin_issue_role_not_held": {"zh": "该用户没有这个角色。", "en": "The user does not hold this role."},
    "admin_issue_own_admin": {
        "zh": "不能撤销自己的管理员角色。",
        "en": "You cannot revoke your own admin role.",
    },
    "admin_issue_self_deactivate": {
        "zh": "不能停用自己的账号。",
        "en": "You cannot deactivate your own account.",
    },
    "admin_issue_not_fieldworker": {
        "zh": "请选择一位在用的社工。",
        "en": "Choose an active fieldworker.",
    },
    "admin_issue_choose_form": {"zh": "请至少选择一份问卷。", "en": "Choose at least one form."},
    "admin_issue_site_unknown": {"zh": "找不到这个地点。", "en": "There is no such site."},
    "admin_issue_assignment_unknown": {
        "zh": "这项任务分配已不存在。",
        "en": "This assignment no longer exists.",
    },
    "admin_issue_conflict_gone": {
        "zh": "这个冲突已经处理过了（可能是其他管理员）。",
        "en": "This conflict is already resolved (perhaps by another admin).",
    },
    "admin_issue_choice_unknown": {
        "zh": "请选择保留已存记录或改用新记录。",
        "en": "Choose to keep the stored record or to use the new one.",
    },
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
