"""Representative quotes: typical of the code, one per participant, other sites first, de-identified."""

from __future__ import annotations

import random

from analysis.qualitative import Segment
from analysis.qualitative_quotes import Corpus, representative_quotes

LONELY = "lonely"


def quote(
    session: str,
    key: str,
    participant: str,
    text: str,
    site: str = "南桂",
    codes: tuple[str, ...] = (LONELY,),
) -> Segment:
    return Segment(
        session=session,
        key=key,
        text=text,
        method="focus_group",
        participant=participant,
        site=site,
        group="长者",
        date="2026-09-01",
        codes=codes,
    )


CORPUS = [
    quote("g1", "q:1", "P01", "平时就我一个人在家，晚上特别孤单，没人说话。"),
    quote("g1", "q:2", "P01", "一个人在家很孤单，晚上没人说话，电视开着。"),  # the same person, also typical
    quote("g1", "q:3", "P02", "儿子在外地，我一个人在家，晚上孤单得很。"),
    quote("g2", "q:1", "P01", "院里过节的时候特别冷清，家里人都不来看我们。", site="颐乐中心"),
    quote("g2", "q:2", "P03", "孤单。", site="颐乐中心"),  # too short to quote
    quote(
        "g3", "n:a:1", "", "大家都说晚上一个人在家很孤单，没人说话。"
    ),  # the facilitator's note: nobody said it
    quote("g3", "q:1", "P05", "去医院排队挂号要一上午，没人陪诊我都不敢去。", codes=("doctor",)),
]


def test_the_same_segments_give_the_same_quotes_in_any_order() -> None:
    """Quote selection is deterministic: shuffling the corpus changes nothing."""
    first = representative_quotes(CORPUS, LONELY)
    shuffled = CORPUS[:]
    random.Random(7).shuffle(shuffled)
    assert representative_quotes(shuffled, LONELY) == first
    assert [q.typicality for q in first] == sorted((q.typicality for q in first), reverse=True)


def test_at_most_one_quote_per_participant_and_never_a_facilitators_note() -> None:
    """P01 of group 1 is quoted once, however typical their other words; notes nobody said are not quotes."""
    found = representative_quotes(CORPUS, LONELY, k=5)
    speakers = [(q.session, q.participant) for q in found]
    assert len(speakers) == len(set(speakers))
    assert all(q.participant for q in found)
    assert ("g1", "P01") in speakers
    assert ("g2", "P01") in speakers  # another session's P01 is another person


def test_a_new_site_comes_before_a_second_quote_from_the_same_site() -> None:
    """With two places to fill, the second goes to another site, though a quote from the first is more typical."""
    found = representative_quotes(CORPUS, LONELY, k=2)
    assert [q.site for q in found] == ["南桂", "颐乐中心"]
    corpus = Corpus(CORPUS)
    scores = corpus.typicality(LONELY)
    assert scores[2] > scores[3]  # P02 at 南桂 is more typical than the 颐乐 quote that was preferred


def test_only_coded_segments_of_quotable_length_are_candidates() -> None:
    """Segments not coded c, and quotes under 15 characters, are never chosen."""
    found = representative_quotes(CORPUS, LONELY, k=10)
    assert {q.key for q in found if q.session == "g2"} == {"q:1"}
    assert all(q.code == LONELY for q in found)
    assert [q.text for q in representative_quotes(CORPUS, "doctor")] == [
        "去医院排队挂号要一上午，没人陪诊我都不敢去。"
    ]
    assert representative_quotes(CORPUS, "unknown") == ()


def test_quotes_are_de_identified_carry_provenance_and_lose_the_speakers_code() -> None:
    """A phone number is masked, a leading P03： is dropped, and the quote says where it came from."""
    corpus = [
        quote("g9", "n:services:2", "P03", "P03：有事打我电话13800138000，我帮大家问问社工站。", site="桂园"),
        quote("g8", "q:1", "P01", "我的身份证440681195001011234丢了，补办跑了很多次。", site="桂园"),
    ]
    found = {q.participant: q for q in representative_quotes(corpus, LONELY)}
    assert found["P03"].text == "有事打我电话[电话]，我帮大家问问社工站。"
    assert found["P01"].text == "我的身份证[证件号]丢了，补办跑了很多次。"
    p03 = found["P03"]
    provenance = (p03.session, p03.key, p03.participant, p03.group, p03.site, p03.date, p03.selected_by)
    assert provenance == ("g9", "n:services:2", "P03", "长者", "桂园", "2026-09-01", "machine")
