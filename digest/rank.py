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

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import numpy as np
from scipy import sparse

from digest.acronyms import merged
from digest.batch import Wanted, rank_chunk
from digest.concepts import Concept, ConceptBook
from digest.explain import Explainer
from digest.interests import InterestError, parse_item, split_items
from digest.matching import TextIndex, surface_keys
from digest.models import PaperText, Profile, ScoredPaper

MIN_RELEVANCE = 1.0
TREND_CAP = 100  # upvotes beyond this add nothing more
TREND_WEIGHT = 0.25  # the largest trending boost: score = relevance * (1 + boost)
CHUNK = 2048  # profiles scored per matrix product
BLOCK = 8 * CHUNK  # profiles read at once; identical ones among them are ranked once


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
        self.id_list = [p.id for p in self.papers]
        self.trending_list = np.round(self.trending, 6).tolist()
        self.trending_factor = 1.0 + self.trending
        self.trending_factor32 = self.trending_factor.astype(np.float32)
        self.tiebreak = np.arange(len(self.papers) - 1, -1, -1, dtype=np.float64)
        self.explainer = Explainer(self)
        # an interest as written -> (concept, text, weight, excluded, lowered text); None when
        # empty or malformed
        self.items: dict[str, tuple[Concept, str, float, bool, str] | None] = {}
        self.profiles: dict[tuple[str, str], Wanted] = {}  # (keywords, exclude) -> concepts

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
    return rank_profiles(build_index(papers, acronyms), [profile])[0]


def rank_profiles(index: RankIndex, profiles: Sequence[Profile]) -> list[list[ScoredPaper]]:
    """One list per profile, best first, at most profile.max_papers each."""
    out: list[list[ScoredPaper]] = []
    for chunk in iter_ranked(index, profiles):
        out.extend(chunk)
    return out


def iter_ranked(index: RankIndex, profiles: Sequence[Profile]) -> Iterator[list[list[ScoredPaper]]]:
    """rank_profiles block by block (BLOCK profiles at a time), for bounded memory.

    Within a block, profiles that would get the same answer (same interests as written,
    since, sent papers, feedback and size) are ranked once; each gets its own list.
    """
    if len(index) == 0:
        for lo in range(0, len(profiles), BLOCK):
            yield [[] for _ in profiles[lo : lo + BLOCK]]
        return
    for lo in range(0, len(profiles), BLOCK):
        block = profiles[lo : lo + BLOCK]
        wanted = [_concepts(index, p) for p in block]
        scores = index.book.matrix()  # concept x paper, grown by this block's new interests
        present = index.book.present()
        first: dict[tuple[object, ...], int] = {}
        unique_at: list[int] = []
        which: list[int] = []
        for i, (w, p) in enumerate(zip(wanted, block, strict=True)):
            u = first.setdefault(_same_answer(w, p), len(unique_at))
            if u == len(unique_at):
                unique_at.append(i)
            which.append(u)
        ranked: list[list[ScoredPaper]] = []
        for u in range(0, len(unique_at), CHUNK):
            at = unique_at[u : u + CHUNK]
            ranked.extend(
                rank_chunk(
                    index,
                    [block[i] for i in at],
                    [wanted[i] for i in at],
                    scores,
                    present,
                    MIN_RELEVANCE,
                )
            )
        seen: set[int] = set()
        out = []
        for u in which:
            out.append(ranked[u] if u not in seen else list(ranked[u]))
            seen.add(u)
        yield out


def _same_answer(wanted: Wanted, p: Profile) -> tuple[object, ...]:
    return id(wanted), p.since, p.already_sent, p.liked, p.disliked, p.max_papers


def _concepts(index: RankIndex, profile: Profile) -> Wanted:
    key = (profile.keywords, profile.exclude)
    wanted = index.profiles.get(key)
    if wanted is None:
        wanted = index.profiles[key] = _parse_profile(index, *key)
    return wanted


def _parse_profile(index: RankIndex, keywords: str, also_exclude: str) -> Wanted:
    include: dict[str, tuple[Concept, str, float]] = {}
    exclude: list[Concept] = []
    items = index.items
    for raw, forced in ((keywords, False), (also_exclude, True)):
        # pieces between commas are looked up as they are; quotes need the real splitter
        pieces = split_items(raw) if '"' in raw else raw.split(",")
        for piece in pieces:
            if piece in items:
                found = items[piece]
            else:
                found = items[piece] = _item(index, piece)
            if found is None:
                continue  # empty, or a malformed stored interest: the rest still count
            concept, text, weight, excluded, lowered = found
            if excluded or forced:
                exclude.append(concept)
            else:  # the same interest twice counts once, as first written
                include.setdefault(lowered, (concept, text, weight))
    return list(include.values()), exclude


def _item(index: RankIndex, piece: str) -> tuple[Concept, str, float, bool, str] | None:
    item = " ".join(piece.split())
    if not item:
        return None
    try:
        interest, excluded = parse_item(item)
    except InterestError:
        return None
    concept = index.book.concept(interest.text, interest.phrase)
    return concept, interest.text, interest.weight, excluded, interest.text.lower()
