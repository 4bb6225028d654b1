"""The demo's synthetic responses: seeded, valid, and carrying need patterns for the analysis to find.

Each questionnaire has a **profile**: a function of a seeded ``random.Random`` that draws who the
respondent is (community, living arrangement, school, years in the city…) and the answers that
depend on it. :func:`fill` then answers every question the profile left open, plausibly and within
the form's rules (choice filters, exclusive options, ranges, "other, specify"), and
:func:`forms.validate` removes the answers to questions that were not relevant — as it does for a
tablet — so the cleaned answers are the record. The same seed always gives the same records.

Planted patterns (their sizes are the constants below; everything else is noise):

* **loneliness** — UCLA-3 total ≥ 6 for 55% of older people living alone in 南桂社区 (``nangui``),
  15% of every other older respondent;
* **study stress** — each study-stress item centres on 3.8 (of 5) at the rural school in 西樵 and on
  2.9 at the urban school in 桂城 (+0.3 in the exam years g9 and g12): a mean score of about 23 against
  17 on the 6–30 scale;
* **carer burden** — total ≥ 12 for 75% of carers of someone with a lot of difficulty (any Washington
  Group domain "a lot" or "cannot"), 20% of other carers;
* **weak local ties** — no one to turn to, or no close friend here, for 50% of migrants in the city
  for under 2 years, 12% of those here longer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from random import Random
from typing import Any, TypeVar

import forms
from forms.compiler import Compiled, Slot
from forms.evaluate import MappingEnv, compile_bool
from forms.model import (
    Calculate,
    Choice,
    Consent,
    Date,
    Group,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Text,
    Time,
)
from forms.model import Decimal as DecimalQ

SEED = 2027
"""Every draw descends from it: form ``F`` uses ``random.Random(f"{SEED}/{F}")``."""

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tanfang.example/demo/2027")
"""Record ``i`` of form ``F`` has the UUID ``uuid5(NAMESPACE, f"{F}/{i}")``, so a rebuild stores it once."""

FIELDWORK_START = date(2026, 9, 1)
FIELDWORK_DAYS = 30
"""Fieldwork for the 2027 plan ran through September 2026 (visit dates and ``collected_at``), 9:00–17:30."""

CHINA = timezone(timedelta(hours=8))

RESPONSES: dict[str, int] = {
    "household_visit": 480,
    "older_people": 560,
    "school_social_work": 560,
    "disability_carers": 240,
    "migrants": 480,
    "children_after_school": 260,
    "workforce_training": 90,
}
"""Questionnaire responses per form (2,670); the outlines' sessions are scripted in survey.domain.demo."""

CONSENT_REFUSED = 0.02
"""Share of questionnaire respondents who decline at the consent question (the record ends there)."""

LONELY_COMMUNITY = "nangui"
LONELY_THRESHOLD = 6  # the older_people form's ``lonely`` indicator: UCLA-3 total ≥ 6
LONELY_SHARE_PLANTED = 0.55  # older people living alone in LONELY_COMMUNITY
LONELY_SHARE_ELSEWHERE = 0.15  # every other older respondent (other arrangements, communities, care homes)

STRESSED_SCHOOL = "school_rural"
STUDY_STRESS_ITEM_MEAN = {"school_rural": 3.8, "school_urban": 2.9}  # per item, 1–5, stress direction
EXAM_YEAR_EXTRA = 0.3  # g9 and g12 sit the zhongkao and gaokao
HIGH_STUDY_STRESS = 24  # the school form's ``high_study_stress`` indicator

CARER_BURDEN_THRESHOLD = 12  # the disability form's ``high_carer_burden`` indicator
CARER_BURDEN_SHARE_A_LOT = 0.75  # carers of someone with "a lot of difficulty" or "cannot do" in a domain
CARER_BURDEN_SHARE_OTHER = 0.20

RECENT_MIGRANT_YEARS = 2  # "recent": fewer years than this in the city
WEAK_TIES_SHARE_RECENT = 0.50  # the migrants form's ``weak_local_ties`` indicator
WEAK_TIES_SHARE_SETTLED = 0.12

SKIP_OPTIONAL = 0.15  # share of optional questions a respondent leaves blank
OTHER_TEXT = "其他"
WORKER_CODE = "NH-SW-07"

Draft = tuple[dict[str, Any], str | None]
"""What a profile draws: the answers it decides, and the code of the site of the visit (or None)."""
Profile = Callable[[Random, date], Draft]
T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Drawing


def pick(rng: Random, weights: Mapping[str, float]) -> str:
    """One key of ``weights``, drawn in proportion to its weight."""
    return rng.choices(tuple(weights), tuple(weights.values()))[0]


def chance(rng: Random, p: float) -> bool:
    """True with probability ``p``."""
    return rng.random() < p


def scale(rng: Random, n: int, low: int, high: int, centre: float, spread: float = 0.7) -> list[int]:
    """``n`` items of one scale, correlated through the respondent's own level around ``centre``."""
    level = rng.gauss(centre, spread)
    return [min(high, max(low, round(level + rng.gauss(0, 0.6)))) for _ in range(n)]


def until(draw: Callable[[], T], accept: Callable[[T], bool]) -> T:
    """Draw again until ``accept`` holds (rejection sampling: it keeps a planted share exact)."""
    while True:
        value = draw()
        if accept(value):
            return value


def likert(
    names: tuple[str, ...], points: list[int], reverse: str = "", low: int = 1, high: int = 5
) -> dict[str, str]:
    """Likert answers from points in the scale's direction; the ``reverse`` item is stored flipped."""
    return {n: str(low + high - p if n == reverse else p) for n, p in zip(names, points, strict=True)}


def moment(rng: Random) -> datetime:
    """When a record was collected: a fieldwork day (rarely a Sunday), office hours, China time."""
    day = FIELDWORK_START + timedelta(days=rng.randrange(FIELDWORK_DAYS))
    if day.weekday() == 6 and chance(rng, 0.8):
        day -= timedelta(days=1)
    minutes = rng.randrange(9 * 60, 17 * 60 + 30)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=CHINA)


def record_uuid(form_id: str, index: int) -> str:
    """The fixed UUID of demo record ``index`` of ``form_id``."""
    return str(uuid.uuid5(NAMESPACE, f"{form_id}/{index}"))


# --------------------------------------------------------------------------------------------
# Filling in what a profile leaves open


def fill(compiled: Compiled, answers: dict[str, Any], rng: Random, day: date) -> dict[str, Any]:
    """Answer every top-level question the profile left open, then specify each "other" chosen."""
    for name, slot in compiled.slots.items():
        q = slot.question
        if slot.repeats or name in answers or isinstance(q, Note | Group | Repeat | Calculate):
            continue
        if q.required is False and chance(rng, SKIP_OPTIONAL):
            continue
        value = _draw(compiled, slot, answers, rng, day)
        if value is not None:
            answers[name] = value
    for name, value in list(answers.items()):
        if name not in compiled.slots:  # a session's roster, notes and quotes (survey.domain.sessions_demo)
            continue
        options = compiled.choices.get(getattr(compiled.slots[name].question, "choices", ""), {})
        chosen = value if isinstance(value, list) else [value]
        if any(options[c].other for c in chosen if isinstance(c, str) and c in options):
            answers.setdefault(f"{name}_other", OTHER_TEXT)
    return answers


def _draw(compiled: Compiled, slot: Slot, answers: dict[str, Any], rng: Random, day: date) -> Any:
    q = slot.question
    match q:
        case Consent():
            return "yes"
        case SelectOne():
            return _one(rng, _options(compiled, slot, answers))
        case Likert():
            names = list(compiled.choices[q.choices])
            return names[min(len(names) - 1, max(0, round(rng.gauss((len(names) - 1) / 2, len(names) / 4))))]
        case SelectMultiple():
            return _several(rng, _options(compiled, slot, answers), 3)
        case Rank():
            plain = [c for c in compiled.choices[q.choices].values() if not c.exclusive]
            return _sample(rng, plain, q.top or len(plain))
        case Integer() | DecimalQ():
            low = int(q.minimum) if q.minimum is not None else 0
            high = min(int(q.maximum) if q.maximum is not None else low + 10, low + 10)
            return rng.randint(low, high)
        case Date():
            return day.isoformat()
        case Time():
            return f"{rng.randint(9, 16):02d}:{rng.choice(('00', '15', '30', '45'))}"
        case Text():
            return "已记录" if q.required is not False else None
    return None


def _options(compiled: Compiled, slot: Slot, answers: dict[str, Any]) -> list[Choice]:
    """The options the question's choice filter allows, given the answers so far."""
    options = list(compiled.choices[slot.question.choices].values())  # type: ignore[union-attr]
    node = slot.logic.get("choice_filter")
    if node is None:
        return options
    allowed = compile_bool(node)
    values = {k: " ".join(v) if isinstance(v, list) else v for k, v in answers.items() if not _is_roster(v)}
    return [c for c in options if allowed(MappingEnv(values, fields={"name": c.name, **c.filters}))]


def _is_roster(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _weight(choice: Choice, position: int) -> float:
    """Earlier options are likelier (lists run from common to rare); "other" and "don't know" are rare."""
    rare = choice.other or choice.exclusive or choice.name in ("dk", "refused", "other")
    return 0.04 if rare else 0.7**position


def _one(rng: Random, options: list[Choice]) -> str:
    return rng.choices(options, [_weight(c, i) for i, c in enumerate(options)])[0].name


def _several(rng: Random, options: list[Choice], most: int) -> list[str]:
    exclusive = [c for c in options if c.exclusive]
    if exclusive and chance(rng, 0.12):
        return [exclusive[0].name if chance(rng, 0.8) else rng.choice(exclusive).name]
    plain = [c for c in options if not c.exclusive]
    k = min(len(plain), rng.choices((1, 2, 3), (0.45, 0.35, 0.2))[0], most)
    chosen = set(_sample(rng, plain, k))
    return [c.name for c in plain if c.name in chosen]


def _sample(rng: Random, options: list[Choice], k: int) -> list[str]:
    """``k`` distinct options, drawn by weight, in the order drawn."""
    pool = [(c, 0.05 if c.other else 0.85**i) for i, c in enumerate(options)]
    out = []
    for _ in range(min(k, len(pool))):
        index = rng.choices(range(len(pool)), [w for _, w in pool])[0]
        out.append(pool.pop(index)[0].name)
    return out


# --------------------------------------------------------------------------------------------
# Records


def records(compiled: Compiled, profile: Profile, count: int, outline: bool = False) -> list[dict[str, Any]]:
    """``count`` records for the form, as a tablet sends them, each checked by ``forms.validate``.

    A questionnaire's respondent may decline consent (:data:`CONSENT_REFUSED`); an ``outline``'s
    profile is scripted and consents. ValueError when a record does not pass its form.
    """
    form = compiled.form
    rng = Random(f"{SEED}/{form.id}")
    out = []
    for index in range(count):
        when = moment(rng)
        answers, site = profile(rng, when.date()) if outline else _respondent(rng, profile, when.date())
        if answers.get("consent") != "no":
            fill(compiled, answers, rng, when.date())
        checked = forms.validate(compiled, answers)
        if checked.errors:
            raise ValueError(f"demo record {form.id} #{index} is invalid: {checked.errors}")
        out.append(
            {
                "uuid": record_uuid(form.id, index),
                "form_version": form.version,
                "answers": checked.answers,
                "collected_at": when.astimezone(UTC).isoformat(),  # stored in UTC, as the server keeps time
                "site": site,
            }
        )
    return out


def _respondent(rng: Random, profile: Profile, day: date) -> Draft:
    answers, site = profile(rng, day)
    if chance(rng, CONSENT_REFUSED):
        return {"consent": "no"}, site
    return {"consent": "yes", **answers}, site


COMMUNITY_TOWN = {
    "nangui": "guicheng",
    "guiyuan": "guicheng",
    "guicheng_other": "guicheng",
    "xiqiao_urban": "xiqiao",
    "xiqiao_village": "xiqiao",
    "elsewhere": "other_town",
}
COMMUNITY_SITES = ("nangui", "guiyuan")  # the communities that are demo sites
PLACES = {
    "nangui": 0.36,
    "guiyuan": 0.36,
    "guicheng_other": 0.1,
    "xiqiao_urban": 0.08,
    "xiqiao_village": 0.07,
    "elsewhere": 0.03,
}


def place(rng: Random, weights: Mapping[str, float] = PLACES) -> Draft:
    """Town and community answers, and the site when the community is one."""
    community = pick(rng, weights)
    site = community if community in COMMUNITY_SITES else None
    return {"town": COMMUNITY_TOWN[community], "community": community}, site



# --------------------------------------------------------------------------------------------
# Profiles: who answers each questionnaire, and how their answers depend on who they are.
# Each table maps a segment — True/False for a yes-or-no one, named in its comment — to the
# weights of a question's options.

Weights = dict[str, float]

HOUSEHOLD_KINDS = {  # in 南桂, an older neighbourhood: more older people alone or as a couple
    True: {"older_alone": 0.22, "older_couple": 0.18, "family": 0.33, "migrant": 0.12, "adults": 0.15},
    False: {"older_alone": 0.10, "older_couple": 0.15, "family": 0.45, "migrant": 0.15, "adults": 0.15},
}
RESPONDENT_AGES = {"older_alone": (62, 92), "older_couple": (60, 88), "family": (28, 48), "migrant": (19, 45),
                   "adults": (25, 65)}
HOUSING = {  # a migrant household
    True: {"rented": 0.6, "dormitory": 0.3, "relatives": 0.1},
    False: {"owned": 0.75, "rented": 0.15, "public": 0.07, "relatives": 0.03},
}
HUKOU = {True: {"permit": 0.6, "no_permit": 0.4}, False: {"local": 0.85, "permit": 0.15}}  # migrant household
CONTACT = {  # an older person living alone in 南桂
    True: {"daily": 0.1, "weekly": 0.25, "monthly": 0.25, "rarely": 0.4},
    False: {"daily": 0.35, "weekly": 0.35, "monthly": 0.18, "rarely": 0.12},
}
MONEY = {  # older and alone, migrant, or with someone who needs daily help
    True: {"comfortable": 0.1, "enough": 0.45, "some": 0.3, "very": 0.1, "refused": 0.05},
    False: {"comfortable": 0.25, "enough": 0.55, "some": 0.15, "very": 0.03, "refused": 0.02},
}
ASSISTANCE = {  # money is very tight
    True: {"dibao": 0.3, "low_income": 0.2, "tekun": 0.05, "none": 0.4, "dk": 0.05},
    False: {"low_income": 0.04, "none": 0.91, "dk": 0.05},
}
CHILDREN_NEARBY = {  # older people only
    True: {"nearby": 0.45, "far": 0.45, "no_children": 0.1},
    False: {"nearby": 0.95, "far": 0.05},
}
CARERS = {"family": 0.6, "family home_care": 0.15, "helper": 0.12, "nobody": 0.08}
CARER_STRAIN = {  # the family cares alone
    True: {"often": 0.55, "sometimes": 0.3, "rarely": 0.15},
    False: {"often": 0.2, "sometimes": 0.4, "rarely": 0.4},
}
EMPLOYMENT = {  # by stage of life
    "disabled": {"unable": 0.6, "retired": 0.2, "homemaker": 0.2},
    "young": {"student": 0.75, "employed": 0.25},
    "working": {"employed": 0.6, "self_employed": 0.14, "unemployed": 0.08, "homemaker": 0.15,
                "farming": 0.03},
    "older": {"retired": 0.7, "farming": 0.08, "homemaker": 0.17, "self_employed": 0.05},
}
NEEDS = {"family": ["child_care", "family", "financial"], "migrant": ["policy", "employment", "housing"]}


def household_visit(rng: Random, day: date) -> Draft:
    """A household: who lives there (the roster), care, money and needs, by kind of household."""
    where, site = place(rng)
    in_nangui = where["community"] == LONELY_COMMUNITY
    kind = pick(rng, HOUSEHOLD_KINDS[in_nangui])
    first = rng.choice(("female", "male"))
    members = [_member(rng, relation, age, first) for relation, age in _people(rng, kind)]
    older = sum(m["m_age"] >= 60 for m in members)
    dependent = sum(m["m_needs_care"] == "yes" for m in members)
    answers: dict[str, Any] = {
        "visit_date": day.isoformat(),
        "worker_code": WORKER_CODE,
        **where,
        "housing": pick(rng, HOUSING[kind == "migrant"]),
        "hukou": pick(rng, HUKOU[kind == "migrant"]),
        "hh_size": len(members),
        "members": members,
        "contact_freq": pick(rng, CONTACT[in_nangui and kind == "older_alone"]),
        "income_difficulty": pick(rng, MONEY[kind in ("older_alone", "migrant") or dependent > 0]),
        "needs": ["none"] if chance(rng, 0.12) else _needs(rng, kind, older, dependent),
    }
    answers["assistance"] = pick(rng, ASSISTANCE[answers["income_difficulty"] == "very"])
    if older:
        answers["children_nearby"] = pick(rng, CHILDREN_NEARBY[kind.startswith("older")])
    if dependent:
        answers["carers"] = pick(rng, CARERS).split()
        answers["carer_strain"] = pick(rng, CARER_STRAIN[answers["carers"] == ["family"]])
    if chance(rng, 0.7):  # the rest gave no name, phone or address
        answers["resp_name"] = rng.choice("陈李黄梁何冯潘罗") + _title(first, members[0]["m_age"])
        answers["resp_phone"] = f"1380013{rng.randrange(10_000):04d}"
        answers["address"] = f"{rng.randint(1, 30)}栋{rng.randint(1, 18)}0{rng.randint(1, 6)}"
    return answers, site


def _people(rng: Random, kind: str) -> list[tuple[str, int]]:
    """(relation to the respondent, age) of everyone in a household of this kind, respondent first."""
    age = rng.randint(*RESPONDENT_AGES[kind])
    people = [("self", age)]
    if kind == "older_couple":
        people.append(("spouse", min(95, max(60, age + rng.randint(-5, 5)))))
    elif kind == "family":
        people.append(("spouse", age + rng.randint(-3, 4)))
        people += [("child", rng.randint(0, min(17, age - 21))) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        if chance(rng, 0.35):
            people.append(("parent", age + rng.randint(24, 32)))
    elif kind == "migrant":
        others = {"spouse": 0.5, "sibling": 0.2, "non_relative": 0.3}
        people += [(pick(rng, others), rng.randint(19, 45)) for _ in range(rng.choice((0, 0, 1, 2)))]
    elif kind == "adults":
        others = {"spouse": 0.5, "child": 0.3, "sibling": 0.2}
        people += [(pick(rng, others), rng.randint(18, 70)) for _ in range(rng.randint(1, 3))]
    return people


def _member(rng: Random, relation: str, age: int, first: str) -> dict[str, Any]:
    """One roster entry (``first``: the respondent's sex); disability and care needs grow with age."""
    disabled = chance(rng, 0.03 if age < 60 else 0.12 if age < 80 else 0.3)
    care = (disabled and chance(rng, 0.5)) or (age >= 80 and chance(rng, 0.25))
    sex = {"self": first, "spouse": "male" if first == "female" else "female"}.get(relation)
    member: dict[str, Any] = {
        "m_relation": relation,
        "m_sex": sex or rng.choice(("female", "male")),
        "m_age": age,
        "m_disability": "yes" if disabled else "dk" if chance(rng, 0.01) else "no",
        "m_needs_care": "yes" if care else "no",
    }
    if age >= 16:
        stage = "young" if age < 23 else "older" if age >= 60 else "working"
        stage = "disabled" if disabled and stage != "older" else stage
        member["m_employment"] = pick(rng, EMPLOYMENT[stage])
    return member


def _title(sex: str, age: int) -> str:
    """How a social worker notes a respondent who gives only a surname: 陈姨, 李伯, 黄先生."""
    if sex == "female":
        return "姨" if age >= 45 else "女士"
    return "伯" if age >= 60 else "叔" if age >= 45 else "先生"


def _needs(rng: Random, kind: str, older: int, dependent: int) -> list[str]:
    likely = ["health"] + ["elder_care", "social"] * (older > 0) + ["disability_care"] * (dependent > 0)
    likely += NEEDS.get(kind, ["financial"])
    return sorted(set(rng.sample(likely, min(len(likely), rng.randint(1, 3)))))


CARE_HOMES = ("yile_centre", "xiqiao_welfare")
SETTINGS = {"yile_centre": 0.22, "xiqiao_welfare": 0.18, "community": 0.6}
OLDER_COMMUNITIES = {"nangui": 0.5, "guiyuan": 0.45, "other": 0.05}
LIVING = {  # in 南桂
    True: {"alone": 0.45, "spouse_only": 0.27, "with_children": 0.23, "with_others": 0.05},
    False: {"alone": 0.28, "spouse_only": 0.32, "with_children": 0.35, "with_others": 0.05},
}
AGE_BANDS = {  # in a care home
    True: {"a60_69": 0.1, "a70_79": 0.3, "a80_89": 0.42, "a90_plus": 0.18},
    False: {"a60_69": 0.35, "a70_79": 0.38, "a80_89": 0.22, "a90_plus": 0.05},
}
VISITS_FAMILY = {  # lonely
    True: {"daily": 0.05, "weekly": 0.25, "monthly": 0.35, "rarely": 0.35},
    False: {"daily": 0.3, "weekly": 0.4, "monthly": 0.2, "rarely": 0.1},
}
ACTIVITY = {  # lonely
    True: {"none": 0.45, "once_twice": 0.35, "weekly": 0.15, "several_weekly": 0.05},
    False: {"none": 0.2, "once_twice": 0.3, "weekly": 0.3, "several_weekly": 0.2},
}
PEER_GROUP = {  # lonely
    True: {"yes": 0.55, "maybe": 0.3, "no": 0.15},
    False: {"yes": 0.25, "maybe": 0.35, "no": 0.4},
}
HEALTH = {  # 80 or over
    True: {"very_good": 0.05, "good": 0.2, "fair": 0.4, "poor": 0.28, "very_poor": 0.07},
    False: {"very_good": 0.12, "good": 0.35, "fair": 0.38, "poor": 0.13, "very_poor": 0.02},
}
ADL = ("walking", "bathing", "housework", "errands", "medication", "dressing", "toileting", "transfer",
       "eating")
UCLA = ("ucla_company", "ucla_left_out", "ucla_isolated")


def older_people(rng: Random, day: date) -> Draft:
    """An older person at home or in a care home; loneliness planted among those living alone in 南桂."""
    setting = pick(rng, SETTINGS)
    care_home = setting in CARE_HOMES
    answers: dict[str, Any] = {"setting": setting, "sex": pick(rng, {"female": 0.58, "male": 0.42})}
    answers["age_band"] = pick(rng, AGE_BANDS[care_home])
    site, planted = (setting if care_home else None), False
    if care_home:
        answers["years_in_home"] = min(30, int(rng.expovariate(1 / 3)))
    else:
        community = pick(rng, OLDER_COMMUNITIES)
        living = pick(rng, LIVING[community == LONELY_COMMUNITY])
        answers |= {"community": community, "living_arrangement": living}
        site = community if community != "other" else None
        planted = community == LONELY_COMMUNITY and living == "alone"
    lonely = chance(rng, LONELY_SHARE_PLANTED if planted else LONELY_SHARE_ELSEWHERE)
    items = until(
        lambda: scale(rng, 3, 1, 3, 2.4 if lonely else 1.4),
        lambda xs: (sum(xs) >= LONELY_THRESHOLD) == lonely,
    )
    very_old = answers["age_band"] in ("a80_89", "a90_plus")
    answers |= {
        **likert(UCLA, items),
        "visits_family": pick(rng, VISITS_FAMILY[lonely]),
        "activity_freq": pick(rng, ACTIVITY[lonely]),
        "peer_group": pick(rng, PEER_GROUP[lonely]),
        "health_self": pick(rng, HEALTH[very_old]),
        "adl_needs": ["none"],
    }
    if chance(rng, 0.7 if care_home else 0.35 if very_old else 0.12):
        answers["adl_needs"] = rng.sample(ADL[: rng.randint(4, 9)], rng.randint(1, 4))
        answers["adl_helpers"] = ["care_staff"] if care_home else _several(rng, HELPERS, 2)
    return answers, site


HELPERS = [Choice(name=n, exclusive=n == "nobody") for n in ("children", "spouse", "home_care", "helper",
                                                              "nobody")]
BOARDING = {True: {"boarder": 0.7, "day": 0.3}, False: {"boarder": 0.15, "day": 0.85}}  # the rural school
LIVES_WITH = {  # the rural school (school_only: boards and has no home nearby)
    True: {"both_parents": 0.45, "one_parent": 0.15, "grandparents": 0.3, "relatives": 0.05,
           "school_only": 0.05},
    False: {"both_parents": 0.72, "one_parent": 0.15, "grandparents": 0.08, "relatives": 0.03,
            "school_only": 0.02},
}
SELFHARM = {  # high study stress
    True: {"no": 0.8, "sometimes": 0.11, "often": 0.03, "refused": 0.06},
    False: {"no": 0.91, "sometimes": 0.04, "often": 0.01, "refused": 0.04},
}
SS = ("ss_workload", "ss_grades", "ss_expectation", "ss_sleep", "ss_cope", "ss_discouraged")
PR = ("pr_confide", "pr_belong", "pr_helped", "pr_bullied")
FR = ("fr_talk", "fr_understood", "fr_conflict", "fr_time")


def school_social_work(rng: Random, day: date) -> Draft:
    """A secondary-school student; study stress planted higher at the rural school."""
    school = pick(rng, {"school_urban": 0.5, "school_rural": 0.5})
    rural = school == STRESSED_SCHOOL
    year = rng.randrange(6)  # g7 … g12
    exam_year = year in (2, 5)
    stress = scale(rng, 6, 1, 5, STUDY_STRESS_ITEM_MEAN[school] + EXAM_YEAR_EXTRA * exam_year)
    stressed = sum(stress) >= HIGH_STUDY_STRESS
    answers: dict[str, Any] = {
        "school": school,
        "grade": f"g{7 + year}",
        "sex": rng.choice(("female", "male")),
        "age": 12 + year + rng.choice((0, 0, 1)),
        "boarding": pick(rng, BOARDING[rural]),
        "lives_with": pick(rng, LIVES_WITH[rural]),
        **likert(SS, stress, reverse="ss_cope"),
        **likert(PR, scale(rng, 4, 1, 5, 3.6), reverse="pr_bullied"),
        **likert(FR, scale(rng, 4, 1, 5, 3.3 if rural else 3.6), reverse="fr_conflict"),
        "selfharm_thoughts": pick(rng, SELFHARM[stressed]),
    }
    if stressed and chance(rng, 0.6):
        more = rng.sample(("study_skills", "peer_counsellors", "one_to_one"), rng.randint(0, 2))
        answers["wanted_activities"] = ["stress_group", *more]
    if answers["selfharm_thoughts"] in ("sometimes", "often") and chance(rng, 0.7):
        answers["contact_ok"] = "yes"
        answers["student_contact"] = f"{7 + year}年级{rng.randint(1, 8)}班，经班主任转介"
    return answers, school


PWD_GROUPS = {"child": 0.2, "adult": 0.45, "older": 0.35}
PWD_AGES = {"child": (3, 17), "adult": (18, 59), "older": (60, 90)}
CARD = {  # severe
    True: {"yes": 0.75, "applying": 0.08, "no": 0.17},
    False: {"yes": 0.45, "applying": 0.1, "no": 0.45},
}
REHAB_NEED = {True: {"yes": 0.7, "no": 0.2, "dk": 0.1}, False: {"yes": 0.35, "no": 0.55, "dk": 0.1}}  # severe
CARER_RELATION = {"child": {"parent": 1.0}, "adult": {"parent": 0.5, "spouse": 0.3, "sibling": 0.2},
                  "older": {"child": 0.6, "spouse": 0.4}}
RESPITE = {  # high burden
    True: {"yes": 0.6, "maybe": 0.3, "no": 0.1},
    False: {"yes": 0.2, "maybe": 0.4, "no": 0.4},
}
WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare", "wg_communication")
WG_TYPE = dict(zip(WG, ("visual", "hearing", "physical", "intellectual", "physical", "speech"), strict=True))
CB = ("cb_tired", "cb_own_time", "cb_worry", "cb_social", "cb_money", "cb_cope")


def disability_carers(rng: Random, day: date) -> Draft:
    """A person with a disability, or their carer; carer burden planted high where difficulty is severe."""
    group = pick(rng, PWD_GROUPS)
    age = rng.randint(*PWD_AGES[group])
    severe = chance(rng, 0.45)  # "a lot of difficulty" or "cannot do" in at least one domain
    hard = rng.sample(WG, rng.randint(1, 3))
    mental = {"psychosocial"} if chance(rng, 0.1) else set()
    town = pick(rng, {"guicheng": 0.7, "xiqiao": 0.25, "other_town": 0.05})
    answers: dict[str, Any] = {
        "respondent": "carer" if age < 16 or chance(rng, 0.8 if severe else 0.4) else "self",
        "town": town,
        "pwd_age": age,
        "pwd_sex": rng.choice(("female", "male")),
        "disability_card": pick(rng, CARD[severe]),
        "disability_type": sorted({WG_TYPE[d] for d in hard} | mental),
        **{d: pick(rng, {"none": 0.8, "some": 0.2}) for d in WG},
        **{d: pick(rng, {"a_lot": 0.7, "cannot": 0.3}) if severe else "some" for d in hard},
        "rehab_need": pick(rng, REHAB_NEED[severe]),
    }
    if answers["respondent"] == "carer":
        answers |= _carer(rng, age, group, severe)
    site = pick(rng, {"nangui": 0.5, "guiyuan": 0.5}) if town == "guicheng" else None
    return answers, site


def _carer(rng: Random, age: int, group: str, severe: bool) -> dict[str, Any]:
    high = chance(rng, CARER_BURDEN_SHARE_A_LOT if severe else CARER_BURDEN_SHARE_OTHER)
    items = until(
        lambda: scale(rng, 6, 0, 4, 2.6 if high else 1.3),
        lambda xs: (sum(xs) >= CARER_BURDEN_THRESHOLD) == high,
    )
    relation = pick(rng, CARER_RELATION[group])
    offset = {"parent": (22, 35), "child": (-35, -24), "spouse": (-5, 5), "sibling": (-8, 8)}[relation]
    return {
        "carer_relation": relation,
        "carer_age": min(95, max(18, age + rng.randint(*offset))),
        "carer_sex": pick(rng, {"female": 0.7, "male": 0.3}),
        "care_hours": rng.randint(40, 120) if severe else rng.randint(5, 40),
        **likert(CB, items, reverse="cb_cope", low=0, high=4),
        "backup_carer": "no" if chance(rng, 0.6 if high else 0.3) else "yes",
        "respite_interest": pick(rng, RESPITE[high]),
    }


MIGRANT_AGES = {"a18_29": 0.3, "a30_39": 0.35, "a40_49": 0.2, "a50_59": 0.1, "a60_plus": 0.05}
REASONS = {"work": 0.65, "business": 0.12, "family": 0.15, "study": 0.04, "other": 0.04}
RESIDENCE = {  # recent
    True: {"permit": 0.45, "applying": 0.2, "none": 0.35},
    False: {"permit": 0.8, "applying": 0.04, "none": 0.08, "local_hukou": 0.08},
}
NEIGHBOURS = {  # recent
    True: {"often": 0.1, "sometimes": 0.3, "rarely": 0.4, "never": 0.2},
    False: {"often": 0.3, "sometimes": 0.4, "rarely": 0.2, "never": 0.1},
}
MIGRANT_WORK = {"fulltime": 0.55, "gig": 0.2, "self_employed": 0.12, "seeking": 0.08, "home": 0.05}
TIES = ("relatives", "hometown", "coworkers", "neighbours", "community_worker")
BL = ("bl_home", "bl_accepted", "bl_stay")


def migrants(rng: Random, day: date) -> Draft:
    """A migrant (新市民); weak local ties planted among those in the city for under two years."""
    where, site = place(rng)
    recent = chance(rng, 0.32)
    settled_for = RECENT_MIGRANT_YEARS + min(38, int(rng.expovariate(0.2)))
    years = rng.randrange(RECENT_MIGRANT_YEARS) if recent else settled_for
    weak = chance(rng, WEAK_TIES_SHARE_RECENT if recent else WEAK_TIES_SHARE_SETTLED)
    nobody = weak and chance(rng, 0.5)  # weak: no one to turn to, or only people back home and no friend here
    age_band = pick(rng, MIGRANT_AGES)
    answers: dict[str, Any] = {
        **where,
        "age_band": age_band,
        "sex": rng.choice(("female", "male")),
        "origin": pick(rng, {"in_province": 0.4, "out_of_province": 0.6}),
        "years_here": years,
        "reason_here": "grandchildren" if age_band == "a60_plus" else pick(rng, REASONS),
        "residence_status": pick(rng, RESIDENCE[recent]),
        "children_here": rng.choice((0, 0, 1, 1, 1, 2, 2, 3)),
        "help_people": ["no_one"] if nobody else rng.sample(TIES[:2] if weak else TIES, rng.randint(1, 2)),
        "close_friends": rng.randint(0, 2) if nobody else 0 if weak else rng.randint(1, 8),
        "neighbour_contact": pick(rng, NEIGHBOURS[recent]),
        **likert(BL, scale(rng, 3, 1, 5, 2.6 if recent else 3.5)),
        "work_status": "retired" if age_band == "a60_plus" else pick(rng, MIGRANT_WORK),
    }
    if recent and chance(rng, 0.5):
        answers["wanted_services"] = ["integration_group", "policy"]
    return answers, site


STAGES = ((5, "preschool"), (8, "primary_low"), (11, "primary_high"), (14, "junior"), (17, "senior"))
PARENTS_AWAY = {  # a Xiqiao village
    True: {"both": 0.25, "one": 0.2, "none": 0.55},
    False: {"both": 0.05, "one": 0.12, "none": 0.83},
}
GUARDIAN = {"mother": 0.6, "father": 0.25, "grandparent": 0.15}
MAIN_CARER = {"parents": 0.8, "grandparents": 0.17, "relatives": 0.03}
SCREEN_TIME = {"lt1": 0.3, "h1_2": 0.35, "h2_4": 0.22, "gt4": 0.13}
PC = ("pc_talk", "pc_time", "pc_conflict", "pc_friends", "pc_confident")


def _stage(age: int) -> str:
    return next(stage for top, stage in STAGES if age <= top)


def children_after_school(rng: Random, day: date) -> Draft:
    """A child's guardian; children left behind by both parents commoner in the Xiqiao villages."""
    where, site = place(rng)
    age = rng.randint(3, 17)
    away = pick(rng, PARENTS_AWAY[where["community"] == "xiqiao_village"])
    answers: dict[str, Any] = {
        **where,
        "respondent_relation": "grandparent" if away == "both" else pick(rng, GUARDIAN),
        "child_age": age,
        "child_sex": rng.choice(("female", "male")),
        "child_school": "not_in_school" if age >= 15 and chance(rng, 0.03) else _stage(age),
        "child_hukou": pick(rng, {"local": 0.55, "migrant": 0.45}),
        "parents_away": away,
        "main_carer": "grandparents" if away == "both" else pick(rng, MAIN_CARER),
        "hours_alone": 0 if age < 8 else min(6, int(rng.expovariate(1 / (0.5 + 0.15 * (age - 8))))),
        **likert(PC, scale(rng, 5, 1, 5, 3.1 if away == "both" else 3.7), reverse="pc_conflict"),
        "screen_time": pick(rng, SCREEN_TIME),
    }
    return answers, site


ROLES = {"social_worker": 0.45, "assistant": 0.2, "supervisor": 0.08, "manager": 0.05, "volunteer": 0.22}
QUALIFICATIONS = {  # by role
    "volunteer": {"none": 1.0},
    "assistant": {"none": 0.5, "assistant": 0.5},
    "social_worker": {"assistant": 0.45, "social_worker": 0.5, "none": 0.05},
    "supervisor": {"social_worker": 0.6, "senior": 0.4},
    "manager": {"social_worker": 0.6, "senior": 0.4},
}
SUPERVISION = {  # under two years in practice
    True: {"monthly": 0.1, "quarterly": 0.25, "rarely": 0.4, "never": 0.25},
    False: {"monthly": 0.35, "quarterly": 0.35, "rarely": 0.2, "never": 0.1},
}


def workforce_training(rng: Random, day: date) -> Draft:
    """A member of the social-work workforce: qualification, training needs, supervision."""
    role = pick(rng, ROLES)
    qualification = pick(rng, QUALIFICATIONS[role])
    years = rng.randint(0, 3) if role in ("volunteer", "assistant") else rng.randint(1, 15)
    answers = {
        "role": role,
        "qualification": qualification,
        "sw_major": "yes" if chance(rng, 0.1 if role == "volunteer" else 0.55) else "no",
        "years_practice": years,
        "ce_hours": 0 if qualification == "none" else rng.randint(20, 150),
        "supervision_freq": pick(rng, SUPERVISION[years < 2]),
    }
    return answers, None


PROFILES: dict[str, Profile] = {
    "household_visit": household_visit,
    "older_people": older_people,
    "school_social_work": school_social_work,
    "disability_carers": disability_carers,
    "migrants": migrants,
    "children_after_school": children_after_school,
    "workforce_training": workforce_training,
}
"""The profile of each questionnaire in the form library."""
