"""Bounces and complaints that arrive later, read from a real IMAP server (Dovecot on loopback).

Digests go out through a real SMTP server on loopback, which accepts them all (as a relay
does); the reports come back later to their VERP envelope senders, in real formats.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest.bounces import MailboxError, read_bounces
from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings, parse_mailbox_url
from digest.store.tables import Bounce, Subscriber
from tests.bounce_samples import sample
from tests.imap_server import ImapBox
from tests.smtp_server import SmtpServer
from tests.test_send import DAY, NOW, seed, send, settings_for, subscribe

LATER = NOW + timedelta(hours=3)
PEOPLE = ("ada", "bob", "cy", "dan", "eve")


def run_cli(settings: Settings, *args: str, now: datetime = NOW) -> Any:
    """The command line on its own engine, disposed after (PostgreSQL connections closed)."""
    app = App(settings_factory=lambda: settings, clock=lambda: now)
    try:
        return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)
    finally:
        if app._engine is not None:
            app._engine.dispose()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def state(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        subs = {
            s.email.split("@")[0]: (s.status, s.hard_bounces, s.soft_bounces, s.status_reason)
            for s in session.exec(select(Subscriber))
        }
        bounces = sorted(
            (b.report_key, b.kind, b.action, b.subscriber_id, b.digest_date)
            for b in session.exec(select(Bounce))
        )
    return {"subscribers": subs, "bounces": bounces}


def counts_of(line: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


@pytest.fixture
def sent(engine: Engine, smtp: SmtpServer, imap_box: ImapBox) -> tuple[Settings, dict[str, Any]]:
    """Five subscribers, each sent today's digest; the relay accepted every one."""
    seed(engine)
    ids = {name: subscribe(engine, f"{name}@example.org", "diffusion") for name in PEOPLE}
    settings = replace(
        settings_for(smtp),
        return_path="bounces@example.org",
        database_url=url_of(engine),
        bounce_mailbox=imap_box.url(),
    )
    assert send(engine, settings).counts["sent"] == 5
    verp = {r.recipients[0].split("@")[0]: r.sender for r in smtp.received}
    return settings, {"ids": ids, "verp": verp, "received": list(smtp.received)}


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_later_bounces_and_complaints_suppress_exactly_the_right_subscribers(
    engine: Engine, imap_box: ImapBox, sent: tuple[Settings, dict[str, Any]]
) -> None:
    settings, out = sent
    verp, ids = out["verp"], out["ids"]
    # every digest carried the headers mailbox providers expect, and its own return path
    for received in out["received"]:
        msg = received.parse()
        assert msg["List-Id"] == "Digest <digest.example.org>"
        assert msg["Feedback-ID"] == "digest:example.org"
        assert re.fullmatch(r"bounces\+[a-z2-7]{24}@example\.org", received.sender)
    # the reports arrive in the bounce mailbox hours later
    imap_box.append(sample("hard_5.1.1", verp=verp["ada"], rcpt="a.lovelace@forward.example.net"))
    imap_box.append(sample("soft_4.2.2", verp=verp["bob"], rcpt="bob@example.org", id=ids["bob"]))
    imap_box.append(sample("complaint_arf", verp=verp["cy"]))
    imap_box.append(sample("qmail", rcpt="dan@example.org"))
    imap_box.append(sample("unreadable"))

    result = run_cli(settings, "bounces", now=LATER)
    assert result.exit_code == 0, result.output
    counts = counts_of(result.output)
    assert counts["read"] == 5 and counts["duplicate"] == 0
    assert (counts["hard"], counts["soft"], counts["complaint"], counts["unreadable"]) == (
        2,
        1,
        1,
        1,
    )
    assert (counts["suppressed"], counts["unsubscribed"], counts["unmatched"]) == (2, 1, 0)

    after = state(engine)
    subs = after["subscribers"]
    assert subs["ada"][:2] == (
        "suppressed",
        1,
    )  # matched by its tag: the report names another address
    assert "5.1.1" in subs["ada"][3] and "User unknown" in subs["ada"][3]
    assert subs["bob"] == ("active", 0, 1, None)  # one soft bounce suppresses nobody
    assert subs["cy"][0] == "unsubscribed" and subs["cy"][3].startswith("complaint: abuse report")
    assert subs["dan"][:2] == ("suppressed", 1)  # qmail's format, by the address flufl found
    assert subs["eve"] == ("active", 0, 0, None)
    by_kind = {(b[1], b[3]) for b in after["bounces"]}
    assert ("hard", ids["ada"]) in by_kind and ("unreadable", None) in by_kind
    assert {b[4] for b in after["bounces"] if b[3] in (ids["ada"], ids["bob"])} == {DAY}

    # nothing is deleted; each report is marked, the unreadable one flagged for a person
    flags = imap_box.flags()
    assert len(flags) == 5
    assert all("$DigestProcessed" in f for f in flags)
    assert [("\\Flagged" in f, "$DigestUnreadable" in f) for f in flags] == [(False, False)] * 4 + [
        (True, True)
    ]

    # running it again changes nothing more
    again = run_cli(settings, "bounces", now=LATER + timedelta(minutes=5))
    assert again.exit_code == 0 and counts_of(again.output)["read"] == 0
    assert state(engine) == after

    # a run that died before marking (or a second machine reading at once): read again,
    # recognised, and still nothing changes
    imap_box.unmark()
    third = run_cli(settings, "bounces", now=LATER + timedelta(minutes=10))
    assert counts_of(third.output)["read"] == 5 and counts_of(third.output)["duplicate"] == 5
    assert state(engine) == after

    # what the operator sees
    status = json.loads(run_cli(settings, "status", "--json", now=LATER).output)
    assert status["outbox"]["suppressed_subscribers"] == 2
    bounces = status["bounces"]
    assert (bounces["hard"], bounces["soft"], bounces["complaint"], bounces["unreadable"]) == (
        2,
        1,
        1,
        1,
    )
    assert (bounces["suppressed"], bounces["unsubscribed"]) == (2, 1)
    text = run_cli(settings, "status", now=LATER).output
    assert re.search(r"complaint\s+1", text) and re.search(r"unreadable\s+1", text)
    listed = json.loads(run_cli(settings, "subscribers", "list", "--json").output)
    reasons = {r["email"]: r["reason"] for r in listed}
    assert "5.1.1" in reasons["ada@example.org"] and reasons["eve@example.org"] is None
    table = run_cli(settings, "subscribers", "list", "--status", "suppressed").output
    assert "reason" in table.splitlines()[0] and "hard bounce" in table

    # the suppressed and unsubscribed get no more digests; the soft-bounced one still does
    tomorrow = send(engine, settings, now=NOW + timedelta(days=1))
    assert {i["email"] for i in tomorrow.items} == {"bob@example.org", "eve@example.org"}


def test_imaps_with_a_verified_certificate(
    engine: Engine, dovecot: Any, imap_box: ImapBox, sent: tuple[Settings, dict[str, Any]]
) -> None:
    settings, out = sent
    imap_box.append(sample("hard_5.1.1", verp=out["verp"]["eve"], rcpt="eve@example.org"))
    location = parse_mailbox_url(imap_box.url("imaps"))
    # the server's certificate is not one the system trusts: refused
    with pytest.raises(MailboxError, match=r"cannot connect: .*CERTIFICATE_VERIFY_FAILED"):
        read_bounces(settings, engine, clock=lambda: LATER, location=location)
    report = read_bounces(
        settings, engine, clock=lambda: LATER, location=location, ssl_context=dovecot.tls_context()
    )
    assert (report.counts["hard"], report.counts["suppressed"]) == (1, 1)
    assert state(engine)["subscribers"]["eve"][0] == "suppressed"


def test_mailbox_failures_exit_1_and_bad_urls_exit_2(
    engine: Engine, imap_box: ImapBox, sent: tuple[Settings, dict[str, Any]]
) -> None:
    settings, _ = sent
    wrong = replace(settings, bounce_mailbox=imap_box.url().replace(imap_box.password, "wrong-pw"))
    result = run_cli(wrong, "bounces")
    assert result.exit_code == 1
    assert "AUTHENTICATIONFAILED" in result.output or "Authentication failed" in result.output
    assert "wrong-pw" not in result.output
    folder = run_cli(settings, "bounces", "--mailbox", imap_box.url(folder="NoSuchFolder"))
    assert folder.exit_code == 1 and "cannot open the folder" in folder.output
    closed = run_cli(settings, "bounces", "--mailbox", "imap://u:p@127.0.0.1:1/INBOX")
    assert closed.exit_code == 1 and "cannot connect" in closed.output
    bad = run_cli(settings, "bounces", "--mailbox", "pop3://u:p@127.0.0.1/INBOX")
    assert (
        bad.exit_code == 2
        and bad.output.count("\n") == 1
        and "--mailbox: unknown scheme" in bad.output
    )
    unset = run_cli(replace(settings, bounce_mailbox=""), "bounces")
    assert unset.exit_code == 2 and "DIGEST_BOUNCE_MAILBOX: not set" in unset.output
    nosecret = run_cli(replace(settings, secret_key=""), "bounces")
    assert nosecret.exit_code == 2 and "DIGEST_SECRET_KEY" in nosecret.output
