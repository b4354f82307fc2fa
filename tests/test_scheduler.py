"""`digest run` decisions with a fixed clock: restarts, missed ticks and overlapping runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine

from digest import store
from digest.delivery.wiring import make_worker
from digest.scheduler import Jobs, Stopper, build_scheduler, run_forever, stop_on_signals
from digest.store.engine import session_scope
from tests import factories
from tests.smtp_server import SmtpServer, slow
from tests.test_send import settings_for
from tests.workers import ROOT, wait_for, worker_env


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def jobs_for(engine: Engine, smtp: SmtpServer, clock: Clock) -> Jobs:
    settings = settings_for(smtp)
    return Jobs(settings, engine, clock=clock, worker=make_worker(settings, engine, clock=clock))


def paper(engine: Engine, pid: str, title: str, seen: datetime) -> None:
    filler = [factories.listed(f"{pid}{n}", title=f"Crop rotation {n}") for n in range(3)]
    with session_scope(engine) as session:
        store.insert_papers(session, papers=[factories.listed(pid, title=title), *filler], now=seen)


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(r.parse()["Message-ID"]).split(".")[1] for r in smtp.received]


def test_ticks_restart_and_missed_days(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(at("2026-03-03T07:30"))
    with session_scope(engine) as session:
        store.upsert_subscriber(
            session,
            value=factories.subscriber("ada@example.org", keywords="diffusion"),
            now=at("2026-03-03T07:00"),
            defaults={"send_at": "07:00", "timezone": "UTC"},
        )
    jobs = jobs_for(engine, smtp, clock)
    assert jobs.deliver().counts["empty"] == 1  # Mar 3: nothing yet
    paper(engine, "2603.10001", "Diffusion one", at("2026-03-03T20:00"))
    clock.now = at("2026-03-04T06:59")
    assert jobs.deliver().counts["claimed"] == 0  # Mar 4's time has not come
    clock.now = at("2026-03-04T07:00")
    assert jobs.deliver().counts["sent"] == 1
    clock.now = at("2026-03-04T07:01")
    assert jobs.deliver().counts["claimed"] == 0
    # a restart: new process, same day
    jobs.close()
    jobs = jobs_for(engine, smtp, clock)
    clock.now = at("2026-03-04T12:00")
    assert jobs.deliver().counts == jobs.deliver().counts | {"claimed": 0, "planned": 0}
    # asleep all of Mar 5: the Mar 6 run catches up with one digest holding both days' papers
    paper(engine, "2603.10002", "Diffusion two", at("2026-03-04T20:00"))
    paper(engine, "2603.10003", "Diffusion three", at("2026-03-05T20:00"))
    clock.now = at("2026-03-06T09:00")
    report = jobs.deliver()
    jobs.close()
    assert report.counts["sent"] == 1
    assert subjects(smtp) == ["2026-03-04", "2026-03-06"]
    text = smtp.received[-1].parse().get_payload()[0].get_payload(decode=True).decode()
    assert "Diffusion two" in text and "Diffusion three" in text and "Diffusion one" not in text


def test_overlapping_runs_send_once(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(at("2026-03-04T07:05"))
    with session_scope(engine) as session:
        values = [factories.subscriber(f"u{n}@example.org", keywords="diffusion") for n in range(6)]
        store.import_subscribers(session, values=values, now=clock.now, defaults={})
    paper(engine, "2603.20001", "Diffusion again", at("2026-03-04T05:00"))
    for n in range(6):
        smtp.script(f"u{n}@example.org", "data", slow(0.2))
    first, second = jobs_for(engine, smtp, clock), jobs_for(engine, smtp, clock)
    reports: list[Any] = []
    thread = threading.Thread(target=lambda: reports.append(first.deliver()))
    thread.start()
    wait_for(lambda: first.worker.counts["claimed"] > 0, 30, "the first run to claim")
    reports.append(second.deliver())  # overlaps the first run
    thread.join(timeout=60)
    first.close()
    second.close()
    assert sum(r.counts["sent"] for r in reports) == 6
    assert sorted(r.recipients[0] for r in smtp.received) == [f"u{n}@example.org" for n in range(6)]


def test_scheduler_wiring(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(at("2026-03-04T07:05"))
    jobs = jobs_for(engine, smtp, clock)
    scheduler = build_scheduler(jobs, poll_minutes=30, start=clock.now)
    got = {job.id: job for job in scheduler.get_jobs()}
    assert set(got) == {"poll", "deliver"}
    assert got["poll"].trigger.interval == timedelta(minutes=30)
    assert got["deliver"].trigger.interval == timedelta(minutes=1)
    for job in got.values():  # both run at once on start: the catch-up run
        assert (job.coalesce, job.max_instances, job.next_run_time) == (True, 1, clock.now)
    jobs.close()


@pytest.mark.slow
def test_run_stops_cleanly_on_sigterm(
    tmp_path: Path, smtp: SmtpServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/daily_papers").respond_with_json([])
    env = worker_env(f"sqlite:///{tmp_path / 'run.db'}", smtp)
    env["DIGEST_HF_API_URL"] = httpserver.url_for("/").rstrip("/")
    init = [sys.executable, "-m", "digest", "init"]
    assert subprocess.run(init, cwd=ROOT, env=env, capture_output=True).returncode == 0
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "digest", "run"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: "deliver: planned=0" in log.read_text(), 60, "the first deliver run")
        wait_for(lambda: "fetch: days=" in log.read_text(), 60, "the first poll")
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "stopping on SIGTERM" in log.read_text() and "digest run: stopped" in log.read_text()


def test_a_signal_caught_while_starting_ends_the_run_as_it_starts(
    engine: Engine, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """`digest run` catches signals before its scheduler runs (while its web pages start): a
    SIGTERM then stops the scheduler as it starts, no job runs, nothing hangs."""
    stopper = Stopper()
    stopper()  # the signal, caught before
    caplog.set_level("INFO", logger="digest")
    done = threading.Thread(
        target=run_forever,
        args=(settings_for(smtp), engine),
        kwargs={"clock": Clock(at("2026-03-04T07:05")), "stopper": stopper},
    )
    done.start()
    done.join(timeout=30)
    assert not done.is_alive()
    assert "digest run: stopped" in caplog.text
    assert "fetch:" not in caplog.text and "deliver:" not in caplog.text  # no job ran


def test_a_signal_stops_from_a_thread_of_its_own() -> None:
    """The handler interrupts the main thread wherever it is, maybe holding a lock the stop
    needs (the scheduler's executor's, while it submits a job): the stop must not run there."""
    held = threading.Lock()
    got: list[bool] = []

    def stop() -> None:
        got.append(held.acquire(timeout=3))  # in the handler itself: never (it is held)
        if got[-1]:
            held.release()

    with stop_on_signals(stop), held:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler runs here, the lock held
    assert got == [True]


def test_the_catch_up_run_waits_for_the_first_poll(
    engine: Engine, smtp: SmtpServer, httpserver: HTTPServer
) -> None:
    """On start both jobs run at once; the digests must hold what the first poll brings."""
    listing = [factories.hf_item("2603.40001", title="Diffusion at dawn")] + [
        factories.hf_item(f"2603.4010{n}", title=f"Crop rotation {n}") for n in range(3)
    ]
    today = {"date": "2026-03-04", "p": "0", "limit": "100"}
    httpserver.expect_request("/api/daily_papers", query_string=today).respond_with_json(listing)
    httpserver.expect_request("/api/daily_papers").respond_with_json([])
    clock = Clock(at("2026-03-04T07:05"))
    settings = replace(settings_for(smtp), hf_api_url=httpserver.url_for("/").rstrip("/"))
    jobs = Jobs(settings, engine, clock=clock, worker=make_worker(settings, engine, clock=clock),
                first_poll_wait=30)  # fmt: skip
    with session_scope(engine) as session:
        store.upsert_subscriber(
            session,
            value=factories.subscriber("ada@example.org", keywords="diffusion"),
            now=clock.now,
            defaults={"send_at": "07:00", "timezone": "UTC"},
        )
    reports: list[Any] = []
    deliver = threading.Thread(target=lambda: reports.append(jobs.deliver()))
    deliver.start()  # scheduled first, it waits for the poll below
    assert jobs.poll().counts["new"] == 4
    deliver.join(timeout=30)
    jobs.close()
    assert reports[0].counts["sent"] == 1
    (message,) = smtp.received
    assert "Diffusion at dawn" in message.parse().get_payload()[0].get_payload(decode=True).decode()
