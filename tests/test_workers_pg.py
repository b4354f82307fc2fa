"""Four `digest worker --until-idle` processes share one PostgreSQL outbox: each digest once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from digest.store.tables import Counter
from tests.smtp_server import SmtpServer
from tests.workers import (
    outbox_states,
    received_per_recipient,
    seed_day,
    start_worker,
    worker_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SUBSCRIBERS = 240


def test_four_workers_send_every_digest_exactly_once(
    pg_engine: Engine, pg_server_url: str, tmp_path: Path
) -> None:
    seed_day(pg_engine, SUBSCRIBERS)
    with SmtpServer() as smtp:
        env = worker_env(pg_server_url, smtp)
        logs = [tmp_path / f"worker{n}.log" for n in range(4)]
        procs = [start_worker(env, log, "--until-idle") for log in logs]
        codes = [p.wait(timeout=120) for p in procs]
        output = "\n".join(log.read_text() for log in logs)
        assert codes == [0, 0, 0, 0], output
        per = received_per_recipient(smtp)
    assert len(per) == SUBSCRIBERS and set(per.values()) == {1}
    assert outbox_states(pg_engine) == {"sent": SUBSCRIBERS}
    # every worker got a share (the claims interleave rather than one worker taking all)
    lines = [line for line in output.splitlines() if line.startswith("send: ")]
    shares = [int(line.split("sent=")[1].split()[0]) for line in lines]
    print(f"\nfour workers: {SUBSCRIBERS} digests, shares {shares}")
    assert sum(shares) == SUBSCRIBERS and len(shares) == 4


def test_four_workers_share_one_rate_limit(
    pg_engine: Engine, pg_server_url: str, tmp_path: Path
) -> None:
    """DIGEST_RATE_PER_SECOND holds for all workers together (counted in the database)."""
    subscribers, rate = 100, 25
    seed_day(pg_engine, subscribers)
    with SmtpServer() as smtp:
        env = worker_env(pg_server_url, smtp, DIGEST_RATE_PER_SECOND=str(rate))
        logs = [tmp_path / f"worker{n}.log" for n in range(4)]
        procs = [start_worker(env, log, "--until-idle") for log in logs]
        codes = [p.wait(timeout=120) for p in procs]
        assert codes == [0, 0, 0, 0], "\n".join(log.read_text() for log in logs)
        assert len(smtp.received) == subscribers
    with Session(pg_engine) as session:
        windows = session.exec(
            select(Counter.count).where(col(Counter.key).startswith("smtp:second:"))
        ).all()
    print(f"\nrate limit {rate}/s, four workers: per-second counts {sorted(windows)}")
    assert sum(windows) == subscribers and max(windows) <= rate
