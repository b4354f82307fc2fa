"""What ranking takes and returns: a subscriber's profile, and scored papers with their reasons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress, repeat
from operator import attrgetter, is_
from typing import Any, NamedTuple

from digest.ranking.spans import FIELDS, merge_raw


@dataclass(frozen=True)
class Profile:
    """One subscriber's interests, as ranking sees them."""

    key: int | str
    keywords: str
    exclude: str = ""
    max_papers: int = 10
    since: datetime | None = None  # only papers first seen after this
    already_sent: frozenset[str] = frozenset()
    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()


# One field of many profiles at once, read in C loops (`map(MAX_PAPERS_OF, profiles)`).
KEYWORDS_OF = attrgetter("keywords")
EXCLUDE_OF = attrgetter("exclude")
MAX_PAPERS_OF = attrgetter("max_papers")
SINCE_OF = attrgetter("since")
SENT_OF = attrgetter("already_sent")
LIKED_OF = attrgetter("liked")
DISLIKED_OF = attrgetter("disliked")


def having(profiles: Sequence[Profile], field: Callable[[Profile], Any]) -> list[int]:
    """The positions of the profiles whose `field` is set (in C loops: no Python step per
    profile)."""
    return list(compress(range(len(profiles)), map(field, profiles)))


def nones(values: list[Any]) -> list[int]:
    """The positions of None in `values` (in C loops: no Python step per value)."""
    return list(compress(range(len(values)), map(is_, values, repeat(None))))


class Span(NamedTuple):
    """Characters [start, end) of a paper's title or abstract (a tuple: cheap to make by
    the hundred thousand when ranking)."""

    field: str  # "title" | "abstract"
    start: int
    end: int


class Match(NamedTuple):
    """One interest that matched a paper."""

    keyword: str  # the interest as the subscriber wrote it
    where: tuple[str, ...]  # subset of ("title", "abstract")
    terms: tuple[str, ...] = ()  # the words found, e.g. ("out-of-distribution",)
    spans: tuple[Span, ...] = ()  # where they were found: title first, by offset, joined


def merged_spans(matches: Sequence[Match]) -> tuple[Span, ...]:
    """The spans of every match, title first, by offset, overlapping or touching ones joined."""
    if len(matches) == 1:
        return matches[0].spans
    order = FIELDS.index
    raw = [(order(s.field), s.start, s.end) for m in matches for s in m.spans]
    return tuple(Span(FIELDS[f], start, end) for f, start, end in merge_raw(raw))


class ScoredPaper(NamedTuple):
    """One ranked paper for one profile, and why (a tuple: made by the hundred thousand)."""

    paper_id: str
    score: float
    relevance: float
    trending: float
    matches: tuple[Match, ...] = ()

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(m.keyword for m in self.matches)

    @property
    def spans(self) -> tuple[Span, ...]:
        """All matched text as one highlight (merged_spans, made on each read; the email
        reads each match's own spans, its highlighting joins overlaps anyway)."""
        return merged_spans(self.matches)
