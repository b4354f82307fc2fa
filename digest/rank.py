"""Ranking (pure): papers scored for many keyword profiles at once, with the reasons.

Each interest becomes a *concept*: the phrase as written plus its variants (acronym <->
expansion, joined spelling), matched on stems. A concept is scored per paper with BM25F
(title weighted above abstract, corpus statistics of all indexed papers); an unquoted
multi-word interest adds a smaller share for its words found apart, so the phrase ranks
first. A profile's relevance is the weighted sum of its concepts' saturating scores, so one
strong interest is never averaged away by a weak one. Papers below MIN_RELEVANCE are dropped;
the rest are blended with a capped trending boost (upvotes) and feedback similarity.

All profiles are scored together: profile x concept weights (sparse) times concept x paper
scores, in chunks of profiles so memory stays bounded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import numpy as np
from scipy import sparse

from digest.acronyms import merged
from digest.concepts import Concept, ConceptBook
from digest.feedback import feedback_adjustment
from digest.interests import Interests, parse_interests
from digest.matching import FIELDS, TextIndex, surface_keys
from digest.models import Match, PaperText, Profile, ScoredPaper, Span

MIN_RELEVANCE = 1.0
TREND_CAP = 100  # upvotes beyond this add nothing more
TREND_WEIGHT = 0.25  # the largest trending boost: score = relevance * (1 + boost)
CHUNK = 4096  # profiles scored per matrix product


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
            if len(expansion) > 1:
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
    """rank_profiles chunk by chunk (CHUNK profiles at a time), for bounded memory."""
    parsed = [parse_interests(p.keywords, p.exclude, strict=False) for p in profiles]
    concepts = [_concepts(index, q) for q in parsed]
    if len(index) == 0:
        for lo in range(0, len(profiles), CHUNK):
            yield [[] for _ in profiles[lo : lo + CHUNK]]
        return
    scores = index.book.matrix()
    present = (scores > 0).astype(np.float32)
    for lo in range(0, len(profiles), CHUNK):
        hi = min(lo + CHUNK, len(profiles))
        yield _rank_chunk(index, profiles[lo:hi], concepts[lo:hi], scores, present)


Wanted = tuple[list[tuple[Concept, str, float]], list[Concept]]


def _concepts(index: RankIndex, parsed: Interests) -> Wanted:
    include = [(index.book.concept(i.text, i.phrase), i.text, i.weight) for i in parsed.include]
    exclude = [index.book.concept(i.text, i.phrase) for i in parsed.exclude]
    return include, exclude


def _sparse_rows(rows: Sequence[Sequence[tuple[int, float]]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    cols = np.fromiter((c for r in rows for c, _ in r), dtype=np.int64, count=int(indptr[-1]))
    vals = np.fromiter((v for r in rows for _, v in r), dtype=np.float32, count=int(indptr[-1]))
    return sparse.csr_matrix((vals, cols, indptr), shape=(len(rows), width))


def _rank_chunk(
    index: RankIndex,
    profiles: Sequence[Profile],
    wanted: Sequence[Wanted],
    scores: np.ndarray,
    present: np.ndarray,
) -> list[list[ScoredPaper]]:
    n = len(index)
    width = scores.shape[0]
    weights = _sparse_rows([[(c.id, w) for c, _, w in inc] for inc, _ in wanted], width)
    excluded = _sparse_rows([[(c.id, 1.0) for c in exc] for _, exc in wanted], width)
    relevance = np.asarray(weights @ scores, dtype=np.float64)
    blocked = np.asarray(excluded @ present) > 0
    _block_candidates(index, profiles, blocked)
    for i, p in enumerate(profiles):
        if p.liked or p.disliked:
            relevance[i] += feedback_adjustment(index, p.liked, p.disliked, blocked[i])
    blocked |= relevance < MIN_RELEVANCE
    score = relevance * (1.0 + index.trending[None, :])
    # one exact integer key: score (to 1e-6), then column order (newer first, then id)
    key = np.rint(score * 1e6).astype(np.int64) * n + (n - 1 - np.arange(n))[None, :]
    key[blocked] = -1
    k = min(n, max(p.max_papers for p in profiles))
    if k < n:
        top = np.argpartition(-key, k - 1, axis=1)[:, :k]
    else:
        top = np.tile(np.arange(n), (len(profiles), 1))
    top_keys = np.take_along_axis(key, top, axis=1)
    order = np.argsort(-top_keys, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    top_keys = np.take_along_axis(top_keys, order, axis=1)
    out = []
    for i, p in enumerate(profiles):
        picks = top[i, : max(p.max_papers, 0)][top_keys[i, : max(p.max_papers, 0)] >= 0]
        out.append(
            [_scored(index, wanted[i][0], int(j), score[i, j], relevance[i, j]) for j in picks]
        )
    return out


def _block_candidates(index: RankIndex, profiles: Sequence[Profile], blocked: np.ndarray) -> None:
    """Not a candidate: first seen before `since`, or already sent."""
    since = np.array([_ts(p.since) for p in profiles], dtype=np.float64)
    rows = ~np.isnan(since)
    if rows.any():
        seen = index.first_seen[None, :]
        with np.errstate(invalid="ignore"):
            blocked[rows] |= ~(seen > since[rows, None])
    for i, p in enumerate(profiles):
        for pid in p.already_sent:
            j = index.ids.get(pid)
            if j is not None:
                blocked[i, j] = True


def _scored(
    index: RankIndex,
    include: Sequence[tuple[Concept, str, float]],
    j: int,
    score: float,
    relevance: float,
) -> ScoredPaper:
    matches: list[Match] = []
    spans: set[Span] = set()
    seen: set[str] = set()
    for concept, written, _ in include:
        paper = index.papers[j]
        why = index.book.why(concept, j, (paper.title, paper.abstract))
        if why is None or written.lower() in seen:
            continue
        seen.add(written.lower())
        where, terms, found = why
        matches.append(Match(keyword=written, where=where, terms=terms))
        spans.update(found)
    ordered = tuple(sorted(spans, key=lambda s: (FIELDS.index(s.field), s.start, s.end)))
    return ScoredPaper(
        paper_id=index.papers[j].id,
        score=round(float(score), 6),
        relevance=round(float(relevance), 6),
        trending=round(float(index.trending[j]), 6),
        matches=tuple(matches),
        spans=_merge(ordered),
    )


def _merge(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    out: list[Span] = []
    for s in spans:
        if out and out[-1].field == s.field and s.start <= out[-1].end:
            last = out.pop()
            s = Span(s.field, last.start, max(last.end, s.end))
        out.append(s)
    return tuple(out)
