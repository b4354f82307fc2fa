"""Queries: keyword-only functions taking `session`. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from digest.acronyms import select_expansions
from digest.models import (
    Acronym,
    Feedback,
    FetchRun,
    ListedPaper,
    Paper,
    PaperText,
    Subscriber,
    table_of,
)
from digest.subscribers import SubscriberInput

T = TypeVar("T")
PAPER: sa.Table = table_of(Paper)
SUBSCRIBER: sa.Table = table_of(Subscriber)
CHUNK = 500  # rows per statement: well under SQLite's and PostgreSQL's parameter limits


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


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


def last_listing_day(session: Session) -> date | None:
    return session.exec(select(func.max(Paper.listing_day))).one()


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
    return [
        PaperText(p.id, p.title, p.abstract, p.upvotes, p.first_seen_at, p.listing_day)
        for p in rows
    ]


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


# --------------------------------------------------------------------------- subscribers


def get_subscriber(session: Session, *, email: str) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.email == email)).first()


def get_subscriber_by_id(session: Session, *, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def _fields(value: SubscriberInput, defaults: dict[str, Any]) -> dict[str, Any]:
    """Column values from an input; None means "keep or default"."""
    out: dict[str, Any] = {"keywords": value.keywords, "exclude": value.exclude}
    for name, column in (
        ("send_at", "send_at"),
        ("timezone", "timezone"),
        ("max_papers", "max_papers"),
        ("frequency", "frequency"),
    ):
        given = getattr(value, name)
        if given is not None:
            out[column] = given
        elif column in defaults:
            out[column] = defaults[column]
    return out


def upsert_subscriber(
    session: Session,
    *,
    value: SubscriberInput,
    now: datetime,
    defaults: dict[str, Any],
    status: str = "active",
) -> tuple[Subscriber, bool]:
    """Add or update one subscriber; returns (subscriber, created)."""
    sub = get_subscriber(session, email=value.email)
    created = sub is None
    if sub is None:
        sub = Subscriber(
            email=value.email,
            created_at=now,
            updated_at=now,
            status=status,
            **_fields(value, defaults),
        )
        if status == "active":
            sub.confirmed_at = now
    else:
        for key, val in _fields(value, {}).items():
            setattr(sub, key, val)
        sub.updated_at = now
        if status == "active" and sub.status != "active":
            sub.status, sub.unsubscribed_at, sub.confirmed_at = "active", None, now
            sub.soft_bounces = sub.hard_bounces = 0
            sub.suppressed_at = None
    session.add(sub)
    session.flush()
    return sub, created


def import_subscribers(
    session: Session, *, values: Sequence[SubscriberInput], now: datetime, defaults: dict[str, Any]
) -> tuple[int, int]:
    """Bulk add-or-update (last row wins for a repeated email); returns (created, updated).

    An INSERT ... ON CONFLICT (email) DO UPDATE per shape of row (which fields it gives), so
    an existing subscriber keeps the fields a row leaves empty and nobody is re-subscribed.
    """
    latest = {v.email: v for v in values}
    existing = 0
    for batch in chunks(list(latest)):
        query = select(func.count()).where(col(Subscriber.email).in_(batch))
        existing += session.exec(query).one()
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for v in latest.values():
        row = {
            "email": v.email,
            "status": "active",
            "created_at": now,
            "updated_at": now,
            "confirmed_at": now,
        } | _fields(v, defaults)
        shapes.setdefault(frozenset(_fields(v, {})) | {"updated_at"}, []).append(row)
    for given_keys, rows in shapes.items():
        if session.get_bind().dialect.name == "postgresql":
            _copy_upsert(session, SUBSCRIBER, rows, key="email", update=sorted(given_keys))
            continue
        for batch_rows in chunks(rows):
            stmt = dialect_insert(session, SUBSCRIBER)
            stmt = stmt.on_conflict_do_update(
                index_elements=["email"], set_={k: stmt.excluded[k] for k in given_keys}
            )
            # RETURNING makes SQLAlchemy batch rows into multi-row INSERTs ("insertmanyvalues")
            session.connection().execute(stmt.returning(stmt.table.c.id), batch_rows)
    return len(latest) - existing, existing


def _copy_upsert(
    session: Session, table: sa.Table, rows: list[dict[str, Any]], *, key: str, update: list[str]
) -> None:
    """PostgreSQL: COPY rows into a temporary table, then one INSERT ... ON CONFLICT.

    Far faster than multi-row INSERTs, whose long statement text psycopg re-parses each time.
    """
    defaults = {
        c.name: getattr(c.default, "arg", None)
        for c in table.columns
        if c.name not in rows[0] and c.default is not None and c.default.is_scalar
    }
    cols = list(rows[0]) + list(defaults)
    names = ", ".join(f'"{c}"' for c in cols)
    tmp = f"import_{table.name}"
    conn = session.connection()
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {tmp} ON COMMIT DROP AS "
        f'SELECT {names} FROM "{table.name}" WITH NO DATA'
    )
    conn.exec_driver_sql(f"TRUNCATE {tmp}")
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(f"COPY {tmp} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_naive_utc(row.get(c, defaults.get(c))) for c in cols])
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {tmp} '
        f'ON CONFLICT ("{key}") DO UPDATE SET {updates}'
    )
    conn.exec_driver_sql(f"DROP TABLE {tmp}")


def _naive_utc(value: Any) -> Any:
    """What UTCDateTime stores: naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def unsubscribe(session: Session, *, email: str, now: datetime) -> Subscriber | None:
    """Mark unsubscribed (idempotent); the record is kept. None if unknown."""
    sub = get_subscriber(session, email=email)
    if sub is None:
        return None
    if sub.status != "unsubscribed":
        sub.status, sub.unsubscribed_at, sub.updated_at = "unsubscribed", now, now
        session.add(sub)
        session.flush()
    return sub


def iter_subscribers(
    session: Session, *, statuses: Sequence[str] | None = None, batch: int = 1000
) -> Iterator[Subscriber]:
    """All subscribers by id, read in batches so memory stays flat."""
    last_id = 0
    while True:
        query = select(Subscriber).where(col(Subscriber.id) > last_id)
        if statuses:
            query = query.where(col(Subscriber.status).in_(statuses))
        rows = session.exec(query.order_by(col(Subscriber.id)).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id or 0


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


def acronym_expansions(session: Session) -> dict[str, list[str]]:
    """Learned short form -> expansions, for build_index (rare rival expansions dropped)."""
    return select_expansions(acronym_counts(session))


# --------------------------------------------------------------------------- feedback


def feedback_for(
    session: Session, *, subscriber_ids: Iterable[int]
) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    """subscriber id -> (liked paper ids, disliked paper ids), oldest vote first."""
    out: dict[int, tuple[list[str], list[str]]] = {}
    for batch in chunks(set(subscriber_ids)):
        query = select(Feedback).where(col(Feedback.subscriber_id).in_(batch))
        for fb in session.exec(query.order_by(col(Feedback.created_at), col(Feedback.paper_id))):
            liked, disliked = out.setdefault(fb.subscriber_id, ([], []))
            (liked if fb.vote > 0 else disliked).append(fb.paper_id)
    return {k: (tuple(v[0]), tuple(v[1])) for k, v in out.items()}
