"""Queries the web pages need (keyword-only, taking `session`; the caller commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from digest.models import Delivery, Feedback, Paper, SentPaper, Subscriber
from digest.subscribers import SubscriberInput


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


def unsubscribe(session: Session, *, sub: Subscriber, now: datetime) -> None:
    """Idempotent: the first time is the one recorded."""
    if sub.status != "unsubscribed":
        sub.status, sub.unsubscribed_at, sub.updated_at = "unsubscribed", now, now
        session.add(sub)


def reactivate(session: Session, *, sub: Subscriber, now: datetime) -> None:
    """The owner (who holds a link from their inbox) comes back."""
    if sub.status == "active":
        return
    sub.status, sub.unsubscribed_at, sub.suppressed_at = "active", None, None
    sub.hard_bounces = sub.soft_bounces = 0
    sub.confirmed_at = sub.confirmed_at or now
    sub.updated_at = now
    session.add(sub)


def paper_title(session: Session, *, paper_id: str) -> str | None:
    paper = session.get(Paper, paper_id)
    return paper.title if paper else None


def was_sent(session: Session, *, subscriber_id: int, paper_id: str) -> bool:
    """Whether a digest carrying this paper reached this subscriber."""
    return session.get(SentPaper, (subscriber_id, paper_id)) is not None
