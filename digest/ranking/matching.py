"""Text analysis for ranking (pure): tokens with offsets, stems, a positional index, phrases.

Words are lowercased and stemmed (Snowball English), so `networks` finds `network` and
`distillation` finds `distill`; "LLMs" folds to "LLM". Hyphens split words, so
`out-of-distribution` and `out of distribution` are the same phrase; a hyphenated run is also
indexed joined (`pre-training` -> `pretraining`) so the closed spelling matches too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from digest.ranking.spans import FIELDS

TOKEN = re.compile(r"[A-Za-z0-9]+")
STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "under",
        "via",
        "with",
        "using",
        "based",
        "towards",
        "toward",
        "new",
        "we",
        "our",
    ]
)
_stemmer = snowballstemmer.stemmer("english")
_IZE = re.compile(r"^([a-z]{3,})i(z|s)(ation|ations|er|ers|e|es|ed|ing)$")


@lru_cache(maxsize=500_000)
def norm(word: str) -> str:
    """The matching key of one surface word."""
    if len(word) > 2 and word[-1] == "s" and sum(c.isupper() for c in word[:-1]) >= 2:
        word = word[:-1]  # "LLMs", "NeRFs": plural of an acronym
    low = word.lower()
    if not low.isalpha():
        return low
    m = _IZE.match(low)
    if m and (m.group(2) == "z" or m.group(3) in ("ation", "ations", "er", "ers")):
        return m.group(1) + "iz"  # tokenizer/tokenization stay apart from token(s)
    return _stemmer.stemWord(low)


Occurrence = tuple[int, int, int]  # (field, first token, token count)


@dataclass
class FieldTokens:
    starts: list[int]
    ends: list[int]
    sentences: list[int] = field(default_factory=list)  # sentence number of each token


# A sentence ends at . ! or ? (after closing quotes or brackets) followed by a space: "e.g.,"
# and "3.5" do not end one.
_SENTENCE_END = re.compile(r"""[.!?]["')\]]*\s""")


def _number_sentences(text: str, toks: FieldTokens) -> None:
    n = 0
    out = toks.sentences
    for i, start in enumerate(toks.starts):
        if i and _SENTENCE_END.search(text, toks.ends[i - 1], start):
            n += 1
        out.append(n)


@dataclass
class TextIndex:
    """Positions of every key in every paper: key -> paper -> [(field, pos, length)]."""

    postings: dict[str, dict[int, list[Occurrence]]] = field(default_factory=dict)
    tokens: list[tuple[FieldTokens, FieldTokens]] = field(default_factory=list)
    lengths: list[tuple[int, int]] = field(default_factory=list)
    # key -> paper -> {(field, position): token count}, made on first use by `phrase`
    _at: dict[str, dict[int, dict[tuple[int, int], int]]] = field(default_factory=dict)

    def add(self, paper: int, texts: tuple[str, str]) -> None:
        fields = []
        for f, text in enumerate(texts):
            toks = FieldTokens([], [])
            for key, pos, n in _keys(text, toks):
                self.postings.setdefault(key, {}).setdefault(paper, []).append((f, pos, n))
            if f:  # the title is one sentence
                _number_sentences(text, toks)
            else:
                toks.sentences.extend([0] * len(toks.starts))
            fields.append(toks)
        self.tokens.append((fields[0], fields[1]))
        self.lengths.append((len(fields[0].starts), len(fields[1].starts)))

    def df(self, key: str) -> int:
        return len(self.postings.get(key, ()))

    def phrase(self, keys: tuple[str, ...]) -> dict[int, list[Occurrence]]:
        """Occurrences of the key sequence, per paper (a joined compound may fill several)."""
        lists = [self.postings.get(k) for k in keys]
        if not all(lists):
            return {}
        first = lists[0]
        assert first is not None
        if len(keys) == 1:
            return first
        papers = set(first)
        for other in lists[1:]:
            assert other is not None
            papers &= other.keys()
        out: dict[int, list[Occurrence]] = {}
        maps = [self._positions(k) for k in keys[1:]]
        for p in papers:
            at = [m[p] for m in maps]
            found = []
            for f, pos, n in first[p]:
                end = pos + n
                for step in at:
                    n2 = step.get((f, end))
                    if n2 is None:
                        break
                    end += n2
                else:
                    found.append((f, pos, end - pos))
            if found:
                out[p] = found
        return out

    def _positions(self, key: str) -> dict[int, dict[tuple[int, int], int]]:
        found = self._at.get(key)
        if found is None:
            postings = self.postings[key]
            found = self._at[key] = {
                p: {(f, pos): n for f, pos, n in occ} for p, occ in postings.items()
            }
        return found

    def span(self, paper: int, occ: Occurrence) -> tuple[str, int, int]:
        f, pos, n = occ
        toks = self.tokens[paper][f]
        return FIELDS[f], toks.starts[pos], toks.ends[pos + n - 1]


def _keys(text: str, toks: FieldTokens) -> Iterator[tuple[str, int, int]]:
    """(key, position, token count) of a text in order; after a hyphenated run, its joined form."""
    words: list[str] = []
    first = 0
    for m in TOKEN.finditer(text):
        pos = len(toks.starts)
        if words and text[toks.ends[-1] : m.start()] != "-":
            if len(words) > 1:
                yield norm("".join(words)), first, len(words)
            words = []
        if not words:
            first = pos
        toks.starts.append(m.start())
        toks.ends.append(m.end())
        words.append(m.group())
        yield norm(m.group()), pos, 1
    if len(words) > 1:
        yield norm("".join(words)), first, len(words)


def surface_keys(text: str) -> tuple[str, ...]:
    """The keys of an interest as written, one per word."""
    return tuple(norm(w) for w in TOKEN.findall(text))
