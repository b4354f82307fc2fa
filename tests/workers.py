"""Helpers for tests that run `python -m digest worker` processes against one database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from digest import store
from digest.delivery import planning
from digest.store.engine import session_scope
from digest.store.tables import Delivery
from tests import factories
from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
FINAL = ("sent", "empty", "failed", "suppressed", "skipped")


def seed_day(engine: Engine, subscribers: int) -> datetime:
    """Papers that match everyone, and `subscribers` due now; returns the planning instant."""
    now = datetime.now(UTC)
    # Four of the forty papers are about diffusion: rare enough that the word weighs above the
    # ranking's minimum relevance (a word in a quarter of the papers would not).
    topics = ["crop rotation", "protein folding", "graph coloring"]
    papers = [
        factories.listed(
            f"2603.{n:05d}",
            title=f"A study of {'diffusion models' if n % 10 == 0 else topics[n % 3]}, part {n}",
        )
        for n in range(1, 41)
    ]
    values = [
        factories.subscriber(
            f"user{n:04d}@example.org", keywords="diffusion models", send_at="00:00"
        )
        for n in range(subscribers)
    ]
    with session_scope(engine) as session:
        store.insert_papers(session, papers=papers, now=now - timedelta(hours=1))
        store.import_subscribers(session, values=values, now=now, defaults={"timezone": "UTC"})
    report = planning.plan(planning.Db(engine), now=now)
    assert report.counts["planned"] == subscribers
    return now


def worker_env(db_url: str, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        DIGEST_DATABASE_URL=db_url,
        DIGEST_SMTP_HOST="127.0.0.1",
        DIGEST_SMTP_PORT=str(smtp.port),
        DIGEST_SMTP_TIMEOUT="10",
        DIGEST_SMTP_CONNECTIONS="2",
        DIGEST_FROM="Digest <digest@example.org>",
        DIGEST_SECRET_KEY="s" * 32,
        DIGEST_BASE_URL="https://digest.example.org",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "digest", "worker", "--batch", "10", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` (bounded) while other processes do the work."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def outbox_states(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
        return Counter({status: n for status, n in session.exec(query)})


def received_per_recipient(smtp: SmtpServer) -> Counter[str]:
    return Counter(r for item in smtp.received for r in item.recipients)
