"""The ranking index (pure): a set of papers' statistics, positions and trending boosts,
plus the concepts, shapes and explanations made for them so far (reused across batches)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
from scipy import sparse

from digest.papers import PaperText
from digest.ranking.acronyms import learn_acronyms, merged
from digest.ranking.concepts import ConceptBook, Keys
from digest.ranking.explanations import Explainer
from digest.ranking.matching import TextIndex, surface_keys
from digest.ranking.shapes import Shapes
from digest.ranking.types import ScoredPaper

MIN_RELEVANCE = 1.0  # see docs/relevance.md: with MIN_MENTIONS, 0.5-2.0 give the same figures
TREND_CAP = 100  # upvotes beyond this add nothing more
TREND_WEIGHT = 0.25  # the largest trending boost: score = relevance * (1 + boost)
CHUNK = 2048  # profiles scored per matrix product


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
        # acronym key -> (the acronym as written, its long forms): the hand list and `acronyms`
        self.long_forms: dict[str, tuple[str, list[str]]] = {}
        for short, longs in merged(acronyms).items():
            keys = surface_keys(short)
            if len(keys) == 1:
                known = self.long_forms.setdefault(keys[0], (short, []))[1]
                known.extend(lg for lg in longs if lg not in known)
        self.book = ConceptBook(
            self.text,
            _acronym_keys(self.long_forms),
            [(p.authors, p.categories) for p in self.papers],
            [_definitions(p) for p in self.papers],
        )
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
        self.explainer = Explainer(
            self.papers, self.id_list, self.trending_list, self.book, self.shapes
        )
        # answer key (digest.ranking.ranker._rank_block) -> ranked list, shared by equal profiles
        self.answers: dict[object, tuple[ScoredPaper, ...]] = {}

    def __len__(self) -> int:
        return len(self.papers)


def _newest_first(p: PaperText) -> tuple[int, float, str]:
    day = p.listing_day.toordinal() if p.listing_day else 0
    seen = p.first_seen_at.timestamp() if p.first_seen_at else -math.inf
    return -day, -seen, p.id


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else math.nan


def _acronym_keys(long_forms: Mapping[str, tuple[str, list[str]]]) -> dict[str, set[Keys]]:
    """Acronym key -> the keys of its long forms."""
    out: dict[str, set[Keys]] = {}
    for key, (_, longs) in long_forms.items():
        for long in longs:
            expansion = surface_keys(long)
            if expansion and expansion != (key,):
                out.setdefault(key, set()).add(expansion)
    return out


def _definitions(paper: PaperText) -> list[tuple[str, tuple[str, ...]]]:
    """The acronyms a paper defines ("long form (LF)"), as (acronym key, long form keys)."""
    out = []
    for short, long in learn_acronyms([f"{paper.title}\n{paper.abstract}"]):
        keys = surface_keys(short)
        if len(keys) == 1:
            out.append((keys[0], surface_keys(long)))
    return out
