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
    from digest.batch import Wanted
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


COMBO = 1 << 40  # result keys at or below -COMBO name a combination of interests
PACK = 20  # bits per interest when up to three matched interests are packed in one number
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
    """Matches and spans per (interest, paper), computed once and shared by every subscriber.

    A *slot* is one interest as written (its concept and its text); results are cached by
    the slots that matched and the paper, and whole ScoredPapers by that and the relevance.
    """

    def __init__(self, index: RankIndex):
        self.index = index
        self.n = max(len(index), 1)
        self.slot_of: dict[tuple[int, str], int] = {}
        self.profile_slots: dict[int, tuple[Wanted, list[int]]] = {}  # id(Wanted) -> slots
        self.slot_concept: list[Concept] = []
        self.slot_written: list[str] = []
        # concept.id * n + paper -> (where, terms, spans)
        self.base: dict[int, tuple[tuple[str, ...], tuple[str, ...], Raw]] = {}
        self.spans: dict[tuple[int, int, int], Span] = {}
        self.one: dict[int, Why] = {}  # slot * n + paper
        self.many: dict[int, Why] = {}  # combination id
        self.combo_ids: dict[tuple[object, int], int] = {}  # (packed or slots, paper) -> id
        self.combos: list[tuple[tuple[int, ...], int]] = []
        self.raw: dict[int, Raw] = {}  # slot * n + paper
        self.made: dict[tuple[int, int], ScoredPaper] = {}  # (result key, relevance * 1e6)

    def results(
        self,
        wanted: Sequence[Wanted],
        rows: np.ndarray,
        cols: np.ndarray,
        masks: np.ndarray,
        relevance: np.ndarray,
        score: np.ndarray,
        private: np.ndarray,
    ) -> list[ScoredPaper]:
        """One ScoredPaper per result (row = profile in `wanted`, col = paper).

        `masks` has a bit per interest of the profile that matched the paper. A result is
        identified by the interests that matched, the paper and the relevance: identical ones
        (another subscriber with the same interest) share one ScoredPaper, looked up in bulk.
        `private` results (profiles with feedback) are made apart.
        """
        keys = self._keys(wanted, rows, cols, masks)
        rel_q = np.rint(relevance * 1e6).astype(np.int64)
        rel_q[private] = -1  # never stored: profiles with feedback get their own
        full = list(zip(keys.tolist(), rel_q.tolist(), strict=True))
        out: list[ScoredPaper | None] = list(map(self.made.get, full))
        missing = [i for i, paper in enumerate(out) if paper is None]
        if missing:
            self._prepare({full[i][0] for i in missing})
            cols_l = cols.tolist()
            rel_l = np.round(relevance, 6).tolist()
            score_l = np.round(score, 6).tolist()
            for i in missing:
                paper = self._make(full[i][0], cols_l[i], score_l[i], rel_l[i])
                if full[i][1] >= 0:
                    self.made[full[i]] = paper
                out[i] = paper
        return out  # type: ignore[return-value]

    def _keys(
        self, wanted: Sequence[Wanted], rows: np.ndarray, cols: np.ndarray, masks: np.ndarray
    ) -> np.ndarray:
        """Per result: slot * n + paper when one interest matched, else a combination id."""
        width = max((len(inc) for inc, _ in wanted), default=1) or 1
        slots = np.zeros((len(wanted), width), dtype=np.int64)
        for i, w in enumerate(wanted):
            known = self.profile_slots.get(id(w))
            if known is None or known[0] is not w:  # (w is kept, so its id stays its own)
                known = self.profile_slots[id(w)] = (w, [self._slot(c, t) for c, t, _ in w[0]])
            slots[i, : len(known[1])] = known[1]
        one = (masks & (masks - 1)) == 0
        bit = np.zeros(len(masks), dtype=np.int64)
        bit[one] = np.log2(np.maximum(masks[one], 1)).astype(np.int64)
        keys = slots[rows, bit] * self.n + cols
        keys[masks == 0] = -1 - cols[masks == 0]  # picked by feedback alone
        multi = np.flatnonzero(~one)
        if len(multi):
            keys[multi] = self._combo_ids(slots, rows[multi], cols[multi], masks[multi])
        return keys

    def _combo_ids(
        self, slots: np.ndarray, rows: np.ndarray, cols: np.ndarray, masks: np.ndarray
    ) -> list[int]:
        """Ids of (interests that matched, paper), looked up in bulk by a packed number."""
        width = slots.shape[1]
        bits = ((masks[:, None] >> np.arange(width)) & 1).astype(bool)
        place = np.clip(np.cumsum(bits, axis=1) - 1, 0, 2)
        packed = np.where(bits, (slots[rows] + 1) << (PACK * place), 0).sum(axis=1)
        exact = (bits.sum(axis=1) <= 3) & (slots[rows].max(axis=1) < (1 << PACK) - 1)
        wanted = list(zip(packed.tolist(), cols.tolist(), strict=True))
        ids: list[int | None] = list(map(self.combo_ids.get, wanted))
        for i in np.flatnonzero(~exact).tolist():
            ids[i] = None  # packed number not unique: use the tuple itself
        todo = [i for i, found in enumerate(ids) if found is None]
        if todo:
            rows_l, masks_l, exact_l = rows.tolist(), masks.tolist(), exact.tolist()
            slot_rows = slots.tolist()
            for i in todo:
                row, mask = slot_rows[rows_l[i]], masks_l[i]
                chosen = tuple(row[b] for b in range(width) if mask >> b & 1)
                packed = wanted[i] if exact_l[i] else None
                ids[i] = self._combo_id(chosen, wanted[i][1], packed)
        return ids  # type: ignore[return-value]

    def _combo_id(self, slots: tuple[int, ...], j: int, packed: tuple[int, int] | None) -> int:
        found = self.combo_ids.get((slots, j))
        if found is None:
            found = self.combo_ids[(slots, j)] = -COMBO - len(self.combos)
            self.combos.append((slots, j))
        if packed is not None:
            self.combo_ids[packed] = found
        return found

    def _make(self, key: int, j: int, score: float, relevance: float) -> ScoredPaper:
        if key <= -COMBO:
            why = self.many.get(key) or self._many(key)
        elif key < 0:
            why = NOTHING
        else:
            why = self.one.get(key) or self._one(key)
        ids, trending = self.index.id_list, self.index.trending_list
        return scored(ids[j], score, relevance, trending[j], *why)

    def _slot(self, concept: Concept, written: str) -> int:
        slot = self.slot_of.get((concept.id, written))
        if slot is None:
            slot = self.slot_of[(concept.id, written)] = len(self.slot_concept)
            self.slot_concept.append(concept)
            self.slot_written.append(written)
        return slot

    def _base(self, concept: Concept, j: int) -> tuple[tuple[str, ...], tuple[str, ...], Raw]:
        key = concept.id * self.n + j
        found = self.base.get(key)
        if found is None:
            paper = self.index.papers[j]
            why = self.index.book.why(concept, j, (paper.title, paper.abstract))
            assert why is not None  # only asked for papers the concept scored
            found = self.base[key] = (why[0], why[1], merge_raw(why[2]))
        return found

    def _one(self, key: int) -> Why:
        slot, j = divmod(key, self.n)
        where, terms, raw = self._base(self.slot_concept[slot], j)
        match = Match(keyword=self.slot_written[slot], where=where, terms=terms)
        why = self.one[key] = ((match,), self._span_objects(raw))
        self.raw[key] = raw
        return why

    def _many(self, key: int) -> Why:
        self._prepare({key})
        return self.many[key]

    def _prepare(self, keys: set[int]) -> None:
        """Make the explanations of new combinations (several interests matched one paper)."""
        n, one, raw, many, combos = self.n, self.one, self.raw, self.many, self.combos
        for key in keys:
            if key > -COMBO or key in many:
                continue
            slots, j = combos[-COMBO - key]
            matches = []
            found: list[tuple[int, int, int]] = []
            for s in slots:
                k = s * n + j
                why = one.get(k) or self._one(k)
                matches.append(why[0][0])
                found.extend(raw[k])
            many[key] = (tuple(matches), self._span_objects(merge_raw(found)))

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
