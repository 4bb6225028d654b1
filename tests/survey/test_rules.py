"""Rulebooks: `survey rules check`, publishing per assessment (CLI and admin page), and their use.

The design tests use a small questionnaire (a loneliness indicator, a self-harm safety indicator, a
community segment) with 60 records, in the assessment ``nanhai``. ``MINE`` is a centre's rulebook:
one ranked rule on loneliness with a service no other rulebook names, and one safety rule.
"""

from __future__ import annotations

import textwrap
import uuid as uuidlib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape
from sqlalchemy import select

from analysis import rulebook
from survey.cli import main
from survey.domain import design, publishing, rules, sync
from survey.store.models import Assessment, AuditLog, FormRecord, RulebookVersion, User
from survey.web.csrf import CSRF_COOKIE
from tests.survey.conftest import PASSWORD

SEED = rulebook.seed()
Cap = pytest.CaptureFixture[str]
RULE = "rule ELD-LON-01 (rules[0])"
SERVICE = "茶棋会 Tea-and-chess circle"
ACTION = "当天电话回访 Phone back the same day"

MINE = textwrap.dedent(
    """
    id = "nanhai-rules"
    version = "2027.1"
    title = {zh = "南海规则库", en = "Nanhai rulebook"}

    [[rules]]
    id = "ELD-LON-01"
    title = {zh = "长者孤独感", en = "Loneliness among older people"}
    population = "older_people"
    domain = "loneliness_social_isolation"
    indicator = "lonely"
    segments = ["community"]
    trigger = [{stat = "ci_low", op = ">=", value = 0.2}]

    [[rules.interventions]]
    id = "tea_and_chess"
    name = {zh = "茶棋会 Tea-and-chess circle", en = "茶棋会 Tea-and-chess circle"}
    method = "group_work"
    evidence = {level = "C"}

    [[rules]]
    id = "SAFE-SH-01"
    title = {zh = "自伤风险", en = "Self-harm risk"}
    population = "any"
    domain = "safety"
    indicator = "selfharm_risk"
    safety = true
    action.zh = "当天电话回访 Phone back the same day"
    action.en = "当天电话回访 Phone back the same day"
    """
)

FORM = textwrap.dedent(
    """
    id = "eld"
    title = {zh = "长者小调查", en = "Small elder survey"}
    version = "1"
    kind = "questionnaire"

    [[questions]]
    type = "select_one"
    name = "community"
    label = {zh = "社区", en = "Community"}
    choices = "communities"
    segment = true

    [[questions]]
    type = "select_one"
    name = "lonely_q"
    label = {zh = "常感孤独吗？", en = "Often lonely?"}
    choices = "yesno"

    [[questions]]
    type = "select_one"
    name = "selfharm_q"
    label = {zh = "有自伤念头吗？", en = "Thoughts of self-harm?"}
    choices = "yesno"

    [[choices.communities]]
    name = "east"
    label = {zh = "东社区", en = "East"}

    [[choices.communities]]
    name = "west"
    label = {zh = "西社区", en = "West"}

    [[choices.yesno]]
    name = "yes"
    label = {zh = "是", en = "Yes"}

    [[choices.yesno]]
    name = "no"
    label = {zh = "否", en = "No"}

    [[indicators]]
    name = "lonely"
    label = {zh = "常感孤独", en = "Often lonely"}
    flag = "${lonely_q} = 'yes'"
    domain = "loneliness_social_isolation"
    bradshaw = ["normative"]

    [[indicators]]
    name = "selfharm_risk"
    label = {zh = "有自伤念头", en = "Thoughts of self-harm"}
    flag = "${selfharm_q} = 'yes'"
    domain = "safety"
    safety = true
    """
)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys: Cap, *args: str) -> tuple[int, list[str], list[str]]:
    """``survey ARGS...`` in this process: the exit status, stdout lines and stderr lines."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def publish(capsys: Cap, database_url: str, path: str, *more: str) -> tuple[int, list[str], list[str]]:
    """``survey rules publish PATH MORE... --db URL``."""
    return run(capsys, "rules", "publish", path, *more, "--db", database_url)


# --- survey rules check ---------------------------------------------------------------------------


def test_check_passes_the_seed_and_a_centres_rulebook(tmp_path: Path, capsys: Cap) -> None:
    """Valid files exit 0 and print nothing."""
    mine, seed = write(tmp_path, "mine.toml", MINE), write(tmp_path, "seed.toml", rulebook.seed_text())
    status, out, err = run(capsys, "rules", "check", mine, seed)
    assert (status, out, err) == (0, [], [])


def test_export_seed_writes_the_seed_with_its_comments(tmp_path: Path, capsys: Cap) -> None:
    """`export-seed -o OUT` writes the seed rulebook's text, which reads back as the seed."""
    out = tmp_path / "start.toml"
    assert run(capsys, "rules", "export-seed", "-o", str(out))[0] == 0
    assert out.read_text(encoding="utf-8") == rulebook.seed_text()
    assert rulebook.load(out) == SEED


def test_a_toml_syntax_error_is_reported_at_its_line_and_column(
    tmp_path: Path, capsys: Cap
) -> None:
    """A broken TOML line gives one `PATH: line L, column C: PROBLEM` line and exit 1."""
    path = write(tmp_path, "broken.toml", MINE.replace('version = "2027.1"', "version = 2027.1.x"))
    status, out, _ = run(capsys, "rules", "check", path)
    assert status == 1
    assert out == [f"{path}: line 3, column 17: Expected newline or end of document after a statement"]


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        ('domain = "loneliness', "rule ELD-LON-01 (rules[0])", "Object contains unknown field `domian`"),
        ('level = "C"', f"{RULE}, interventions[0].evidence.level", "Invalid enum value 'E'"),
        ('indicator = "lonely"', "rule ELD-LON-01 (rules[0])", "Object missing required field `indicator`"),
        ('op = ">="', "rule ELD-LON-01 (rules[0]), trigger[0].op", "Invalid enum value '=>'"),
    ],
    ids=["unknown field", "evidence level", "no indicator", "trigger operator"],
)
def test_a_wrong_field_is_reported_where_it_is(
    tmp_path: Path, capsys: Cap, change: str, where: str, problem: str
) -> None:
    """Each semantic mistake is one line naming the rule and field, and the check exits 1."""
    broken = {
        'domain = "loneliness': 'domian = "x"\ndomain = "loneliness',
        'level = "C"': 'level = "E"',
        'indicator = "lonely"': "",
        'op = ">="': 'op = "=>"',
    }[change]
    path = write(tmp_path, "mine.toml", MINE.replace(change, broken, 1))
    status, out, _ = run(capsys, "rules", "check", path)
    assert status == 1
    assert out == [f"{path}: {where}: {problem}"]


def test_every_file_and_every_broken_rule_is_reported(tmp_path: Path, capsys: Cap) -> None:
    """Two files, one fine and one with two broken rules: two lines, each at its rule; exit 1."""
    good = write(tmp_path, "good.toml", MINE)
    bad = write(
        tmp_path,
        "bad.toml",
        MINE.replace('level = "C"', 'level = "Z"').replace("safety = true", "safety = true\nx = 1"),
    )
    status, out, _ = run(capsys, "rules", "check", good, bad)
    assert status == 1
    assert [line.split(": ")[1] for line in out] == [
        "rule ELD-LON-01 (rules[0]), interventions[0].evidence.level",
        "rule SAFE-SH-01 (rules[1])",
    ]


def test_check_against_a_form_refuses_ranking_a_safety_indicator(
    tmp_path: Path, capsys: Cap
) -> None:
    """With --form, a ranked rule on a safety indicator is an error; an indicator no form has, a warning."""
    form = write(tmp_path, "eld.toml", FORM)
    ranked_safety = MINE.replace('indicator = "lonely"', 'indicator = "selfharm_risk"', 1)
    path = write(tmp_path, "mine.toml", ranked_safety)
    status, out, _ = run(capsys, "rules", "check", path, "--form", form)
    assert status == 1
    assert out == [f"{path}: rule ELD-LON-01 (rules[0]), indicator: 'selfharm_risk' is a safety indicator"]
    other = write(tmp_path, "other.toml", MINE.replace('indicator = "lonely"', 'indicator = "lonesome"', 1))
    status, out, err = run(capsys, "rules", "check", other, "--form", form)
    assert (status, out) == (0, [])
    assert err == [f"{other}: {RULE}, indicator: warning: no form has indicator 'lonesome'"]


# --- publishing -----------------------------------------------------------------------------------


@pytest.fixture
def nanhai(app: Any) -> int:
    """The assessment ``nanhai`` (with a second one, ``foshan``); its id."""
    with app.state.sessions() as db, db.begin():
        db.add(Assessment(slug="foshan", name="佛山评估"))
        found = Assessment(slug="nanhai", name="南海长者需求评估")
        db.add(found)
        db.flush()
        return found.id


def versions(app: Any) -> list[tuple[int | None, str, str]]:
    with app.state.sessions() as db:
        rows = db.scalars(select(RulebookVersion).order_by(RulebookVersion.id))
        return [(r.assessment_id, f"{r.rulebook_id}@{r.version}", r.text) for r in rows]


def in_use(app: Any, assessment_id: int | None) -> str:
    with app.state.sessions() as db:
        return rules.in_use(db, assessment_id).origin.label


def test_publishing_by_cli_stores_the_text_for_the_assessment_once(
    app: Any, database_url: str, nanhai: int, tmp_path: Path, capsys: Cap
) -> None:
    """`rules publish --assessment` stores the TOML as written, audited; the same text again adds nothing."""
    path = write(tmp_path, "mine.toml", MINE)
    status, out, _ = publish(capsys, database_url, path, "--assessment", "nanhai")
    assert status == 0
    assert out[0].startswith("published rulebook nanhai-rules@2027.1 for 南海长者需求评估 (sha256 ")
    assert versions(app) == [(nanhai, "nanhai-rules@2027.1", MINE)]
    with app.state.sessions() as db:
        entry = db.scalars(select(AuditLog).where(AuditLog.action == "rulebook.publish")).one()
    assert (entry.target, entry.detail["assessment"]) == ("rulebook:nanhai-rules@2027.1", "nanhai")
    relaid = write(tmp_path, "again.toml", "# the same rules, another comment\n" + MINE)
    status, out, _ = publish(capsys, database_url, relaid, "--assessment", str(nanhai))
    assert status == 0
    assert out == [
        "rulebook nanhai-rules@2027.1 is already published for 南海长者需求评估 with the same content; "
        "nothing changed"
    ]
    assert len(versions(app)) == 1
    assert in_use(app, nanhai) == "nanhai-rules@2027.1"


def test_without_an_assessment_the_rulebook_is_for_every_one_without_its_own(
    app: Any, database_url: str, nanhai: int, tmp_path: Path, capsys: Cap
) -> None:
    """Published for every assessment, a rulebook replaces the seed until an assessment publishes its own."""
    assert in_use(app, nanhai) == SEED.label
    shared = MINE.replace('id = "nanhai-rules"', 'id = "centre-rules"', 1)
    assert publish(capsys, database_url, write(tmp_path, "c.toml", shared))[0] == 0
    assert in_use(app, nanhai) == in_use(app, None) == "centre-rules@2027.1"
    assert publish(capsys, database_url, write(tmp_path, "m.toml", MINE), "--assessment", "nanhai")[0] == 0
    assert in_use(app, nanhai) == "nanhai-rules@2027.1"
    with app.state.sessions() as db:
        foshan = db.scalars(select(Assessment.id).where(Assessment.slug == "foshan")).one()
    assert in_use(app, foshan) == "centre-rules@2027.1"


def test_a_rulebook_with_errors_is_refused_and_the_last_one_stays_in_use(
    app: Any, database_url: str, nanhai: int, tmp_path: Path, capsys: Cap
) -> None:
    """Every problem is printed where it is, exit 1, nothing stored; the version in use stays."""
    publish(capsys, database_url, write(tmp_path, "m.toml", MINE), "--assessment", "nanhai")
    broken = MINE.replace('version = "2027.1"', 'version = "2027.2"').replace('level = "C"', 'level = "E"')
    broken = broken.replace('method = "group_work"', 'method = "group_work"\ncolour = "red"')
    path = write(tmp_path, "broken.toml", broken.replace('population = "any"', 'population = "pets"'))
    status, out, _ = publish(capsys, database_url, path, "--assessment", "nanhai")
    assert status == 1
    assert out == [
        f"{path}: rule ELD-LON-01 (rules[0]), interventions[0]: Object contains unknown field `colour`",
        f"{path}: rule SAFE-SH-01 (rules[1]), population: Invalid enum value 'pets'",
    ]
    assert len(versions(app)) == 1
    assert in_use(app, nanhai) == "nanhai-rules@2027.1"


def test_other_content_under_a_published_label_or_the_seeds_is_refused(
    app: Any, database_url: str, tmp_path: Path, capsys: Cap
) -> None:
    """A changed rulebook under a published version, or under the seed's id and version, is refused."""
    publish(capsys, database_url, write(tmp_path, "m.toml", MINE))
    changed = write(tmp_path, "changed.toml", MINE.replace('level = "C"', 'level = "B"'))
    status, out, _ = publish(capsys, database_url, changed)
    assert status == 1
    assert out == [
        f"{changed}: version: version '2027.1' of rulebook 'nanhai-rules' is already published with other "
        "content; give the changed rulebook a new version"
    ]
    fake_seed = rulebook.seed_text().replace('level = "B"', 'level = "A"', 1)
    status, out, _ = publish(capsys, database_url, write(tmp_path, "s.toml", fake_seed))
    assert status == 1
    assert "version '2026.1' of rulebook 'tanfang-seed'" in out[0]
    assert len(versions(app)) == 1


def test_publishing_for_an_unknown_assessment_is_refused(
    app: Any, database_url: str, tmp_path: Path, capsys: Cap
) -> None:
    """An assessment that does not exist: exit 1 with the reason on stderr, nothing stored."""
    path = write(tmp_path, "m.toml", MINE)
    status, _, err = publish(capsys, database_url, path, "--assessment", "atlantis")
    assert status == 1
    assert err == ["survey rules publish: no assessment 'atlantis'"]
    assert versions(app) == []


# --- the admin page -------------------------------------------------------------------------------


def sign_in(client: TestClient, who: str) -> TestClient:
    client.get("/login")
    data = {"username": who, "password": PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    return client


def upload(client: TestClient, name: str, text: str, assessment: str = "") -> Any:
    """Upload a rulebook through the page's form, with the CSRF token."""
    data = {"assessment": assessment, "_csrf_token": client.cookies[CSRF_COOKIE]}
    files = {"file": (name, text.encode(), "application/toml")}
    return client.post("/admin/rules", data=data, files=files, follow_redirects=False)


def test_an_admin_publishes_on_the_page_and_sees_the_version(
    app: Any, client: TestClient, tokens: dict[str, str], nanhai: int
) -> None:
    """The upload goes to the version (303), which the page lists as in use for the assessment; audited."""
    admin = sign_in(client, "admin")
    response = upload(admin, "mine.toml", MINE, str(nanhai))
    assert response.status_code == 303
    with app.state.sessions() as db:
        row = db.scalars(select(RulebookVersion)).one()
        who = db.scalars(select(User.id).where(User.username == "admin")).one()
        entry = db.scalars(select(AuditLog).where(AuditLog.action == "rulebook.publish")).one()
    assert response.headers["location"] == f"/admin/rules?version={row.id}&new=1"
    assert (row.assessment_id, row.published_by, entry.user_id) == (nanhai, who, who)
    page = admin.get(response.headers["location"]).text
    assert "规则库 nanhai-rules@2027.1 已发布" in page
    in_use_table = page[page.index('id="in-use"') : page.index('id="versions"')]
    assert "南海长者需求评估</td><td class=\"mono\">nanhai-rules@2027.1" in in_use_table
    assert f"佛山评估</td><td class=\"mono\">{SEED.label}" in in_use_table
    assert row.hash[:12] in page
    assert str(escape(SERVICE)) in page  # the TOML as published


def test_the_same_upload_again_changes_nothing(
    app: Any, client: TestClient, tokens: dict[str, str], nanhai: int
) -> None:
    """A second upload of the same text makes no new version and says so."""
    admin = sign_in(client, "admin")
    upload(admin, "mine.toml", MINE, str(nanhai))
    response = upload(admin, "mine.toml", MINE, str(nanhai))
    assert response.headers["location"].endswith("&new=0")
    assert "没有改动" in admin.get(response.headers["location"]).text
    assert len(versions(app)) == 1


def test_the_page_offers_the_seed_to_start_from(client: TestClient, tokens: dict[str, str]) -> None:
    """The seed downloads from the page as shipped (comments and all) and reads back as the seed."""
    admin = sign_in(client, "admin")
    assert 'href="/admin/rules/seed.toml"' in admin.get("/admin/rules").text
    response = admin.get("/admin/rules/seed.toml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/toml")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text == rulebook.seed_text()
    assert rulebook.loads(response.text, "seed.toml").label == SEED.label


def test_a_refused_upload_shows_every_problem_where_it_is(
    app: Any, client: TestClient, tokens: dict[str, str], nanhai: int
) -> None:
    """A rulebook with errors re-renders the page, 422, every problem with its place; the last one stays."""
    admin = sign_in(client, "admin")
    upload(admin, "mine.toml", MINE, str(nanhai))
    broken = MINE.replace('version = "2027.1"', 'version = "2027.2"').replace('level = "C"', 'level = "E"')
    broken = broken.replace('population = "any"', 'population = "pets"')
    response = upload(admin, "draft.toml", broken, str(nanhai))
    assert response.status_code == 422
    with pytest.raises(rulebook.RulebookError) as raised:
        rulebook.loads(broken, "draft.toml")
    assert len(raised.value.problems) == 2
    for problem in raised.value.problems:
        assert str(escape(problem.where)) in response.text
        assert str(escape(problem.message)) in response.text
    assert 'name="_csrf_token"' in response.text
    assert f'<option value="{nanhai}" selected>' in response.text
    assert len(versions(app)) == 1
    assert in_use(app, nanhai) == "nanhai-rules@2027.1"
    syntax = upload(admin, "draft.toml", "id = \n", str(nanhai))
    assert syntax.status_code == 422
    assert "line 1, column 6" in syntax.text


@pytest.mark.parametrize(
    ("name", "text", "assessment", "says"),
    [
        ("", "", "", "请选择要上传的规则库文件"),
        ("mine.xlsx", MINE, "", ".toml"),
        ("mine.toml", MINE, "999", "没有这个评估"),
    ],
    ids=["no file", "not toml", "unknown assessment"],
)
def test_a_missing_file_or_unknown_assessment_is_refused_in_place(
    app: Any, client: TestClient, tokens: dict[str, str], name: str, text: str, assessment: str, says: str
) -> None:
    """No file, a file that is not .toml, or an assessment that does not exist: 422 and why."""
    admin = sign_in(client, "admin")
    data = {"assessment": assessment, "_csrf_token": client.cookies[CSRF_COOKIE]}
    files = {"file": (name, text.encode(), "application/toml")} if name else None
    response = admin.post("/admin/rules", data=data, files=files, follow_redirects=False)
    assert response.status_code == 422
    assert says in response.text
    assert versions(app) == []


@pytest.mark.parametrize("who", ["planner", "designer", "fieldworker"])
def test_only_admins_publish(app: Any, client: TestClient, tokens: dict[str, str], who: str) -> None:
    """Everyone else is refused (403) and nothing is stored."""
    sign_in(client, who)
    assert client.get("/admin/rules").status_code == 403
    assert upload(client, "mine.toml", MINE).status_code == 403
    assert versions(app) == []


# --- the needs, the proposal and the follow-ups use it --------------------------------------------


@pytest.fixture
def eld(app: Any, tokens: dict[str, str], nanhai: int) -> str:
    """The small questionnaire, in ``nanhai``, with 60 records collected by ``fieldworker``."""
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, FORM.encode(), "toml", "eld.toml")
        db.get_one(FormRecord, "eld").assessment_id = nanhai
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        records = [
            {
                "uuid": str(uuidlib.uuid4()),
                "form_version": "1",
                "answers": {
                    "community": "east" if i % 2 else "west",
                    "lonely_q": "yes" if i % 3 else "no",
                    "selfharm_q": "yes" if i == 5 else "no",
                },
            }
            for i in range(60)
        ]
        assert {r.status for r in sync.accept(db, "eld", records, worker)} == {"created"}
    return "eld"


def test_the_design_uses_the_assessments_latest_rulebook(client: TestClient, eld: str, nanhai: int) -> None:
    """The seed first; once the centre's rulebook is published, its service and label; then the seed again."""
    sign_in(client, "admin")
    seed_service = SEED.rule("ELD-LON-01").interventions[0].name["zh"]
    page = client.get(f"/design/{eld}").text
    assert seed_service in page
    assert SERVICE not in page
    assert f"规则库 {SEED.label}：探访自带的种子规则库" in page
    assert upload(client, "mine.toml", MINE, str(nanhai)).status_code == 303
    page = client.get(f"/design/{eld}").text
    assert SERVICE in page
    assert seed_service not in page
    assert "规则库 nanhai-rules@2027.1，" in page
    assert "南海长者需求评估" in page
    dashboard = client.get(f"/dashboard/{eld}").text
    assert "nanhai-rules@2027.1" in dashboard
    proposal = client.get(f"/design/{eld}/proposal.md").content.decode()
    assert "规则库 nanhai-rules@2027.1" in proposal
    assert upload(client, "seed.toml", rulebook.seed_text(), str(nanhai)).status_code == 303
    page = client.get(f"/design/{eld}").text
    assert seed_service in page
    assert SERVICE not in page
    assert f"规则库 {SEED.label}，" in page


def test_a_published_safety_rule_only_feeds_the_follow_up_list(
    client: TestClient, eld: str, nanhai: int
) -> None:
    """The centre's safety rule gives the follow-up its action and is never a need on the dashboard."""
    sign_in(client, "admin")
    upload(client, "mine.toml", MINE, str(nanhai))
    assert ACTION in client.get("/followup").text
    dashboard = client.get(f"/dashboard/{eld}").text
    ranked = dashboard[dashboard.index('id="ranked"') :]
    assert "SAFE-SH-01" not in dashboard
    assert "有自伤念头" not in ranked


def test_the_analysis_is_kept_per_rulebook(app: Any, eld: str) -> None:
    """The results table kept in memory is keyed by the rulebook's content: another rulebook, another one."""
    with app.state.sessions() as db:
        choices = design.load_choices(db, eld)
        seed = rules.for_form(db, eld)
        origin = rules.Origin(label="nanhai-rules@2027.1", hash="x" * 64, scope="all")
        mine = rules.InUse(book=rulebook.loads(MINE), origin=origin)
        first = design.analysis_of(db, eld, choices.settings, seed)
        assert design.analysis_of(db, eld, choices.settings, seed) is first
        assert design.analysis_of(db, eld, choices.settings, mine) is not first
