"""Papers as values passed between stages: as a source lists them, and as ranking reads them.

A paper is one paper whichever listing named it: keyed by its arXiv id without version, with
`source` saying which listings have named it (`hf`, `arxiv` or both, `hf,arxiv`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SOURCES = ("hf", "arxiv")  # the listings, in the order `digest fetch` polls them by default
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
REPLACEMENTS = ("replace", "replace-cross")


def join_sources(*names: str) -> str:
    """The stored `source` of a paper named by these listings: "hf", "arxiv" or "hf,arxiv"."""
    named = {part for name in names for part in name.split(",") if part}
    return ",".join(s for s in SOURCES if s in named)


@dataclass(frozen=True)
class ListedPaper:
    """One paper as a source lists it."""

    id: str
    title: str
    abstract: str
    listing_day: date
    authors: tuple[str, ...] = ()
    upvotes: int = 0
    num_comments: int = 0
    github_url: str | None = None
    project_url: str | None = None
    thumbnail: str | None = None
    published_at: datetime | None = None
    source: str = "hf"  # hf | arxiv | hf,arxiv (stored papers named by both listings)
    categories: tuple[str, ...] = ()  # arXiv categories, in the order the listing gives them
    version: int | None = None  # the arXiv version last announced (2 for ...v2)
    # How arXiv announced it: new | cross (new papers) | replace | replace-cross (a new
    # version of a paper announced before: never new). None for other listings.
    announce: str | None = None

    @property
    def replacement(self) -> bool:
        return self.announce in REPLACEMENTS


@dataclass(frozen=True)
class PaperText:
    """What ranking needs of a stored paper."""

    id: str
    title: str
    abstract: str
    upvotes: int = 0
    first_seen_at: datetime | None = None
    listing_day: date | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # arXiv categories, e.g. ("cs.CL", "cs.LG")
