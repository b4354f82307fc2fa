"""Why each paper was picked (pure): matches and highlight spans, cached per concept and paper.

Building ScoredPaper values is the only per-result Python work in a batch of many
subscribers, so everything that does not depend on the subscriber is computed once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from digest.matching import FIELDS
from digest.models import Match, ScoredPaper, Span
from digest.spans import LIMIT, Raw, merge_packed, merge_raw, pack, unpack

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


class Explainer:
    """Matches and spans per (interests that matched, paper), computed once and shared.

    A *combination* is the tuple of slots (digest.shapes) that matched a paper, in the order
    the profile wrote them (interned as a trie: a combination is its prefix plus one slot);
    a *why* is a combination and a paper, with its matches and spans; a result is a why and
    its relevance (float32 bits), so every subscriber with the same answer shares one
    ScoredPaper. Lookups are done once per distinct key of a chunk.
    """

    def __init__(self, index: RankIndex):
        self.index = index
        self.n = max(len(index), 1)
        self.packable = all(len(p.title) < LIMIT and len(p.abstract) < LIMIT for p in index.papers)
        self.trie: dict[int, int] = {}  # prefix combination << 32 | slot -> combination
        self.combos: list[tuple[int, ...]] = [()]
        self.why_of: dict[int, int] = {}  # combination * n + paper -> why id
        self.whys: list[Why] = []
        self.made: dict[int, ScoredPaper] = {}  # why id << 32 | relevance bits
        # concept.id * n + paper -> (where, terms, spans)
        self.base: dict[int, tuple[tuple[str, ...], tuple[str, ...], Raw]] = {}
        # slot * n + paper -> (why, spans, spans packed when packable)
        self.one: dict[int, tuple[Why, Raw, Sequence[object]]] = {}
        self.spans: dict[object, Span] = {}  # packed span (or the span) -> Span

    def results(
        self,
        slots: np.ndarray,
        hit: np.ndarray,
        cols: np.ndarray,
        rel32: np.ndarray,
        relevance: np.ndarray,
        score: np.ndarray,
    ) -> list[ScoredPaper]:
        """One ScoredPaper per result: its profile's slots (a row per result, padded with
        -1), which of them matched, the paper, relevance and score."""
        if not len(cols):
            return []
        combos = self._combinations(slots, hit)
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
                found[i] = self.made[key] = scored(ids[j], sc, rel, trending[j], *self.whys[w])
        objects = np.fromiter(found, dtype=object, count=len(found))
        return objects[inverse].tolist()

    def _combinations(self, slots: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Per result, the id of the tuple of slots that matched, in order (0: none)."""
        chosen = np.where(hit, slots, -1)
        order = np.argsort(~hit, axis=1, kind="stable")  # matched slots first, in order
        chosen = np.take_along_axis(chosen, order, axis=1)
        ids = np.zeros(len(chosen), dtype=np.int64)
        trie, combos = self.trie, self.combos
        for w in range(chosen.shape[1]):
            live = np.flatnonzero(chosen[:, w] >= 0)
            if not len(live):
                break
            keys, inverse = np.unique((ids[live] << 32) | chosen[live, w], return_inverse=True)
            found: list[int | None] = list(map(trie.get, keys.tolist()))
            for i, got in enumerate(found):
                if got is None:
                    key = int(keys[i])
                    found[i] = trie[key] = len(combos)
                    combos.append((*combos[key >> 32], key & 0xFFFFFFFF))
            ids[live] = np.array(found, dtype=np.int64)[inverse]
        return ids

    def _why_ids(self, keys: np.ndarray, combos: np.ndarray, cols: np.ndarray) -> np.ndarray:
        ids: list[int | None] = list(map(self.why_of.get, keys.tolist()))
        missing = [i for i, w in enumerate(ids) if w is None]
        if not missing:
            return np.array(ids, dtype=np.int64)
        many: list[tuple[tuple[int, ...], int]] = []
        many_at: list[int] = []
        for i, key, combo, j in zip(
            missing,
            keys[missing].tolist(),
            combos[missing].tolist(),
            cols[missing].tolist(),
            strict=True,
        ):
            ids[i] = self.why_of[key] = len(self.whys)
            slots = self.combos[combo]
            if len(slots) > 1:
                many.append((slots, j))
                many_at.append(len(self.whys))
                self.whys.append(NOTHING)  # filled below, all at once
            else:
                self.whys.append(self._one(slots[0], j)[0] if slots else NOTHING)
        for at, why in zip(many_at, self._many(many), strict=True):
            self.whys[at] = why
        return np.array(ids, dtype=np.int64)

    def _many(self, todo: list[tuple[tuple[int, ...], int]]) -> list[Why]:
        """Explanations of several interests matching one paper: their matches in order,
        their spans merged."""
        if not todo:
            return []
        matches = []
        packed = []
        n, known, one = self.n, self.one.get, self._one
        for slots, j in todo:
            ones = [known(s * n + j) or one(s, j) for s in slots]
            matches.append(tuple([o[0][0][0] for o in ones]))
            packed.append([o[2] for o in ones])
        if not self.packable:  # a text too long to pack its offsets: one by one
            raws = [merge_raw(self._raw_of(slots, j)) for slots, j in todo]
            return [(m, self._span_objects(r)) for m, r in zip(matches, raws, strict=True)]
        merged = merge_packed(cast(list[list[tuple[int, ...]]], packed))
        return [(m, self._span_objects(c)) for m, c in zip(matches, merged, strict=True)]

    def _raw_of(self, slots: tuple[int, ...], j: int) -> list[tuple[int, int, int]]:
        return [r for s in slots for r in self._one(s, j)[1]]

    def _one(self, slot: int, j: int) -> tuple[Why, Raw, Sequence[object]]:
        key = slot * self.n + j
        found = self.one.get(key)
        if found is None:
            shapes = self.index.shapes
            where, terms, raw = self._base(shapes.slot_concept[slot], j)
            match = Match(keyword=shapes.slot_written[slot], where=where, terms=terms)
            codes = pack(raw) if self.packable else raw
            found = self.one[key] = ((match,), self._span_objects(codes)), raw, codes
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

    def _span_objects(self, codes: Sequence[object]) -> tuple[Span, ...]:
        try:
            return tuple(map(self.spans.__getitem__, codes))
        except KeyError:
            pass
        out = []
        for code in codes:
            span = self.spans.get(code)
            if span is None:
                f, start, end = unpack(code) if isinstance(code, int) else cast(Raw, [code])[0]
                span = self.spans[code] = Span(FIELDS[f], start, end)
            out.append(span)
        return tuple(out)


NOTHING: Why = ((), ())
