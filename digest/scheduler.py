"""`digest run`: APScheduler 3.x wiring only; decisions live in schedule, planning, delivery.

Two jobs: `poll` every DIGEST_POLL_MINUTES (sources, then the bounce mailbox when one is set),
`deliver` (plan + send until idle) every minute, both run once at start (the catch-up run).
A job never overlaps itself (max_instances=1), missed runs are coalesced into one, and the
outbox makes every run idempotent, so a restart, a missed tick or a second `digest run`
never sends twice nor skips a day.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from digest import fetching
from digest.bounces import read_bounces
from digest.config import Settings
from digest.delivery import planning
from digest.delivery.wiring import make_worker
from digest.delivery.worker import Worker
from digest.reports import RunReport

log = logging.getLogger("digest.scheduler")
FIRST_POLL_WAIT = 120.0  # seconds the first deliver run waits for the first poll


@contextmanager
def stop_on_signals(stop: Callable[[], Any]) -> Iterator[None]:
    """Call `stop` on SIGTERM and Ctrl-C (SIGINT) while inside; previous handlers restored.

    `stop` runs in a thread of its own: a handler runs between two steps of the main
    thread, which may hold a lock `stop` needs (the scheduler's executor's, while it submits
    a job: shutting it down from the handler waited for that lock forever). The handler only
    records the signal; a second one while it does is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    wake, leaving = threading.Event(), threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if not caught:  # a second signal, come while the first sets `wake`, must not lock it
            caught.append(signum)
            wake.set()

    def watch() -> None:
        wake.wait()
        if not leaving.is_set():
            log.info("stopping on %s", signal.Signals(caught[0]).name)
            stop()

    watcher = threading.Thread(target=watch, name="digest-stop", daemon=True)
    watcher.start()
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        if not caught:
            leaving.set()
        wake.set()
        watcher.join()


class Stopper:
    """What a caught signal stops (`stop_on_signals(stopper)`): remembered until something
    can be stopped, then that. `digest run` catches signals from before its web pages start,
    while its scheduler can only be shut down once it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # (never taken by a signal handler: see stop_on_signals)
        self._asked = False
        self._action: Callable[[], Any] | None = None

    def __call__(self) -> None:
        """A signal came: stop what runs, or what will."""
        with self._lock:
            self._asked, action = True, self._action
        if action is not None:
            action()

    def then(self, action: Callable[[], Any]) -> None:
        """From now on a signal calls `action`; at once if one already came."""
        with self._lock:
            self._action, asked = action, self._asked
        if asked:
            action()


class Jobs:
    """The scheduled work; each call is one run, logged as one line, returning its report."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        clock: Callable[[], datetime],
        worker: Worker | None = None,
        first_poll_wait: float = 0.0,
    ) -> None:
        self.settings, self.engine, self.clock = settings, engine, clock
        self.worker = worker or make_worker(settings, engine, clock=clock)
        self.worker.log_level = logging.DEBUG  # one line per run: `deliver` logs it
        self._busy = {"poll": threading.Lock(), "deliver": threading.Lock()}
        # The catch-up run on start waits (a little) for the first poll, so the digests it
        # sends hold today's papers rather than yesterday's.
        self._polled = threading.Event()
        self._first_poll_wait = first_poll_wait

    def poll(self) -> RunReport:
        """Fetch the sources, then read the bounce mailbox (when DIGEST_BOUNCE_MAILBOX is set)."""
        with self._busy["poll"]:
            try:
                days = fetching.default_fetch_days(self.engine, self.clock().date())
                return fetching.fetch_with_settings(
                    self.engine, self.settings, days=days, now=self.clock()
                )
            finally:
                self._polled.set()
                self.read_bounces()

    def read_bounces(self) -> RunReport | None:
        """One pass over the bounce mailbox; a failure is logged, never raised (the next poll
        tries again, and fetching and sending go on)."""
        if not self.settings.bounce_mailbox:
            return None
        try:
            report = read_bounces(self.settings, self.engine, clock=self.clock)
        except Exception as exc:
            log.error("bounces: %s", exc)
            return None
        log.info(report.line())
        return report

    def deliver(self) -> RunReport:
        if self._first_poll_wait and not self._polled.is_set():
            self._polled.wait(self._first_poll_wait)
            self._first_poll_wait = 0.0
        with self._busy["deliver"]:
            if self.worker.stop.is_set():
                return RunReport("deliver")
            planned = planning.plan(self.worker.db, now=self.clock())
            sent = self.worker.run(until_idle=True)
            report = RunReport(
                "deliver", {"planned": planned.counts["planned"], **sent.counts}, sent.errors
            )
            log.info(report.line())
            return report

    def stop(self) -> None:
        self.worker.stop.set()
        self._polled.set()  # a deliver run waiting for the first poll need not wait

    def wait(self) -> None:
        """Until the runs in progress have finished."""
        for lock in self._busy.values():
            with lock:
                pass

    def close(self) -> None:
        self.worker.mailer.close()


def build_scheduler(jobs: Jobs, *, poll_minutes: int, start: datetime) -> BlockingScheduler:
    """Both jobs run at `start` (the catch-up run), never overlap themselves, and a backlog of
    missed runs (the machine slept) collapses into one run."""
    scheduler = BlockingScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(2)})
    once = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        jobs.poll, IntervalTrigger(minutes=poll_minutes, timezone=UTC), id="poll",
        name="poll sources", next_run_time=start, **once,
    )  # fmt: skip
    scheduler.add_job(
        jobs.deliver, IntervalTrigger(minutes=1, timezone=UTC), id="deliver",
        name="plan and send digests", next_run_time=start, **once,
    )  # fmt: skip
    return scheduler


def run_forever(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime],
    stopper: Stopper | None = None,
) -> None:
    """Run until SIGTERM or Ctrl-C; then finish the messages in flight and return.

    `stopper`: the caller's, when it already catches the signals (`stop_on_signals(stopper)`);
    a signal it caught before the scheduler runs stops it as it starts, and no job runs."""
    jobs = Jobs(settings, engine, clock=clock, first_poll_wait=FIRST_POLL_WAIT)
    scheduler = build_scheduler(jobs, poll_minutes=settings.poll_minutes, start=clock())

    def stop() -> None:
        jobs.stop()
        with suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)

    def started(_event: object) -> None:  # before, shutting it down would do nothing
        signals.then(stop)

    signals = stopper or Stopper()
    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    log.info("digest run: polling every %d min, sending every minute", settings.poll_minutes)
    try:
        with nullcontext() if stopper else stop_on_signals(signals):
            scheduler.start()
            jobs.wait()
    finally:
        jobs.close()
    log.info("digest run: stopped")
