"""Outbox queries: plan rows, claim them under a lease, record what happened.

Keyword-only functions taking `session`; the caller commits. Claims are one UPDATE whose
subquery is `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (so any number of workers
share the outbox without blocking each other) and a plain subquery on SQLite (a single
statement is atomic there; SQLite is meant for one process).

A claimed row is `sending` with `lease_owner` and `lease_until`. A worker that dies keeps
its rows only until the lease runs out; then any worker may claim them again. Every
`record_*` function only touches a row its caller still owns, and says whether it did.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from digest.models import Delivery, SentPaper, Subscriber

DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
SUBSCRIBER = Subscriber.__table__  # type: ignore[attr-defined]
SENT_PAPER = SentPaper.__table__  # type: ignore[attr-defined]

CLAIMABLE = ("pending", "retry")
STATUSES = ("pending", "sending", "retry", "sent", "empty", "failed", "suppressed", "skipped")
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


def _insert(session: Session, table: sa.Table) -> Any:
    """A dialect INSERT that supports ON CONFLICT DO NOTHING."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


_SENT_PAPERS: dict[str, Any] = {}


def _insert_sent(session: Session, rows: list[dict[str, Any]]) -> None:
    name = session.get_bind().dialect.name
    stmt = _SENT_PAPERS.get(name)
    if stmt is None:
        stmt = _SENT_PAPERS[name] = _insert(session, SENT_PAPER).on_conflict_do_nothing()
    session.connection().execute(stmt, rows)


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


def latest_planned(session: Session, *, subscriber_ids: Sequence[int]) -> dict[int, date]:
    """The latest digest date already planned for each of these subscribers."""
    query = (
        sa.select(DELIVERY.c.subscriber_id, sa.func.max(DELIVERY.c.digest_date))
        .where(DELIVERY.c.subscriber_id.in_(subscriber_ids))
        .group_by(DELIVERY.c.subscriber_id)
    )
    return {sid: day for sid, day in session.execute(query)}


def insert_planned(session: Session, *, rows: Sequence[tuple[int, date]], now: datetime) -> int:
    """Insert outbox rows, skipping those that exist; returns how many were new."""
    if not rows:
        return 0
    values = [
        {
            "subscriber_id": sid,
            "digest_date": day,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "paper_ids": [],
            "created_at": now,
            "updated_at": now,
        }
        for sid, day in rows
    ]
    # one statement executed for many rows (compiled once; batched by the driver layer)
    stmt = _insert(session, DELIVERY).on_conflict_do_nothing(
        index_elements=["subscriber_id", "digest_date"]
    )
    return len(session.connection().execute(stmt.returning(DELIVERY.c.id), values).all())


# --------------------------------------------------------------------------- claiming


def _claimable(now: datetime) -> Any:
    return sa.or_(
        sa.and_(DELIVERY.c.status.in_(CLAIMABLE), DELIVERY.c.next_attempt_at <= now),
        sa.and_(DELIVERY.c.status == "sending", DELIVERY.c.lease_until < now),
    )


def claim(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    subscriber_id: int | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows (pending, retry due, or with an expired lease)."""
    where = _claimable(now)
    if subscriber_id is not None:
        where = sa.and_(where, DELIVERY.c.subscriber_id == subscriber_id)
    ids = (
        sa.select(DELIVERY.c.id)
        .where(where)
        .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
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
    rows = [Claimed(*row) for row in session.execute(stmt)]
    return sorted(rows, key=lambda c: c.id)


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
        .where(_owned(owner), DELIVERY.c.id.in_(ids))
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def release(session: Session, *, owner: str, ids: Sequence[int], now: datetime) -> int:
    """Give rows back unsent (a clean shutdown), so no one waits for the lease to run out."""
    stmt = (
        sa.update(DELIVERY)
        .where(_owned(owner), DELIVERY.c.id.in_(ids))
        .values(status="pending", lease_owner=None, lease_until=None, updated_at=now)
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def _owned(owner: str) -> Any:
    return sa.and_(DELIVERY.c.status == "sending", DELIVERY.c.lease_owner == owner)


# --------------------------------------------------------------------------- results


_FINISH: dict[tuple[tuple[str, ...], bool], Any] = {}


def _finish(
    session: Session, delivery_id: int, owner: str, *, bump: bool = False, **values: Any
) -> bool:
    """Update a row still owned by `owner`, dropping the lease; False if it was lost.

    `bump` counts one more attempt. Statements are built once per shape and reused: this
    runs once per message, so building SQL each time would dominate its cost.
    """
    shape = (tuple(sorted(values)), bump)
    stmt = _FINISH.get(shape)
    if stmt is None:
        sets: dict[str, Any] = {
            k: sa.bindparam(f"v_{k}", type_=DELIVERY.c[k].type) for k in shape[0]
        }
        if bump:
            sets["attempts"] = DELIVERY.c.attempts + 1
        stmt = _FINISH[shape] = (
            sa.update(DELIVERY)
            .where(
                DELIVERY.c.id == sa.bindparam("w_id"),
                DELIVERY.c.status == "sending",
                DELIVERY.c.lease_owner == sa.bindparam("w_owner"),
            )
            .values(lease_owner=None, lease_until=None, **sets)
        )
    params = {f"v_{k}": v for k, v in values.items()} | {"w_id": delivery_id, "w_owner": owner}
    return bool(session.connection().execute(stmt, params).rowcount)


def record_sent(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    message_id: str,
    paper_ids: Sequence[str],
    cutoff: datetime,
) -> bool:
    """A digest the server accepted: remember its papers and move the subscriber's cutoff."""
    done = _finish(
        session,
        delivery_id,
        owner,
        status="sent",
        sent_at=now,
        updated_at=now,
        message_id=message_id,
        paper_ids=list(paper_ids),
        bump=True,
        last_error=None,
    )
    if not done:
        return False
    if paper_ids:
        rows = [
            {
                "subscriber_id": subscriber_id,
                "paper_id": pid,
                "delivery_id": delivery_id,
                "sent_at": now,
            }
            for pid in paper_ids
        ]
        _insert_sent(session, rows)
    _advance(session, subscriber_id, cutoff, reset=True)
    return True


def record_empty(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    cutoff: datetime,
    message_id: str | None = None,
) -> bool:
    """Nothing matched (no email, or a short note when `message_id` is given)."""
    done = _finish(
        session,
        delivery_id,
        owner,
        status="empty",
        updated_at=now,
        sent_at=now if message_id else None,
        message_id=message_id,
        last_error=None,
    )
    if done:
        _advance(session, subscriber_id, cutoff, reset=False)
    return done


_LAST = SUBSCRIBER.c.last_digest_at
_CUTOFF = sa.bindparam("v_cutoff", type_=_LAST.type)
_ADVANCE = {
    reset: sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id == sa.bindparam("w_id"))
    .values(
        last_digest_at=sa.case((sa.or_(_LAST.is_(None), _LAST < _CUTOFF), _CUTOFF), else_=_LAST),
        **({"soft_bounces": 0} if reset else {}),
    )
    for reset in (False, True)
}


def _advance(session: Session, subscriber_id: int, cutoff: datetime, *, reset: bool) -> None:
    """Move `last_digest_at` forward (never back: a late retry must not re-open old papers);
    `reset` clears the soft-bounce streak (a digest got through)."""
    session.connection().execute(_ADVANCE[reset], {"w_id": subscriber_id, "v_cutoff": cutoff})


def record_retry(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    error: str,
    next_attempt_at: datetime | None,
    soft_bounce: bool,
    soft_limit: int,
) -> str | None:
    """A temporary failure: retry at `next_attempt_at`, or give up when it is None.

    Giving up after a 4xx reply (`soft_bounce`) counts one soft bounce; `soft_limit` in a row
    suppress the subscriber. Returns the row's new status, or None if the lease was lost.
    """
    if next_attempt_at is not None:
        done = _finish(
            session,
            delivery_id,
            owner,
            status="retry",
            bump=True,
            next_attempt_at=next_attempt_at,
            last_error=error[:1000],
            updated_at=now,
        )
        return "retry" if done else None
    done = _finish(
        session,
        delivery_id,
        owner,
        status="failed",
        bump=True,
        last_error=f"gave up: {error}"[:1000],
        updated_at=now,
    )
    if done and soft_bounce:
        _count_bounce(session, subscriber_id, "soft_bounces", soft_limit, now)
    return "failed" if done else None


def record_bounce(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    error: str,
    hard_limit: int,
) -> bool:
    """A permanent failure (5xx): the row fails and the subscriber counts a hard bounce."""
    done = _finish(
        session,
        delivery_id,
        owner,
        status="failed",
        bump=True,
        last_error=error[:1000],
        updated_at=now,
    )
    if done:
        _count_bounce(session, subscriber_id, "hard_bounces", hard_limit, now)
    return done


def _count_bounce(
    session: Session, subscriber_id: int, column: str, limit: int, now: datetime
) -> None:
    counter = SUBSCRIBER.c[column]
    session.execute(
        sa.update(SUBSCRIBER).where(SUBSCRIBER.c.id == subscriber_id).values({column: counter + 1})
    )
    session.execute(
        sa.update(SUBSCRIBER)
        .where(
            SUBSCRIBER.c.id == subscriber_id,
            counter >= limit,
            SUBSCRIBER.c.status == "active",
        )
        .values(status="suppressed", suppressed_at=now, updated_at=now)
    )


def record_skipped(
    session: Session, *, delivery_id: int, owner: str, now: datetime, status: str, reason: str
) -> bool:
    """The subscriber can no longer receive (suppressed, unsubscribed, paused meanwhile)."""
    return _finish(session, delivery_id, owner, status=status, last_error=reason, updated_at=now)


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
    counts = {"due": sum(by_status.values())}
    counts.update(by_status)
    counts["retrying"] = counts.pop("retry")
    counts["suppressed_subscribers"] = int(session.execute(suppressed).scalar_one())
    return counts
