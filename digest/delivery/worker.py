"""Sending digests: workers that drive the outbox end to end.

`digest.planning.plan` creates the outbox rows; a `Worker` claims due rows under a lease and,
batch by batch, ranks (all subscribers of a batch at once), renders, builds MIME and hands
the messages to a pooled mailer, one message per connection at a time, recording the results
of each such window in one commit as soon as the server answered the last of them. A worker
killed at any moment loses nothing (its lease runs out and another worker finishes the
rows); a digest is sent twice only if the process died between the server's acceptance and
that commit: at most one window, one message per connection.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from digest.config import Settings
from digest.delivery import notices, outbox, outcomes
from digest.delivery.compose import Composer, Digest, PaperCache, Recipient, rank_batch, recipients
from digest.delivery.planning import Db, plan
from digest.delivery.schedule import retry_deadline
from digest.mail.mailers import Envelope, Mailer, SendResult
from digest.reports import RunReport
from digest.retry import backoff

log = logging.getLogger("digest.delivery")

SEND_COUNTS = ("claimed", "sent", "empty", "retry", "failed", "bounced", "skipped", "lost")


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Worker:
    """Claims due outbox rows and sends them; any number may run against one database."""

    db: Db
    mailer: Mailer
    composer: Composer
    settings: Settings
    clock: Callable[[], datetime]
    owner: str = field(default_factory=worker_name)
    batch: int = 200
    subscriber_id: int | None = None  # only this subscriber's rows (`digest send --to`)
    keep_items: bool = False  # report one item per digest (dry runs, --json, tests)
    notices: bool = True  # also send the queued confirmation / manage-link emails
    on_done: Callable[[int], Any] | None = None  # progress: called with rows finished
    rng: random.Random = field(default_factory=random.Random)
    stop: threading.Event = field(default_factory=threading.Event)
    window: int = 0  # messages handed to the mailer at once; 0: DIGEST_SMTP_CONNECTIONS
    log_level: int = logging.INFO  # `digest run` logs its own line per run instead
    cache: PaperCache = field(default_factory=PaperCache)
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    _finished: set[int] = field(default_factory=set)  # rows of the current batch recorded

    def run(self, *, until_idle: bool = True, idle_wait: float = 30.0) -> RunReport:
        """Claim and send until nothing is due (`until_idle`) or until `stop` is set."""
        self.counts = Counter(dict.fromkeys(SEND_COUNTS, 0))
        self.errors, self.items = [], []
        sent_notices: Counter[str] = Counter()
        while not self.stop.is_set():
            if self.notices:
                sent_notices.update(self._notices())
            with self.db.session() as session:
                rows = outbox.claim(
                    session,
                    owner=self.owner,
                    now=self.clock(),
                    lease_seconds=self.settings.lease_seconds,
                    limit=self.batch,
                    subscriber_id=self.subscriber_id,
                )
            if rows:
                before = Counter(self.counts)
                self.counts["claimed"] += len(rows)
                try:
                    healthy = self._batch(rows)
                except Exception as exc:  # unrecorded rows come back when their lease runs out
                    log.exception("batch of %d deliveries failed", len(rows))
                    self.errors.append(f"batch failed: {exc!r}"[:500])
                    healthy = False
                if not until_idle:  # a long-running worker says what each batch did
                    delta = {k: self.counts[k] - before[k] for k in SEND_COUNTS}
                    log.info(RunReport("batch", delta).line())
                if not healthy:
                    break  # the mail server or database failed outright: do not hammer it
            elif until_idle:
                break
            else:
                self.stop.wait(self._idle_seconds(idle_wait))
        counts = dict(self.counts)
        counts.update({f"notices_{k}": n for k, n in sent_notices.items() if n})
        report = RunReport("send", counts, tuple(self.errors), tuple(self.items))
        log.log(self.log_level, report.line())
        return report

    def _notices(self) -> Counter[str]:
        """One batch of the due confirmation / manage-link emails (the web pages queue them);
        a failure here is logged and never stops the digests."""
        try:
            report = notices.send_due(
                self.db, composer=self.composer, mailer=self.mailer, now=self.clock(),
                owner=self.owner, lease_seconds=self.settings.lease_seconds, rng=self.rng,
            )  # fmt: skip
        except Exception:
            log.exception("sending notices failed")
            return Counter()
        return Counter({k: n for k, n in report.counts.items() if k != "skipped"})

    def _idle_seconds(self, most: float) -> float:
        with self.db.session() as session:
            due = outbox.next_due(session)
        if due is None:
            return most
        return min(most, max(0.5, (due - self.clock()).total_seconds()))

    # ------------------------------------------------------------------ one batch

    def _batch(self, rows: Sequence[outbox.Claimed]) -> bool:
        cutoff = self.clock()
        self._finished = set()
        with self.db.session() as session:
            people = recipients(session, rows=rows, cutoff=cutoff)
            latest = outbox.latest_planned(session, subscriber_ids=list(people))
            live = [
                r for r in rows if not self._skip(session, r, people.get(r.subscriber_id), latest)
            ]
            digests = rank_batch(session, rows=live, people=people, cutoff=cutoff, cache=self.cache)
            to_send = []
            for d in digests:
                if d.ranked or self.composer.send_empty:
                    to_send.append(d)
                else:
                    self._record_empty(session, d, cutoff)
            self.db.commit(session)
            return self._send(session, to_send, cutoff)

    def _skip(
        self,
        session: Session,
        row: outbox.Claimed,
        to: Recipient | None,
        latest: dict[int, date],
    ) -> bool:
        """Rows that must not be sent: the subscriber left or paused, or a later digest was
        planned meanwhile (it will carry these papers: one email, not two in a row)."""
        newer = latest.get(row.subscriber_id, row.digest_date)
        if to is not None and to.status == "active" and to.frequency != "paused":
            if newer <= row.digest_date:
                return False
            reason = f"superseded by the digest of {newer}"
        elif to is None:
            reason = "subscriber deleted"
        else:
            reason = "subscriber paused" if to.status == "active" else f"subscriber is {to.status}"
        status = "suppressed" if to is not None and to.status == "suppressed" else "skipped"
        outcomes.record_skipped(
            session, delivery_id=row.id, owner=self.owner, now=self.clock(), status=status,
            reason=reason,
        )  # fmt: skip
        self._done("skipped", None, row, detail=reason)
        return True

    def _record_empty(self, session: Session, d: Digest, cutoff: datetime) -> None:
        ok = outcomes.record_empty(
            session, delivery_id=d.row.id, subscriber_id=d.to.id, owner=self.owner,
            now=self.clock(), cutoff=cutoff,
        )  # fmt: skip
        self._done("empty" if ok else "lost", d, d.row)

    def _send(self, session: Session, digests: Sequence[Digest], cutoff: datetime) -> bool:
        waiting: dict[int | str, tuple[Digest, str]] = {}
        broken: list[tuple[Digest, str]] = []
        renewed = self.clock()
        healthy = True
        # The mailer gets `window` messages at a time (one per connection by default) and
        # their results are committed together once the last one is in, so a crash can leave
        # at most that many accepted but unrecorded: the duplicate window. The next window is
        # composed in another thread meanwhile, while this thread waits for the mail server
        # and the database (composing sends nothing, so the duplicate window is unchanged).
        window = self.window or self.settings.smtp_connections
        chunks = [digests[lo : lo + window] for lo in range(0, len(digests), window)]
        received: list[SendResult] = []
        with ThreadPoolExecutor(1, thread_name_prefix="compose") as composer:
            try:
                ahead = composer.submit(self._compose, chunks[0]) if chunks else None
                for k in range(len(chunks)):
                    if self.stop.is_set() or ahead is None:
                        break
                    composed = ahead.result()
                    ahead = (
                        composer.submit(self._compose, chunks[k + 1])
                        if k + 1 < len(chunks)
                        else None
                    )
                    envelopes = []
                    for d, built in composed:
                        if isinstance(built, str):
                            broken.append((d, built))
                            continue
                        envelope, message_id = built
                        waiting[d.row.id] = (d, message_id)
                        envelopes.append(envelope)
                    received.extend(self.mailer.send_many(envelopes))
                    self._record_all(session, waiting, received, cutoff)
                    received = []
                    self.db.commit(session)
                    if (self.clock() - renewed).total_seconds() > self.settings.lease_seconds / 3:
                        renewed = self.clock()
                        ids = [d.row.id for d in digests]
                        outbox.renew(session, owner=self.owner, ids=ids, now=renewed,
                                     lease_seconds=self.settings.lease_seconds)  # fmt: skip
                        self.db.commit(session)
            except Exception as exc:
                healthy = False
                self.errors.append(f"sending stopped: {exc!r}"[:500])
                log.exception("sending stopped")
                session.rollback()  # a dropped connection is replaced on the next statement
                self._record_all(session, waiting, received, cutoff)  # answered before it stopped
                for d, _ in waiting.values():
                    self._retry(session, d, f"sending stopped: {exc!r}", None)
                waiting.clear()
        for d, reason in broken:
            outcomes.record_skipped(session, delivery_id=d.row.id, owner=self.owner,
                                  now=self.clock(), status="failed", reason=reason)  # fmt: skip
            self.errors.append(f"delivery {d.row.id}: {reason}")
            self._done("failed", d, d.row, detail=reason)
        left = [d.row.id for d in digests if d.row.id not in self._finished]
        if left:  # stopped early: hand the rest back at once rather than at lease expiry
            outbox.release(session, owner=self.owner, ids=left, now=self.clock())
        self.db.commit(session)
        return healthy

    def _compose(self, chunk: Sequence[Digest]) -> list[tuple[Digest, tuple[Envelope, str] | str]]:
        """Each digest's envelope and Message-ID, or why it could not be built (one bad digest
        must not stop the others)."""
        out: list[tuple[Digest, tuple[Envelope, str] | str]] = []
        for d in chunk:
            try:
                out.append((d, self.composer.envelope(d, self.clock())))
            except Exception as exc:
                log.exception("could not build the digest for delivery %s", d.row.id)
                out.append((d, f"could not build the message: {exc!r}"[:500]))
        return out

    # ------------------------------------------------------------------ results

    def _record_all(
        self,
        session: Session,
        waiting: dict[int | str, tuple[Digest, str]],
        results: Sequence[SendResult],
        cutoff: datetime,
    ) -> None:
        """Record answers; accepted digests with papers (nearly all) in a few statements.

        Answers leave `waiting` only once recorded: if recording fails (the database connection
        drops), the caller rolls back and records the same answers again."""
        picked = [(result, *waiting[result.key]) for result in results if result.key in waiting]
        accepted = [
            outcomes.Accepted(d.row.id, d.to.id, message_id, tuple(p.id for p, _ in d.ranked))
            for result, d, message_id in picked
            if result.status == "sent" and d.ranked
        ]
        done = outcomes.record_sent_many(
            session, accepted=accepted, owner=self.owner, now=self.clock(), cutoff=cutoff
        )
        for result, d, message_id in picked:
            if not (result.status == "sent" and d.ranked):
                self._record(session, d, message_id, result, cutoff)
        for result, d, _ in picked:
            del waiting[result.key]
            if result.status == "sent" and d.ranked:
                ok = d.row.id in done
                self._done("sent" if ok else "lost", d, d.row, detail=result.detail)

    def _record(
        self, session: Session, d: Digest, message_id: str, result: SendResult, cutoff: datetime
    ) -> None:
        kw: dict[str, Any] = {
            "delivery_id": d.row.id, "subscriber_id": d.to.id, "owner": self.owner,
            "now": self.clock(),
        }  # fmt: skip
        if result.status == "sent":  # a digest with papers is recorded by _record_all
            ok = outcomes.record_empty(session, **kw, cutoff=cutoff, message_id=message_id)
            self._done("empty" if ok else "lost", d, d.row, detail=result.detail)
        elif result.status == "retry":
            self._retry(session, d, _describe(result), result.code)
        else:
            ok = outcomes.record_bounce(
                session, **kw, error=_describe(result), hard_limit=self.settings.hard_bounce_limit,
                digest_date=d.row.digest_date,
            )  # fmt: skip
            log.warning("bounced delivery=%s to=%s: %s", d.row.id, d.to.email, _describe(result))
            self._done("bounced" if ok else "lost", d, d.row, detail=_describe(result))

    def _retry(self, session: Session, d: Digest, error: str, code: int | None) -> None:
        now = self.clock()
        attempt = d.row.attempts + 1
        at: datetime | None = now + timedelta(
            seconds=backoff(attempt, jitter=self.rng.random() / 2)
        )
        deadline = retry_deadline(d.row.digest_date, d.to.send_at, d.to.timezone, d.to.frequency)
        if at is not None and at >= deadline:
            at = None  # the next digest is due by then: give up on this one
        status = outcomes.record_retry(
            session, delivery_id=d.row.id, subscriber_id=d.to.id, owner=self.owner, now=now,
            error=error, next_attempt_at=at, soft_bounce=code is not None and 400 <= code < 500,
            soft_limit=self.settings.soft_bounce_limit, digest_date=d.row.digest_date,
        )  # fmt: skip
        log.warning("delivery=%s to=%s %s: %s", d.row.id, d.to.email, status or "lost", error)
        self._done(status or "lost", d, d.row, detail=error)

    def _done(
        self, what: str, d: Digest | None, row: outbox.Claimed, detail: str | None = None
    ) -> None:
        self.counts[what] += 1
        self._finished.add(row.id)
        if self.keep_items:
            papers = [] if d is None else [paper for paper, _ in d.ranked]
            self.items.append(
                {
                    "delivery_id": row.id,
                    "email": None if d is None else d.to.email,
                    "digest_date": row.digest_date.isoformat(),
                    "status": what,
                    "papers": len(papers),
                    "titles": [p.title for p in papers[:3]],
                    "detail": detail,
                }
            )
        if self.on_done is not None:
            self.on_done(1)


def _describe(result: SendResult) -> str:
    code = f"{result.code} " if result.code is not None else ""
    return f"{code}{result.detail}".strip()[:1000]


def send_digests(
    db: Db,
    worker: Worker,
    *,
    now: datetime,
    digest_date: date | None = None,
    email: str | None = None,
) -> tuple[RunReport, RunReport]:
    """The one-process way: plan the due digests, then send until nothing is due."""
    planned = plan(db, now=now, digest_date=digest_date, email=email)
    return planned, worker.run(until_idle=True)
