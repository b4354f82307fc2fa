"""Bounce queries: recording reports once, the history a soft-bounce streak is judged on, and
the day's counts. Keyword-only functions taking `session`; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from digest.store.engine import dialect_insert
from digest.store.tables import BOUNCE_KINDS, Bounce, Delivery, table_of

BOUNCE: sa.Table = table_of(Bounce)
_DELIVERY: sa.Table = table_of(Delivery)
# Deliveries that went to a mail server: digests sent or given up, and "nothing new" notes.
_ATTEMPTED = sa.or_(
    _DELIVERY.c.status.in_(("sent", "failed")),
    sa.and_(_DELIVERY.c.status == "empty", _DELIVERY.c.message_id.is_not(None)),
)
COUNTED = ("counted", "suppressed")  # rows that added to a subscriber's bounce count


def claim_report(
    session: Session,
    *,
    report_key: str,
    source: str,
    kind: str,
    now: datetime,
    subscriber_id: int | None = None,
    digest_date: date | None = None,
    email: str | None = None,
    status: str | None = None,
    detail: str | None = None,
) -> int | None:
    """Record a report under its unique key; its id, or None when it was recorded before.

    Inserted before the report is acted on: a second reader of the same report (a second
    run, another machine) waits here for the first one's commit, then finds the key taken.
    """
    values: dict[str, Any] = {
        "report_key": report_key[:255],
        "source": source,
        "kind": kind,
        "action": "none",
        "subscriber_id": subscriber_id,
        "digest_date": digest_date,
        "email": None if email is None else email[:320],
        "status": None if status is None else status[:16],
        "detail": None if detail is None else detail[:1000],
        "received_at": now,
    }
    stmt = dialect_insert(session, BOUNCE).values(values).on_conflict_do_nothing()
    row = session.connection().execute(stmt.returning(BOUNCE.c.id)).first()
    return None if row is None else int(row[0])


def set_bounce_action(session: Session, *, bounce_id: int, action: str, **values: Any) -> None:
    """What the report did (and the subscriber or digest date it was matched to)."""
    session.connection().execute(
        sa.update(BOUNCE).where(BOUNCE.c.id == bounce_id).values(action=action, **values)
    )


def bounce_counted(
    session: Session,
    *,
    subscriber_id: int,
    digest_date: date,
    kinds: Sequence[str],
    other_than: int,
) -> bool:
    """Whether another report about this digest already counted a bounce of these kinds (a
    second copy of one DSN, or a delay warning repeated every few hours)."""
    query = sa.select(BOUNCE.c.id).where(
        BOUNCE.c.subscriber_id == subscriber_id,
        BOUNCE.c.digest_date == digest_date,
        BOUNCE.c.kind.in_(kinds),
        BOUNCE.c.action.in_(COUNTED),
        BOUNCE.c.id != other_than,
    )
    return session.connection().execute(query.limit(1)).first() is not None


def attempted_dates(session: Session, *, subscriber_id: int, until: date, limit: int) -> list[date]:
    """The digest dates of the subscriber's last `limit` attempted deliveries up to `until`,
    newest first."""
    query = (
        sa.select(_DELIVERY.c.digest_date)
        .where(
            _DELIVERY.c.subscriber_id == subscriber_id,
            _ATTEMPTED,
            _DELIVERY.c.digest_date <= until,
        )
        .order_by(_DELIVERY.c.digest_date.desc())
        .limit(limit)
    )
    return [row[0] for row in session.connection().execute(query)]


def latest_attempted_date(session: Session, *, subscriber_id: int, at: datetime) -> date | None:
    """The digest a report that names no digest is most likely about: the subscriber's latest
    delivery that had been attempted by `at`."""
    query = (
        sa.select(_DELIVERY.c.digest_date)
        .where(
            _DELIVERY.c.subscriber_id == subscriber_id,
            _ATTEMPTED,
            _DELIVERY.c.updated_at <= at,
        )
        .order_by(_DELIVERY.c.digest_date.desc())
        .limit(1)
    )
    row = session.connection().execute(query).first()
    return None if row is None else row[0]


def bounced_dates(session: Session, *, subscriber_id: int, dates: Sequence[date]) -> set[date]:
    """Which of these digests bounced (soft or hard), by any report or at sending."""
    if not dates:
        return set()
    query = sa.select(BOUNCE.c.digest_date).where(
        BOUNCE.c.subscriber_id == subscriber_id,
        BOUNCE.c.digest_date.in_(list(dates)),
        BOUNCE.c.kind.in_(("soft", "hard")),
    )
    return {row[0] for row in session.connection().execute(query)}


def bounce_counts(session: Session, *, day: date) -> dict[str, int]:
    """Reports and events received on `day` (UTC), by kind, plus the subscribers they
    suppressed or unsubscribed."""
    start = datetime.combine(day, time(), UTC)
    in_day = sa.and_(
        BOUNCE.c.received_at >= start, BOUNCE.c.received_at < start + timedelta(days=1)
    )
    counts = dict.fromkeys(BOUNCE_KINDS, 0)
    query = sa.select(BOUNCE.c.kind, sa.func.count()).where(in_day).group_by(BOUNCE.c.kind)
    counts.update({kind: int(n) for kind, n in session.connection().execute(query)})
    query = sa.select(BOUNCE.c.action, sa.func.count()).where(in_day).group_by(BOUNCE.c.action)
    actions = {action: int(n) for action, n in session.connection().execute(query)}
    for action in ("suppressed", "unsubscribed", "unmatched"):
        counts[action] = actions.get(action, 0)
    return counts
