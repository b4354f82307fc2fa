"""Pure: sort fetched papers against what is stored into new / updated / unchanged / ignored.

A paper is one paper whichever listing named it. What a listing says is merged into what is
stored: Hugging Face owns the trending signal and its links (upvotes, comments, GitHub,
project page, thumbnail); arXiv owns the text once it has announced a paper (title,
abstract, authors, categories, version), so a replacement's new abstract is not undone by
an older copy on Hugging Face. First-seen time and listing day stay as first recorded (the
store keeps them), so a paper is new once, whichever listing named it first.

arXiv's `replace` and `replace-cross` announce a new version of a paper announced before:
they update a stored paper but are never new; one for a paper never stored is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from digest.papers import ListedPaper, join_sources

# Fields whose change makes a stored paper "updated"; anything else is refreshed silently.
TRACKED = ("title", "abstract", "upvotes", "version")
REFRESHED = (
    "authors",
    "num_comments",
    "github_url",
    "project_url",
    "thumbnail",
    "source",
    "categories",
)
HF_OWNS = ("upvotes", "num_comments", "github_url", "project_url", "thumbnail")
ARXIV_OWNS = ("title", "abstract", "authors", "categories", "version")


@dataclass(frozen=True)
class Diff:
    new: tuple[ListedPaper, ...]
    updated: tuple[ListedPaper, ...]  # merged with what is stored: write these
    unchanged: tuple[ListedPaper, ...]  # merged too (a cosmetic change may still need a write)
    duplicates: int = 0  # the same id listed more than once in one fetch
    ignored: tuple[ListedPaper, ...] = ()  # replacements of papers never stored


def merge(stored: ListedPaper, fetched: ListedPaper) -> ListedPaper:
    """What to store when `fetched` names a paper already `stored` (the same arXiv id)."""
    source = join_sources(stored.source, fetched.source)
    if fetched.source == "arxiv":
        newer = stored.version is None or (fetched.version or 0) >= stored.version
        text = fetched if newer else stored
        keep = {f: getattr(stored, f) for f in HF_OWNS}
        return replace(
            fetched,
            **{f: getattr(text, f) for f in ARXIV_OWNS},
            **keep,
            source=source,
            listing_day=stored.listing_day,
            published_at=stored.published_at or fetched.published_at,
            announce=None,
        )
    if "arxiv" in stored.source:  # Hugging Face refreshes its own fields only
        return replace(stored, **{f: getattr(fetched, f) for f in HF_OWNS}, source=source)
    return replace(fetched, source=source, listing_day=stored.listing_day)


def changed(old: ListedPaper, new: ListedPaper) -> bool:
    """Whether a tracked field changed: the text, the upvotes or a known arXiv version (a
    Hugging Face paper that arXiv announces gains a version; that alone is no update)."""
    if old.version is not None and old.version != new.version:
        return True
    return any(getattr(old, f) != getattr(new, f) for f in TRACKED if f != "version")


def diff(stored: Mapping[str, ListedPaper], fetched: Iterable[ListedPaper]) -> Diff:
    """Compare `fetched` to `stored` (keyed by arXiv id); the last listing of an id wins."""
    latest: dict[str, ListedPaper] = {}
    count = 0
    for paper in fetched:
        count += 1
        latest[paper.id] = paper
    new: list[ListedPaper] = []
    updated: list[ListedPaper] = []
    unchanged: list[ListedPaper] = []
    ignored: list[ListedPaper] = []
    for paper in latest.values():
        old = stored.get(paper.id)
        if old is None:
            (ignored if paper.replacement else new).append(replace(paper, announce=None))
            continue
        merged = merge(old, paper)
        if changed(old, merged):
            updated.append(merged)
        else:
            # A cosmetic change (say a GitHub link appeared) is stored but not an "update".
            unchanged.append(merged)
    return Diff(
        tuple(new),
        tuple(updated),
        tuple(unchanged),
        duplicates=count - len(latest),
        ignored=tuple(ignored),
    )


def needs_write(stored: ListedPaper | None, fetched: ListedPaper) -> bool:
    """Whether any stored field differs (tracked or refreshed)."""
    if stored is None:
        return True
    return any(getattr(stored, f) != getattr(fetched, f) for f in TRACKED + REFRESHED)
