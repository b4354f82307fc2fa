"""Ranking (pure): papers scored for many keyword profiles at once, with the reasons.

Each interest becomes a *concept* (digest.concepts): the phrase as written plus its
variants (acronym <-> expansion, joined spelling), matched on stems, scored per paper with
BM25F (title above abstract, statistics of all indexed papers); an unquoted interest of
several words also scores its words found apart, below the phrase. A profile's relevance is
the weighted sum of its concepts' saturating scores, so one strong interest is never averaged
away by a weak one; feedback adds similarity to liked papers and removes it for disliked
ones. Papers below MIN_RELEVANCE are never returned; the rest are ordered by relevance times
a capped trending boost (upvotes), then newer first, then id.

All profiles are scored together (digest.batch): profile x concept weights (sparse) times
concept x paper scores, in chunks so memory stays bounded; the reasons (digest.explain) are
built once per interest and paper and shared by every subscriber.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import cast

import numpy as np

from digest.papers import PaperText
from digest.ranking.index import CHUNK, MIN_RELEVANCE, RankIndex
from digest.ranking.scoring import rank_chunk
from digest.ranking.types import (
    DISLIKED_OF,
    EXCLUDE_OF,
    KEYWORDS_OF,
    LIKED_OF,
    MAX_PAPERS_OF,
    SENT_OF,
    SINCE_OF,
    Profile,
    ScoredPaper,
    nones,
)

BLOCK = 8 * CHUNK  # profiles read at once; identical ones among them are ranked once
MAX_ANSWERS = 200_000  # answers kept on the index for later blocks (then dropped)


def build_index(
    papers: Sequence[PaperText], acronyms: Mapping[str, Sequence[str]] | None = None
) -> RankIndex:
    """Index `papers` (all count for corpus statistics); `acronyms` adds to the hand list."""
    return RankIndex(papers, acronyms or {})


def rank_papers(
    papers: Sequence[PaperText],
    profile: Profile,
    acronyms: Mapping[str, Sequence[str]] | None = None,
) -> list[ScoredPaper]:
    return list(rank_profiles(build_index(papers, acronyms), [profile])[0])


def rank_profiles(index: RankIndex, profiles: Sequence[Profile]) -> list[tuple[ScoredPaper, ...]]:
    """One tuple per profile, best first, at most profile.max_papers each (profiles with the
    same answer share one tuple)."""
    out: list[tuple[ScoredPaper, ...]] = []
    for chunk in iter_ranked(index, profiles):
        out.extend(chunk)
    return out


def iter_ranked(
    index: RankIndex, profiles: Sequence[Profile]
) -> Iterator[list[tuple[ScoredPaper, ...]]]:
    """rank_profiles block by block (BLOCK profiles at a time), for bounded memory.

    Profiles that get the same answer (same interests as written, since, sent papers,
    feedback and size) are ranked once and share the answer. Answers of profiles with
    neither `since`, sent papers nor feedback are kept on the index for later blocks.
    """
    if len(index) == 0:
        for lo in range(0, len(profiles), BLOCK):
            yield [() for _ in profiles[lo : lo + BLOCK]]
        return
    for lo in range(0, len(profiles), BLOCK):
        yield _rank_block(index, profiles[lo : lo + BLOCK])


def _rank_block(index: RankIndex, block: Sequence[Profile]) -> list[tuple[ScoredPaper, ...]]:
    shapes = index.shapes
    known = shapes.of.get
    answers = index.answers
    # the shape of each profile: looked up in C loops (map), parsed where not known yet
    words = list(map(KEYWORDS_OF, block))
    unwanted = list(map(EXCLUDE_OF, block))
    written: list[str | tuple[str, str]] = (
        [(w, u) if u else w for w, u in zip(words, unwanted, strict=True)]  # Shapes.key
        if any(unwanted)
        else list(words)
    )
    found = list(map(known, written))
    new = nones(found)
    if new:  # parsed together (the same new key may be written more than once), then found
        shapes.add(
            list(map(written.__getitem__, new)),
            list(map(words.__getitem__, new)),
            list(map(unwanted.__getitem__, new)),
        )
        found = list(map(known, written))
    of = cast(list[int], found)
    keys: list[object]
    own: list[object] = []  # keys of profiles with their own options
    limits = list(map(MAX_PAPERS_OF, block))
    if (
        list(map(SINCE_OF, block)).count(None) == len(block)
        and not any(map(SENT_OF, block))
        and not any(map(LIKED_OF, block))
        and not any(map(DISLIKED_OF, block))
        and min(limits, default=0) >= 0
        and max(limits, default=0) < 1 << 20
    ):
        # the usual answers: an int per profile (shape and size), no object per profile
        packed = np.array(of, dtype=np.int64) << 20 | np.array(limits, dtype=np.int64)
        distinct, first = np.unique(packed, return_index=True)
        by_first = np.argsort(first)
        keys = packed.tolist()
        todo = dict(zip(distinct[by_first].tolist(), first[by_first].tolist(), strict=True))
        todo = {key: i for key, i in todo.items() if key not in answers}
    else:
        keys, todo = [], {}
        for i, p in enumerate(block):
            s = of[i]
            key: object
            if p.since is None and not (p.already_sent or p.liked or p.disliked):
                key = s << 20 | p.max_papers if 0 <= p.max_papers < 1 << 20 else (s, p.max_papers)
            else:
                key = (s, p.since, p.already_sent, p.liked, p.disliked, p.max_papers)
                own.append(key)
            keys.append(key)
            if key not in answers and key not in todo:
                todo[key] = i
    if todo:
        new = list(todo)
        first_at = np.array(list(todo.values()), dtype=np.int64)
        shape_of = np.array(of, dtype=np.int64)[first_at]
        for u in range(0, len(new), CHUNK):
            profiles = list(map(block.__getitem__, first_at[u : u + CHUNK].tolist()))
            ranked = rank_chunk(index, profiles, shape_of[u : u + CHUNK], MIN_RELEVANCE)
            answers.update(zip(new[u : u + CHUNK], ranked, strict=True))
    out = list(map(answers.__getitem__, keys))  # equal profiles share one (immutable) answer
    for key in own:
        answers.pop(key, None)  # not kept beyond this block
    if len(answers) > MAX_ANSWERS:
        answers.clear()
    return out
