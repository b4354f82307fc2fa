"""Profiles' interests parsed once per distinct string and kept as flat arrays (pure).

A *shape* is what (keywords, exclude) as written ask for: its *slots* (one interest as
written: its concept and its text), in the order first written, with their weights, and the
concepts it excludes. Many subscribers share interests, so each distinct keyword string is
parsed once, each distinct item once, and a chunk of profiles becomes its sparse
profile x concept matrix by numpy gathers over the flat arrays, without a loop per profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, compress, islice, repeat
from operator import eq
from typing import NamedTuple

import numpy as np
from scipy import sparse

from digest.ranking.concepts import Concept, ConceptBook
from digest.ranking.interests import Interest, InterestError, parse_item, split_items


class Flat(NamedTuple):
    """All shapes as flat arrays: slots of shape s are slots[ptr[s]:ptr[s + 1]]."""

    ptr: np.ndarray
    slots: np.ndarray
    concepts: np.ndarray  # concept id of each entry of `slots`
    weights: np.ndarray  # float32
    eptr: np.ndarray
    excluded: np.ndarray  # concept ids


class Shapes:
    """Parsing a profile only looks its items up (one distinct item is parsed once): each
    shape is kept as its item numbers, and `flat` makes the slots, weights and exclusions of
    the shapes parsed since its last call on arrays, all at once."""

    def __init__(self, book: ConceptBook):
        self.book = book
        # (keywords, exclude) -> shape; keyed by the keywords alone when nothing is excluded
        # (most profiles): a string key is one tuple fewer per profile (see `key`)
        self.of: dict[str | tuple[str, str], int] = {}
        # an item as written -> its number; per number: its slot, weight, whether it
        # excludes, its concept id, its lowered text's number, and whether it is to be
        # skipped (empty or malformed: the rest of the profile still counts)
        self.items: dict[str, int] = {}
        self._item_slot: list[int] = []
        self._item_weight: list[float] = []
        self._item_excludes: list[bool] = []
        self._item_cid: list[int] = []
        self._item_text: list[int] = []
        self._item_skip: list[bool] = []
        self._texts: dict[str, int] = {}
        self.slot_of: dict[tuple[int, str], int] = {}
        self.slot_concept: list[Concept] = []
        self.slot_written: list[str] = []
        self.slot_cid: list[int] = []
        # per shape: its keywords' items, then its extra exclusions' items
        self._entries: list[int] = []
        self._ptr = [0]
        self._also: list[int] = []
        self._aptr = [0]
        self._flat: Flat | None = None
        # the items' slot, concept id, text number, weight (float64), excludes and skip as
        # arrays, for the items numbered so far when `flat` last ran (see `_item_arrays`)
        self._item_columns: tuple[np.ndarray, ...] = (
            *(np.zeros(0, dtype=np.int64) for _ in range(3)),
            np.zeros(0, dtype=np.float64),
            *(np.zeros(0, dtype=bool) for _ in range(2)),
        )

    def shape(self, keywords: str, exclude: str) -> int:
        key = self.key(keywords, exclude)
        found = self.of.get(key)
        if found is None:
            found = self.add([key], [keywords], [exclude])[0]
        return found

    def add(
        self, keys: Sequence[str | tuple[str, str]], keywords: Sequence[str], exclude: Sequence[str]
    ) -> list[int]:
        """The shapes of (keywords[i], exclude[i]), none of them known yet under its `keys[i]`
        (a key may repeat), numbered in the order first given. Every piece between commas is
        looked up as it is (quotes need the real splitter); the items not seen yet are parsed
        in the order written, a profile's keywords before its exclusions (concepts and slots
        are numbered in that order). In C loops (map), no Python step per profile."""
        todo = dict(zip(keys, range(len(keys)), strict=True))  # each key once, as first given
        at = list(todo.values())
        kw_pieces, kw_sizes = _pieces(list(map(keywords.__getitem__, at)))
        unwanted = list(map(exclude.__getitem__, at))
        wants = list(compress(range(len(at)), unwanted))  # an empty exclusion has no piece
        written = kw_pieces
        if wants:
            ex_pieces, sizes = _pieces(list(map(unwanted.__getitem__, wants)))
            ex_sizes = [0] * len(at)
            for i, size in zip(wants, sizes, strict=True):
                ex_sizes[i] = size
            runs = zip(_runs(kw_pieces, kw_sizes), _runs(ex_pieces, ex_sizes), strict=True)
            written = list(chain.from_iterable(chain.from_iterable(runs)))
        items = self.items
        numbers = list(map(items.get, written, repeat(-1)))
        new = dict.fromkeys(compress(written, map(eq, numbers, repeat(-1))))
        for piece in new:  # each new item parsed once, in the order first written
            self._item(piece)
        if not wants:
            self._entries.extend(map(items.__getitem__, written) if new else numbers)
            self._aptr.extend(repeat(self._aptr[-1], len(at)))
        else:
            self._entries.extend(map(items.__getitem__, kw_pieces))
            self._also.extend(map(items.__getitem__, ex_pieces))
            self._aptr.extend(_ends(self._aptr[-1], ex_sizes))
        first = len(self._ptr) - 1
        self._ptr.extend(_ends(self._ptr[-1], kw_sizes))
        self.of.update(zip(todo, range(first, first + len(at)), strict=True))
        return list(map(self.of.__getitem__, keys))

    @staticmethod
    def key(keywords: str, exclude: str) -> str | tuple[str, str]:
        return (keywords, exclude) if exclude else keywords

    def width(self, shape: int) -> int:
        ptr = self.flat().ptr
        return int(ptr[shape + 1] - ptr[shape])

    def _item(self, piece: str) -> int:
        number = self.items[piece] = len(self._item_skip)
        parsed = self._parse_item(piece)
        if parsed is None:  # empty, or a malformed stored interest
            self._append_item(-1, 0.0, False, -1, -1, True)
            return number
        interest, excluded = parsed
        concept = self.book.concept(interest.text, interest.phrase, later=True)
        slot = self.slot_of.get((concept.id, interest.text))
        if slot is None:
            slot = self.slot_of[(concept.id, interest.text)] = len(self.slot_concept)
            self.slot_concept.append(concept)
            self.slot_written.append(interest.text)
            self.slot_cid.append(concept.id)
        text = self._texts.setdefault(interest.text.lower(), len(self._texts))
        self._append_item(slot, interest.weight, excluded, concept.id, text, False)
        return number

    @staticmethod
    def _parse_item(piece: str) -> tuple[Interest, bool] | None:
        item = " ".join(piece.split())
        if not item:
            return None
        try:
            return parse_item(item)
        except InterestError:
            return None

    def _append_item(
        self, slot: int, weight: float, excludes: bool, cid: int, text: int, skip: bool
    ) -> None:
        self._item_slot.append(slot)
        self._item_weight.append(weight)
        self._item_excludes.append(excludes)
        self._item_cid.append(cid)
        self._item_text.append(text)
        self._item_skip.append(skip)

    def flat(self) -> Flat:
        """The flat arrays, extended by the shapes parsed since the last call: a shape's
        slots are its items' in written order, the same interest (case aside) once, as first
        written; it excludes its `-term` items' concepts, then its extra exclusions'."""
        done = self._flat
        if done is not None and len(done.ptr) == len(self._ptr):
            return done
        old = len(done.ptr) - 1 if done is not None else 0
        count = len(self._ptr) - 1 - old
        base = self._ptr[old]
        entries = np.array(self._entries[base:], dtype=np.int64)
        owner = _owners(self._ptr[old:])
        slot, cid, texts, weight, excluding, skip = self._item_arrays()
        excludes = excluding[entries] & ~skip[entries]
        wanted = np.flatnonzero(~skip[entries] & ~excludes)
        text = texts[entries[wanted]]
        # the first of each (shape, lowered text): np.unique gives first occurrences
        _, first = np.unique(owner[wanted] * (len(self._texts) + 1) + text, return_index=True)
        keep = np.zeros(len(entries), dtype=bool)
        keep[wanted[first]] = True
        kept = entries[keep]
        ptr = np.cumsum(np.bincount(owner[keep], minlength=count)) + (
            done.ptr[-1] if done is not None else 0
        )
        # exclusions: the keywords' `-term` items, then the extra ones, shape by shape
        abase = self._aptr[old]
        also = np.array(self._also[abase:], dtype=np.int64)
        also_owner = _owners(self._aptr[old:])
        also_ok = ~skip[also]
        ex_items = np.concatenate((entries[excludes], also[also_ok]))
        ex_owner = np.concatenate((owner[excludes], also_owner[also_ok]))
        order = np.argsort(ex_owner, kind="stable")
        eptr = np.cumsum(np.bincount(ex_owner, minlength=count)) + (
            done.eptr[-1] if done is not None else 0
        )
        parts: list[np.ndarray] = [
            ptr,
            slot[kept],
            cid[kept],
            weight[kept].astype(np.float32),
            eptr,
            cid[ex_items[order]],
        ]
        if done is None:
            parts[0] = np.concatenate((np.zeros(1, dtype=np.int64), ptr))
            parts[4] = np.concatenate((np.zeros(1, dtype=np.int64), eptr))
        else:
            parts = [np.concatenate((old_, new_)) for old_, new_ in zip(done, parts, strict=True)]
        self._flat = Flat(*parts)
        return self._flat

    def _item_arrays(self) -> tuple[np.ndarray, ...]:
        """Every item's slot, concept id, text number, weight, whether it excludes and
        whether it is skipped, as arrays: those of the items numbered since the last call
        converted and appended (a block adds a few thousand items to tens of thousands)."""
        done = self._item_columns
        old = len(done[0])
        if old < len(self._item_skip):
            lists: tuple[Sequence[float], ...] = (
                self._item_slot,
                self._item_cid,
                self._item_text,
                self._item_weight,
                self._item_excludes,
                self._item_skip,
            )
            self._item_columns = tuple(
                np.concatenate((column, np.array(values[old:], dtype=column.dtype)))
                for column, values in zip(done, lists, strict=True)
            )
        return self._item_columns


def _pieces(texts: list[str]) -> tuple[list[str], list[int]]:
    """Every text's pieces between commas, text after text, and how many each has (quoted
    commas kept: split_items where a quote is); the texts between quoted ones are split at
    once, in C."""
    sizes = [n + 1 for n in map(str.count, texts, repeat(","))]
    pieces: list[str] = []
    done = 0
    for i in compress(range(len(texts)), map(str.__contains__, texts, repeat('"'))):
        if done < i:
            pieces += ",".join(texts[done:i]).split(",")
        items = split_items(texts[i])
        pieces += items
        sizes[i] = len(items)
        done = i + 1
    if done < len(texts):
        pieces += ",".join(texts[done:]).split(",")
    return pieces, sizes


def _runs(pieces: list[str], sizes: list[int]) -> Iterator[list[str]]:
    """`pieces` cut into runs of the given sizes, one after the other."""
    return map(pieces.__getitem__, map(slice, accumulate(sizes, initial=0), _ends(0, sizes)))


def _ends(start: int, sizes: Iterable[int]) -> Iterator[int]:
    """Where each run of the given sizes ends, counted from `start` (one after the other)."""
    return islice(accumulate(sizes, initial=start), 1, None)


def _owners(ptr: list[int]) -> np.ndarray:
    """The shape (counted from the first) of each entry, given the shapes' pointers."""
    bounds = np.array(ptr, dtype=np.int64)
    sizes: np.ndarray = bounds[1:] - bounds[:-1]
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def gather(ptr: np.ndarray, shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row pointers, positions in the flat arrays) of the given shapes' entries, in order."""
    lens = ptr[shapes + 1] - ptr[shapes]
    indptr = np.zeros(len(shapes) + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    at = np.repeat(ptr[shapes] - indptr[:-1], lens) + np.arange(indptr[-1], dtype=np.int64)
    return indptr, at


def weight_matrix(flat: Flat, shapes: np.ndarray, width: int) -> sparse.csr_matrix:
    """Profile x concept weights of the shapes' interests (entries in written order)."""
    indptr, at = gather(flat.ptr, shapes)
    return sparse.csr_matrix(
        (flat.weights[at], flat.concepts[at], indptr), shape=(len(shapes), width)
    )


def exclusion_matrix(flat: Flat, shapes: np.ndarray, width: int) -> sparse.csr_matrix | None:
    """Profile x concept, 1.0 per excluded concept; None when no shape excludes anything."""
    indptr, at = gather(flat.eptr, shapes)
    if not len(at):
        return None
    ones = np.ones(len(at), dtype=np.float32)
    return sparse.csr_matrix((ones, flat.excluded[at], indptr), shape=(len(shapes), width))


def slot_table(flat: Flat, shapes: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """(slots, concepts) per shape, one column per interest, padded with -1 and `pad`."""
    indptr, at = gather(flat.ptr, shapes)
    lens = np.diff(indptr)
    width = max(int(lens.max(initial=0)), 1)
    rows = np.repeat(np.arange(len(shapes), dtype=np.int64), lens)
    pos = np.arange(len(at), dtype=np.int64) - indptr[rows]
    slots = np.full((len(shapes), width), -1, dtype=np.int64)
    concepts = np.full((len(shapes), width), pad, dtype=np.int64)
    slots[rows, pos] = flat.slots[at]
    concepts[rows, pos] = flat.concepts[at]
    return slots, concepts
