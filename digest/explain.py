"""Why each paper was picked (pure): matches and highlight spans, cached per concept and paper.

Building ScoredPaper values is the only per-result Python work in a batch of many
subscribers, so everything that does not depend on the subscriber is computed once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from digest.matching import FIELDS
from digest.models import Match, ScoredPaper, Span

if TYPE_CHECKING:
    from digest.concepts import Concept
    from digest.rank import RankIndex

Why = tuple[tuple[Match, ...], tuple[Span, ...]]
_LAYOUT = ("paper_id", "score", "relevance", "trending", "matches", "spans")
# ScoredPaper is a frozen dataclass; filling its __dict__ directly is 3x faster than its
# __init__ and gives an equal value. Only while the field list is the one known here.
_FAST = tuple(f.name for f in dataclasses.fields(ScoredPaper)) == _LAYOUT


def scored(
    pid: str,
    score: float,
    relevance: float,
    trending: float,
    matches: tuple[Match, ...],
    spans: tuple[Span, ...],
) -> ScoredPaper:
    if not _FAST:
        return ScoredPaper(pid, score, relevance, trending, matches, spans)
    obj = object.__new__(ScoredPaper)
    obj.__dict__.update(
        paper_id=pid,
        score=score,
        relevance=relevance,
        trending=trending,
        matches=matches,
        spans=spans,
    )
    return obj


Raw = tuple[tuple[int, int, int], ...]  # (field index, start, end), sorted


def merge_raw(raw: Sequence[tuple[int, int, int]]) -> Raw:
    """Sorted by field (title first) and offset; overlapping or touching spans joined."""
    out: list[tuple[int, int, int]] = []
    for f, start, end in sorted(raw):
        if out and out[-1][0] == f and start <= out[-1][2]:
            if end > out[-1][2]:
                out[-1] = (f, out[-1][1], end)
            continue
        out.append((f, start, end))
    return tuple(out)


class Explainer:
    """Matches and spans per (interests that matched, paper), computed once and shared.

    A *combination* is the tuple of slots (digest.shapes) that matched a paper, in the order
    the profile wrote them; a *why* is a combination and a paper, with its matches and
    spans; a result is a why and its relevance (float32 bits), so every subscriber with the
    same answer shares one ScoredPaper. Lookups are done once per distinct key of a chunk.
    """

    def __init__(self, index: RankIndex):
        self.index = index
        self.n = max(len(index), 1)
        self.combo_of: dict[tuple[int, ...], int] = {(): 0}
        self.combos: list[tuple[int, ...]] = [()]
        self.why_of: dict[int, int] = {}  # combination * n + paper -> why id
        self.whys: list[Why] = []
        self.made: dict[int, ScoredPaper] = {}  # why id << 32 | relevance bits
        # concept.id * n + paper -> (where, terms, spans)
        self.base: dict[int, tuple[tuple[str, ...], tuple[str, ...], Raw]] = {}
        self.one: dict[int, tuple[Why, Raw]] = {}  # slot * n + paper
        self.spans: dict[tuple[int, int, int], Span] = {}

    def results(
        self,
        shapes: np.ndarray,
        slots: np.ndarray,
        hit: np.ndarray,
        cols: np.ndarray,
        rel32: np.ndarray,
        relevance: np.ndarray,
        score: np.ndarray,
    ) -> list[ScoredPaper]:
        """One ScoredPaper per result: the result's profile shape, its slots (one row per
        result, padded with -1), which of them matched, the paper, relevance and score."""
        if not len(cols):
            return []
        combos = self._combinations(shapes, slots, hit)
        keys, first, inverse = np.unique(combos * self.n + cols, True, True)
        why = self._why_ids(keys, combos[first], cols[first])[inverse]
        bits = rel32.astype(np.float32).view(np.uint32).astype(np.int64)
        keys, first, inverse = np.unique((why << 32) | bits, True, True)
        found: list[ScoredPaper | None] = list(map(self.made.get, keys.tolist()))
        missing = [i for i, paper in enumerate(found) if paper is None]
        if missing:
            at = first[missing]
            ids, trending = self.index.id_list, self.index.trending_list
            new = zip(
                missing,
                keys[missing].tolist(),
                why[at].tolist(),
                cols[at].tolist(),
                np.round(relevance[at], 6).tolist(),
                np.round(score[at], 6).tolist(),
                strict=True,
            )
            for i, key, w, j, rel, sc in new:
                paper = found[i] = self.made[key] = scored(
                    ids[j], sc, rel, trending[j], *self.whys[w]
                )
        return np.fromiter(found, dtype=object, count=len(found))[inverse].tolist()  # type: ignore[no-any-return]

    def _combinations(self, shapes: np.ndarray, slots: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Per result, the id of the tuple of slots that matched (0: none)."""
        width = hit.shape[1]
        if width <= 30:
            mask = hit.astype(np.int64) @ (1 << np.arange(width, dtype=np.int64))
            _, first, inverse = np.unique((shapes << 31) | mask, True, True)
        else:
            keyed = np.column_stack((shapes, hit))
            _, first, inverse = np.unique(keyed, True, True, axis=0)
        ids = []
        for row, found in zip(slots[first].tolist(), hit[first].tolist(), strict=True):
            chosen = tuple(s for s, h in zip(row, found, strict=True) if h)
            combo = self.combo_of.get(chosen)
            if combo is None:
                combo = self.combo_of[chosen] = len(self.combos)
                self.combos.append(chosen)
            ids.append(combo)
        return np.array(ids, dtype=np.int64)[inverse.ravel()]

    def _why_ids(self, keys: np.ndarray, combos: np.ndarray, cols: np.ndarray) -> np.ndarray:
        ids: list[int | None] = list(map(self.why_of.get, keys.tolist()))
        missing = [i for i, w in enumerate(ids) if w is None]
        if missing:
            new = zip(
                missing, keys[missing].tolist(), combos[missing].tolist(), cols[missing].tolist()
            )
            for i, key, combo, j in new:
                ids[i] = self.why_of[key] = len(self.whys)
                self.whys.append(self._explain(self.combos[combo], j))
        return np.array(ids, dtype=np.int64)

    def _explain(self, slots: tuple[int, ...], j: int) -> Why:
        if len(slots) == 1:
            return self._one(slots[0], j)[0]
        if not slots:
            return NOTHING
        matches = []
        found: list[tuple[int, int, int]] = []
        for s in slots:
            why, raw = self._one(s, j)
            matches.append(why[0][0])
            found.extend(raw)
        return tuple(matches), self._span_objects(merge_raw(found))

    def _one(self, slot: int, j: int) -> tuple[Why, Raw]:
        key = slot * self.n + j
        found = self.one.get(key)
        if found is None:
            shapes = self.index.shapes
            where, terms, raw = self._base(shapes.slot_concept[slot], j)
            match = Match(keyword=shapes.slot_written[slot], where=where, terms=terms)
            found = self.one[key] = ((match,), self._span_objects(raw)), raw
        return found

    def _base(self, concept: Concept, j: int) -> tuple[tuple[str, ...], tuple[str, ...], Raw]:
        key = concept.id * self.n + j
        found = self.base.get(key)
        if found is None:
            paper = self.index.papers[j]
            why = self.index.book.why(concept, j, (paper.title, paper.abstract))
            assert why is not None  # only asked for papers the concept scored
            found = self.base[key] = (why[0], why[1], merge_raw(why[2]))
        return found

    def _span_objects(self, raw: Raw) -> tuple[Span, ...]:
        try:
            return tuple(map(self.spans.__getitem__, raw))
        except KeyError:
            pass
        out = []
        for r in raw:
            span = self.spans.get(r)
            if span is None:
                span = self.spans[r] = Span(FIELDS[r[0]], r[1], r[2])
            out.append(span)
        return tuple(out)


NOTHING: Why = ((), ())
