"""Acting on reports and webhook events: each recorded once, then counted, suppressed or
unsubscribed through `digest.subscribers.lifecycle`.

Hard bounce: one more hard bounce for the subscriber; DIGEST_HARD_BOUNCE_LIMIT of them
suppress the address. Soft bounce: the subscriber's latest digests are looked up (up to the
bounced one); when the last DIGEST_SOFT_BOUNCE_LIMIT of them all bounced, the address is
suppressed. The relay accepted each of them, so the streak is read from the history rather
than from a counter that every accepted digest resets. A digest is counted once however
many reports speak of it. Complaint: unsubscribed at once.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest import store
from digest.bounces.mailbox import Mailbox, open_mailbox
from digest.bounces.reports import Report, read_report
from digest.bounces.webhook import Event, as_report
from digest.config import MailboxLocation, Settings
from digest.reports import RunReport
from digest.store.engine import session_scope
from digest.subscribers import lifecycle
from digest.tokens import BounceTags

log = logging.getLogger("digest.bounces")

COUNTS = ("read", "hard", "soft", "complaint", "ignored", "unreadable",
          "suppressed", "unsubscribed", "unmatched", "duplicate")  # fmt: skip
Target = tuple[int | None, str | None, date | None]  # subscriber id, address, digest date


@dataclass(frozen=True)
class Limits:
    hard: int = 1
    soft: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.hard_bounce_limit, settings.soft_bounce_limit)


def act(
    session: Session, report: Report, *, source: str, limits: Limits, now: datetime
) -> list[str]:
    """Record a report and act on it; one action per subscriber it names ("duplicate" when
    it was recorded before: nothing is done twice)."""
    actions = []
    for n, (subscriber_id, address, day) in enumerate(_targets(session, report, now)):
        bounce_id = store.claim_report(
            session, report_key=report.key if n == 0 else f"{report.key}#{n + 1}",
            source=source, kind=report.kind, now=now, subscriber_id=subscriber_id,
            digest_date=day, email=address, status=report.status, detail=report.detail,
        )  # fmt: skip
        if bounce_id is None:
            actions.append("duplicate")
            continue
        action = _apply(session, report, bounce_id, subscriber_id, day, limits, now)
        store.set_bounce_action(session, bounce_id=bounce_id, action=action)
        actions.append(action)
    return actions


def _targets(session: Session, report: Report, now: datetime) -> list[Target]:
    """Whom the report is about: the subscribers of valid tags, else of the addresses."""
    if report.kind not in ("hard", "soft", "complaint"):
        return [(None, report.emails[0] if report.emails else None, None)]
    found: dict[object, Target] = {}
    for subscriber_id, day in report.tagged:  # a tag without a date: not about a digest
        sub = store.get_subscriber_by_id(session, subscriber_id=subscriber_id)
        if sub is not None and sub.id not in found:
            found[sub.id] = (sub.id, sub.email, day)
    if not found:
        for address in report.emails:
            sub = store.get_subscriber(session, email=address.lower())
            if sub is None:
                found.setdefault(address, (None, address, None))
            elif sub.id not in found:
                found[sub.id] = (sub.id, sub.email, _latest(session, sub.id, now))
    return list(found.values()) or [(None, None, None)]


def _latest(session: Session, subscriber_id: int | None, now: datetime) -> date | None:
    """A report naming no digest is taken to be about the latest one sent."""
    if subscriber_id is None:
        return None
    return store.latest_attempted_date(session, subscriber_id=subscriber_id, at=now)


def _apply(
    session: Session,
    report: Report,
    bounce_id: int,
    subscriber_id: int | None,
    day: date | None,
    limits: Limits,
    now: datetime,
) -> str:
    if report.kind == "unreadable":
        return "kept"
    if report.kind == "ignored":
        return "none"
    if subscriber_id is None:
        return "unmatched"
    what = f"{report.status} {report.detail or ''}".strip() if report.status else report.detail
    if report.kind == "complaint":
        reason = f"complaint: {what}" if what else "complaint"
        changed = lifecycle.complaint(session, subscriber_id=subscriber_id, now=now, reason=reason)
        return "unsubscribed" if changed else "none"
    kinds = ("hard",) if report.kind == "hard" else ("hard", "soft")
    if day is not None and store.bounce_counted(
        session, subscriber_id=subscriber_id, digest_date=day, kinds=kinds, other_than=bounce_id
    ):
        return "repeat"  # another report already counted this digest's bounce
    on = f" ({day} digest)" if day else ""
    if report.kind == "hard":
        suppressed = lifecycle.count_bounce(
            session, subscriber_id=subscriber_id, kind="hard", limit=limits.hard, now=now,
            reason=f"hard bounce{on}: {what}",
        )  # fmt: skip
        return "suppressed" if suppressed else "counted"
    if day is None:  # not about a digest (a confirmation email): no streak to judge
        return "none"
    dates = store.attempted_dates(session, subscriber_id=subscriber_id, until=day,
                                  limit=limits.soft)  # fmt: skip
    bounced = store.bounced_dates(session, subscriber_id=subscriber_id, dates=dates)
    streak = next((k for k, d in enumerate(dates) if d not in bounced), len(dates))
    suppressed = lifecycle.soft_bounce_streak(
        session, subscriber_id=subscriber_id, streak=streak, limit=limits.soft, now=now,
        reason=f"{streak} digests in a row bounced (soft); last{on}: {what}",
    )  # fmt: skip
    return "suppressed" if suppressed else "counted"


def _tally(counts: Counter[str], report: Report, actions: list[str]) -> None:
    if all(a == "duplicate" for a in actions):
        counts["duplicate"] += 1
        return
    counts[report.kind] += 1
    for action in actions:
        if action in ("suppressed", "unsubscribed", "unmatched"):
            counts[action] += 1


def process_mailbox(
    engine: Engine,
    mailbox: Mailbox,
    *,
    tags: BounceTags,
    limits: Limits,
    clock: Callable[[], datetime],
    limit: int = 1000,
) -> RunReport:
    """Read up to `limit` unmarked reports: each is recorded and acted on in its own
    transaction, then marked in the mailbox (an unreadable one is kept, flagged)."""
    counts: Counter[str] = Counter(dict.fromkeys(COUNTS, 0))
    for ref in mailbox.unprocessed(limit):
        report = read_report(mailbox.fetch(ref), tags=tags)
        with session_scope(engine) as session:
            actions = act(session, report, source=mailbox.source, limits=limits, now=clock())
        mailbox.mark(ref, unreadable=report.kind == "unreadable")
        counts["read"] += 1
        _tally(counts, report, actions)
        if report.kind == "unreadable" and "duplicate" not in actions:
            log.warning("kept an unreadable report (%s): %s", report.key, report.detail)
    return RunReport("bounces", dict(counts))


def process_events(
    engine: Engine, events: Iterable[Event], *, tags: BounceTags, limits: Limits, now: datetime
) -> RunReport:
    """Webhook events, all in one transaction (the service retries the whole request)."""
    counts: Counter[str] = Counter(dict.fromkeys(COUNTS, 0))
    with session_scope(engine) as session:
        for event in events:
            report = as_report(event, tags)
            counts["read"] += 1
            _tally(counts, report, act(session, report, source="webhook", limits=limits, now=now))
    return RunReport("webhook", dict(counts))


def read_bounces(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime],
    location: MailboxLocation | None = None,
    ssl_context: ssl.SSLContext | None = None,
    limit: int = 1000,
) -> RunReport:
    """`digest bounces`: read the mailbox (`location`, else DIGEST_BOUNCE_MAILBOX) once.

    ConfigError when no mailbox or no secret is set; MailboxError when it cannot be read.
    """
    from digest.config import ConfigError

    location = location or settings.mailbox()
    if location is None:
        raise ConfigError(
            "DIGEST_BOUNCE_MAILBOX: not set (e.g. imaps://user:password@mail.example.org/INBOX)"
        )
    tags = BounceTags(settings.require_secret())
    mailbox = open_mailbox(location, ssl_context=ssl_context)
    try:
        return process_mailbox(
            engine, mailbox, tags=tags, limits=Limits.from_settings(settings), clock=clock,
            limit=limit,
        )  # fmt: skip
    finally:
        mailbox.close()
