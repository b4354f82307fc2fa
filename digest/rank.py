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

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

import numpy as np
from scipy import sparse

from digest.acronyms import merged
from digest.batch import rank_chunk
from digest.concepts import ConceptBook
from digest.explain import Explainer
from digest.matching import TextIndex, surface_keys
from digest.models import PaperText, Profile, ScoredPaper
from digest.shapes import Shapes

MIN_RELEVANCE = 1.0
TREND_CAP = 100  # upvotes beyond this add nothing more
TREND_WEIGHT = 0.25  # the largest trending boost: score = relevance * (1 + boost)
CHUNK = 2048  # profiles scored per matrix product
BLOCK = 8 * CHUNK  # profiles read at once; identical ones among them are ranked once
MAX_ANSWERS = 200_000  # answers kept on the index for later blocks (then dropped)


class RankIndex:
    """Corpus statistics and positions of a set of papers, plus the concepts seen so far."""

    def __init__(self, papers: Sequence[PaperText], acronyms: Mapping[str, Sequence[str]]):
        self.papers = sorted(papers, key=_newest_first)  # column order = tie-break order
        self.ids = {p.id: j for j, p in enumerate(self.papers)}
        if len(self.ids) != len(self.papers):
            raise ValueError("papers given to build_index must have distinct ids")
        self.text = TextIndex()
        for j, p in enumerate(self.papers):
            self.text.add(j, (p.title, p.abstract))
        self.book = ConceptBook(self.text, _acronym_keys(acronyms))
        up = np.array([max(p.upvotes, 0) for p in self.papers], dtype=np.float64)
        self.trending = TREND_WEIGHT * np.minimum(np.log1p(up) / math.log1p(TREND_CAP), 1.0)
        self.first_seen = np.array([_ts(p.first_seen_at) for p in self.papers], dtype=np.float64)
        self.vectors: sparse.csr_matrix | None = None  # TF-IDF rows, built on first feedback
        self.vectors_t: sparse.csr_matrix | None = None  # their transpose
        self.id_list = [p.id for p in self.papers]
        self.trending_list = np.round(self.trending, 6).tolist()
        self.trending_factor = 1.0 + self.trending
        self.trending_factor32 = self.trending_factor.astype(np.float32)
        self.tiebreak = np.arange(len(self.papers) - 1, -1, -1, dtype=np.float64)
        self.shapes = Shapes(self.book)
        self.explainer = Explainer(self)
        # answer key (digest.rank._rank_block) -> ranked list, shared by equal profiles
        self.answers: dict[object, tuple[ScoredPaper, ...]] = {}

    def __len__(self) -> int:
        return len(self.papers)


def _newest_first(p: PaperText) -> tuple[int, float, str]:
    day = p.listing_day.toordinal() if p.listing_day else 0
    seen = p.first_seen_at.timestamp() if p.first_seen_at else -math.inf
    return -day, -seen, p.id


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else math.nan


def _acronym_keys(acronyms: Mapping[str, Sequence[str]]) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {}
    for short, longs in merged(acronyms).items():
        keys = surface_keys(short)
        if len(keys) != 1:
            continue
        for long in longs:
            expansion = surface_keys(long)
            if expansion and expansion != keys:
                out.setdefault(keys[0], set()).add(expansion)
    return out


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
    with _collector_paused():  # for the whole run: one scan of the new objects, later
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
        with _collector_paused():
            ranked = _rank_block(index, profiles[lo : lo + BLOCK])
        yield ranked


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A block makes ~10^5 acyclic objects (tuples, lists, results): the cyclic garbage
    collector would rescan every live object many times over (a third of the time).

    Re-enabled, it would still scan them all once in its youngest generation (about a tenth
    of a ranking's time), only to find them alive: they are moved straight to the oldest
    generation instead (gc.freeze + gc.unfreeze only splice lists). Being acyclic, they are
    freed by reference counting like any other object; only a full collection looks at them.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:  # nobody else froze objects we would thaw
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _rank_block(index: RankIndex, block: Sequence[Profile]) -> list[tuple[ScoredPaper, ...]]:
    shape, known, key_of = index.shapes.shape, index.shapes.of.get, index.shapes.key
    answers = index.answers
    keys: list[object] = []
    # answer key -> (position in `block` of its first profile, its shape)
    todo: dict[object, tuple[int, int]] = {}
    own: list[object] = []  # keys of profiles with their own options
    for i, p in enumerate(block):
        s = known(key_of(p.keywords, p.exclude))
        if s is None:
            s = shape(p.keywords, p.exclude)
        key: object
        if p.since is None and not (p.already_sent or p.liked or p.disliked):
            # an int, not a tuple, for the common answers: a block makes no object per profile
            key = s << 20 | p.max_papers if 0 <= p.max_papers < 1 << 20 else (s, p.max_papers)
        else:
            key = (s, p.since, p.already_sent, p.liked, p.disliked, p.max_papers)
            own.append(key)
        keys.append(key)
        if key not in answers and key not in todo:
            todo[key] = (i, s)
    if todo:
        new = list(todo)
        at = np.array(list(todo.values()), dtype=np.int64).reshape(-1, 2)
        for u in range(0, len(new), CHUNK):
            part = at[u : u + CHUNK]
            profiles = list(map(block.__getitem__, part[:, 0].tolist()))
            ranked = rank_chunk(index, profiles, part[:, 1], MIN_RELEVANCE)
            answers.update(zip(new[u : u + CHUNK], ranked, strict=True))
    out = list(map(answers.__getitem__, keys))  # equal profiles share one (immutable) answer
    for key in own:
        answers.pop(key, None)  # not kept beyond this block
    if len(answers) > MAX_ANSWERS:
        answers.clear()
    return out
