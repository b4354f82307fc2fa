"""Outbox queries: plan rows, claim them under a lease, record what happened.

Keyword-only functions taking `session`; the caller commits. Claims are one UPDATE whose
subquery is `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (so any number of workers
share the outbox without blocking each other) and a plain subquery on SQLite (a single
statement is atomic there; SQLite is meant for one process).

A claimed row is `sending` with `lease_owner` and `lease_until`. A worker that dies keeps
its rows only until the lease runs out; then any worker may claim them again. What became
of a claimed row is recorded by `digest.outcomes`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from digest.store.tables import (
    DUE_ROWS,
    LEASED_ROWS,
    Delivery,
    DeliveryStatus,
    SentPaper,
    Subscriber,
    table_of,
)

DELIVERY = table_of(Delivery)
SUBSCRIBER = table_of(Subscriber)
SENT_PAPER = table_of(SentPaper)

CLAIMABLE = ("pending", "retry")
STATUSES = tuple(s.value for s in DeliveryStatus)
DONE = ("sent", "empty", "failed", "suppressed", "skipped")


@dataclass(frozen=True)
class Claimed:
    """One claimed outbox row."""

    id: int
    subscriber_id: int
    digest_date: date
    attempts: int


@dataclass(frozen=True)
class SubscriberSlot:
    """What planning needs of a subscriber (no ORM objects: planning streams millions)."""

    id: int
    send_at: str
    timezone: str
    frequency: str
    status: str


def dialect_insert(session: Session, table: sa.Table) -> Any:
    """A dialect INSERT that supports ON CONFLICT DO NOTHING."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


# --------------------------------------------------------------------------- planning


def iter_slots(
    session: Session, *, email: str | None = None, batch: int = 2000
) -> Iterator[list[SubscriberSlot]]:
    """Active subscribers in id order, a batch at a time (keyset paging: memory stays flat)."""
    cols = (SUBSCRIBER.c.id, SUBSCRIBER.c.send_at, SUBSCRIBER.c.timezone, SUBSCRIBER.c.frequency)
    last = 0
    while True:
        query = sa.select(*cols, SUBSCRIBER.c.status).where(
            SUBSCRIBER.c.id > last, SUBSCRIBER.c.status == "active"
        )
        if email is not None:
            query = query.where(SUBSCRIBER.c.email == email)
        rows = session.execute(query.order_by(SUBSCRIBER.c.id).limit(batch)).all()
        if not rows:
            return
        yield [SubscriberSlot(*row) for row in rows]
        last = rows[-1][0]


def _latest(postgres: bool) -> Any:
    # PostgreSQL gets the ids as one array (a short statement psycopg parses once), SQLite as
    # an IN list.
    ids = DELIVERY.c.subscriber_id
    where = (
        ids == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(ids.type)))
        if postgres
        else ids.in_(sa.bindparam("ids", expanding=True))
    )
    return sa.select(ids, sa.func.max(DELIVERY.c.digest_date)).where(where).group_by(ids)


_LATEST = {postgres: _latest(postgres) for postgres in (False, True)}


def latest_planned(session: Session, *, subscriber_ids: Sequence[int]) -> dict[int, date]:
    """The latest digest date already planned for each of these subscribers."""
    query = _LATEST[_postgres(session)]
    return {sid: day for sid, day in session.execute(query, {"ids": list(subscriber_ids)})}


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_PLANNED_COLUMNS = [
    "subscriber_id", "digest_date", "status", "attempts", "next_attempt_at", "paper_ids",
    "created_at", "updated_at",
]  # fmt: skip


def _planned_arrays() -> Any:
    """PostgreSQL: new rows as two arrays (subscriber ids, dates), unnested: one short
    statement for a batch of any size instead of a VALUES list of 16,000 parameters."""
    c = DELIVERY.c
    rows = (
        sa.func.unnest(
            sa.bindparam("s", type_=postgresql.ARRAY(c.subscriber_id.type)),
            sa.bindparam("d", type_=postgresql.ARRAY(c.digest_date.type)),
        )
        .table_valued("s", "d")
        .render_derived()
    )
    now = sa.bindparam("now", type_=c.created_at.type)
    nothing = sa.bindparam("nothing", type_=c.paper_ids.type)
    pending = sa.literal("pending", c.status.type)
    select = sa.select(rows.c.s, rows.c.d, pending, sa.literal(0), now, nothing, now, now)
    insert = postgresql.insert(DELIVERY).from_select(_PLANNED_COLUMNS, select)
    return insert.on_conflict_do_nothing(index_elements=["subscriber_id", "digest_date"])


_PLANNED_ARRAYS = _planned_arrays().returning(DELIVERY.c.id)


def insert_planned(session: Session, *, rows: Sequence[tuple[int, date]], now: datetime) -> int:
    """Insert outbox rows, skipping those that exist; returns how many were new."""
    if not rows:
        return 0
    if _postgres(session):
        arrays = {"s": [r[0] for r in rows], "d": [r[1] for r in rows], "now": now, "nothing": []}
        return len(session.connection().execute(_PLANNED_ARRAYS, arrays).all())
    values = [
        dict(zip(_PLANNED_COLUMNS, (sid, day, "pending", 0, now, [], now, now), strict=True))
        for sid, day in rows
    ]
    # one statement executed for many rows (compiled once; batched by the driver layer)
    stmt = dialect_insert(session, DELIVERY).on_conflict_do_nothing(
        index_elements=["subscriber_id", "digest_date"]
    )
    return len(session.connection().execute(stmt.returning(DELIVERY.c.id), values).all())


def refresh_statistics(session: Session) -> None:
    """ANALYZE the outbox on PostgreSQL (autovacuum does too, but up to a minute later)."""
    if _postgres(session):
        session.execute(sa.text("ANALYZE delivery"))


# --------------------------------------------------------------------------- claiming


def _due(now: datetime) -> Any:
    """Pending rows and retries whose time has come (the rows of `ix_delivery_due`)."""
    return sa.and_(sa.text(DUE_ROWS), DELIVERY.c.next_attempt_at <= now)


def _expired(now: datetime) -> Any:
    """Rows whose worker's lease ran out (the rows of `ix_delivery_leased`)."""
    return sa.and_(sa.text(LEASED_ROWS), DELIVERY.c.lease_until < now)


def _claimable(now: datetime) -> Any:
    return sa.or_(_due(now), _expired(now))


def claim(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    subscriber_id: int | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows: first those whose lease ran out (a worker died), then
    pending rows and retries that are due, earliest first."""
    rows = _claim_some(
        session, _expired(now), (DELIVERY.c.lease_until, DELIVERY.c.id), owner, now,
        lease_seconds, limit, subscriber_id,
    )  # fmt: skip
    if len(rows) < limit:
        rows += _claim_some(
            session, _due(now), (DELIVERY.c.next_attempt_at, DELIVERY.c.id), owner, now,
            lease_seconds, limit - len(rows), subscriber_id,
        )  # fmt: skip
    return sorted(rows, key=lambda c: c.id)


def _claim_some(
    session: Session,
    where: Any,
    order: tuple[Any, ...],
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    subscriber_id: int | None,
) -> list[Claimed]:
    """One claiming statement: the first `limit` rows matching `where` in `order` (read
    from a partial index, see models.Delivery), skipping rows another worker has locked."""
    if subscriber_id is not None:
        where = sa.and_(where, DELIVERY.c.subscriber_id == subscriber_id)
    ids = (
        sa.select(DELIVERY.c.id)
        .where(where)
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        sa.update(DELIVERY)
        .where(DELIVERY.c.id.in_(ids.scalar_subquery()))
        .values(
            status="sending",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(
            DELIVERY.c.id, DELIVERY.c.subscriber_id, DELIVERY.c.digest_date, DELIVERY.c.attempts
        )
    )
    return [Claimed(*row) for row in session.execute(stmt)]


def count_claimable(session: Session, *, now: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(DELIVERY).where(_claimable(now))
    return int(session.execute(query).scalar_one())


def next_due(session: Session) -> datetime | None:
    """When the earliest waiting row (pending, retry or leased) becomes claimable."""
    query = sa.select(
        sa.func.min(
            sa.case(
                (DELIVERY.c.status == "sending", DELIVERY.c.lease_until),
                else_=DELIVERY.c.next_attempt_at,
            )
        )
    ).where(DELIVERY.c.status.in_((*CLAIMABLE, "sending")))
    value: datetime | None = session.execute(query).scalar_one()
    return value


def renew(
    session: Session, *, owner: str, ids: Sequence[int], now: datetime, lease_seconds: int
) -> int:
    """Extend the lease on rows this owner still holds; returns how many."""
    stmt = (
        sa.update(DELIVERY)
        .where(owned(owner), DELIVERY.c.id.in_(ids))
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    return rowcount(session.execute(stmt))


def rowcount(result: Any) -> int:
    """Rows an UPDATE touched (a CursorResult's rowcount, which the ORM's Result type hides)."""
    return int(result.rowcount or 0)


def release(session: Session, *, owner: str, ids: Sequence[int], now: datetime) -> int:
    """Give rows back unsent (a clean shutdown), so no one waits for the lease to run out."""
    stmt = (
        sa.update(DELIVERY)
        .where(owned(owner), DELIVERY.c.id.in_(ids))
        .values(status="pending", lease_owner=None, lease_until=None, updated_at=now)
    )
    return rowcount(session.execute(stmt))


def owned(owner: Any) -> Any:
    """Still held by this worker's lease: the one condition every write of a claimed row
    checks (`owner` is a name or a bound parameter), so a row another worker took over after
    the lease ran out is never written by the old one."""
    return sa.and_(DELIVERY.c.status == "sending", DELIVERY.c.lease_owner == owner)


# --------------------------------------------------------------------------- status


def status_counts(session: Session, *, digest_date: date) -> dict[str, int]:
    """Outbox rows for one digest date, by status, plus suppressed subscribers."""
    query = (
        sa.select(DELIVERY.c.status, sa.func.count())
        .where(DELIVERY.c.digest_date == digest_date)
        .group_by(DELIVERY.c.status)
    )
    by_status = dict.fromkeys(STATUSES, 0)
    by_status.update({status: int(n) for status, n in session.execute(query)})
    suppressed = sa.select(sa.func.count()).where(SUBSCRIBER.c.status == "suppressed")
    order = ("sent", "empty", "retry", "pending", "sending", "failed", "suppressed", "skipped")
    counts = {"due": sum(by_status.values())}
    counts.update({"retrying" if k == "retry" else k: by_status.pop(k) for k in order})
    counts.update(by_status)  # any status not listed above
    counts["suppressed_subscribers"] = int(session.execute(suppressed).scalar_one())
    return counts
