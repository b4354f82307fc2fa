"""The maildir bounce mailbox, soft-bounce streaks over several digests, repeated reports, and
`digest run` reading the mailbox at every poll."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest import store
from digest.bounces import MailboxError, read_bounces
from digest.config import MailboxLocation, Settings
from digest.delivery.wiring import make_worker
from digest.scheduler import Jobs
from digest.store.engine import session_scope
from digest.store.tables import Bounce, Subscriber
from digest.tokens import BounceTags
from tests import factories
from tests.bounce_samples import sample
from tests.smtp_server import SmtpServer
from tests.test_send import DAY, NOW, seed, send, settings_for, subscribe

SECRET = "k" * 32  # settings_for's


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def maildir(root: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def deliver(box: Path, name: str, raw: bytes) -> Path:
    """What a delivery agent does: write to tmp/, then move into new/."""
    tmp = box / "tmp" / name
    tmp.write_bytes(raw)
    return tmp.rename(box / "new" / name)


def subscriber(engine: Engine, email: str) -> Subscriber:
    with Session(engine) as session:
        sub = store.get_subscriber(session, email=email)
        assert sub is not None
        return sub


def read(settings: Settings, engine: Engine, box: Path, now: Any) -> dict[str, int]:
    location = MailboxLocation("maildir", path=str(box))
    return read_bounces(settings, engine, clock=lambda: now, location=location).counts


def test_maildir_reports_are_marked_seen_and_kept(
    engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "diffusion")
    settings = settings_for(smtp)
    assert send(engine, settings).counts["sent"] == 2
    box = maildir(tmp_path / "Maildir")
    # sent to the plain return path and quoting nothing tagged: matched by the address
    deliver(
        box,
        "1772607605.M1P1.mail",
        sample("hard_5.1.1", verp="digest@example.org", rcpt="ada@example.org"),
    )
    deliver(box, "1772607606.M2P1.mail", sample("unreadable"))
    (box / "cur" / "1772600000.M0P1.mail:2,S").write_bytes(sample("qmail", rcpt="bob@example.org"))
    counts = read(settings, engine, box, NOW + timedelta(hours=1))
    assert (counts["read"], counts["hard"], counts["unreadable"], counts["suppressed"]) == (
        2,
        1,
        1,
        1,
    )
    assert subscriber(engine, "ada@example.org").status == "suppressed"
    # a message already marked seen (by a person, or an earlier run) is not read again
    assert subscriber(engine, "bob@example.org").status == "active"
    assert sorted(p.name for p in (box / "new").iterdir()) == []
    assert sorted(p.name for p in (box / "cur").iterdir()) == [
        "1772600000.M0P1.mail:2,S",
        "1772607605.M1P1.mail:2,S",
        "1772607606.M2P1.mail:2,FS",  # kept, flagged for a person
    ]
    again = read(settings, engine, box, NOW + timedelta(hours=2))
    assert again["read"] == 0


def test_a_single_soft_bounce_does_not_suppress_but_three_digests_in_a_row_do(
    engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    settings = settings_for(smtp)
    ada = subscribe(engine, "ada@example.org", "diffusion")
    bob = subscribe(engine, "bob@example.org", "diffusion")
    senders: dict[tuple[str, Any], str] = {}
    for day in range(4):  # a digest a day, each accepted by the relay
        now = NOW + timedelta(days=day)
        seed(engine, [factories.listed(f"2603.0{day}100", title=f"Diffusion day {day}")],
             at=now - timedelta(hours=2))  # fmt: skip
        report = send(engine, settings, now=now)
        assert report.counts["sent"] == 2, report
        for r in smtp.received[-2:]:
            senders[(r.recipients[0], (now.date()))] = r.sender
    box = maildir(tmp_path / "Maildir")

    def soft(n: int, email: str, day: Any, sid: int) -> None:
        raw = sample("soft_4.2.2", verp=senders[(email, day)], rcpt=email, id=sid)
        raw = raw.replace(b"9C2B1D0456@mail.example.org", f"{n}@mail.example.org".encode())
        deliver(box, f"{n}.M{n}.mail", raw)

    # bob's first digest soft-bounces once: counted, not suppressed
    soft(1, "bob@example.org", DAY, bob)
    # ada's first three digests all soft-bounced; the reports arrive after the fourth went out
    for k in range(3):
        soft(10 + k, "ada@example.org", DAY + timedelta(days=k), ada)
    counts = read(settings, engine, box, NOW + timedelta(days=3, hours=2))
    assert (counts["soft"], counts["suppressed"]) == (4, 1)
    assert subscriber(engine, "bob@example.org").status == "active"
    sub = subscriber(engine, "ada@example.org")
    assert (sub.status, sub.soft_bounces) == ("suppressed", 3)
    assert sub.status_reason is not None and sub.status_reason.startswith(
        "3 digests in a row bounced"
    )
    # a second report on the same digest (a copy, another MTA's) counts once
    soft(2, "bob@example.org", DAY, bob)
    repeat = read(settings, engine, box, NOW + timedelta(days=3, hours=3))
    assert (repeat["soft"], repeat["suppressed"]) == (1, 0)
    with Session(engine) as session:
        actions = sorted(b.action for b in session.exec(select(Bounce)) if b.subscriber_id == bob)
    assert actions == ["counted", "repeat"]
    assert subscriber(engine, "bob@example.org").soft_bounces == 1


def test_a_hard_bounce_counted_once_per_digest_and_the_limit_applies(
    engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    seed(engine)
    ada = subscribe(engine, "ada@example.org", "diffusion")
    settings = replace(settings_for(smtp), hard_bounce_limit=2)
    send(engine, settings)
    [received] = smtp.received
    box = maildir(tmp_path / "Maildir")
    for n in range(2):  # the same DSN twice, under two Message-IDs
        raw = sample("hard_5.1.1", verp=received.sender, rcpt="ada@example.org")
        deliver(box, f"{n}.M.mail", raw.replace(b"3F1A2C0123@", f"{n}X@".encode()))
    counts = read(settings, engine, box, NOW + timedelta(hours=1))
    assert (counts["read"], counts["hard"], counts["suppressed"]) == (2, 2, 0)
    sub = subscriber(engine, "ada@example.org")
    assert (sub.status, sub.hard_bounces) == ("active", 1)  # one digest: one bounce, of two
    # a confirmation email's bounce (a tag with no digest date) counts too, and reaches the limit
    tags = BounceTags(SECRET, "digest@example.org")
    deliver(box, "2.M.mail", sample("hard_5.1.1", verp=tags.address(ada), rcpt="ada@example.org")
            .replace(b"3F1A2C0123@", b"confirm@"))  # fmt: skip
    assert read(settings, engine, box, NOW + timedelta(hours=2))["suppressed"] == 1
    assert subscriber(engine, "ada@example.org").hard_bounces == 2


def test_reports_about_unknown_addresses_are_recorded_unmatched(
    engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    settings = settings_for(smtp)
    box = maildir(tmp_path / "Maildir")
    deliver(box, "1.M.mail", sample("qmail", rcpt="stranger@example.net"))
    counts = read(settings, engine, box, NOW)
    assert (counts["hard"], counts["unmatched"]) == (1, 1)
    with Session(engine) as session:
        (row,) = session.exec(select(Bounce)).all()
    assert (row.action, row.email, row.subscriber_id) == ("unmatched", "stranger@example.net", None)


def test_not_a_maildir_is_a_mailbox_error(engine: Engine, smtp: SmtpServer, tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="not a maildir"):
        read(settings_for(smtp), engine, tmp_path, NOW)


def test_digest_run_reads_the_mailbox_at_every_poll(
    engine: Engine, smtp: SmtpServer, tmp_path: Path, httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    httpserver.expect_request("/api/daily_papers").respond_with_json([])
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    box = maildir(tmp_path / "Maildir")
    settings = replace(
        settings_for(smtp),
        hf_api_url=httpserver.url_for("/").rstrip("/"),
        bounce_mailbox=f"maildir://{box}",
    )
    clock = lambda: NOW  # noqa: E731
    jobs = Jobs(settings, engine, clock=clock, worker=make_worker(settings, engine, clock=clock))
    try:
        assert jobs.deliver().counts["sent"] == 1
        deliver(
            box,
            "1.M.mail",
            sample("hard_5.1.1", verp=smtp.received[0].sender, rcpt="x@example.net"),
        )
        with caplog.at_level(logging.INFO, logger="digest.scheduler"):
            jobs.poll()
        assert "bounces: read=1 hard=1" in caplog.text
        assert subscriber(engine, "ada@example.org").status == "suppressed"
        # a mailbox that fails is logged; polling goes on
        (box / "new").rmdir()
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="digest.scheduler"):
            jobs.poll()
        assert "not a maildir" in caplog.text
    finally:
        jobs.close()
    with session_scope(engine) as session:
        assert store.last_fetch_run(session) is not None
