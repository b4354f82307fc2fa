"""Highlight spans (pure): merging the spans of several interests, one or many at a time.

A span is (field index, start, end) in characters; the spans of one explanation are sorted
by field (title first) and offset, overlapping or touching ones joined. For many
explanations at once, spans are packed into one int64 each (field, start, end: 24 bits per
offset) and merged with numpy: sort, running maximum of the ends, a new run wherever a span
starts after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

Raw = tuple[tuple[int, int, int], ...]  # (field index, start, end), sorted
BITS = 24
LIMIT = 1 << BITS  # offsets must stay below this to be packed
_LOW = LIMIT - 1


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


def pack(raw: Raw) -> tuple[int, ...]:
    return tuple((f << (2 * BITS)) | (start << BITS) | end for f, start, end in raw)


def unpack(code: int) -> tuple[int, int, int]:
    return code >> (2 * BITS), (code >> BITS) & _LOW, code & _LOW


def merge_packed(groups: Sequence[Sequence[tuple[int, ...]]]) -> list[list[int]]:
    """For each group (the packed spans of several interests), its merged packed spans."""
    sizes = [len(g) for g in groups]
    parts = list(chain.from_iterable(groups))
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    owner = np.repeat(np.repeat(np.arange(len(groups), dtype=np.int64), sizes), lens)
    codes = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=int(lens.sum()))
    order = np.lexsort((codes, owner))
    codes, owner = codes[order], owner[order]
    field = codes >> (2 * BITS)
    start = (codes >> BITS) & _LOW
    end = codes & _LOW
    offset = (owner * 2 + field) * LIMIT  # runs never cross an explanation or a field
    reach = np.maximum.accumulate(end + offset)
    new = np.ones(len(codes), dtype=bool)
    new[1:] = start[1:] + offset[1:] > reach[:-1]
    at = np.flatnonzero(new)
    if not len(at):
        return [[] for _ in groups]
    merged = (field[at] << (2 * BITS)) | (start[at] << BITS) | np.maximum.reduceat(end, at)
    bounds = np.searchsorted(owner[at], np.arange(len(groups) + 1)).tolist()
    flat = merged.tolist()
    return [flat[bounds[i] : bounds[i + 1]] for i in range(len(groups))]
