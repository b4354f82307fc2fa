"""Subscriber, feedback and delivery-history queries: keyword-only functions taking `session`;
the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from digest.store.engine import chunks, dialect_insert
from digest.store.tables import (
    Delivery,
    Feedback,
    Paper,
    SentPaper,
    Subscriber,
    new_public_id,
    table_of,
)

SUBSCRIBER: sa.Table = table_of(Subscriber)


@dataclass(frozen=True)
class SubscriberInput:
    email: str
    keywords: str
    exclude: str = ""
    send_at: str | None = None  # None: the configured default
    timezone: str | None = None
    max_papers: int | None = None
    frequency: str | None = None


# --------------------------------------------------------------------------- subscribers


def get_subscriber(session: Session, *, email: str) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.email == email)).first()


def get_subscriber_by_id(session: Session, *, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def get_subscriber_by_public_id(session: Session, *, public_id: str) -> Subscriber | None:
    """The subscriber a link or Message-ID names."""
    return session.exec(select(Subscriber).where(Subscriber.public_id == public_id)).first()


def delivery_of(session: Session, *, subscriber_id: int, digest_date: date) -> Delivery | None:
    """One subscriber's outbox row for one digest date (unique)."""
    query = select(Delivery).where(
        Delivery.subscriber_id == subscriber_id, Delivery.digest_date == digest_date
    )
    return session.exec(query).first()


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
            sub.suppressed_at = sub.status_reason = None
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
            "public_id": new_public_id(),  # kept by an existing subscriber (never updated)
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


# --------------------------------------------------------------------------- web pages


def recent_deliveries(session: Session, *, subscriber_id: int, limit: int = 10) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.subscriber_id == subscriber_id)
        .order_by(col(Delivery.digest_date).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def sent_deliveries(session: Session, *, subscriber_id: int, limit: int = 30) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status == "sent")
        .order_by(col(Delivery.digest_date).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def feedback_of(session: Session, *, subscriber_id: int) -> list[tuple[Feedback, str | None]]:
    """The subscriber's votes, newest first, with the paper title when it is stored."""
    query = (
        select(Feedback, Paper.title)
        .join(Paper, col(Paper.id) == col(Feedback.paper_id), isouter=True)
        .where(Feedback.subscriber_id == subscriber_id)
        .order_by(col(Feedback.created_at).desc(), col(Feedback.paper_id))
    )
    return [(fb, title) for fb, title in session.exec(query)]


def set_feedback(
    session: Session, *, subscriber_id: int, paper_id: str, vote: int, now: datetime
) -> Feedback:
    """Record a vote; a second vote on the same paper replaces the first."""
    row = session.get(Feedback, (subscriber_id, paper_id))
    if row is None:
        row = Feedback(subscriber_id=subscriber_id, paper_id=paper_id, vote=vote, created_at=now)
    else:
        row.vote, row.created_at = vote, now
    session.add(row)
    session.flush()
    return row


def delete_feedback(session: Session, *, subscriber_id: int, paper_id: str) -> bool:
    result = session.execute(
        delete(Feedback).where(
            col(Feedback.subscriber_id) == subscriber_id, col(Feedback.paper_id) == paper_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def set_preferences(
    session: Session, *, sub: Subscriber, value: SubscriberInput, now: datetime
) -> None:
    sub.keywords, sub.exclude = value.keywords, value.exclude
    for name in ("send_at", "timezone", "max_papers", "frequency"):
        given = getattr(value, name)
        if given is not None:
            setattr(sub, name, given)
    sub.updated_at = now
    session.add(sub)


def paper_title(session: Session, *, paper_id: str) -> str | None:
    paper = session.get(Paper, paper_id)
    return paper.title if paper else None


def was_sent(session: Session, *, subscriber_id: int, paper_id: str) -> bool:
    """Whether a digest carrying this paper reached this subscriber."""
    return session.get(SentPaper, (subscriber_id, paper_id)) is not None
