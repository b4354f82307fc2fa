"""Pure: sort fetched papers against what is stored into new / updated / unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from digest.papers import ListedPaper

# Fields whose change makes a stored paper "updated"; anything else is refreshed silently.
TRACKED = ("title", "abstract", "upvotes")
REFRESHED = ("authors", "num_comments", "github_url", "project_url", "thumbnail")


@dataclass(frozen=True)
class Diff:
    new: tuple[ListedPaper, ...]
    updated: tuple[ListedPaper, ...]
    unchanged: tuple[ListedPaper, ...]
    duplicates: int = 0  # the same id listed more than once in one fetch


def diff(stored: Mapping[str, ListedPaper], fetched: Iterable[ListedPaper]) -> Diff:
    """Compare `fetched` to `stored` (keyed by arXiv id); the last listing of an id wins."""
    latest: dict[str, ListedPaper] = {}
    count = 0
    for paper in fetched:
        count += 1
        latest[paper.id] = paper
    new, updated, unchanged = [], [], []
    for paper in latest.values():
        old = stored.get(paper.id)
        if old is None:
            new.append(paper)
        elif any(getattr(old, f) != getattr(paper, f) for f in TRACKED):
            updated.append(paper)
        else:
            # A cosmetic change (say a GitHub link appeared) is stored but not an "update".
            unchanged.append(paper)
    return Diff(tuple(new), tuple(updated), tuple(unchanged), duplicates=count - len(latest))


def needs_write(stored: ListedPaper | None, fetched: ListedPaper) -> bool:
    """Whether any stored field differs (tracked or refreshed)."""
    if stored is None:
        return True
    return any(getattr(stored, f) != getattr(fetched, f) for f in TRACKED + REFRESHED)
