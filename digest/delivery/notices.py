"""Notices: the confirmation and manage-link emails that the web pages ask for.

A notice is queued (`enqueue`) in the same transaction as the change that asks for it, then
sent by whoever drains the queue (`send_due`): the web app at once, in the background of the
request, and again every minute; every worker (`digest run`, `digest worker`, `digest send`)
on each pass. Claims take a lease, like digests, so any number of drainers share the queue.
A 4xx reply, a timeout or a refused connection is retried with backoff, so a mail server
outage delays a notice and loses none; a notice still unsent after `NOTICE_TTL` (its link
would have expired by then) or refused for good (5xx) is `failed`.

A notice is rendered when it is sent, so its links carry the subscriber's current token
version, and a confirmation is skipped once the subscriber is no longer pending.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from digest.delivery.compose import Composer
from digest.delivery.outbox import rowcount
from digest.delivery.planning import Db
from digest.mail.mailers import Envelope, Mailer
from digest.mail.message import build_message, feedback_id
from digest.reports import RunReport
from digest.retry import backoff
from digest.store.tables import Notice, Subscriber, table_of
from digest.tokens import CONFIRM_MAX_AGE

log = logging.getLogger("digest.notices")

NOTICE = table_of(Notice)
SUBSCRIBER = table_of(Subscriber)
KINDS = ("confirm", "manage")
NOTICE_TTL = timedelta(seconds=CONFIRM_MAX_AGE)
NOTICE_COUNTS = ("sent", "retry", "failed", "skipped", "lost")
DUE = ("pending", "retry")


def enqueue(session: Session, *, subscriber_id: int, kind: str, now: datetime, domain: str) -> int:
    """Queue one notice (the caller commits it with the change that asks for it); its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    row = Notice(
        subscriber_id=subscriber_id,
        kind=kind,
        next_attempt_at=now,
        message_id=f"<{kind}.{secrets.token_urlsafe(12)}@{domain}>",  # no row number in it
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    attempts: int
    message_id: str
    created_at: datetime
    public_id: str
    email: str
    keywords: str
    status: str
    token_version: int
    subscriber_id: int


def claim(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    ids: Sequence[int] | None = None,
) -> list[Claimed]:
    """Take up to `limit` due notices (or expired leases), oldest first, with their
    subscribers as they are now."""
    c = NOTICE.c
    due = sa.or_(
        sa.and_(c.status.in_(DUE), c.next_attempt_at <= now),
        sa.and_(c.status == "sending", c.lease_until < now),
    )
    if ids is not None:
        due = sa.and_(due, c.id.in_(list(ids)))
    picked = (
        sa.select(c.id).where(due).order_by(c.next_attempt_at, c.id).limit(limit)
    ).with_for_update(skip_locked=True)
    stmt = (
        sa.update(NOTICE)
        .where(c.id.in_(picked.scalar_subquery()))
        .values(
            status="sending",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(c.id)
    )
    claimed = [row[0] for row in session.execute(stmt)]
    if not claimed:
        return []
    s = SUBSCRIBER.c
    columns = (c.id, c.kind, c.attempts, c.message_id, c.created_at, s.public_id, s.email)
    query = (
        sa.select(*columns, s.keywords, s.status, s.token_version, s.id)
        .join(SUBSCRIBER, s.id == c.subscriber_id)
        .where(c.id.in_(claimed))
        .order_by(c.id)
    )
    return [Claimed(*row) for row in session.execute(query)]


def _finish(session: Session, notice_id: int, owner: str, **values: object) -> bool:
    c = NOTICE.c
    stmt = (
        sa.update(NOTICE)
        .where(c.id == notice_id, c.status == "sending", c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, **values)
    )
    return bool(rowcount(session.execute(stmt)))


def build(composer: Composer, notice: Claimed, now: datetime) -> Envelope:
    """The email of one notice, its links signed now."""
    links, renderer = composer.links, composer.renderer
    if notice.kind == "confirm":
        url = links.confirm(notice.public_id, notice.email, notice.token_version)
        rendered = renderer.confirm(email=notice.email, confirm_url=url, keywords=notice.keywords)
    else:
        url = links.manage(notice.public_id, notice.token_version)
        rendered = renderer.manage_link(email=notice.email, manage_url=url)
    headers = dict(rendered.headers)
    headers["Feedback-ID"] = feedback_id(notice.kind, composer.feedback_sender, composer.mail_from)
    data = build_message(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers=headers,
        sender=composer.mail_from,
        to=notice.email,
        message_id=notice.message_id,
        date=now,
        dkim=composer.dkim,
    )
    # a bounce of this email (a mistyped address) comes back tagged like a digest's
    tags = composer.bounce_tags
    sender = composer.envelope_from if tags is None else tags.address(notice.subscriber_id)
    return Envelope(notice.id, sender, notice.email, data)


def _skip_reason(notice: Claimed) -> str | None:
    if notice.status == "suppressed":
        return "the address is suppressed (it bounced)"
    if notice.kind == "confirm" and notice.status != "pending":
        return f"no longer pending ({notice.status})"
    return None


def send_due(
    db: Db,
    *,
    composer: Composer,
    mailer: Mailer,
    now: datetime,
    owner: str,
    lease_seconds: int = 300,
    limit: int = 100,
    ids: Sequence[int] | None = None,
    rng: random.Random | None = None,
) -> RunReport:
    """Send the due notices (only `ids`, if given), recording each answer; one batch."""
    rng = rng or random.Random()
    counts: Counter[str] = Counter(dict.fromkeys(NOTICE_COUNTS, 0))
    errors: list[str] = []
    with db.session() as session:
        claimed = claim(
            session, owner=owner, now=now, lease_seconds=lease_seconds, limit=limit, ids=ids
        )
        db.commit(session)
        if not claimed:
            return RunReport("notices", dict(counts))
        by_id = {n.id: n for n in claimed}
        envelopes = []
        for n in claimed:
            reason = _skip_reason(n)
            if reason is not None:
                done = _finish(session, n.id, owner, status="skipped", last_error=reason,
                               updated_at=now)  # fmt: skip
                counts["skipped" if done else "lost"] += 1
                continue
            try:
                envelopes.append(build(composer, n, now))
            except Exception as exc:  # one broken notice must not hold up the others
                log.exception("could not build the %s notice %s", n.kind, n.id)
                why = f"could not build it: {exc!r}"[:1000]
                done = _finish(session, n.id, owner, status="failed", last_error=why,
                               updated_at=now)  # fmt: skip
                counts["failed" if done else "lost"] += 1
                errors.append(f"notice {n.id}: {why}")
        db.commit(session)
        try:
            for result in mailer.send_many(envelopes):
                n = by_id[int(result.key)]
                what, values = _outcome(n, result.status, result.code, result.detail, now, rng)
                done = _finish(session, n.id, owner, attempts=n.attempts + 1, updated_at=now,
                               **values)  # fmt: skip
                counts[what if done else "lost"] += 1
                db.commit(session)
                level = logging.INFO if what == "sent" else logging.WARNING
                log.log(level, "%s email to %s: %s %s", n.kind, n.email, what, result.detail)
        except Exception as exc:  # unrecorded notices come back when their lease runs out
            log.exception("sending notices stopped")
            errors.append(f"sending notices stopped: {exc!r}"[:500])
            session.rollback()
    return RunReport("notices", dict(counts), tuple(errors))


def _outcome(
    n: Claimed, status: str, code: int | None, detail: str, now: datetime, rng: random.Random
) -> tuple[str, dict[str, object]]:
    """What an answer of the mail server makes of a notice: sent, retry later, or failed
    (refused for good, or its link would expire before the next attempt)."""
    said = f"{code or ''} {detail}".strip()[:900]
    if status == "sent":
        return "sent", {"status": "sent", "sent_at": now, "last_error": None}
    retry_at = now + timedelta(seconds=backoff(n.attempts + 1, jitter=rng.random() / 2))
    if status == "retry" and retry_at < n.created_at + NOTICE_TTL:
        return "retry", {"status": "retry", "next_attempt_at": retry_at, "last_error": said}
    why = said if status == "bounce" else f"gave up: {said}"
    return "failed", {"status": "failed", "last_error": why}


def pending_counts(session: Session) -> dict[str, int]:
    """Notices by status, for `digest status`."""
    query = sa.select(NOTICE.c.status, sa.func.count()).group_by(NOTICE.c.status)
    found = {status: int(n) for status, n in session.execute(query)}
    waiting = found.get("pending", 0) + found.get("retry", 0) + found.get("sending", 0)
    return {"waiting": waiting, "failed": found.get("failed", 0), "sent": found.get("sent", 0)}
