"""De-identifying what people said: names, phone, ID, account, plate and door numbers masked.

Quotes and notes from interviews and focus groups reach planners and designers (dashboard, coding
pages, proposals, exports) only through :func:`deidentify`. Besides what any text may hold, the
names a session itself records (its roster, its facilitator) are masked wherever they appear,
passed as ``names``. Re-exported by :mod:`analysis.qualitative`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from itertools import pairwise

import msgspec

# Each rule below masks one way people are named or numbered in field notes, and says why it is
# drawn where it is. Meaning a social worker needs stays: ages (78岁), money (3000元, 每月1500),
# years and dates, counts (三个孩子, 一两次), and words that merely begin with 老/小 or use 姨/伯
# generically (老人, 小区, 阿姨). Rules run in order: the session's own names first, then numbers,
# then names by their context.

# Numbers as people write them: digits grouped by spaces, dashes or dots (138 1234 5678, 440681 19500101
# 1234), half- or full-width, after +86 / 0086, a landline's area code in brackets ((0757) 8654 3210).
_D = "[0-9０-９]"
_S = r"[\s\-－‐‑–—.．·]?"
_CC = rf"(?:[+＋]|00|００)?[8８][6６]{_S}"
_AREA = rf"(?:(?:[+＋]|00|００)[8８][6６]{_S}[(（]?[0０]?[)）]?|[(（]?[0０])"
_NUMBERS = (
    (re.compile(rf"(?<!{_D}){_D}(?:{_S}{_D}){{16}}{_S}[0-9０-９XxＸｘ](?![0-9０-９XxＸｘ])"), "[证件号]"),
    (re.compile(rf"(?=[+＋0０8８1１])(?<!{_D})(?:{_CC})?[1１][3-9３-９](?:{_S}{_D}){{9}}(?!{_D})"), "[电话]"),
    (re.compile(rf"(?=[+＋0０(（])(?<!{_D}){_AREA}{_D}{{2,3}}[)）]?(?:{_S}{_D}){{7,8}}(?!{_D})"), "[电话]"),
    (re.compile(rf"(电话|座机|手机|号码|热线)([：:\s]*){_D}{{3,4}}{_S}{_D}{{4}}(?!{_D})"), r"\1\2[电话]"),
    # A room number, but not a flat's layout (3室1厅, 2房1厅: how crowded a home is, not where).
    (
        re.compile(
            # each from the start of a run of digits only: tried at every digit of a long run, the
            # run would be read again from each (20,000 digits took 7 s)
            rf"(?<!{_D}){_D}+\s*(?:栋|幢|座|号楼)\s*{_D}+\s*(?:号|室|房)?"
            rf"|(?<!{_D}){_D}+\s*(?:室|房|号房)(?!\s*[0-9０-９一二两三四五六]?\s*厅)"
        ),
        "[门牌]",
    ),
    # An account a person can be reached or found by: QQ, WeChat, bank and social-security cards.
    (
        re.compile(
            r"(?=[QqＱ微账帐卡银社医会])(QQ|qq|ＱＱ|微信号?|账号|帐号|卡号|银行卡|社保卡|医保卡|会员号)"
            r"([：:\s号是为]*)"
            r"(?=[\w\-]*[0-9０-９])[A-Za-z0-9０-９_\-]{5,20}"
        ),
        r"\1\2[号码]",
    ),
    # A licence plate (粤E·12345 is a Foshan car): it finds its owner as surely as a phone number.
    (
        re.compile(
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•\s]?"
            r"(?=[A-Z]*[0-9])[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])"
        ),
        "[车牌]",
    ),
)

# Any other run of seven or more digits — a local number with no phone word (找我 8654-3210), or one
# read out in Chinese numerals (一三八…, 幺 for 1, 两 for 2, 零/〇 for 0), even mixed with digits.
# 十/百/千/万 are not digits here, so counts (三个孩子, 一两次, 七八十岁) never form a run; a group
# joins the run only after a single space or dash and with three digits or more, so dates
# (2026-09-12) stay apart. Kept by _kept: money and measures, years and year ranges, compact dates;
# after a money word (存款, 收入), a run is an amount.
_DIGIT = "0-9０-９零〇○一幺二两三四五六七八九"
_ASCII = str.maketrans("０１２３４５６７８９零〇○一幺二两三四五六七八九Ｘｘx", "012345678900011223456789XXX")
_JOIN = r"[ \u3000\-－‐‑–—]"
_RUN = re.compile(
    rf"(?<![{_DIGIT}.．])[{_DIGIT}](?:[{_DIGIT}]|{_JOIN}(?=[{_DIGIT}]{{3}}))*"
    rf"(?:[XxＸｘ](?![A-Za-z]))?(?![{_DIGIT}]|[.．][0-9０-９])"
)
_UNIT = re.compile(r"\s?(?:[元块蚊万亿千百岁年月日个次人户位名分%％米平斤克毫]|公里|港币|美元|kg|km|ml)")
_PHONE_WORD = re.compile(r"电话|座机|手机|号码|热线|打|拨|致电|联系|call|tel|phone", re.IGNORECASE)
_MONEY_WORD = re.compile(r"收入|工资|人工|退休金|养老金|补贴|补助|存款|欠款|借款|赔偿|费用|花了|价钱|一共")


def _number(m: re.Match[str]) -> str:
    """The mask for a run of digits: what it looks like decides, [号码] when nothing does."""
    run = m.group().translate(_ASCII)
    digits = re.sub(r"[^0-9X]", "", run)
    if len(digits) < 7 or _kept(m, run, digits):
        return m.group()
    if len(digits) == 18:
        return "[证件号]"
    if re.fullmatch(r"(?:0?86)?(?:1[3-9]\d{9}|0\d{9,11})", digits):
        return "[电话]"
    said = m.string[max(0, m.start() - 6) : m.start()]
    if len(digits) <= 8 and _PHONE_WORD.search(said):
        return "[电话]"
    return m.group() if _MONEY_WORD.search(said) else "[号码]"


def _kept(m: re.Match[str], run: str, digits: str) -> bool:
    """True for an amount or measure (1200000元), years (2019-2023), a date (20190312), a range (1500-2000).

    Counting out loud (一二三四五六七八, at an exercise class) is kept too: no number runs straight up.
    """
    before = m.string[: m.start()].rstrip()
    if _UNIT.match(m.string, m.end()) or before.endswith(("¥", "￥", "$", "＄", "RMB", "HK$")):
        return True
    if digits.isdigit() and all(int(b) - int(a) == 1 for a, b in pairwise(digits)):
        return True
    groups = re.split(_JOIN, run)
    if all(len(g) == 4 and "1900" <= g <= "2099" for g in groups):
        return True
    if len(groups) == 1 and len(digits) == 8 and "1900" <= digits[:4] <= "2099":
        return "01" <= digits[4:6] <= "12" and "01" <= digits[6:] <= "31"
    if len(groups) == 2 and " " not in run and all(len(g) <= 5 and g.endswith("0") for g in groups):
        return int(groups[0]) < int(groups[1])
    return False


# Names. A surname on its own proves nothing (陈 is also 陈旧), so names are found by what stands
# around them: a title or kinship word (陈姨, 黄先生, 老李, 我老伴李国强), or an introduction (我是…,
# 名字是…). The surnames below are common ones, Cantonese ones among them (区, 冼, 邝, 麦, 岑): those
# that are mostly ordinary words (于, 和, 明, 边, 查, 应, 单, 卫…) are left out, and _ENDS / _STARTS
# name the words in which a surname-like character is not a surname (社区医生, 老毛病, 亲戚阿姨).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蔡蒋余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛严段雷侯龙史陶黎贺顾毛郝龚邵钱洪武戴莫孔汤常温康施文牛"
    "樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹耿关兰焦俞左柳甘祝包尚符舒阮柯纪梅童凌霍涂成谷翁冉骆蓝辛靳柴蒙鲍喻祁"
    "蒲滕屈饶牟艾尤穆农卓古吉缪简麦褚娄窦戚岑晏柏瞿桂闵邬卞姬栾隋巫寇甄虞敖巩佘邝冼区植容招利劳伦湛"
)
_COMPOUND = ("欧阳", "司徒", "上官", "诸葛", "司马", "夏侯", "皇甫", "慕容", "端木")
# Characters common in given names, for an introduction's name (我是陈美玲): a word after a
# surname-like character (我老伴高血压, 我儿子周末来) is not taken for a name.
_GIVEN = (
    "明华国强伟芳玲美丽英秀兰珍志建军红梅霞婷敏静杰涛斌磊勇超辉鹏飞俊荣海波宇浩嘉欣怡婉淑慧娟燕琴云凤桂玉宝福贵"
    "德仁义忠健春秋冬东亮光凯彬锋刚毅坚峰松柏森翠莲菊萍娥娇艳雪冰晶洁琳瑶璐佳丹蓉蕾薇莉倩颖雯雅琪楠晨昊宏泽洋"
    "润达耀祥瑞庆喜康泰顺永立晓少振兴旺盛根金世家思维博豪雄威仲启文武彩惠珠翔坤鑫岚琼娜妍媛婕琦璇馨蕊韵霖烨煜"
    "晖晴昕曦晗皓铭锦钰轩逸睿哲航鸿鹤麟彤诗梓涵焕炳棠权祖培灿添财汉泉标基娣亚"
)
# Titles after a surname; 生 (陈生, Mr Chan), 太 (陈太) and 老 (陈老) only before a pause or a verb of
# saying, since they also begin words (非常生气, 钱太少, 古老的). 公 not before 公司, 公园….
_TITLES = (
    "sir|Sir|SIR|阿姨|姨妈|伯伯|阿伯|伯母|伯娘|叔叔|阿叔|婶婶|婆婆|阿婆|公公|阿公|爷爷|奶奶|嫲嫲|姐姐|哥哥"
    "|妹妹|先生|太太|小姐|女士|老师|医生|护士|师傅|师奶|主任|书记|社工|校长|院长|站长|主席|会长|组长|老板"
    "|经理|律师|同学|大夫|姑娘|妈妈|爸爸|姨|伯|叔|婶|婆|公|嫲|姐|哥|妹|嫂"
)
_PAUSED = "生太老"
_NOT_AFTER_GONG = "司园交安益共务积厕众开平里斤立寓告民路办章分顷正道租房仔证费车示历元式主"
_BOUNDARY = "说讲话嘅佢同和跟就都也啊呀呢啦嘛咯喔哦吖的系是又还会要去来在有叫"
# Kinship and other people a speaker names (我老伴李国强, 邻居黄志明).
_KIN = (
    "外孙女|老伴|老公|老婆|丈夫|妻子|先生|太太|爱人|儿子|女儿|孙子|孙女|外孙|媳妇|新抱|女婿|哥哥|姐姐|弟弟"
    "|妹妹|家姐|细佬|爸爸|妈妈|父亲|母亲|老豆|老母|邻居|街坊|朋友|同事|同学|室友|护工|保姆|社工|义工|老师"
    "|医生"
)
_KIN_FIRST = "".join(sorted({w[0] for w in _KIN.split("|")} | set("我你他她佢这那呢嗰")))
_PLACE = "人籍村镇县市省区街路州"
"""After 我是X: X is a place (我是高明人, 我是陈村的人), not a name."""
# Words that end (社区, 亲戚, 养老金, 南桂) or begin (毛病, 周末, 康复) with a surname-like character.
_ENDS_WORDS = (
    "社区|小区|地区|城区|片区|园区|市区|郊区|辖区|山区|新区|老区|街区|校区|景区|主任|责任|担任|信任|前任"
    "|有关|相关|机关|海关|公关|开关|难关|把关|儿童|学童|孩童|小童|健康|小康|安康|日常|正常|非常|经常|通常"
    "|平常|异常|照常|寻常|历史|病史|资金|基金|黄金|奖金|现金|租金|押金|五金|薪金|养老金|公积金|地方|对方"
    "|双方|各方|药方|配方|处方|东方|西方|南方|北方|官方|多方|设施|措施|实施|队伍|文章|规章|内容|美容|笑容"
    "|形容|包容|年纪|世纪|完成|变成|造成|形成|组成|构成|达成|赞成|养成|老成|如何|任何|为何|也许|允许|或许"
    "|不许|其余|多余|业余|剩余|工程|过程|课程|疗程|日程|流程|编程|行程|路程|分钟|闹钟|提高|最高|升高|太高"
    "|很高|好高|较高|偏高|阶段|手段|一段|时段|片段|种植|移植|权利|福利|顺利|胜利|便利|有利|不利|语文|中文"
    "|英文|作文|人文|日文|公文|天文|国王|大王|主张|紧张|一张|夸张|开张|慌张|森林|树林|园林|规范|示范|防范"
    "|体温|气温|高温|保温|尊严|照顾|回顾|兼顾|不顾|光顾|恐龙|明白|坦白|空白|蛋白|蛋黄|结石|宝石|有钱|没钱"
    "|冇钱|零钱|价钱|工钱|赚钱|花钱|给钱|存钱|借钱|本钱|小钱|值钱|钱包|书包|面包|红包|打包|背包|小包|承包"
    "|勤劳|辛劳|疲劳|功劳|操劳|子孙|儿孙|外孙|曾孙|长孙|上周|下周|本周|这周|每周|一周|两周|桥梁|感谢|多谢"
    "|致谢|未曾|不曾|农田|古董|树叶|茶叶|复苏|江苏|紫苏|生姜|大陆|登陆|内陆|长江|珠江|防洪|喝汤|煲汤|饮汤"
    "|整齐|到齐|粗鲁|聚焦|庆祝|时尚|和尚|高尚|相符|山谷|稻谷|富翁|艰辛|启蒙|内蒙|委屈|精简|亲戚|天伦|村庄"
    "|容颜|园丁|人丁|白杨|荒唐|行李|师傅|务农|菜农|小农|老农|小麦|燕麦|吹牛|人马|骑马|斑马|考古|打雷|地雷"
    "|祝贺|庆贺|小巫|一小段|治区|发区|护区|政区|范区|游区|特区|林区|海区|德区|明区|水区|州区|湖区|江区|南区"
    "|北区|东区|西区|中区|制成|生成|合成|分成|自成|建成|常常|蒙古|巴黎|罗马|大利|荷兰|波兰|浙江|汉江|四周"
    "|一招|一齐|进程|车程|一方|庄严|岩石|化石|论文|少林|模范|攻关|水利|冶金|恩施|南桂|容桂|九江|龙江|南庄"
    "|湛江|阳江|西江|北江|东江|镇江|内江|漓江"
)
_STARTS_WORDS = (
    "毛病|毛巾|毛衣|毛孩|毛钱|毛主席|范围|方法|方面|方便|方式|方向|方案|方桌|方块|方言|方子|程序|程度|孙子"
    "|孙女|孙仔|高层|高兴|高中|高考|高血|高龄|高温|高峰|高楼|高铁|高速|高价|高贵|高级|高明|高州|高学|马上"
    "|马路|马桶|马甲|马虎|周末|周围|周身|周日|周六|周一|周二|周三|周四|周五|周年|周岁|康复|康乐|康师傅|曾经"
    "|曾孙|许多|许久|许可|常常|常年|常识|常见|常规|常住|成绩|成日|成立|成家|成功|成长|成为|成本|成人|白天"
    "|白菜|白兔|白色|白饭|白粥|白云|白领|白干|白发|黄金|黄牛|黄历|黄狗|黄车|黄昏|黄疸|钟意|钟点|钟头|谢谢"
    "|谢绝|夏天|任何|任务|何时|何况|何解|何必|金额|金库|金鱼|金钱|金华|石头|石子|石板|石膏|余额|余下|余生"
    "|严重|严格|严明|温度|温暖|温柔|温和|温顺|温润|温婉|温哥华|韩国|文化|文章|文具|文件|文静|文明|文华|江湖"
    "|江门|江西|江苏|江汉|江东|龙虾|龙江|龙舟|龙华|熊猫|关系|关心|关于|关节|关注|关门|关东|关公|利用|利息"
    "|利润|容易|容桂|黎明|林业|武汉|王国|王老吉|王子|苏丹|苏打|凌晨|庄家|招标|招牌|招生|招工|简洁|简明|简单"
    "|简直|包括|包裹|包涵|包公|汤圆|叶子|田地|胡同|牛肉|牛奶|牛仔|左边|左右|舒服|颜色|顾客|顾虑|古董|古诗"
    "|古老|纪念|贺卡|陆续|陆丰|祝福|雷公|周公|蒲公英|罗伯特|尤伯杯|张伯伦|段时间|胡思|成就|成果|成员|成分"
    "|成熟|利益|植物|区域|区别|农村|农民|农业|劳动|尤其|符合|尚未|关键|高度|高原|高校"
)
_ENDS = re.compile(_ENDS_WORDS)
_STARTS = re.compile(_STARTS_WORDS)


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _in_word(text: str, at: int) -> bool:
    """True when the surname-like character at ``at`` belongs to a word around it (社区, 毛病, 养老金)."""
    return bool(
        (at >= 1 and _ENDS.fullmatch(text, at - 1, at + 1))
        or (at >= 2 and _ENDS.fullmatch(text, at - 2, at + 1))
        or _STARTS.match(text, at)
    )


def _paused(text: str, at: int) -> bool:
    """True at the end of ``text``, before punctuation or a space, before a verb of saying or a particle."""
    return at >= len(text) or not _han(text[at]) or text[at] in _BOUNDARY


def _titled(m: re.Match[str]) -> str:
    """陈姨 → 某姨: the surname masked, the title kept (who they are to the speaker matters)."""
    text, title = m.string, m.group("t")
    single = len(m.group("s")) == 1
    if (single and _in_word(text, m.start())) or (title in _PAUSED and not _paused(text, m.end())):
        return m.group()
    after = text[m.end() : m.end() + 1]
    if title == "公" and after and after in _NOT_AFTER_GONG:
        return m.group()
    return "某" + title


def _nicknamed(m: re.Match[str]) -> str:
    """老李, 小张, 阿陈 → 老某, 小某, 阿某; not 小区, 老毛病, 养老金."""
    if len(m.group("s")) == 1 and _in_word(m.string, m.start("s")):
        return m.group()
    return m.group("p") + "某"


def _introduced(m: re.Match[str]) -> str:
    """我是陈美玲, 我老伴李国强 → 我是某某, 我老伴某某; not 我是高明人, 我儿子周末来."""
    text, who = m.string, m.group("c")
    if (len(m.group("s")) == 1 and _in_word(text, m.start("s"))) or m.group("g") in ("家", "国"):
        return m.group()  # 我是王家的 (a family), 我是韩国 (a country)
    after = text[m.end() : m.end() + 1]
    if who[-1] in "是系" and after and after in _PLACE:
        return m.group()
    return who + "某某"


class _NameRules(msgspec.Struct, frozen=True):
    """The surname-anchored patterns, for the common surnames plus those of a session's roster."""

    titled: re.Pattern[str]
    nicknamed: re.Pattern[str]
    introduced: re.Pattern[str]


@functools.lru_cache(maxsize=64)
def _name_rules(extra: str = "") -> _NameRules:
    surname = f"(?P<s>{'|'.join(_COMPOUND)}|[{_SURNAMES}{extra}])"
    return _NameRules(
        titled=re.compile(rf"{surname}(?P<t>{_TITLES}|[{_PAUSED}])(?![A-Za-z])"),
        nicknamed=re.compile(rf"(?P<p>[老小阿]){surname}"),
        introduced=re.compile(
            rf"(?=[{_KIN_FIRST}])(?P<c>(?:我|你|他|她|佢|这位|那位|呢位|嗰位)(?:是|系|叫做)|{_KIN})"
            rf"{surname}(?P<g>[{_GIVEN}]{{1,2}})"
        ),
    )


# Names after 姓 (not 老百姓, 姓名) and after 叫 (not 叫我, 叫车, 叫醒, 叫救护车, an errand; not 大叫,
# 尖叫, 叫声, 叫卖, a cry; not 叫某某, already masked); after 名字是 / 姓名：; in English after a
# title (Mr Chan) or romanised whole (Wong Siu Ming, CHAN Tai-man) — surnames that are also
# English words (Long, So, Sun, Law, Man, Fan, Tang, Chin, He…) are left out.
_ROMAN = (
    "Cheung|Leung|Tsang|Yeung|Cheng|Chung|Chong|Kwong|Zhang|Huang|Liang|Zheng|Jiang|Zhong|Xiong|Chan|Wong"
    "|Chow|Kwok|Choi|Kwan|Poon|Yuen|Fung|Pang|Chiu|Shum|Chau|Ngai|Tsui|Tung|Yung|Chen|Wang|Yang|Zhao|Zhou"
    "|Deng|Peng|Zeng|Xiao|Tian|Yuan|Shen|Liao|Fang|Duan|Kong|Lau|Lam|Yip|Tse|Tam|Siu|Hui|Lui|Lee|Lai|Mak"
    "|Chu|Yau|Mok|Fok|Sze|Yim|Yiu|Liu|Zhu|Guo|Lin|Luo|Xie|Cao|Cai|Wei|Ren|Yao|Cui|Xia|Zou|Qin|Qiu|Hou|Xue"
    "|Lei|Ng|Ho|Wu|Li|Xu|Su"
)
_NAMED = (
    (re.compile(r"(?<!百)姓(?![名氏])[\u4e00-\u9fff]"), "姓某"),
    (
        re.compile(
            r"(?<![大尖惊惨喊鸣呼乱])叫(?![我你他她它们人大家做作什车醒外救某声卖化喊嚷唤好说苦骂了着过])"
            r"[\u4e00-\u9fff]{1,3}"
        ),
        "叫某某",
    ),
    (
        re.compile(
            r"(?=[名姓全真大])(名字|姓名|全名|真名|大名)(是|系|[：:]\s*)(?![我你他她佢某什谁啥乜咩])"
            r"(?:(?![的了啊呀吗呢嘛啦哦喔咯嘅吖])[\u4e00-\u9fff]){2,3}"
        ),
        r"\1\2某某",
    ),
    (
        re.compile(
            r"(?=[MDAU])(?<![A-Za-z])(Mr|Mrs|Ms|Miss|Mdm|Madam|Dr|Auntie|Aunty|Uncle)\.?\s+[A-Z][a-z]+(?:-[A-Za-z][a-z]*)?"
            r"(?:\s+[A-Z][a-z]+(?:-[a-z]+)?){0,2}(?![A-Za-z])"
        ),
        r"\1 某",
    ),
    (
        re.compile(
            rf"(?=[A-Z])(?<![A-Za-z])(?:{_ROMAN}|{_ROMAN.upper()})"
            r"(?:[ \-][A-Z][a-z]{1,6}){1,2}(?:-[a-z]{1,6})?(?![A-Za-z])"
        ),
        "某某",
    ),
)


def _parts(name: str) -> tuple[str, str]:
    """A Chinese name's surname and given name; no given name in 老陈 or 陈姨, as rosters also write them."""
    if len(name) == 2 and name[0] in "老小阿":
        return name[1], ""
    for title in (*_TITLES.split("|"), *_PAUSED):
        head = name[: -len(title)]
        if name.endswith(title) and (len(head) == 1 or head in _COMPOUND):
            return head, ""
    surname = name[:2] if name[:2] in _COMPOUND and len(name) > 2 else name[0]
    return surname, name[len(surname) :]


@functools.lru_cache(maxsize=256)
def _roster(names: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[str, str], str]:
    """The forms of a session's own names to mask (陈美玲, 美玲, 阿玲, 小玲), and their rare surnames.

    A Chinese name of two to four characters gives its given name alone and with 阿/小; its surname
    then joins the surnames the title and nickname rules know (陈姨, 老陈 come from those). A name
    in letters gives its given names (Siu Ming of Chan Siu Ming). A value with a digit is not a name.
    """
    forms: dict[str, str] = {}
    extra = ""
    for raw in names:
        name = raw.strip()
        if len(name) < 2 or any(ch.isdigit() for ch in name):
            continue
        forms[name.lower()] = "某某"
        if 2 <= len(name) <= 4 and all(_han(ch) for ch in name):
            surname, given = _parts(name)
            if len(surname) == 1 and surname not in _SURNAMES and surname not in extra:
                extra += surname
            if given:
                forms.update({f"阿{given[-1]}": "阿某", f"小{given[-1]}": "小某"})
            if len(given) >= 2:
                forms.update({given: "某某", given[-1] * 2: "某某"})
        elif len(words := name.split()) >= 2 and len(" ".join(words[1:])) >= 3:
            forms[" ".join(words[1:]).lower()] = "某某"
    if not forms:
        return None, forms, extra
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE), forms, extra


def deidentify(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with people's names, phone, ID, account, plate and door numbers, and long digit runs masked.

    ``names`` are the names of the session's own people (its roster, its facilitator): each is
    masked whole and by its parts (陈美玲: 美玲, 阿玲, 陈姨, 老陈), wherever the text says it.
    """
    pattern, forms, extra = _roster(tuple(sorted(set(names))))
    if pattern is not None:
        text = pattern.sub(lambda m: forms[m.group().lower()], text)
    for rule, mask in _NUMBERS:
        text = rule.sub(mask, text)
    text = _RUN.sub(_number, text)
    for rule, mask in _NAMED:
        text = rule.sub(mask, text)
    rules = _name_rules(extra)
    text = rules.titled.sub(_titled, text)
    text = rules.nicknamed.sub(_nicknamed, text)
    return rules.introduced.sub(_introduced, text)
