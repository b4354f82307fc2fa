"""Paper, fetch-run and acronym queries: keyword-only functions taking `session`; the caller
owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from digest.papers import ListedPaper, PaperText
from digest.store.engine import chunks, dialect_insert
from digest.store.tables import (
    Acronym,
    Feedback,
    FetchRun,
    MissingDay,
    Paper,
    PaperSource,
    table_of,
)

PAPER: sa.Table = table_of(Paper)


# --------------------------------------------------------------------------- papers


def _listed(p: Paper) -> ListedPaper:
    return ListedPaper(
        id=p.id,
        title=p.title,
        abstract=p.abstract,
        listing_day=p.listing_day,
        authors=tuple(p.authors),
        upvotes=p.upvotes,
        num_comments=p.num_comments,
        github_url=p.github_url,
        project_url=p.project_url,
        thumbnail=p.thumbnail,
        published_at=p.published_at,
        source=p.source,
        categories=tuple(p.categories),
        version=p.arxiv_version,
    )


def stored_listings(session: Session, *, ids: Iterable[str]) -> dict[str, ListedPaper]:
    """The stored papers among `ids`, as the source would list them."""
    out: dict[str, ListedPaper] = {}
    for batch in chunks(set(ids)):
        for paper in session.exec(select(Paper).where(col(Paper.id).in_(batch))):
            out[paper.id] = _listed(paper)
    return out


def _row(p: ListedPaper) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "abstract": p.abstract,
        "authors": list(p.authors),
        "upvotes": p.upvotes,
        "num_comments": p.num_comments,
        "github_url": p.github_url,
        "project_url": p.project_url,
        "thumbnail": p.thumbnail,
        "published_at": p.published_at,
        "source": p.source,
        "categories": list(p.categories),
        "arxiv_version": p.version,
    }


def insert_papers(session: Session, *, papers: Sequence[ListedPaper], now: datetime) -> None:
    for batch in chunks(papers):
        rows = [
            _row(p) | {"listing_day": p.listing_day, "first_seen_at": now, "updated_at": now}
            for p in batch
        ]
        stmt = insert(PAPER).returning(PAPER.c.id)
        session.connection().execute(stmt, rows)


def update_papers(session: Session, *, papers: Sequence[ListedPaper], now: datetime) -> None:
    """Refresh stored papers; first-seen time and listing day stay as first recorded."""
    for batch in chunks(papers):
        rows = [
            _row(p) | {"listing_day": p.listing_day, "first_seen_at": now, "updated_at": now}
            for p in batch
        ]
        stmt = dialect_insert(session, PAPER)
        refreshed = [k for k in rows[0] if k not in ("id", "listing_day", "first_seen_at")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in refreshed}
        )
        session.connection().execute(stmt.returning(stmt.table.c.id), rows)


def last_listing_day(session: Session, *, source: str | None = None) -> date | None:
    """The newest listing day stored, or of the papers that `source` ("hf", "arxiv") named.

    A paper's listing day is the day it was first listed, by whichever listing that was, so
    a listing's own last day is never later than this one (a day re-fetched, never skipped).
    """
    query = select(func.max(Paper.listing_day))
    if source is not None:
        query = query.where(
            col(Paper.source).in_([s.value for s in PaperSource if source in s.split(",")])
        )
    return session.exec(query).one()


def prune_papers(session: Session, *, before: date) -> int:
    """Delete the papers listed before `before`; returns how many.

    Papers someone voted on stay (the ranking compares candidates with them). Papers already
    sent stay recorded as sent (`sentpaper` is keyed by id), so a paper listed again after
    it was pruned is never sent twice.
    """
    voted = sa.select(table_of(Feedback).c.paper_id)
    stmt = sa.delete(PAPER).where(PAPER.c.listing_day < before, PAPER.c.id.not_in(voted))
    result = session.connection().execute(stmt)
    return int(result.rowcount or 0)


def count_papers(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Paper)).one()


def paper_texts(
    session: Session, *, since: datetime | None = None, listing_from: date | None = None
) -> list[PaperText]:
    """Papers for ranking, optionally only those first seen after `since`."""
    query = select(Paper)
    if since is not None:
        query = query.where(Paper.first_seen_at > since)
    if listing_from is not None:
        query = query.where(Paper.listing_day >= listing_from)
    rows = session.exec(query.order_by(col(Paper.id)))
    return [paper_text(p) for p in rows]


def paper_sources(session: Session, *, listing_from: date | None = None) -> dict[str, str]:
    """Which listings named each paper (hf, arxiv, hf,arxiv), by id."""
    query = select(Paper.id, Paper.source)
    if listing_from is not None:
        query = query.where(Paper.listing_day >= listing_from)
    return dict(session.exec(query).all())


def paper_text(p: Paper) -> PaperText:
    """What ranking reads of a stored paper."""
    return PaperText(
        p.id,
        p.title,
        p.abstract,
        p.upvotes,
        p.first_seen_at,
        p.listing_day,
        authors=tuple(p.authors),
        categories=tuple(p.categories),
    )


def papers_by_id(session: Session, *, ids: Iterable[str]) -> dict[str, Paper]:
    out: dict[str, Paper] = {}
    for batch in chunks(set(ids)):
        out.update({p.id: p for p in session.exec(select(Paper).where(col(Paper.id).in_(batch)))})
    return out


# --------------------------------------------------------------------------- fetch runs


def start_fetch_run(session: Session, *, now: datetime, first: date, last: date) -> FetchRun:
    run = FetchRun(started_at=now, first_day=first, last_day=last)
    session.add(run)
    session.flush()
    return run


def last_fetch_run(session: Session) -> FetchRun | None:
    query = select(FetchRun).where(FetchRun.status != "running")
    return session.exec(query.order_by(col(FetchRun.started_at).desc()).limit(1)).first()


# --------------------------------------------------------------------------- missing days


def missing_days(session: Session, *, since: date | None = None) -> list[MissingDay]:
    """Listing days a fetch could not read and no fetch has read since, oldest first."""
    query = select(MissingDay)
    if since is not None:
        query = query.where(MissingDay.day >= since)
    return list(session.exec(query.order_by(col(MissingDay.day))))


def mark_missing(session: Session, *, day: date, now: datetime, error: str) -> None:
    """Remember that `day` could not be read (once more, if it already was)."""
    row = session.get(MissingDay, day)
    if row is None:
        row = MissingDay(day=day, first_failed_at=now, last_failed_at=now, last_error=error)
    else:
        row.attempts += 1
        row.last_failed_at, row.last_error = now, error
    row.last_error = row.last_error[:1000]
    session.add(row)
    session.flush()


def clear_missing(session: Session, *, day: date) -> bool:
    """`day` was read: no longer missing. Whether it was."""
    row = session.get(MissingDay, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# --------------------------------------------------------------------------- acronyms


def save_acronyms(session: Session, *, counts: Mapping[tuple[str, str], int], now: datetime) -> int:
    """Add learned (short, long) counts to the stored ones; returns the pairs written.

    An upsert (ON CONFLICT) on both SQLite and PostgreSQL, so concurrent fetches add up.
    """
    rows = [
        {"short": s, "long": lg, "count": n, "updated_at": now}
        for (s, lg), n in sorted(counts.items())
        if 0 < len(s) <= 32 and 0 < len(lg) <= 200 and n > 0
    ]
    for batch in chunks(rows):
        stmt = dialect_insert(session, Acronym).values(batch)
        stmt = stmt.on_conflict_do_update(
            index_elements=["short", "long"],
            set_={"count": Acronym.count + stmt.excluded.count, "updated_at": now},
        )
        session.execute(stmt)
    return len(rows)


def acronym_counts(session: Session) -> dict[tuple[str, str], int]:
    rows = session.exec(select(Acronym.short, Acronym.long, Acronym.count))
    return {(s, lg): n for s, lg, n in rows}
