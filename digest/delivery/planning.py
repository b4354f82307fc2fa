"""Planning: one outbox row per due subscriber and digest date, and where delivery work runs.

`plan` streams subscribers in batches (memory stays flat), asks `digest.schedule` which
digest date each one is due for, and inserts the rows with ON CONFLICT DO NOTHING, so it is
idempotent and safe to run from several schedulers at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest.delivery import outbox
from digest.delivery.schedule import due_date
from digest.reports import RunReport
from digest.store.engine import session_scope

log = logging.getLogger("digest.planning")

# A plan this large refreshes the outbox's statistics at once (PostgreSQL): the claims that
# follow within the minute would otherwise be planned as if the table were still small.
FRESH_STATISTICS = 1000


class Db:
    """Where delivery reads and writes.

    Normally each unit of work gets its own session and commits. A dry run shares one
    session whose "commits" only flush, and `close` rolls everything back.
    """

    def __init__(self, engine: Engine, *, dry_run: bool = False) -> None:
        self.engine, self.dry_run = engine, dry_run
        self._shared = Session(engine, expire_on_commit=False) if dry_run else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._shared is not None:
            yield self._shared
            self._shared.flush()
            return
        # One connection for the whole unit of work: its commits keep it, so a worker that
        # commits every few messages does not hand it back to the pool and check it out
        # (with a ping on PostgreSQL, one more round trip) after each of them.
        with self.engine.connect() as connection, session_scope(connection) as session:
            yield session

    def commit(self, session: Session) -> None:
        session.flush() if self.dry_run else session.commit()

    def close(self) -> None:
        if self._shared is not None:
            self._shared.rollback()
            self._shared.close()


def plan(
    db: Db,
    *,
    now: datetime,
    digest_date: date | None = None,
    email: str | None = None,
    batch: int = 2000,
) -> RunReport:
    """Create outbox rows for every due subscriber (idempotent; safe to run concurrently).

    Without `digest_date` each subscriber gets their latest due date (their own time zone);
    a date earlier than one already planned for them is never planned.
    """
    counts = {"subscribers": 0, "due": 0, "planned": 0}
    with db.session() as session:
        for slots in outbox.iter_slots(session, email=email, batch=batch):
            counts["subscribers"] += len(slots)
            due = [
                (s.id, day)
                for s in slots
                if (
                    day := due_date(
                        now=now, send_at=s.send_at, timezone=s.timezone,
                        frequency=s.frequency, status=s.status, wanted=digest_date,
                    )
                )
                is not None
            ]  # fmt: skip
            latest = outbox.latest_planned(session, subscriber_ids=[sid for sid, _ in due])
            fresh = [(sid, day) for sid, day in due if sid not in latest or latest[sid] < day]
            counts["due"] += len(due)
            counts["planned"] += outbox.insert_planned(session, rows=fresh, now=now)
            db.commit(session)
        if counts["planned"] >= FRESH_STATISTICS and not db.dry_run:
            outbox.refresh_statistics(session)
            db.commit(session)
    counts["existing"] = counts["due"] - counts["planned"]
    report = RunReport("plan", counts)
    log.debug(report.line())  # callers report it: the CLI prints it, `digest run` folds it in
    return report
