"""De-identifying quotes: numbers and names as field notes in 南桂 write them, and what must stay.

Quotes are in the Mandarin, often Cantonese-flavoured, that community social workers in Foshan
note down (南桂社区, 桂城长者颐乐中心). Each masked case pairs what was said with what a planner
may read; each kept case is meaning a social worker needs — an age, an amount, a year, a count,
a word that merely begins with 老 or 小 — and must come back unchanged.
"""

from __future__ import annotations

import pytest

from analysis.qualitative import deidentify

# ------------------------------------------------------------------------------------ numbers

BARE_NUMBERS = [
    ("有事打86543210找我", "有事打[电话]找我"),
    ("找我 8654-3210 就得", "找我 [号码] 就得"),
    ("屋企号码系 8654 3210，你记低", "屋企号码系 [电话]，你记低"),
    ("桂城长者颐乐中心前台 86281234，有事揾佢哋", "桂城长者颐乐中心前台 [号码]，有事揾佢哋"),
    ("门牌58226471", "门牌[号码]"),
    ("她的社保卡号是 6222021234567890123", "她的社保卡号是 [号码]"),
    ("加我微信chan1234或者QQ 12345678", "加我微信[号码]或者QQ [号码]"),
    ("仔女架车粤E·12345成日停喺楼下", "仔女架车[车牌]成日停喺楼下"),
    ("她住302房，隔离就系社工站", "她住[门牌]，隔离就系社工站"),
]
CHINESE_NUMERALS = [
    ("我手机一三八一二三四五六七八，你记下", "我手机[电话]，你记下"),
    ("幺三八 幺二三四 五六七八，打呢个就揾到我", "[电话]，打呢个就揾到我"),
    ("座机八六五四三二一零", "座机[电话]"),
    ("区号〇七五七，电话八六两八一二三四", "区号〇七五七，电话[电话]"),
    ("〇七五七八六五四三二一〇系中心电话", "[电话]系中心电话"),
    ("她身份证是四四零六八一一九五零零一零一一二三X", "她身份证是[证件号]"),
    ("电话１３８一二三四５６７８", "电话[电话]"),
    ("两零两零年嗰个号码是八六两八一二三四", "两零两零年嗰个号码是[电话]"),
]

# -------------------------------------------------------------------------------------- names

NAMES = [
    ("我是陈美玲，今年78岁，住南桂社区。", "我是某某，今年78岁，住南桂社区。"),
    ("王阿姨说她女儿一个月才回来一次。", "某阿姨说她女儿一个月才回来一次。"),
    ("老李上个月摔倒了，住了两个星期院。", "老某上个月摔倒了，住了两个星期院。"),
    ("小张社工每周三都会上门。", "小某社工每周三都会上门。"),
    ("李伯每日一早去饮早茶，之后就冇人倾偈。", "某伯每日一早去饮早茶，之后就冇人倾偈。"),
    ("陈姨腿脚唔好，落楼要人扶。", "某姨腿脚唔好，落楼要人扶。"),
    ("黄先生讲佢老婆走咗之后好少出门。", "某先生讲佢老婆走咗之后好少出门。"),
    ("刘老师话班上有三个孩子放学冇人接。", "某老师话班上有三个孩子放学冇人接。"),
    ("名字是黄志明，你写低啦。", "名字是某某，你写低啦。"),
    ("姓名：陈美玲", "姓名：某某"),
    ("我老伴李国强去年走了，剩我一个。", "我老伴某某去年走了，剩我一个。"),
    ("我儿子陈志明在深圳打工，过年先返。", "我儿子某某在深圳打工，过年先返。"),
    ("陈生话佢每月退休金得1500。", "某生话佢每月退休金得1500。"),
    ("梁太说冇人帮手照顾。", "某太说冇人帮手照顾。"),
    ("桂城长者颐乐中心的黄姑娘成日打电话问候我。", "桂城长者颐乐中心的某姑娘成日打电话问候我。"),
    ("区姨同冼伯都话小区电梯成日坏。", "某姨同某伯都话小区电梯成日坏。"),
    ("司徒伯话要搬去女儿度住。", "某伯话要搬去女儿度住。"),
    ("大家都叫我陈姨", "大家都叫我某姨"),
    ("对门陈阿婆同老陈都系独居。", "对门某阿婆同老某都系独居。"),
    ("Mr Chan came twice a week; Mrs. Wong stopped coming.", "Mr 某 came twice a week; Mrs 某 stopped coming."),
    ("Wong Siu Ming 话冇人陪佢睇医生。", "某某 话冇人陪佢睇医生。"),
    ("CHAN Tai-man 已经搬走。", "某某 已经搬走。"),
]

# ------------------------------------------------------------------------------- meaning kept

KEPT = [
    "阿婆今年78岁，每月养老金3000元，每月1500都唔够用。",
    "2019年开始照顾老伴，2019-2023年最辛苦，2026-09-12复诊。",
    "约好20260912上午复诊，九点到。",
    "三个孩子，一个月来一两次，七八十岁的人了。",
    "照顾了20年，住院花了5000元，存款1500000元。",
    "每月收入1500-2000，房租800，一共1200000都系借返嚟。",
    "长者饭堂一餐12元，一周五天；每天走8000步，血压150/90。",
    "邮编528200，南桂社区有12000人。",
    "一二三四五六七八，社工带长者做操。",
    "住2房1厅，3室1厅，一家五口。",
    "老人家，老伴，老师，小区，小孩，小时，老年人，小组，小学，老公，老婆，老板，老家。",
    "阿姨，大伯，老伯，隔壁的伯伯，一个姨，保洁阿姨，社工姑娘好好人。",
    "社区医生，社区主任，班主任老师，语文老师，历史老师，主任医生，相关社工，儿童社工。",
    "非常生气，钱太少，古老的房子，卫生间好细。",
    "我老伴高血压，我儿子周末来，我女儿成绩好，我老伴康复得唔错。",
    "养老金不够用，小毛病多，老顾客，小程序报名太难，赚点小钱。",
    "亲戚阿姨帮忙，上周阿姨来过，答应阿姨的事，旁边阿婆。",
    "我是高明人，我是陈村的，我是黄岐人，我系容桂嘅。",
    "关于老师的意见，对于老师来说都一样。",
    "小孙子放学没人接，四点半课堂名额不够。",
    "她叫车去医院，大叫救命，老百姓都说好，姓名要保密。",
    "物业公司老板，五金公司，蒲公英。",
    "南桂阿姨都话，住南桂公租房好过租屋。",
    "他们叫我去开会。",
]


@pytest.mark.parametrize(("raw", "masked"), BARE_NUMBERS)
def test_a_long_run_of_digits_is_masked_with_or_without_a_phone_word(raw: str, masked: str) -> None:
    """Seven digits or more, an account, a plate or a room: a phone word makes it [电话], else [号码]."""
    assert deidentify(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), CHINESE_NUMERALS)
def test_numbers_read_out_in_chinese_numerals_are_masked_as_their_digits_would_be(raw: str, masked: str) -> None:
    """一三八…, 幺 and 两 and 〇, mixed with full-width digits: a mobile, landline or ID as in digits."""
    assert deidentify(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), NAMES)
def test_names_are_masked_by_what_stands_around_them(raw: str, masked: str) -> None:
    """A title, 老/小/阿, a kinship word, 我是 or 名字是 marks a name: the name goes, the title stays."""
    assert deidentify(raw) == masked


@pytest.mark.parametrize("said", KEPT)
def test_ages_money_dates_counts_and_ordinary_words_stay(said: str) -> None:
    """What a social worker needs to read — ages, money, years, counts, 老人, 小区, 阿姨 — is unchanged."""
    assert deidentify(said) == said


@pytest.mark.parametrize("masked", [m for _, m in BARE_NUMBERS + CHINESE_NUMERALS + NAMES])
def test_masking_twice_changes_nothing_more(masked: str) -> None:
    """A masked quote de-identified again (a page, then an export) comes back as it was."""
    assert deidentify(masked) == masked


# ------------------------------------------------------------------------- the session's names

ROSTER = ("陈美玲", "李国强", "练秀英", "Wong Siu Ming")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("美玲我一个人住，晚上好孤单。", "某某我一个人住，晚上好孤单。"),
        ("街坊以前叫我阿玲，而家冇人叫了。", "街坊以前叫我阿某，而家冇人叫了。"),
        ("阿强腿脚唔好，小玲陪佢去睇医生。", "阿某腿脚唔好，小某陪佢去睇医生。"),
        ("陈美玲同李国强都系独居。", "某某同某某都系独居。"),
        ("练姨话楼下邻居都唔识。", "某姨话楼下邻居都唔识。"),
        ("Siu Ming 话冇人陪佢。", "某某 话冇人陪佢。"),
    ],
)
def test_the_sessions_own_names_are_masked_in_every_form(raw: str, masked: str) -> None:
    """Given the roster, a name is masked whole, by its given name, with 阿/小, and its rare surname with a title."""
    assert deidentify(raw, ROSTER) == masked


def test_without_the_roster_a_given_name_alone_is_not_known_for_a_name() -> None:
    """美玲 alone, or 练姨 (练 is no common surname), needs the session's roster to be recognised."""
    assert deidentify("美玲我一个人住，练姨都系。") == "美玲我一个人住，练姨都系。"
    assert deidentify("美玲我一个人住，练姨都系。", ["陈美玲", "练秀英"]) == "某某我一个人住，某姨都系。"


def test_a_roster_row_written_as_surname_and_title_masks_that_person_not_every_title() -> None:
    """A roster row of 陈姨 or 老陈 masks them, not every 阿姨, 小姨 or 老伯 the session mentions."""
    said = "陈姨话阿姨同小姨都唔得闲，老陈同老伯都话"
    assert deidentify(said, ["陈姨", "老陈"]) == "某某话阿姨同小姨都唔得闲，某某同老伯都话"


def test_a_roster_value_with_digits_is_not_a_name() -> None:
    """A phone number in a field marked personal is masked as a number, not as a name."""
    assert deidentify("电话13812345678", ["13812345678"]) == "电话[电话]"


def test_a_door_number_is_read_from_the_start_of_its_digits() -> None:
    """A door number inside a long run is masked with the run; one after other digits is not split."""
    assert deidentify("住" + "1" * 5000 + "室") == "住[门牌]"
    assert deidentify("12栋3号同5室") == "[门牌]同[门牌]"
