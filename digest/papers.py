"""Papers as values passed between stages: as a source lists them, and as ranking reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
    source: str = "hf"


@dataclass(frozen=True)
class PaperText:
    """What ranking needs of a stored paper."""

    id: str
    title: str
    abstract: str
    upvotes: int = 0
    first_seen_at: datetime | None = None
    listing_day: date | None = None
