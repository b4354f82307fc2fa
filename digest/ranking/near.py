"""Near misses (pure): papers that hold words of a profile's interests without qualifying.

A paper qualifies for an interest when the concept is present and central to it
(digest.ranking.concepts); the others that hold some of its words (one word of a multi-word
interest, the phrase in passing, one part of `a + b`) are *near misses*. They are never sent.
`digest rank --near N` lists the best of them below the ranked papers, with the words found,
so a subscriber sees what an interest just missed and why; benchmarks/rank_quality.py ranks
them after the qualified papers when it compares the whole ordering with plain BM25.

A near miss scores the BM25F of every word and phrase of the interest it holds (summed over
the words, weighted like the interest; `a + b` adds its parts), minus nothing: it is only
compared with other near misses, never with the minimum relevance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from digest.ranking.concepts import Concept, ConceptBook
from digest.ranking.interests import parse_interests
from digest.ranking.matching import TOKEN
from digest.ranking.types import Profile

if TYPE_CHECKING:
    from digest.ranking.index import RankIndex


class NearMiss(NamedTuple):
    """A paper holding words of interests it does not qualify for."""

    paper_id: str
    score: float
    found: tuple[tuple[str, tuple[str, ...]], ...]  # (interest as written, words found)


def near_misses(
    index: RankIndex, profile: Profile, limit: int, skip: Iterable[str] = ()
) -> list[NearMiss]:
    """The best `limit` near misses of `profile`: papers it can receive (not excluded, not
    already sent, first seen after `since`) that are not in `skip` (the ranked papers)."""
    book = index.book
    parsed = parse_interests(profile.keywords, profile.exclude, strict=False)
    blocked = {index.ids[i] for i in (*skip, *profile.already_sent) if i in index.ids}
    for interest in parsed.exclude:
        blocked.update(book.concept(interest.text, interest.phrase).occurrences)
    if profile.since is not None:
        since = profile.since.timestamp()
        blocked.update(j for j, seen in enumerate(index.first_seen) if not seen > since)
    scores: dict[int, float] = {}
    found: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for interest in parsed.include:
        for concept in _parts(book, interest.text, interest.phrase):
            loose, hits = book.loose(concept)
            for j, v in loose.items():
                if j in blocked:
                    continue
                scores[j] = scores.get(j, 0.0) + interest.weight * v
                words = _words(index, j, hits[j])
                found.setdefault(j, []).append((interest.text, words))
    order = sorted(scores, key=lambda j: (-round(scores[j], 6), j))[: max(limit, 0)]
    return [NearMiss(index.id_list[j], round(scores[j], 6), _merged(found[j])) for j in order]


def _parts(book: ConceptBook, text: str, phrase: bool) -> list[Concept]:
    """The concepts whose words count: each part of `a + b`, else the interest itself."""
    parts = [p.strip() for p in text.split("+")] if not phrase else [text]
    parts = [p for p in parts if TOKEN.search(p)]
    return [book.concept(p, phrase) for p in parts or [text]]


def _words(
    index: RankIndex, paper: int, occurrences: list[tuple[int, int, int]]
) -> tuple[str, ...]:
    texts = (index.papers[paper].title, index.papers[paper].abstract)
    words: dict[str, str] = {}
    for occ in occurrences:
        field, start, end = index.text.span(paper, occ)
        word = texts[0 if field == "title" else 1][start:end]
        words.setdefault(word.lower(), word)
    return tuple(words.values())


def _merged(found: list[tuple[str, tuple[str, ...]]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One entry per interest (the parts of `a + b` joined)."""
    out: dict[str, dict[str, str]] = {}
    for interest, words in found:
        bucket = out.setdefault(interest, {})
        for w in words:
            bucket.setdefault(w.lower(), w)
    return tuple((interest, tuple(words.values())) for interest, words in out.items())
