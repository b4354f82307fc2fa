"""Why each paper was picked (pure): matches and highlight spans, cached per concept and paper.

Building ScoredPaper values is the only per-result Python work in a batch of many
subscribers, so everything that does not depend on the subscriber is computed once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

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


def merge_spans(spans: Sequence[Span]) -> tuple[Span, ...]:
    raw = merge_raw([(FIELDS.index(s.field), s.start, s.end) for s in spans])
    return tuple(Span(FIELDS[f], a, b) for f, a, b in raw)


class Explainer:
    """Matches and spans per (interest, paper), computed once and shared by every subscriber.

    A *slot* is one interest as written (its concept and its text); results are cached by
    the slots that matched and the paper, and whole ScoredPapers by that and the relevance.
    """

    def __init__(self, index: RankIndex):
        self.index = index
        self.n = max(len(index), 1)
        self.slot_of: dict[tuple[int, str], int] = {}
        self.slot_concept: list[Concept] = []
        self.slot_written: list[str] = []
        self.base: dict[int, tuple[Raw, tuple[Span, ...]]] = {}  # concept.id * n + paper
        self.spans: dict[tuple[int, int, int], Span] = {}
        self.one: dict[int, Why] = {}  # slot * n + paper
        self.many: dict[tuple[tuple[int, ...], int], Why] = {}
        self.raw: dict[int, Raw] = {}  # slot * n + paper
        self.made: dict[tuple[object, float], ScoredPaper] = {}

    def row(
        self,
        include: Sequence[tuple[Concept, str, float]],
        js: Sequence[int],
        masks: Sequence[int],
        scores: Sequence[float],
        relevances: Sequence[float],
        shared: bool,
    ) -> list[ScoredPaper]:
        """ScoredPapers of one profile; `masks` has a bit per interest that matched the paper.

        With `shared`, an identical ScoredPaper already made for another subscriber is reused.
        """
        n, made, one, many = self.n, self.made, self.one, self.many
        ids, trending = self.index.id_list, self.index.trending_list
        slots = [self._slot(c, written) for c, written, _ in include]
        out = []
        for j, mask, score, relevance in zip(js, masks, scores, relevances, strict=True):
            key: object
            if mask & (mask - 1) == 0:  # one interest matched (or none: by feedback alone)
                key = slots[mask.bit_length() - 1] * n + j if mask else -1 - j
                why = one.get(key) if mask else NOTHING
                if why is None:
                    why = self._one(key)
            else:
                key = (tuple(slots[b] for b in range(len(slots)) if mask >> b & 1), j)
                why = many.get(key)
                if why is None:
                    why = self._many(key)
            if shared:
                paper = made.get((key, relevance))
                if paper is None:
                    paper = made[(key, relevance)] = scored(
                        ids[j], score, relevance, trending[j], *why
                    )
            else:
                paper = scored(ids[j], score, relevance, trending[j], *why)
            out.append(paper)
        return out

    def _slot(self, concept: Concept, written: str) -> int:
        slot = self.slot_of.get((concept.id, written))
        if slot is None:
            slot = self.slot_of[(concept.id, written)] = len(self.slot_concept)
            self.slot_concept.append(concept)
            self.slot_written.append(written)
        return slot

    def _base(self, concept: Concept, j: int) -> tuple[tuple[str, ...], tuple[str, ...], Raw]:
        paper = self.index.papers[j]
        why = self.index.book.why(concept, j, (paper.title, paper.abstract))
        assert why is not None  # only asked for papers the concept scored
        where, terms, spans = why
        return where, terms, merge_raw([(FIELDS.index(s.field), s.start, s.end) for s in spans])

    def _one(self, key: int) -> Why:
        slot, j = divmod(key, self.n)
        where, terms, raw = self._base(self.slot_concept[slot], j)
        match = Match(keyword=self.slot_written[slot], where=where, terms=terms)
        why = self.one[key] = ((match,), self._span_objects(raw))
        self.raw[key] = raw
        return why

    def _many(self, key: tuple[tuple[int, ...], int]) -> Why:
        slots, j = key
        parts = [self.one.get(s * self.n + j) or self._one(s * self.n + j) for s in slots]
        raw = merge_raw([r for s in slots for r in self.raw[s * self.n + j]])
        why = self.many[key] = (tuple(p[0][0] for p in parts), self._span_objects(raw))
        return why

    def _span_objects(self, raw: Raw) -> tuple[Span, ...]:
        out = []
        for r in raw:
            span = self.spans.get(r)
            if span is None:
                span = self.spans[r] = Span(FIELDS[r[0]], r[1], r[2])
            out.append(span)
        return tuple(out)


NOTHING: Why = ((), ())
