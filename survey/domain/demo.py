"""The demo database: the 2027 Nanhai assessment, its sites, the form library, users and data.

:func:`build` creates the schema if needed, then gets or creates, each by its natural key: the
assessment (its slug), the sites (their codes, which are the library forms' choice names), the
demo users (their usernames; one per role, all with :data:`PASSWORD`), every library form
(publishing the same content again is harmless), the fieldworker's assignments, and the synthetic
records of :mod:`survey.domain.demo_data` (their fixed UUIDs), stored through :func:`sync.accept`
exactly as the API stores them. Building twice adds nothing.

The demo refuses a database that has users it did not create: its admin's password is public.
"""

from __future__ import annotations

import time
from datetime import date
from importlib import resources
from random import Random
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from forms.compiler import Compiled
from survey.domain import accounts, demo_data, publishing, sessions_demo, sync
from survey.store import db as store
from survey.store.models import Assessment, Assignment, FormRecord, Site, Submission, User

PASSWORD = "tanfang-demo"
"""The password of every demo user (printed by ``survey demo``)."""

USERS = {"admin": "admin", "planner": "planner", "designer": "designer", "fieldworker": "fieldworker"}
"""Demo username → role."""

SLUG = "nanhai-2027"
ASSESSMENT = {
    "name": "2027 年度南海社区需求评估 / Nanhai community needs assessment 2027",
    "populations": [  # the library forms' populations
        "residents", "older_people", "youth_students", "children", "disability_carers", "migrants",
        "workforce", "stakeholders",
    ],
    "period_start": date(2026, 9, 1),
    "period_end": date(2026, 10, 31),
}

SITES = {  # code (the forms' choice name) → (name, kind)
    "nangui": ("南桂社区 / Nangui community", "community"),
    "guiyuan": ("桂园社区 / Guiyuan community", "community"),
    "yile_centre": ("桂城长者颐乐中心 / Guicheng Yile Centre for Older People", "care_home"),
    "xiqiao_welfare": ("西樵福利中心 / Xiqiao Welfare Centre", "care_home"),
    "school_urban": ("桂城某中学（城区） / Guicheng secondary school (urban)", "school"),
    "school_rural": ("西樵某中学（农村） / Xiqiao secondary school (rural)", "school"),
}

ASSIGNMENTS: dict[str, tuple[str | None, ...]] = {  # the fieldworker's forms, by site (None: anywhere)
    "household_visit": ("nangui", "guiyuan"),
    "older_people": ("nangui", "guiyuan", "yile_centre", "xiqiao_welfare"),
    "school_social_work": ("school_urban", "school_rural"),
    "disability_carers": ("nangui", "guiyuan"),
    "migrants": ("nangui", "guiyuan"),
    "children_after_school": ("nangui", "guiyuan"),
    "workforce_training": (None,),
    "residents_focus_group": tuple(SITES),
    "stakeholder_interview": ("yile_centre", "xiqiao_welfare", "school_urban", "school_rural"),
}

FOCUS_GROUPS: list[dict[str, Any]] = [  # each session's venue, group, size and what the notes say
    {"site": "nangui", "group_focus": "older_people", "n_participants": 8,
     "session_notes": "独居长者多说子女在外地工作，平日少人倾偈，晚上尤其觉得孤单；希望有人定期上门探访，"
                      "也愿意参加互助小组。"},
    {"site": "guiyuan", "group_focus": "parents", "n_participants": 7,
     "session_notes": "双职工家长说四点半课堂名额不够，放学后孩子没人接；暑假托管是最大的难题。"},
    {"site": "yile_centre", "group_focus": "older_people", "n_participants": 9,
     "session_notes": "院友对康乐活动满意，新入住的长者适应困难；希望多些兴趣小组和家属探访日。"},
    {"site": "xiqiao_welfare", "group_focus": "older_people", "n_participants": 6,
     "session_notes": "护理员人手紧，长者白天多半坐着；希望社工带康乐和认知训练活动。"},
    {"site": "school_rural", "group_focus": "youth", "n_participants": 8,
     "session_notes": "学生说作业多、睡不够、考试压力大，住宿生周末才见到爷爷奶奶；"
                      "想要减压小组和朋辈辅导。"},
    {"site": "school_urban", "group_focus": "youth", "n_participants": 8,
     "session_notes": "压力多来自升学和家长期望，大多数能找朋友倾诉；对生涯规划活动兴趣大。"},
    {"site": "nangui", "group_focus": "carers", "n_participants": 6,
     "session_notes": "照顾重度残疾家人的家属长期睡眠不足，没有人可以替手，自己身体也出问题；"
                      "很希望有喘息服务。"},
    {"site": "guiyuan", "group_focus": "migrants", "n_participants": 8,
     "session_notes": "来了一两年的新市民说这里没什么朋友，有事不知找谁，不会讲粤语；"
                      "希望有融入活动和政策咨询。"},
]
INTERVIEWS: list[dict[str, Any]] = [  # each interviewee's role, organisation, site, groups, years, notes
    {"respondent_role": "teacher", "org_type": "school", "site": "school_rural", "groups_served": ["youth"],
     "years_in_role": 12, "interview_notes": "毕业班学生失眠、焦虑的多了，家长多在外打工，老师顾不过来。"},
    {"respondent_role": "school_leader", "org_type": "school", "site": "school_rural",
     "groups_served": ["youth", "families"], "years_in_role": 20,
     "interview_notes": "学校愿意腾出场地，希望驻校社工开展减压和生涯小组。"},
    {"respondent_role": "teacher", "org_type": "school", "site": "school_urban", "groups_served": ["youth"],
     "years_in_role": 8, "interview_notes": "学生压力主要在升学，个别学生有网络沉迷，需要家校合作。"},
    {"respondent_role": "school_leader", "org_type": "school", "site": "school_urban",
     "groups_served": ["youth"], "years_in_role": 15,
     "interview_notes": "希望社工协助家长课堂和朋辈辅导员培训。"},
    {"respondent_role": "care_staff", "org_type": "care_home", "site": "yile_centre",
     "groups_served": ["older_people"], "years_in_role": 6,
     "interview_notes": "失能长者多，护理员忙于生活照料，精神慰藉做得少。"},
    {"respondent_role": "care_manager", "org_type": "care_home", "site": "yile_centre",
     "groups_served": ["older_people"], "years_in_role": 10,
     "interview_notes": "社工部刚成立，需要制度和团队建设，也要培训护理员。"},
    {"respondent_role": "care_staff", "org_type": "care_home", "site": "xiqiao_welfare",
     "groups_served": ["older_people", "disability"], "years_in_role": 4,
     "interview_notes": "院内长者与家属联系少，节假日特别冷清。"},
    {"respondent_role": "care_manager", "org_type": "care_home", "site": "xiqiao_welfare",
     "groups_served": ["older_people"], "years_in_role": 9,
     "interview_notes": "希望有督导带新社工，一名驻点社工加一名院内督导的模式可行。"},
    {"respondent_role": "community_worker", "org_type": "residents_committee", "site": "nangui",
     "groups_served": ["older_people", "disability"], "years_in_role": 11,
     "interview_notes": "南桂老楼多、电梯少，独居长者下楼难，很多人整天不出门。"},
    {"respondent_role": "community_worker", "org_type": "residents_committee", "site": "guiyuan",
     "groups_served": ["children", "migrants", "families"], "years_in_role": 7,
     "interview_notes": "新市民家庭多，孩子放学后没人看，居委会人手不足。"},
    {"respondent_role": "health_worker", "org_type": "health_centre", "site": "nangui",
     "groups_served": ["older_people"], "years_in_role": 5,
     "interview_notes": "家庭医生签约率高，但独居长者复诊常常没人陪同。"},
    {"respondent_role": "official", "org_type": "government", "site": "guiyuan",
     "groups_served": ["migrants", "families"], "years_in_role": 3,
     "interview_notes": "居住证和积分入学的政策咨询量大，需要社区讲解。"},
    {"respondent_role": "community_worker", "org_type": "residents_committee", "site": "nangui",
     "groups_served": ["disability", "families"], "years_in_role": 9,
     "interview_notes": "重度残疾人的家属照顾压力很大，辅具和喘息服务都缺。"},
    {"respondent_role": "official", "org_type": "government", "site": "nangui",
     "groups_served": ["older_people", "disability", "migrants"], "years_in_role": 14,
     "interview_notes": "明年的社区基金会优先支持有数据支撑的项目。"},
]
SCRIPTED = {  # the outlines: the answers every session shares, and the sessions
    "residents_focus_group": ({"consent": "yes", "facilitator": "SW-03"}, FOCUS_GROUPS),
    "stakeholder_interview": (
        {"consent": "yes", "interviewer_code": demo_data.WORKER_CODE, "recording_ok": "yes"}, INTERVIEWS
    ),
}


class Summary(msgspec.Struct):
    """What the demo database holds after a build."""

    url: str  # password hidden
    submissions: dict[str, int]  # stored per form
    created: int  # records stored by this build
    sites: list[str]
    users: dict[str, str]  # username → role
    seconds: float


class DemoError(RuntimeError):
    """The demo cannot be built here: a database with other users, a library form that cannot be
    published, or a record its form rejects."""


def build(url: str) -> Summary:
    """Create (or complete) the demo database at ``url``; safe to run again."""
    started = time.perf_counter()
    engine = store.make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        store.ensure_schema(engine)
        with store.transaction(store.session_factory(engine)) as db:
            _refuse_foreign_users(db, shown)
            assessment = _assessment(db)
            sites = _sites(db, assessment.id)
            users = _users(db)
            versions = _publish(db, users["admin"], assessment.id)
            _assign(db, users["fieldworker"], sites)
            created = sum(_store(db, c, users["fieldworker"], assessment.id) for c in versions.values())
            sessions_demo.code(db, users)  # the sessions coded, a fifth of them twice
            counts = dict(
                db.execute(select(Submission.form_id, func.count()).group_by(Submission.form_id)).all()
            )
    finally:
        engine.dispose()
    return Summary(shown, counts, created, list(sites), dict(USERS), time.perf_counter() - started)


def _refuse_foreign_users(db: DbSession, url: str) -> None:
    others = list(db.scalars(select(User.username).where(User.username.not_in(list(USERS))).limit(3)))
    if others:
        raise DemoError(
            f"the database at {url} has users the demo did not create ({', '.join(others)}); the demo's "
            f"passwords are public, so it seeds only a database of its own (e.g. --db sqlite:///tanfang-demo.sqlite3)"
        )


def _assessment(db: DbSession) -> Assessment:
    found = db.scalar(select(Assessment).where(Assessment.slug == SLUG))
    if found is None:
        found = Assessment(slug=SLUG, **ASSESSMENT)
        db.add(found)
        db.flush()
    return found


def _sites(db: DbSession, assessment_id: int) -> dict[str, int]:
    found = dict(db.execute(select(Site.code, Site.id).where(Site.code.in_(list(SITES)))).all())
    for code, (name, kind) in SITES.items():
        if code not in found:
            site = Site(code=code, name=name, kind=kind, assessment_id=assessment_id)
            db.add(site)
            db.flush()
            found[code] = site.id
    return found


def _users(db: DbSession) -> dict[str, int]:
    """Demo role → user id, creating the users that are missing."""
    found = dict(db.execute(select(User.username, User.id).where(User.username.in_(list(USERS)))).all())
    for username, role in USERS.items():
        if username not in found:
            found[username] = accounts.add_user(db, username, PASSWORD, role).id
    return {role: found[username] for username, role in USERS.items()}


def library() -> list[tuple[str, bytes]]:
    """The form library shipped with ``forms``: (file name, TOML bytes), sorted by name."""
    folder = resources.files("forms") / "library"
    return sorted((f.name, f.read_bytes()) for f in folder.iterdir() if f.name.endswith(".toml"))


def _publish(db: DbSession, admin_id: int, assessment_id: int) -> dict[str, Compiled]:
    """Publish every library form (harmless when already published); form id → its compiled version."""
    out = {}
    for name, data in library():
        try:
            version, _, _ = publishing.publish(db, data, "toml", f"forms/library/{name}", by=admin_id)
        except publishing.PublishError as err:  # e.g. a library form changed without a new version
            raise DemoError(str(err)) from None
        record = db.get(FormRecord, version.form_id)
        if record is not None and record.assessment_id is None:
            record.assessment_id = assessment_id
        out[version.form_id] = publishing.compiled(version)
    return out


def _assign(db: DbSession, user_id: int, sites: dict[str, int]) -> None:
    have = set(
        db.execute(select(Assignment.form_id, Assignment.site_id).where(Assignment.user_id == user_id)).all()
    )
    for form_id, codes in ASSIGNMENTS.items():
        for code in codes:
            site_id = sites[code] if code else None
            if (form_id, site_id) not in have:
                db.add(Assignment(user_id=user_id, form_id=form_id, site_id=site_id))
    db.flush()


def _store(db: DbSession, compiled: Compiled, collector_id: int, assessment_id: int) -> int:
    """Generate the form's records and store those not stored yet; how many were stored."""
    form_id = compiled.form.id
    profile, count, outline = _plan(form_id)
    if profile is None:
        return 0
    wanted = [demo_data.record_uuid(form_id, i) for i in range(count)]
    stored = set(db.scalars(select(Submission.uuid).where(Submission.uuid.in_(wanted))))
    if len(stored) == count:
        return 0
    try:
        batch = [r for r in demo_data.records(compiled, profile, count, outline) if r["uuid"] not in stored]
    except ValueError as err:  # a profile out of step with its form
        raise DemoError(str(err)) from None
    results = sync.accept(db, form_id, batch, collector_id)
    rejected = [r for r in results if r.status != "created"]
    if rejected:
        raise DemoError(f"{form_id}: {len(rejected)} demo records not stored, e.g. {rejected[0]}")
    db.execute(
        update(Submission)
        .where(Submission.uuid.in_([r["uuid"] for r in batch]))
        .values(assessment_id=assessment_id)
    )
    return len(batch)


def _plan(form_id: str) -> tuple[demo_data.Profile | None, int, bool]:
    """(profile, count, scripted) for a library form; no profile for a form the demo does not fill."""
    if form_id in demo_data.PROFILES:
        return demo_data.PROFILES[form_id], demo_data.RESPONSES[form_id], False
    if form_id in SCRIPTED:
        shared, sessions = SCRIPTED[form_id]
        rows = [{**shared, **s, **sessions_demo.heard(form_id, i, s)} for i, s in enumerate(sessions)]
        return _scripted(rows), len(sessions), True
    return None, 0, False


def _scripted(rows: list[dict[str, Any]]) -> demo_data.Profile:
    """A profile that hands out ``rows`` in order: sessions written down rather than drawn."""
    remaining = iter(rows)

    def profile(rng: Random, day: date) -> demo_data.Draft:
        answers = dict(next(remaining))
        return answers, answers["site"]

    return profile
