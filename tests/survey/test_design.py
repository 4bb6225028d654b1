"""The dashboard, the workspace, the proposal files and the follow-up list, through the real app.

One database for the module: the school social-work questionnaire with the demo's 560 records,
collected by ``fieldworker``; ``other`` is a second fieldworker who collected nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as Word
from litestar.testing import TestClient
from sqlalchemy import select

import forms
from survey.app import create_app
from survey.domain import accounts, demo_data, publishing, sync
from survey.settings import Settings
from survey.store import db as store
from survey.store.models import DesignPlan, User
from survey.web.csrf import CSRF_COOKIE
from tests.survey.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
FORM = "school_social_work"
SAFETY_LABEL = "近两周有自伤念头"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with users of every role and the school questionnaire's demo records."""
    path = tmp_path_factory.mktemp("design") / "design.sqlite3"
    url = f"sqlite:///{path}"
    store.upgrade(url)
    engine = store.make_engine(url)
    with store.transaction(store.session_factory(engine)) as db:
        for name, role in (
            ("admin", "admin"),
            ("planner", "planner"),
            ("designer", "designer"),
            ("fieldworker", "fieldworker"),
            ("other", "fieldworker"),
        ):
            accounts.add_user(db, name, PASSWORD, role)
        data = (ROOT / "forms" / "library" / f"{FORM}.toml").read_bytes()
        version, _, _ = publishing.publish(db, data, "toml", f"{FORM}.toml")
        worker = db.scalar(select(User.id).where(User.username == "fieldworker"))
        records = demo_data.records(
            publishing.compiled(version), demo_data.PROFILES[FORM], demo_data.RESPONSES[FORM]
        )
        for r in records:
            r.pop("site", None)
        assert {x.status for x in sync.accept(db, FORM, records, worker)} == {"created"}
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def app(url: str):  # type: ignore[no-untyped-def]
    """The app on that database (one per module: the results table is computed once)."""
    return create_app(Settings(database_url=url, max_body_bytes=5_000_000))


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient, who: str) -> None:
    client.get("/login")
    data = {"username": who, "password": PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def results(client: TestClient) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(
        io.StringIO(client.get(f"/dashboard/{FORM}/results.csv").content.decode("utf-8-sig"))
    )
    return {r["analysis_key"]: r for r in rows}


# --- the planner's dashboard ----------------------------------------------------------------------


def test_the_dashboard_ranks_study_stress_at_the_rural_school_first(client: TestClient) -> None:
    """A planner sees the heat map, study stress ranked first at the rural school, its interval, the drill-down rows."""
    sign_in(client, "planner")
    page = client.get(f"/dashboard/{FORM}")
    assert page.status_code == 200
    text = page.text
    assert 'id="heat"' in text and 'id="triangulation"' in text  # noqa: PT018
    ranked = text[text.index('id="ranked"') : text.index('id="triangulation"')]
    first = ranked[ranked.index("<tbody>") :]
    assert first.index("学生学业压力") < first.index("</tr>")
    assert "西樵某中学（农村）" in first[: first.index("</tr>")]
    assert "prop_select_one @/@ high_study_stress %/% yes @/@ school %/% school_rural" in text
    assert SAFETY_LABEL not in text


def test_the_heat_map_switches_groups(client: TestClient) -> None:
    """``?by=grade`` puts the grades in the heat map's rows."""
    sign_in(client, "planner")
    text = client.get(f"/dashboard/{FORM}?by=grade").text
    heat = text[text.index('id="heat"') : text.index('id="ranked"')]
    assert '<option value="grade" selected>' in heat


def test_the_dashboard_numbers_are_the_results_tables(client: TestClient) -> None:
    """The rural school's prevalence on the page is the estimate of its row in results.csv."""
    sign_in(client, "planner")
    row = results(client)["prop_select_one @/@ high_study_stress %/% yes @/@ school %/% school_rural"]
    assert f"{100 * float(row['estimate']):.1f}%" in client.get(f"/dashboard/{FORM}").text


def test_the_chinese_dashboard_and_proposal_speak_chinese_not_the_analysis_codes(client: TestClient) -> None:
    """Bradshaw types, row flags, the score's bases and the trigger's terms are in the page's language."""
    sign_in(client, "planner")
    page = client.get(f"/dashboard/{FORM}", headers={"Accept-Language": "zh-CN"}).text
    ranked = page[page.index('id="ranked"') :]
    for code in ("normative ·", "comparative ·", "felt ·", "ci_low", "evidence A", "suppressed", "n_total >="):
        assert code not in ranked, code
    assert "比较性需要 · 学习压力高" in ranked  # the type and the indicator's label
    assert "95% 置信区间下限" in ranked
    sign_in(client, "designer")
    zh = client.get(f"/design/{FORM}/proposal.md?lang=zh").text
    en = client.get(f"/design/{FORM}/proposal.md?lang=en").text
    assert "需要类型（Bradshaw）：比较性需要" in zh
    assert "comparative" not in zh
    assert "Kinds of need (Bradshaw): comparative" in en


# --- the designer's workspace and the proposal ------------------------------------------------------


def test_the_designer_saves_choices_and_the_proposal_uses_them(client: TestClient, url: str) -> None:
    """Targets, people, PEARL and dates are stored (303) and appear in the proposal's objective."""
    sign_in(client, "designer")
    assert client.get(f"/design/{FORM}").status_code == 200
    data = {
        "_csrf_token": client.cookies[CSRF_COOKIE],
        "chosen": "YTH-STR-01",
        "score:YTH-STR-01": "stress_group",
        "use:YTH-STR-01": ["stress_group", "peer_counsellors"],
        "target:YTH-STR-01": "30",
        "n:YTH-STR-01": "120",
        "pearl:YTH-STR-01:economic": "1",
        "start": "2027-02",
        "end": "2027-12",
        "language": "zh",
    }
    response = client.post(f"/design/{FORM}", data=data, follow_redirects=False)
    assert response.status_code == 303
    engine = store.make_engine(url)
    with store.session_factory(engine)() as db:
        stored = db.scalar(select(DesignPlan.choices).where(DesignPlan.form_id == FORM))
    engine.dispose()
    assert stored["targets"]["YTH-STR-01"] == {"n": 120, "target": 0.3}
    text = client.get(f"/design/{FORM}/proposal").text
    assert "到2027-12，参加驻校社工压力管理小组" in text
    assert "（目标120人）" in text and "降至30.0%" in text  # noqa: PT018
    assert "朋辈辅导员培训" in text
    assert SAFETY_LABEL not in text


def test_a_wrong_workspace_field_is_shown_where_it_is_and_nothing_is_saved(client: TestClient) -> None:
    """A target that is not a number and settings with a wrong type: 422, each message beside its field."""
    sign_in(client, "designer")
    data = {
        "_csrf_token": client.cookies[CSRF_COOKIE],
        "target:YTH-STR-01": "lots",
        "settings": 'resamples = "many"\n',
    }
    response = client.post(f"/design/{FORM}", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert "&#39;lots&#39; is not a number" in response.text
    assert "settings.resamples" in response.text


def test_the_proposal_files_have_every_section_and_the_tables_numbers(client: TestClient) -> None:
    """The Word file opens with the seven sections; the Markdown's baseline is the row's estimate."""
    sign_in(client, "designer")
    word = Word(io.BytesIO(client.get(f"/design/{FORM}/proposal.docx?lang=zh").content))
    assert [p.text for p in word.paragraphs if p.style.name == "Heading 1"] == [
        "一、项目背景",
        "二、需求分析",
        "三、服务目标",
        "四、服务内容",
        "五、实施计划",
        "六、评估指标",
        "七、风险",
    ]
    md = client.get(f"/design/{FORM}/proposal.md?lang=en")
    assert md.headers["content-type"].startswith("text/markdown")
    row = results(client)["prop_select_one @/@ high_study_stress %/% yes @/@ school %/% school_rural"]
    estimate, low, high = (f"{100 * float(row[k]):.1f}%" for k in ("estimate", "ci_low", "ci_high"))
    assert f"{estimate} (95% CI {low}–{high}, n = {row['n_total']})" in md.text


# --- the follow-up list ------------------------------------------------------------------------------


def follow_up_count(client: TestClient, who: str) -> int:
    sign_in(client, who)
    page = client.get("/followup")
    assert page.status_code == 200
    return page.text.count("<code>")


def test_the_follow_up_list_is_for_admins_and_the_fieldworker_who_made_the_visit(client: TestClient) -> None:
    """Admins and the collecting fieldworker see the same follow-ups; another fieldworker sees none."""
    admin = follow_up_count(client, "admin")
    assert admin > 0
    assert follow_up_count(client, "fieldworker") == admin
    assert follow_up_count(client, "other") == 0


@pytest.mark.parametrize("who", ["planner", "designer"])
def test_planners_and_designers_never_see_the_follow_up_list(client: TestClient, who: str) -> None:
    """The follow-up list refuses planners and designers (403)."""
    sign_in(client, who)
    assert client.get("/followup").status_code == 403


def test_the_migrations_have_exactly_one_head() -> None:
    """Alembic sees one head (the design plans chained after the others)."""
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory.from_config(store.alembic_config("sqlite://")).get_heads()) == 1


def test_the_seed_rulebook_and_forms_agree() -> None:
    """The library's school form has the indicator the study-stress rule reads."""
    form = forms.loads((ROOT / "forms" / "library" / f"{FORM}.toml").read_bytes(), "toml", FORM)
    assert "high_study_stress" in {i.name for i in form.indicators}
