"""Words in session notes: jieba tokens with the domain's vocabulary, TF-IDF, frequent terms, KWIC.

For exploration and for choosing typical quotes only — never for suggesting codes (keywords match
the raw text as substrings: :func:`analysis.qualitative.suggest`), because segmentation splits
phrases such as 一个人在家 (一个/人/在家).

The tokenizer is jieba's, loaded once per process (about a second), with :data:`DOMAIN_WORDS`
and the codebook's keywords added so that 独居老人 or 腿脚不好 stay one token. It is a tokenizer
of its own (the global ``jieba`` dictionary is left as it was), shared by the process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import jieba
import msgspec
import numpy as np

DOMAIN_WORDS = (
    "独居老人",
    "独居长者",
    "空巢老人",
    "长者互助小组",
    "互助小组",
    "驻校社工",
    "四点半课堂",
    "低保",
    "居家养老",
    "喘息服务",
    "积分入学",
    "居住证",
    "陪诊",
    "腿脚不好",
    "行动不便",
    "看病难",
    "新市民",
    "照顾者",
    "朋辈辅导",
    "家庭医生",
    "社工站",
    "长者饭堂",
    "失能长者",
    "留守儿童",
    "隔代教养",
    "没人说话",
    "没人照顾",
    "下不了楼",
    "睡不够",
    "喘不过气",
    "走不开",
    "听不懂",
    "不认识",
)
"""Words of community social work that jieba's own dictionary splits (METHODS §4.3)."""
_STOP = """
的 了 是 在 我 你 他 她 它 们 我们 他们 她们 也 都 就 和 与 有 又 很 还 这 那
这个 那个 一个 一些 说 会 要 去 来 对 把 被 给 让 吗 呢 吧 啊 呀 着 过 得 地 多 少
但 但是 而且 因为 所以 如果 没有 不 没 自己 什么 怎么 可以 觉得 现在 时候 比较
一下 一点 一样 已经 还是 其实 这样 那样
"""
STOP_WORDS = frozenset(_STOP.split())
"""Words too common to tell segments apart."""
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_LOCK = threading.RLock()
_TOKENIZER: jieba.Tokenizer | None = None
_ADDED: set[str] = set()


class Term(msgspec.Struct, frozen=True):
    """A frequent term and how many segments use it."""

    term: str
    count: int
    segments: int


class Context(msgspec.Struct, frozen=True):
    """A keyword in context: the text before and after it, and where it came from."""

    left: str
    keyword: str
    right: str
    source: str


def tokenizer(extra: Iterable[str] = ()) -> jieba.Tokenizer:
    """The jieba tokenizer, knowing the domain's words and ``extra`` (a codebook's keywords).

    One per process: its dictionary takes about a second to load; words are only ever added.
    """
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            logging.getLogger("jieba").setLevel(logging.WARNING)  # no "Building prefix dict" chatter
            _TOKENIZER = jieba.Tokenizer()
            _TOKENIZER.initialize()
            _add(_TOKENIZER, DOMAIN_WORDS)
        _add(_TOKENIZER, extra)
        return _TOKENIZER


def _add(found: jieba.Tokenizer, words: Iterable[str]) -> None:
    for word in words:
        if word and word not in _ADDED:
            found.add_word(word, freq=20000)
            _ADDED.add(word)


def tokens(text: str, extra: Iterable[str] = ()) -> list[str]:
    """The words of ``text``: jieba tokens without punctuation and stop words."""
    found = tokenizer(extra)
    with _LOCK:
        words = found.lcut(text)
    return [t for t in words if _WORD.search(t) and t not in STOP_WORDS]


def tfidf(documents: Sequence[Sequence[str]]) -> np.ndarray:
    """L2-normalised TF-IDF rows (one per document) over the documents' own vocabulary.

    tf = count / length; idf = ln((1 + N) / (1 + df)) + 1 (smoothed, so a word in every document
    still counts a little). A document without words is a row of zeros.
    """
    vocabulary = {w: i for i, w in enumerate(sorted({w for d in documents for w in d}))}
    matrix = np.zeros((len(documents), len(vocabulary)))
    for row, words in enumerate(documents):
        for word, count in Counter(words).items():
            matrix[row, vocabulary[word]] = count / len(words)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(documents)) / (1 + df)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def frequent_terms(texts: Sequence[str], top: int = 30, extra: Iterable[str] = ()) -> tuple[Term, ...]:
    """The ``top`` most frequent words of two characters or more (ties by the word itself)."""
    counts: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    extra = tuple(extra)
    for text in texts:
        words = [w for w in tokens(text, extra) if len(w) >= 2]
        counts.update(words)
        spread.update(set(words))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return tuple(Term(word, count, spread[word]) for word, count in ranked)


def kwic(texts: Sequence[tuple[str, str]], keyword: str, width: int = 12) -> tuple[Context, ...]:
    """Every occurrence of ``keyword`` in ``(source, text)`` pairs, with ``width`` characters each side."""
    found = []
    if not keyword:
        return ()
    for source, text in texts:
        start = text.find(keyword)
        while start >= 0:
            end = start + len(keyword)
            left = text[max(0, start - width) : start]
            found.append(Context(left, keyword, text[end : end + width], source))
            start = text.find(keyword, end)
    return tuple(found)
