"""Highlight spans (pure): (field index, start, end) in characters, sorted and joined.

The fields are FIELDS, in the order they are shown (title first); the spans of one match,
and the spans of several matches on one paper, are sorted by field and offset with
overlapping or touching ones joined.
"""

from __future__ import annotations

from collections.abc import Iterable

FIELDS = ("title", "abstract")
Raw = tuple[tuple[int, int, int], ...]  # (field index, start, end), sorted


def merge_raw(raw: Iterable[tuple[int, int, int]]) -> Raw:
    """Sorted by field (title first) and offset; overlapping or touching spans joined."""
    out: list[tuple[int, int, int]] = []
    for f, start, end in sorted(raw):
        if out and out[-1][0] == f and start <= out[-1][2]:
            if end > out[-1][2]:
                out[-1] = (f, out[-1][1], end)
            continue
        out.append((f, start, end))
    return tuple(out)
