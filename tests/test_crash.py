"""SIGKILL sending workers again and again: no digest is lost, duplicates stay in the window.

A digest can reach the server twice only if its worker died after the server accepted it and
before the outbox recorded it. A worker hands the mailer one message per connection at a
time, so each kill may leave at most `connections` accepted-but-unrecorded messages, which
another worker sends again once the dead worker's lease runs out.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.smtp_server import SmtpServer, slow
from tests.workers import (
    FINAL,
    outbox_states,
    received_per_recipient,
    seed_day,
    start_worker,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SUBSCRIBERS = 150
KILLS = 3
CONNECTIONS = 2
LEASE = 10  # the shortest DIGEST_LEASE_SECONDS allowed


def test_killed_workers_lose_nothing(pg_engine: Engine, pg_server_url: str, tmp_path: Path) -> None:
    seed_day(pg_engine, SUBSCRIBERS)
    with SmtpServer() as smtp:
        for n in range(SUBSCRIBERS):  # a little latency, so kills land mid-transaction
            smtp.script(f"user{n:04d}@example.org", "data", slow(0.01))
        env = worker_env(
            pg_server_url,
            smtp,
            DIGEST_LEASE_SECONDS=str(LEASE),
            DIGEST_SMTP_CONNECTIONS=str(CONNECTIONS),
        )
        log = tmp_path / "workers.log"
        for kill in range(KILLS):
            before = len(smtp.received)
            proc = start_worker(env, log)
            wait_for(
                lambda b=before: len(smtp.received) >= b + 15, 60, f"sending before kill {kill}"
            )
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        states = outbox_states(pg_engine)
        assert states["sending"] > 0  # the dead workers' leases still hold their rows
        # two workers finish the rest, including the rows the dead ones leased
        finishers = [start_worker(env, log) for _ in range(2)]
        wait_for(
            lambda: sum(outbox_states(pg_engine)[s] for s in FINAL) == SUBSCRIBERS,
            LEASE * 6,
            "every digest to be recorded",
        )
        for proc in finishers:
            proc.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=30) for p in finishers] == [0, 0], log.read_text()[-3000:]
        per = received_per_recipient(smtp)
    missing = SUBSCRIBERS - len(per)
    duplicates = sum(n - 1 for n in per.values())
    window = KILLS * CONNECTIONS
    print(
        f"\ncrash test: {KILLS} SIGKILLs, {SUBSCRIBERS} digests, {len(smtp.received)} messages "
        f"received, {missing} missing, {duplicates} duplicate(s) (allowed at most {window})"
    )
    assert missing == 0
    assert duplicates <= window
    assert outbox_states(pg_engine) == {"sent": SUBSCRIBERS}
