"""Subscriber lifecycle: adding, updating, confirming, unsubscribing and reactivating
subscribers, for the CLI, the CSV import and the web pages alike; and what bounces and
complaints do to them, for the sending worker and the bounce reader alike: every status change
is made here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest import store
from digest.reports import RunReport
from digest.store import SUBSCRIBER, SubscriberInput, session_scope
from digest.store.tables import Subscriber, SubscriberStatus


def subscriber_defaults(send_at: str, timezone: str, max_papers: int) -> dict[str, Any]:
    return {"send_at": send_at, "timezone": timezone, "max_papers": max_papers}


def subscribe(
    engine: Engine, *, value: SubscriberInput, now: datetime, defaults: dict[str, Any]
) -> RunReport:
    with session_scope(engine) as session:
        sub, created = store.upsert_subscriber(session, value=value, now=now, defaults=defaults)
        item = {
            "email": sub.email,
            "keywords": sub.keywords,
            "send_at": sub.send_at,
            "tz": sub.timezone,
            "max_papers": sub.max_papers,
        }
    return RunReport(
        "subscribe", {"created": int(created), "updated": int(not created)}, items=(item,)
    )


def sign_up(
    session: Session, *, value: SubscriberInput, now: datetime, defaults: dict[str, Any]
) -> Subscriber:
    """The web form: a new (or still pending) subscriber, pending until the confirm link is
    followed (double opt-in; `confirm`)."""
    sub, _ = store.upsert_subscriber(
        session, value=value, now=now, defaults=defaults, status=SubscriberStatus.PENDING
    )
    return sub


def import_subscribers(
    engine: Engine,
    *,
    values: Sequence[SubscriberInput],
    now: datetime,
    defaults: dict[str, Any],
) -> RunReport:
    """Add or update many subscribers in one transaction."""
    with session_scope(engine) as session:
        created, updated = store.import_subscribers(
            session, values=values, now=now, defaults=defaults
        )
    return RunReport("import", {"created": created, "updated": updated})


def unsubscribe(
    session: Session, *, sub: Subscriber, now: datetime, reason: str | None = None
) -> None:
    """Idempotent: the first time is the one recorded."""
    if sub.status != "unsubscribed":
        sub.status, sub.unsubscribed_at, sub.updated_at = "unsubscribed", now, now
        sub.status_reason = reason
        session.add(sub)
        session.flush()


def revoke(session: Session, *, sub: Subscriber, now: datetime) -> int:
    """Invalidate every link sent to the subscriber so far (confirm, manage, unsubscribe,
    feedback, view, feed): each carries the token version, which moves on. Their next email
    carries working links. Returns the new version."""
    sub.token_version += 1
    sub.updated_at = now
    session.add(sub)
    session.flush()
    return sub.token_version


def reactivate(session: Session, *, sub: Subscriber, now: datetime) -> None:
    """The owner (who holds a link from their inbox) comes back."""
    if sub.status == "active":
        return
    sub.status, sub.unsubscribed_at, sub.suppressed_at = "active", None, None
    sub.hard_bounces = sub.soft_bounces = 0
    sub.status_reason = None
    sub.confirmed_at = sub.confirmed_at or now
    sub.updated_at = now
    session.add(sub)


def confirm(session: Session, *, sub: Subscriber, now: datetime) -> None:
    """Double opt-in done: a pending subscriber becomes active (once; later clicks change
    nothing)."""
    if sub.status == SubscriberStatus.PENDING:
        sub.status, sub.confirmed_at, sub.updated_at = SubscriberStatus.ACTIVE, now, now
        session.add(sub)


# --------------------------------------------------------------------------- bounces
# Core statements rather than ORM objects: the worker calls these inside its own batched
# session, where loading a Subscriber object for each bounce would be wasted work.

_RECEIVING = ("active", "pending")  # statuses a bounce can still suppress


def _suppress_when(session: Session, subscriber_id: int, condition: Any, now: datetime,
                   reason: str) -> bool:  # fmt: skip
    result = session.execute(
        sa.update(SUBSCRIBER)
        .where(SUBSCRIBER.c.id == subscriber_id, SUBSCRIBER.c.status.in_(_RECEIVING), condition)
        .values(status="suppressed", suppressed_at=now, updated_at=now, status_reason=reason[:500])
    )
    return bool(getattr(result, "rowcount", 0))


def count_bounce(
    session: Session, *, subscriber_id: int, kind: str, limit: int, now: datetime, reason: str
) -> bool:
    """One more hard bounce, or one more soft bounce in a row (`kind` "hard" or "soft");
    at `limit` the subscriber is suppressed, with `reason` kept to show why. True when this
    bounce suppressed them."""
    if kind not in ("hard", "soft"):
        raise ValueError(f"a bounce is hard or soft, not {kind!r}")
    counter = SUBSCRIBER.c[f"{kind}_bounces"]
    session.execute(
        sa.update(SUBSCRIBER).where(SUBSCRIBER.c.id == subscriber_id).values({counter: counter + 1})
    )
    return _suppress_when(session, subscriber_id, counter >= limit, now, reason)


def soft_bounce_streak(
    session: Session, *, subscriber_id: int, streak: int, limit: int, now: datetime, reason: str
) -> bool:
    """A soft bounce reported later: `streak` is how many of the subscriber's latest digests
    in a row bounced (worked out from the bounce history, since the relay accepted each one).
    At `limit` the subscriber is suppressed; True when this did it."""
    session.execute(
        sa.update(SUBSCRIBER).where(SUBSCRIBER.c.id == subscriber_id).values(soft_bounces=streak)
    )
    return streak >= limit and _suppress_when(session, subscriber_id, sa.true(), now, reason)


def complaint(session: Session, *, subscriber_id: int, now: datetime, reason: str) -> bool:
    """The subscriber reported a digest as spam: unsubscribe them at once (whatever their
    status: a suppressed address that complains must not come back by a bounce reset).
    True when this changed their status."""
    result = session.execute(
        sa.update(SUBSCRIBER)
        .where(SUBSCRIBER.c.id == subscriber_id, SUBSCRIBER.c.status != "unsubscribed")
        .values(status="unsubscribed", unsubscribed_at=now, updated_at=now,
                status_reason=reason[:500])
    )  # fmt: skip
    return bool(getattr(result, "rowcount", 0))
