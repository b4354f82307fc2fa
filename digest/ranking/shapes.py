"""Profiles' interests parsed once per distinct string and kept as flat arrays (pure).

A *shape* is what (keywords, exclude) as written ask for: its *slots* (one interest as
written: its concept and its text), in the order first written, with their weights, and the
concepts it excludes. Many subscribers share interests, so each distinct keyword string is
parsed once, each distinct item once, and a chunk of profiles becomes its sparse
profile x concept matrix by numpy gathers over the flat arrays, without a loop per profile.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import sparse

from digest.ranking.concepts import Concept, ConceptBook
from digest.ranking.interests import InterestError, parse_item, split_items

# an item as written -> (slot, weight, excluded, concept id, lowered text); None when empty
# or malformed
Item = tuple[int, float, bool, int, str] | None


class Flat(NamedTuple):
    """All shapes as flat arrays: slots of shape s are slots[ptr[s]:ptr[s + 1]]."""

    ptr: np.ndarray
    slots: np.ndarray
    concepts: np.ndarray  # concept id of each entry of `slots`
    weights: np.ndarray  # float32
    eptr: np.ndarray
    excluded: np.ndarray  # concept ids


class Shapes:
    def __init__(self, book: ConceptBook):
        self.book = book
        # (keywords, exclude) -> shape; keyed by the keywords alone when nothing is excluded
        # (most profiles): a string key is one tuple fewer per profile (see `key`)
        self.of: dict[str | tuple[str, str], int] = {}
        self.items: dict[str, Item] = {}
        self.slot_of: dict[tuple[int, str], int] = {}
        self.slot_concept: list[Concept] = []
        self.slot_written: list[str] = []
        self.slot_cid: list[int] = []
        self._ptr = [0]
        self._slots: list[int] = []
        self._weights: list[float] = []
        self._eptr = [0]
        self._excluded: list[int] = []
        self._flat: Flat | None = None

    def shape(self, keywords: str, exclude: str) -> int:
        key = self.key(keywords, exclude)
        found = self.of.get(key)
        if found is None:
            found = self.add(key, keywords, exclude)
        return found

    def add(self, key: str | tuple[str, str], keywords: str, exclude: str) -> int:
        """The shape of (keywords, exclude), not seen yet under its `key`."""
        found = self.of[key] = self._parse(keywords, exclude)
        return found

    @staticmethod
    def key(keywords: str, exclude: str) -> str | tuple[str, str]:
        return (keywords, exclude) if exclude else keywords

    def width(self, shape: int) -> int:
        return self._ptr[shape + 1] - self._ptr[shape]

    def _parse(self, keywords: str, also_exclude: str) -> int:
        items = self.items
        slots, weights, excluded = self._slots, self._weights, self._excluded
        written: list[str] = []  # lowered: the same interest twice counts once, as first written
        # pieces between commas are looked up as they are; quotes need the real splitter
        for piece in split_items(keywords) if '"' in keywords else keywords.split(","):
            try:
                found = items[piece]
            except KeyError:
                found = items[piece] = self._item(piece)
            if found is None:
                continue  # empty, or a malformed stored interest: the rest still count
            if found[2]:
                excluded.append(found[3])
            elif found[4] not in written:
                written.append(found[4])
                slots.append(found[0])
                weights.append(found[1])
        if also_exclude:
            for piece in (
                split_items(also_exclude) if '"' in also_exclude else also_exclude.split(",")
            ):
                try:
                    found = items[piece]
                except KeyError:
                    found = items[piece] = self._item(piece)
                if found is not None:
                    excluded.append(found[3])
        self._ptr.append(len(slots))
        self._eptr.append(len(excluded))
        return len(self._ptr) - 2

    def _item(self, piece: str) -> Item:
        item = " ".join(piece.split())
        if not item:
            return None
        try:
            interest, excluded = parse_item(item)
        except InterestError:
            return None
        concept = self.book.concept(interest.text, interest.phrase, later=True)
        slot = self.slot_of.get((concept.id, interest.text))
        if slot is None:
            slot = self.slot_of[(concept.id, interest.text)] = len(self.slot_concept)
            self.slot_concept.append(concept)
            self.slot_written.append(interest.text)
            self.slot_cid.append(concept.id)
        return slot, interest.weight, excluded, concept.id, interest.text.lower()

    def flat(self) -> Flat:
        """The flat arrays, extended by the shapes parsed since the last call."""
        done = self._flat
        if done is not None and len(done.ptr) == len(self._ptr):
            return done
        at = (
            (len(done.ptr), len(done.slots), len(done.eptr), len(done.excluded))
            if done
            else (0,) * 4
        )
        slots = np.array(self._slots[at[1] :], dtype=np.int64)
        cids = np.array(self.slot_cid, dtype=np.int64)
        parts: list[np.ndarray] = [
            np.array(self._ptr[at[0] :], dtype=np.int64),
            slots,
            cids[slots] if len(slots) else slots,
            np.array(self._weights[at[1] :], dtype=np.float32),
            np.array(self._eptr[at[2] :], dtype=np.int64),
            np.array(self._excluded[at[3] :], dtype=np.int64),
        ]
        if done is not None:
            parts = [np.concatenate((old, new)) for old, new in zip(done, parts, strict=True)]
        self._flat = Flat(*parts)
        return self._flat


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
