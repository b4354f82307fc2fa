"""Why each paper was picked (pure): the interests that matched, each with where it matched,
the words found and their spans, cached per interest and paper.

Building ScoredPaper values is the only per-result Python work in a batch of many
subscribers, so everything that does not depend on the subscriber is computed once: a
result holds a tuple of shared Match values (its merged highlight, ScoredPaper.spans, is
made only when read).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from operator import add
from typing import TYPE_CHECKING

import numpy as np

from digest.ranking.types import Match, ScoredPaper, Span, nones

if TYPE_CHECKING:
    from digest.papers import PaperText
    from digest.ranking.concepts import ConceptBook
    from digest.ranking.shapes import Shapes


class Explainer:
    """Matches per (interests that matched, paper), computed once and shared.

    A *combination* is the tuple of slots (digest.shapes) that matched a paper, in the order
    the profile wrote them (interned as a trie: a combination is its prefix plus one slot);
    a *why* is a combination and a paper: its matches, each with its own spans (the merged
    highlight is ScoredPaper.spans, made on first use); a result is a why and its relevance
    (float32 bits), so every subscriber with the same answer shares one ScoredPaper.
    Lookups are done once per distinct key of a chunk.
    """

    def __init__(
        self,
        papers: Sequence[PaperText],
        ids: list[str],
        trending: list[float],
        book: ConceptBook,
        shapes: Shapes,
    ):
        self.papers, self.ids, self.trending, self.book, self.shapes = (
            papers,
            ids,
            trending,
            book,
            shapes,
        )
        self.n = max(len(papers), 1)
        self.fields = [text for p in papers for text in (p.title, p.abstract)]
        self.trie: dict[int, int] = {}  # prefix combination << 32 | slot -> combination
        self.combos: list[tuple[int, ...]] = [()]
        self.whys: dict[int, tuple[Match, ...]] = {}  # why (combination * n + paper) -> matches
        self.made: dict[object, ScoredPaper] = {}  # (why, relevance bits), see _distinct
        # concept.id * n + paper -> (where, terms, spans)
        self.base: dict[int, tuple[tuple[str, ...], tuple[str, ...], tuple[Span, ...]]] = {}
        self.one: dict[int, Match] = {}  # slot * n + paper -> its match

    def results(
        self,
        slots: np.ndarray,
        rows: np.ndarray,
        hit: np.ndarray,
        cols: np.ndarray,
        rel32: np.ndarray,
        relevance: np.ndarray,
        score: np.ndarray,
    ) -> list[ScoredPaper]:
        """One ScoredPaper per result: its profile's row of `slots` (one per profile, padded
        with -1), which of them matched, the paper, relevance and score."""
        if not len(cols):
            return []
        whys = self._combinations(slots, rows, hit) * self.n + cols
        bits = rel32.astype(np.float32).view(np.uint32).astype(np.int64)
        keys, first, inverse = _distinct(whys, bits)
        found: list[ScoredPaper | None] = list(map(self.made.get, keys))
        missing = nones(found)
        objects = np.fromiter(found, dtype=object, count=len(found))
        if missing:
            at = first[missing]
            fresh = whys[at].tolist()
            self._prepare(fresh)
            papers = cols[at].tolist()
            # made in C loops (no Python frame per result): tuple.__new__ is what
            # ScoredPaper(...) calls, without the call's own frame
            new = list(
                map(
                    tuple.__new__,
                    repeat(ScoredPaper),
                    zip(
                        map(self.ids.__getitem__, papers),
                        np.round(score[at], 6).tolist(),
                        np.round(relevance[at], 6).tolist(),
                        map(self.trending.__getitem__, papers),
                        map(self.whys.__getitem__, fresh),
                        strict=True,
                    ),
                )
            )
            self.made.update(zip(map(keys.__getitem__, missing), new, strict=True))
            objects[missing] = np.fromiter(new, dtype=object, count=len(new))
        return objects[inverse].tolist()

    def _combinations(self, slots: np.ndarray, rows: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Per result (of profile `rows`), the id of the tuple of its slots that matched, in
        written order (0: none); each distinct (profile, interests matched) found once (most
        of a profile's results match the same interests)."""
        width = slots.shape[1]
        if width + len(slots).bit_length() > 62:  # (profile, interests matched): no int64
            return self._walk(slots[rows], hit)
        matched = hit.astype(np.int64) @ (np.int64(1) << np.arange(width, dtype=np.int64))
        _, first, inverse = np.unique((rows << width) | matched, True, True)
        return self._walk(slots[rows[first]], hit[first])[inverse]

    def _walk(self, slots: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """The id of the tuple of `slots` that `hit` per row, in written order (0: none): a
        walk down the trie, one written interest (column) at a time."""
        ids = np.zeros(len(slots), dtype=np.int64)
        trie, combos = self.trie, self.combos
        for c in range(slots.shape[1]):
            live = np.flatnonzero(hit[:, c])  # padding never matches
            if not len(live):
                continue
            keys, inverse = np.unique((ids[live] << 32) | slots[live, c], return_inverse=True)
            found = np.fromiter(map(trie.get, keys.tolist(), repeat(-1)), np.int64, len(keys))
            new = np.flatnonzero(found < 0)
            if len(new):  # numbered in key order, each its prefix's tuple plus its slot
                made = np.arange(len(combos), len(combos) + len(new), dtype=np.int64)
                found[new] = made
                fresh = keys[new]
                trie.update(zip(fresh.tolist(), made.tolist(), strict=True))
                prefixes = map(combos.__getitem__, (fresh >> 32).tolist())
                combos += map(add, prefixes, zip((fresh & 0xFFFFFFFF).tolist()))
            ids[live] = found[inverse]
        return ids

    def _prepare(self, whys: list[int]) -> None:
        """Make the new ones of these whys: the matches they need (the explanations of the
        (concept, paper) pairs not seen yet in one batch), then each why's tuple of them;
        on arrays and in C loops (map), no Python step per why."""
        n, combos, one, base = self.n, self.combos, self.one, self.base
        fresh = list(set(whys).difference(self.whys))
        if not fresh:
            return
        at = np.array(fresh, dtype=np.int64)
        combo = list(map(combos.__getitem__, (at // n).tolist()))
        sizes = np.fromiter(map(len, combo), dtype=np.int64, count=len(combo))
        slots = np.fromiter(chain.from_iterable(combo), dtype=np.int64, count=int(sizes.sum()))
        wanted = (slots * n + np.repeat(at % n, sizes)).tolist()  # slot * n + paper
        new = list(set(wanted).difference(one))
        if new:
            shapes = self.shapes
            slot, paper = np.divmod(np.array(new, dtype=np.int64), n)
            slot_list = slot.tolist()
            cids = np.fromiter(map(shapes.slot_cid.__getitem__, slot_list), np.int64, len(new))
            keys = (cids * n + paper).tolist()  # concept.id * n + paper
            todo = {k: i for i, k in enumerate(keys) if k not in base}
            if todo:
                picks = list(todo.values())
                concepts = [shapes.slot_concept[slot_list[i]] for i in picks]
                made = self.book.whys(concepts, paper[picks], self.fields)
                base.update(zip(todo, made, strict=True))
            written = map(shapes.slot_written.__getitem__, slot_list)
            rows = map(add, zip(written), map(base.__getitem__, keys))  # (keyword, *why)
            one.update(zip(new, map(tuple.__new__, repeat(Match), rows), strict=True))
        matches = tuple(map(one.__getitem__, wanted))  # each why's: a slice of it, a tuple
        ends = np.cumsum(sizes)
        parts = map(slice, (ends - sizes).tolist(), ends.tolist())
        self.whys.update(zip(fresh, map(matches.__getitem__, parts), strict=True))


def _distinct(whys: np.ndarray, bits: np.ndarray) -> tuple[list[object], np.ndarray, np.ndarray]:
    """The distinct (why, relevance bits) pairs as hashable keys (one int when the why fits
    in 31 bits, else a tuple), the first position of each, and each result's key index."""
    if int(whys.max(initial=0)) < 1 << 31:
        packed, first, inverse = np.unique((whys << 32) | bits, True, True)
        return packed.tolist(), first, inverse
    order = np.lexsort((bits, whys))
    w, b = whys[order], bits[order]
    new = np.ones(len(w), dtype=bool)
    new[1:] = (w[1:] != w[:-1]) | (b[1:] != b[:-1])
    first = order[new]
    inverse = np.empty(len(w), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return list(zip(whys[first].tolist(), bits[first].tolist(), strict=True)), first, inverse
