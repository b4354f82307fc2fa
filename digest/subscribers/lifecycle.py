"""Subscriber lifecycle: adding, updating, unsubscribing and reactivating subscribers, for the
CLI, the CSV import and the web pages alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest import store
from digest.reports import RunReport
from digest.store import SubscriberInput, session_scope
from digest.store.tables import Subscriber


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


def unsubscribe(session: Session, *, sub: Subscriber, now: datetime) -> None:
    """Idempotent: the first time is the one recorded."""
    if sub.status != "unsubscribed":
        sub.status, sub.unsubscribed_at, sub.updated_at = "unsubscribed", now, now
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
    sub.confirmed_at = sub.confirmed_at or now
    sub.updated_at = now
    session.add(sub)
