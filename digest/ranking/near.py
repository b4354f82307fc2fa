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
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from digest.ranking.concepts import Concept, ConceptBook
from digest.ranking.interests import parse_interests, plus_parts
from digest.ranking.matching import Hits
from digest.ranking.ranker import rank_profiles
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
    already sent, first seen after `since`) that it does not qualify for, however many
    papers it receives (a paper ranked below its `max_papers` is no near miss), and that
    are not in `skip`."""
    book = index.book
    parsed = parse_interests(profile.keywords, profile.exclude, strict=False)
    every = replace(profile, max_papers=len(index))
    qualified = [r.paper_id for r in rank_profiles(index, [every])[0]]
    blocked = np.zeros(len(index), dtype=bool)
    unwanted = (*skip, *qualified, *profile.already_sent)
    blocked[[index.ids[i] for i in unwanted if i in index.ids]] = True
    for interest in parsed.exclude:
        blocked[book.concept(interest.text, interest.phrase).phrase_papers] = True
    if profile.since is not None:
        with np.errstate(invalid="ignore"):  # a paper never seen (NaN) is not after `since`
            blocked |= ~(index.first_seen > profile.since.timestamp())
    scores = np.zeros(len(index))
    found: dict[int, list[tuple[str, Hits]]] = {}
    for interest in parsed.include:
        for concept in _parts(book, interest.text, interest.phrase):
            loose = book.loose(concept)
            keep = ~blocked[loose.papers]
            scores[loose.papers[keep]] += interest.weight * loose.values[keep]
            for j in loose.papers[keep].tolist():
                found.setdefault(j, []).append((interest.text, loose.hits))
    candidates = np.flatnonzero(scores > 0)
    rounded = np.round(scores[candidates], 6)
    order = candidates[np.lexsort((candidates, -rounded))][: max(limit, 0)]
    return [
        NearMiss(index.id_list[j], round(float(scores[j]), 6), _found(index, j, found[j]))
        for j in order.tolist()
    ]


def _parts(book: ConceptBook, text: str, phrase: bool) -> list[Concept]:
    """The concepts whose words count: each part of `a + b`, else the interest itself."""
    return [book.concept(p, phrase) for p in plus_parts(text, phrase)]


def _found(
    index: RankIndex, paper: int, found: list[tuple[str, Hits]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(interest, the words found in the paper, each once as first written), one entry per
    interest (the parts of `a + b` joined)."""
    slots = index.text.slots
    texts = (index.papers[paper].title, index.papers[paper].abstract)
    out: dict[str, dict[str, str]] = {}
    for interest, hits in found:
        words = out.setdefault(interest, {})
        mine = slots.paper[hits.at] == paper
        for at, n in zip(hits.at[mine].tolist(), hits.n[mine].tolist(), strict=True):
            word = texts[int(slots.field[at])][int(slots.start[at]) : int(slots.end[at + n - 1])]
            words.setdefault(word.lower(), word)
    return tuple((interest, tuple(words.values())) for interest, words in out.items())
