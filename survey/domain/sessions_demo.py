"""What the demo's focus groups and interviews heard: rosters, notes per topic, quotes, and codings.

:func:`heard` adds to each scripted session of ``survey.domain.demo`` (same order) a roster of
pseudonymous participants, notes on the topics discussed and quotes; :func:`code` then codes every
session as a planner would — the keyword suggestions confirmed, with the corrections a person
makes (:data:`CORRECTIONS`) — and has the designer code a fifth of them again, disagreeing here
and there, so agreement (κ) has something to measure.

What the sessions say, against the survey's planted patterns (``survey.domain.demo_data``):

* **corroborate** — loneliness and no one to talk to among older people living alone in 南桂
  (focus group 0, interviews 8 and 10); study stress at the rural school, far less at the urban
  one (focus groups 4 and 5, interviews 0 and 2); carer strain among carers of people with severe
  disabilities (focus group 6, interview 12); weak ties and paperwork among new migrants (focus
  group 7, interviews 9 and 11);
* **contradict** — the survey finds loneliness rare in the care homes (15%, as elsewhere outside
  南桂), but the care-home focus groups (2, 3) and staff (interviews 4 and 6) describe residents
  alone on holidays, rarely visited: the kind of gap a planner should look into, not smooth over.

One participant of the 颐乐 group (P09) did not consent; nothing of theirs is noted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from analysis.qualitative import suggest
from survey.domain import coding, sessions
from survey.domain.accounts import Principal
from survey.store.models import Coding

AGES = {
    "older_people": ("a60_79", "a80_plus"),
    "carers": ("a40_59", "a60_79"),
    "parents": ("a18_39", "a40_59"),
    "youth": ("under18",),
    "migrants": ("a18_39", "a40_59"),
}
FG_NOTES: list[
    dict[str, str | tuple[str, ...]]
] = [  # by focus group, in demo.FOCUS_GROUPS order: topic → sentences
    {
        "community_life": (
            "P01：子女都在外地工作，平时一个人在家。",
            "P03：楼里邻居换了很多，大多不认识。",
            "大家都说晚上特别冷清。",
        ),
        "daily_difficulties": (
            "P02：腿脚不好，下不了楼，买菜要等人帮。",
            "P05：去医院排队挂号要一上午，没人陪诊。",
        ),
        "older_people_care": (
            "P04：老伴走了以后，一天没人说话。",
            "P06：洗澡最怕摔倒，女儿一周才来一次。",
            "大家希望有人定期上门探访。",
        ),
        "services_ideas": (
            "P07：社工站的活动不知道去哪里报名。",
            "P08：愿意参加长者互助小组。",
        ),
        "wrap_up": "最重要的是有人陪、有人说说话。",
    },
    {
        "children_youth": (
            "P01：双职工家庭，孩子放学没人接。",
            "P02：四点半课堂名额不够，只能托管，开支很大。",
            "P04：暑假是最大的难题。",
        ),
        "daily_difficulties": "P03：房租和补习班的钱加起来压力不小。",
        "services_ideas": (
            "P05：希望社区开暑假托管班。",
            "P06：很多家长不知道社区有什么服务。",
        ),
        "community_life": "P07：小区里家长之间交流不多，邻居不来往。",
    },
    {
        "older_people_care": (
            "P01：刚入住的时候很不习惯，晚上睡不着。",
            "P02：家属来探望的少，节假日特别冷清。",
            "P05：院里的活动满意。",
        ),
        "community_life": (
            "P03：院友之间有说有笑，平时不孤单。",
            "P04：兴趣小组太少，下午很闷。",
        ),
        "services_ideas": (
            "P06：希望多搞家属探访日。",
            "P07：想学写毛笔字、唱粤剧。",
        ),
    },
    {
        "older_people_care": (
            "P01：护理员很忙，一个人要照顾十几个老人。",
            "P02：白天大多数时间坐着，没人聊天。",
        ),
        "services_ideas": (
            "P03：希望社工带大家做运动、玩游戏。",
            "P04：想有人陪去复诊，医院远。",
        ),
    },
    {
        "children_youth": (
            "P01：作业多，每天写到十一二点，睡不够。",
            "P02：考试一次接一次，成绩不好就很焦虑。",
            "P05：住宿生周末才回家。",
        ),
        "daily_difficulties": (
            "P03：补习班的钱家里负担不起。",
            "P06：压力大的时候找不到人说。",
        ),
        "services_ideas": "P07：希望有减压小组和朋辈辅导。",
    },
    {
        "children_youth": (
            "P01：压力主要来自升学和家长期望。",
            "P03：大多数同学能找朋友倾诉。",
            "P04：对生涯规划活动很感兴趣。",
        ),
        "services_ideas": "P05：希望学校多办职业体验活动。",
    },
    {
        "older_people_care": (
            "P01：照顾重度残疾的儿子二十年，长期睡眠不足。",
            "P02：没有人可以替手，走不开。",
            "P03：自己身体也出问题了。",
        ),
        "daily_difficulties": (
            "P04：康复和药费开支很大，钱不够用。",
            "P05：很希望有喘息服务。",
        ),
    },
    {
        "newcomers": (
            "P01：来了一两年，这里没什么朋友。",
            "P02：有事不知道找谁。",
            "P03：不会讲粤语，本地人说话听不懂。",
            "P04：办居住证跑很多次。",
        ),
        "community_life": "P05：邻居都不认识，下班回来关上门就睡觉。",
        "children_youth": "P06：孩子积分入学很难，手续复杂。",
        "services_ideas": "P07：希望有融入活动和政策咨询。",
    },
]
FG_QUOTES: list[list[tuple[str, str, str]]] = [  # by focus group: (participant, topic, words)
    [
        ("P01", "community_life", "儿子在深圳，一年回来两次，平时就我一个人在家，晚上特别孤单。"),
        ("P04", "older_people_care", "老伴走了以后，我一天到晚都没人说话，电视开着当有个声音。"),
        ("P02", "daily_difficulties", "我住五楼没有电梯，腿脚不好，下不了楼，一个星期才出一次门。"),
        ("P05", "daily_difficulties", "去医院要先排队挂号，一上午就没了，没人陪诊我都不敢去。"),
        ("P03", "community_life", "以前住平房大家都认识，现在关上门谁也不认识谁，很陌生。"),
        ("P06", "older_people_care", "洗澡最怕摔倒，有次滑了一下，躺了半天才起来，也没人帮。"),
        ("P08", "services_ideas", "如果有长者互助小组，大家一起聊聊天，心里就没那么闷了。"),
    ],
    [
        ("P01", "children_youth", "我们两公婆都上班到六点，孩子四点放学没人接，只能让他自己在家。"),
        ("P02", "children_youth", "四点半课堂一开报名就满了，外面托管一个月要一千多块钱。"),
        ("P04", "children_youth", "一放暑假就头痛，孩子整天自己在家玩手机，说他也不听话。"),
        ("P06", "services_ideas", "社区有什么服务我们真的不清楚，宣传单也没见过一张。"),
        ("P05", "children_youth", "孩子一回家就玩手机，一说就吵架，沟通越来越难了。"),
    ],
    [
        ("P02", "older_people_care", "我儿子三个月才来一次，过年过节看着别人家里人来，心里好冷清。"),
        ("P01", "older_people_care", "刚搬进来的时候一个人坐在床边，不知道跟谁说话，很孤单。"),
        ("P04", "community_life", "下午吃完饭就坐着，没有什么活动，闷得很，希望多些兴趣小组。"),
        ("P05", "services_ideas", "康乐活动搞得好，我每次都参加，工作人员也很耐心。"),
    ],
    [
        ("P02", "older_people_care", "护理员都很忙，我们白天就坐在走廊，一整天没人聊天。"),
        ("P01", "older_people_care", "家里人说工作忙，一年来不了几次，节日的时候特别寂寞。"),
        ("P04", "services_ideas", "每个月复诊要去区医院，医院远，又要排队，没人陪诊真的很难。"),
    ],
    [
        ("P01", "children_youth", "作业每天写到十二点，第二天六点又要起床，一直睡不够。"),
        ("P02", "children_youth", "月考、周测一个接一个，成绩一掉下来爸妈就打电话来骂。"),
        ("P06", "daily_difficulties", "压力大的时候不知道找谁，爸妈在外地打工，老师也很忙。"),
        ("P08", "children_youth", "考试前那几天心慌，吃不下饭，越想越怕考不好。"),
    ],
    [
        ("P01", "children_youth", "压力肯定有，主要是中考，但是周末可以打球放松一下。"),
        ("P03", "children_youth", "有不开心的事我会跟好朋友讲，说出来就好多了。"),
        ("P04", "services_ideas", "我想知道不同的职业是做什么的，希望有生涯规划的活动。"),
    ],
    [
        ("P01", "older_people_care", "照顾儿子二十年，晚上要起来几次，好累，从来没有自己的时间。"),
        ("P02", "older_people_care", "家里离不开人，我连去看病都走不开，只能一直拖着。"),
        ("P04", "daily_difficulties", "康复训练和药费一个月要两三千，退休金根本负担不起。"),
        ("P03", "older_people_care", "照顾久了我自己也累出病来，腰痛得直不起来，喘不过气。"),
    ],
    [
        ("P01", "newcomers", "来这边两年了，除了工友没有一个朋友，周末就在出租屋里躺着，很孤独。"),
        ("P03", "newcomers", "菜市场的阿姨讲粤语，我听不懂，感觉自己始终是外地人。"),
        ("P04", "newcomers", "办居住证要各种证明，跑了很多次才办下来，请假扣了不少钱。"),
        ("P06", "children_youth", "孩子读书要看积分，我们积分不够，入学的事愁死了。"),
        ("P05", "community_life", "楼上楼下都不认识，下班回来关上门，跟邻居一句话都没有。"),
        ("P07", "services_ideas", "政策讲座可以叫我去帮忙翻译，我电话13912345678，住5栋302室。"),
    ],
]
INTERVIEW_NOTES: list[tuple[str, str]] = [  # by interview, in demo.INTERVIEWS order: (topic, a quote)
    ("needs_seen", "班里四十多个学生，有十几个说晚上睡不着，考试压力太大了。"),
    ("missed_groups", "留守的孩子多，放学后没人管，周末回家也是跟爷爷奶奶。"),
    ("needs_seen", "家长把成绩看得很重，亲子之间一说学习就吵架。"),
    ("services_gaps", "我们缺的是专业的人，班主任不是心理老师，培训也不够。"),
    ("needs_seen", "卧床的老人多，我们光是护理就忙不过来，根本没时间陪他们聊天。"),
    ("services_gaps", "护理员流失很快，新人来了没有督导带，做不长。"),
    ("needs_seen", "很多老人家里人一年都不来，没人探望，过节的时候最孤独。"),
    ("working_with_sw", "一名驻点社工加一名院内督导，我觉得可以试，关键是经费要稳定。"),
    ("needs_seen", "我们片区有三十多个独居老人，有的一整天都没人说话。"),
    ("needs_seen", "外来的家庭多，孩子放学了就在楼下乱跑，没人管。"),
    ("services_gaps", "独居的老人复诊经常漏掉，转介到医院以后就没有人跟进衔接。"),
    ("missed_groups", "新市民对积分入学不熟悉，很多人错过了申请时间。"),
    ("needs_seen", "残疾人家属照顾了十几年，喘不过气，轮椅这些辅具也申请不到。"),
    ("resources_partners", "社区基金会的资金有限，要看到数据才愿意购买服务；退休党员里热心的人不少。"),
]
NO_CONSENT = (2, "P09")  # focus group 2: its ninth participant declined to be noted
CORRECTIONS = {  # (form, session index, segment) → (codes the coder removes, codes they add)
    ("residents_focus_group", 0, "q:7"): (("loneliness",), ()),  # "没那么闷": the negation the rule misses
    ("residents_focus_group", 3, "n:older_people_care:1"): (("carer_strain", "no_one_to_talk"), ()),  # staff
    ("residents_focus_group", 7, "q:1"): ((), ("hard_to_fit_in",)),
    ("residents_focus_group", 4, "q:3"): ((), ("no_one_to_talk",)),
}
DOUBLE_CODED = {"residents_focus_group": (0, 4, 6), "stakeholder_interview": (0, 8, 12)}


def _roster(group: str, n: int, years: str, session: int) -> list[dict[str, Any]]:
    ages = AGES.get(group, ("a40_59",))
    return [
        {
            "p_code": f"P{i:02d}",
            "p_age_band": ages[i % len(ages)],
            "p_sex": ("female", "male")[i % 2],
            "p_group": group,
            "p_years_here": years,
            "p_consent": "no" if (session, f"P{i:02d}") == NO_CONSENT else "yes",
        }
        for i in range(1, n + 1)
    ]


def heard(form_id: str, index: int, session: dict[str, Any]) -> dict[str, Any]:
    """The roster, notes and quotes of scripted session ``index`` of ``form_id`` ({} for other forms)."""
    if form_id == "residents_focus_group":
        years = "lt3" if session["group_focus"] == "migrants" else "y10_plus"
        roster = _roster(session["group_focus"], session["n_participants"], years, index)
        quotes = [{"participant": p, "topic": t, "text": w} for p, t, w in FG_QUOTES[index]]
        notes = {t: text if isinstance(text, str) else "".join(text) for t, text in FG_NOTES[index].items()}
        return {"roster": roster, "notes": notes, "quotes": quotes}
    if form_id == "stakeholder_interview":  # the respondent is P1; the notes sit under the topic they answer
        topic, words = INTERVIEW_NOTES[index]
        quotes = [{"participant": "P1", "topic": topic, "text": words}]
        return {
            "roster": [{"p_code": "P1", "p_consent": "yes"}],
            "notes": {topic: session["interview_notes"]},
            "quotes": quotes,
        }
    return {}


def _marks(form_id: str, index: int, found: sessions.Session) -> set[str]:
    """The planner's codes: every suggestion confirmed, then the corrections."""
    words = coding.keywords(found.compiled.form)
    marks = set()
    for seg in found.segments:
        codes = {s.code for s in suggest(seg.text, words)}
        removed, added = CORRECTIONS.get((form_id, index, seg.key), ((), ()))
        marks |= {f"{seg.key}|{c}" for c in (codes - set(removed)) | set(added)}
    return marks


def _second(found: sessions.Session, first: set[str]) -> set[str]:
    """The designer's codes: the planner's, but one segment in four loses a code and one in six gains one."""
    leaves = [
        c.code for c in coding.code_options(found.compiled.form) if not c.theme and c.domain != "safety"
    ]
    marks = set(first)
    for k, seg in enumerate(found.segments):
        mine = sorted(m for m in first if m.startswith(f"{seg.key}|"))
        if k % 4 == 1 and mine:
            marks.discard(mine[0])
        if k % 6 == 2:
            marks.add(f"{seg.key}|{leaves[k % len(leaves)]}")
    return marks


def code(db: DbSession, users: dict[str, int]) -> int:
    """Code the demo's sessions (planner; designer again for some); how many codings were added."""
    coders = {
        role: Principal(users[role], role, frozenset({role}), "session") for role in ("planner", "designer")
    }
    done = set(db.execute(select(Coding.session_uuid, Coding.coder_id)).all())
    added = 0
    for form_id in DOUBLE_CODED:
        for index, found in enumerate(sessions.load(db, form_id)):
            first = _marks(form_id, index, found)
            wanted = [("planner", first)]
            if index in DOUBLE_CODED[form_id]:
                wanted.append(("designer", _second(found, first)))
            for role, marks in wanted:
                if (found.uuid, users[role]) not in done:
                    coding.save(db, coders[role], found.uuid, marks)
                    added += 1
    return added
