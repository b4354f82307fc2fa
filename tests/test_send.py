"""Sending for real to an aiosmtpd server on loopback: once per subscriber, retries, bounces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest import store
from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.delivery import planning
from digest.delivery.wiring import make_worker
from digest.delivery.worker import send_digests
from digest.mail.dkim import DKIM_MISSING
from digest.store.engine import session_scope
from digest.store.tables import Bounce, Delivery, SentPaper, Subscriber
from digest.subscribers import lifecycle
from digest.tokens import BounceTags
from tests import factories
from tests.smtp_server import DROP, SmtpServer

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)
PAPERS = [
    factories.listed(
        "2603.00001",
        title="Diffusion models for text",
        upvotes=10,
        abstract="Diffusion models generate data. We study diffusion sampling.",
    ),
    factories.listed(
        "2603.00002",
        title="Detecting OOD inputs at scale",
        upvotes=5,
        abstract="OOD inputs are common. We detect OOD inputs.",
    ),
    factories.listed(
        "2603.00003",
        title="Guided diffusion sampling",
        upvotes=1,
        abstract="Guidance steers diffusion. Diffusion sampling gets faster.",
    ),
    factories.listed("2603.00004", title="A study of crop yields", upvotes=50),
]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def settings_for(smtp: SmtpServer, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "mail_from": "Digest <digest@example.org>",
        "secret_key": "k" * 32,
        "base_url": "https://digest.example.org",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_timeout": 5.0,
        "smtp_connections": 2,
    }
    return Settings(**(values | kw))


def seed(
    engine: Engine, papers: list[Any] = PAPERS, at: datetime = NOW - timedelta(hours=3)
) -> None:
    with session_scope(engine) as session:
        store.insert_papers(session, papers=papers, now=at)


def subscribe(engine: Engine, email: str, keywords: str, **kw: Any) -> int:
    with session_scope(engine) as session:
        sub, _ = store.upsert_subscriber(
            session,
            value=factories.subscriber(email, keywords=keywords),
            now=NOW - timedelta(days=1),
            defaults={"send_at": "07:00", "timezone": "UTC"} | kw,
        )
        assert sub.id is not None
        return sub.id


def send(engine: Engine, settings: Settings, now: datetime = NOW, **kw: Any) -> Any:
    worker = make_worker(settings, engine, clock=lambda: now, keep_items=True, **kw)
    try:
        return send_digests(worker.db, worker, now=now)[1]
    finally:
        worker.mailer.close()
        worker.db.close()


def rows(engine: Engine) -> dict[str, Delivery]:
    with Session(engine) as session:
        out = {}
        for row in session.exec(select(Delivery)):
            sub = session.get(Subscriber, row.subscriber_id)
            assert sub is not None
            out[sub.email] = row
        return out


def test_one_well_formed_email_per_matching_subscriber(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    ada = subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    subscribe(engine, "cy@example.org", "quantum chemistry")
    subscribe(engine, "late@example.org", "diffusion", send_at="09:00")
    with session_scope(engine) as session:
        subscribe(engine, "gone@example.org", "diffusion")
        lifecycle.unsubscribe(
            session, sub=store.get_subscriber(session, email="gone@example.org"), now=NOW
        )
    report = send(engine, settings_for(smtp))
    assert report.counts["claimed"] == 4
    assert (report.counts["sent"], report.counts["empty"], report.counts["failed"]) == (3, 1, 0)
    got = {r.recipients[0]: r.parse() for r in smtp.received}
    assert sorted(got) == ["ada@example.org", "bob@example.org", "late@example.org"]
    msg = got["ada@example.org"]
    with Session(engine) as session:
        public_id = session.get(Subscriber, ada).public_id  # random, never the row number
    assert msg["Message-ID"] == f"<digest.2026-03-04.{public_id}@example.org>"
    assert msg["From"] == "Digest <digest@example.org>" and msg["To"] == "ada@example.org"
    assert msg["List-Unsubscribe"].startswith("<https://digest.example.org/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"] == "Digest <digest.example.org>"  # from DIGEST_FROM by default
    assert msg["Feedback-ID"] == "digest:example.org"
    # VERP: each digest has its own envelope sender, a sealed tag of subscriber and date
    by_rcpt = {r.recipients[0]: r.sender for r in smtp.received}
    assert len(set(by_rcpt.values())) == 3
    tags = BounceTags("k" * 32, "digest@example.org")
    assert re.fullmatch(r"digest\+[a-z2-7]{24}@example\.org", by_rcpt["ada@example.org"])
    assert tags.find(by_rcpt["ada@example.org"]) == [(ada, DAY)]
    assert str(ada) not in by_rcpt["ada@example.org"].split("@")[0]
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.get_payload()]
    assert parts == ["text/plain", "text/html"]
    text = msg.get_payload()[0].get_payload(decode=True).decode()
    assert "Diffusion models for text" in text and "Guided diffusion sampling" in text
    assert "crop yields" not in text and "OOD" not in msg["Subject"]
    state = rows(engine)
    assert state["ada@example.org"].status == "sent"
    assert state["ada@example.org"].paper_ids == ["2603.00001", "2603.00003"]
    assert state["cy@example.org"].status == "empty"
    assert "gone@example.org" not in state
    # 09:00 today has not come yet: the latest due digest is yesterday's
    assert state["late@example.org"].digest_date == DAY - timedelta(days=1)
    assert state["ada@example.org"].digest_date == DAY
    with Session(engine) as session:
        sub = session.get(Subscriber, ada)
        assert sub is not None and sub.last_digest_at == NOW


def test_sending_again_sends_nothing_and_no_paper_twice(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    settings = settings_for(smtp)
    assert send(engine, settings).counts["sent"] == 1
    again = send(engine, settings, now=NOW + timedelta(hours=2))
    assert again.counts["claimed"] == 0 and len(smtp.received) == 1
    # next day: only the new paper, although the old ones still match
    new = [
        factories.listed("2603.00009", title="Latent diffusion"),
        factories.listed("2603.00011", title="Protein folding"),
    ]
    seed(engine, new, at=NOW + timedelta(hours=12))
    nxt = send(engine, settings, now=NOW + timedelta(days=1))
    assert nxt.counts["sent"] == 1 and len(smtp.received) == 2
    assert nxt.items[0]["papers"] == 1 and nxt.items[0]["titles"] == ["Latent diffusion"]
    with Session(engine) as session:
        sent = session.exec(select(func.count()).select_from(SentPaper)).one()
    assert sent == 3


def test_4xx_is_retried_with_backoff_then_sent(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    smtp.script("ada@example.org", "rcpt", "451 4.7.1 Greylisted, try again", "250 OK")
    settings = settings_for(smtp)
    first = send(engine, settings)
    assert first.counts["retry"] == 1 and smtp.received == []
    row = rows(engine)["ada@example.org"]
    assert row.status == "retry" and row.attempts == 1 and "451" in (row.last_error or "")
    wait = (row.next_attempt_at - NOW).total_seconds()
    assert 60 <= wait <= 90  # first backoff with jitter
    early = send(engine, settings, now=NOW + timedelta(seconds=30))
    assert early.counts["claimed"] == 0
    later = send(engine, settings, now=row.next_attempt_at)
    assert later.counts["sent"] == 1 and len(smtp.received) == 1
    with Session(engine) as session:
        sub = session.exec(select(Subscriber)).one()
    assert (sub.soft_bounces, sub.status) == (0, "active")


def test_dropped_connection_is_retried(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    smtp.script("ada@example.org", "data", DROP, DROP, "250 OK")
    settings = settings_for(smtp)
    assert send(engine, settings).counts["retry"] == 1
    row = rows(engine)["ada@example.org"]
    assert send(engine, settings, now=row.next_attempt_at).counts["sent"] == 1
    assert len(smtp.received) == 1 and smtp.dropped == 2


def test_retrying_gives_up_before_the_next_digest(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    smtp.script("ada@example.org", "rcpt", "452 4.2.2 Mailbox full")
    settings = settings_for(smtp)
    now = NOW
    for _ in range(40):  # bounded: backoff reaches the next day's 07:00 well within this
        report = send(engine, settings, now=now)
        row = rows(engine)["ada@example.org"]
        if row.status != "retry":
            break
        assert row.next_attempt_at < datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
        now = row.next_attempt_at
    assert row.status == "failed" and report.counts["failed"] == 1
    assert (row.last_error or "").startswith("gave up: 452")
    with Session(engine) as session:
        sub = session.exec(select(Subscriber)).one()
        (bounce,) = session.exec(select(Bounce)).all()
    assert (sub.soft_bounces, sub.status) == (1, "active")
    assert (bounce.source, bounce.kind, bounce.action, bounce.status) == (
        "smtp",
        "soft",
        "counted",
        "4.2.2",
    )
    assert smtp.received == []


def test_5xx_bounces_and_suppresses(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    smtp.script("ada@example.org", "rcpt", "550 5.1.1 No such user")
    settings = settings_for(smtp)
    report = send(engine, settings)
    assert (report.counts["bounced"], report.counts["sent"]) == (1, 1)
    with Session(engine) as session:
        ada = store.get_subscriber(session, email="ada@example.org")
        bounces = session.exec(select(Bounce)).all()
    assert ada is not None and (ada.status, ada.hard_bounces) == ("suppressed", 1)
    assert (
        ada.status_reason
        == "hard bounce at sending (2026-03-04 digest): 550 RCPT TO: 550 5.1.1 No such user"
    )
    assert rows(engine)["ada@example.org"].status == "failed"
    # recorded beside the bounces that come back later, for `digest status`
    assert [
        (b.source, b.kind, b.action, b.status, b.subscriber_id, b.digest_date) for b in bounces
    ] == [("smtp", "hard", "suppressed", "5.1.1", ada.id, DAY)]

    new = [
        factories.listed("2603.00010", title="More diffusion"),
        factories.listed("2603.00011", title="Protein folding"),
    ]
    seed(engine, new, at=NOW + timedelta(hours=1))
    nxt = send(engine, settings, now=NOW + timedelta(days=1))
    assert nxt.counts["claimed"] == 1  # bob only (empty); the suppressed address gets nothing
    assert [r.recipients for r in smtp.received] == [("bob@example.org",)]
    # subscribing again re-activates the address and forgets why it was suppressed
    value = factories.subscriber("ada@example.org", keywords="diffusion")
    lifecycle.subscribe(engine, value=value, now=NOW + timedelta(days=1), defaults={})
    with Session(engine) as session:
        again = store.get_subscriber(session, email="ada@example.org")
    assert again is not None
    assert (again.status, again.hard_bounces, again.status_reason) == ("active", 0, None)


def test_suppressed_after_planning_is_skipped(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    worker = make_worker(settings_for(smtp), engine, clock=lambda: NOW)
    planning.plan(worker.db, now=NOW)
    with session_scope(engine) as session:
        sub = store.get_subscriber(session, email="ada@example.org")
        assert sub is not None
        sub.status = "suppressed"
    report = worker.run()
    worker.mailer.close()
    assert report.counts["skipped"] == 1 and smtp.received == []
    assert rows(engine)["ada@example.org"].status == "suppressed"


def test_send_empty_note_when_asked(engine: Engine, smtp: SmtpServer) -> None:
    seed(engine)
    subscribe(engine, "cy@example.org", "quantum chemistry")
    report = send(engine, settings_for(smtp, send_empty=True))
    assert report.counts["empty"] == 1
    (msg,) = [r.parse() for r in smtp.received]
    assert str(make_header(decode_header(msg["Subject"]))).startswith("Nothing new")
    assert rows(engine)["cy@example.org"].message_id == msg["Message-ID"]


# --------------------------------------------------------------------------- the command


def run_cli(settings: Settings, *args: str, now: datetime = NOW) -> Any:
    app = App(settings_factory=lambda: settings, clock=lambda: now)
    return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def _engine(url: str) -> Engine:
    from digest.store.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


def test_dry_run_writes_previews_and_changes_nothing(
    db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    engine = _engine(db_url)
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    subscribe(engine, "cy@example.org", "quantum chemistry")
    out = tmp_path / "preview"
    # no sender or secret configured: the dry run uses placeholders
    settings = Settings(database_url=db_url, smtp_port=smtp.port)
    result = run_cli(settings, "send", "--dry-run", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "ada@example.org" in result.output and "Diffusion models for text" in result.output
    assert "nothing was sent" in result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".eml", ".eml", ".html", ".html"]
    html = next(out.glob("*.html")).read_text()
    assert "<html" in html.lower()
    assert smtp.received == [] and smtp.connections == 0
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Delivery)).one() == 0
        assert all(s.last_digest_at is None for s in session.exec(select(Subscriber)))
    # the real send afterwards still sends both
    real = run_cli(replace(settings_for(smtp), database_url=db_url), "send", "--json")
    assert real.exit_code == 0, real.output
    assert '"sent": 2' in real.output and len(smtp.received) == 2


def test_send_to_one_subscriber(db_url: str, smtp: SmtpServer) -> None:
    engine = _engine(db_url)
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    settings = replace(settings_for(smtp), database_url=db_url)
    result = run_cli(settings, "send", "--to", "Ada@Example.org")
    assert result.exit_code == 0, result.output
    assert [r.recipients for r in smtp.received] == [("ada@example.org",)]
    bad = run_cli(settings, "send", "--to", "nobody@example.org")
    assert bad.exit_code == 2 and "no subscriber nobody@example.org" in bad.output


def test_send_requires_sender_and_secret(db_url: str) -> None:
    _engine(db_url).dispose()
    result = run_cli(Settings(database_url=db_url), "send")
    assert result.exit_code == 2 and "DIGEST_FROM" in result.output


def test_plan_and_status(db_url: str, smtp: SmtpServer) -> None:
    engine = _engine(db_url)
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    smtp.script("bob@example.org", "rcpt", "550 5.1.1 No such user")
    settings = replace(settings_for(smtp), database_url=db_url)
    planned = run_cli(settings, "plan")
    assert planned.exit_code == 0 and "planned=2" in planned.output
    assert "planned=0" in run_cli(settings, "plan").output
    assert run_cli(settings, "worker", "--until-idle").exit_code == 0
    status = run_cli(settings, "status")
    assert status.exit_code == 0
    assert re.search(r"sent\s+1", status.output) and re.search(r"failed\s+1", status.output)
    assert re.search(r"suppressed_subscribers\s+1", status.output)
    assert "last fetch: never" in status.output


def test_fetch_then_send_end_to_end(
    db_url: str, tmp_path: Path, smtp: SmtpServer, httpserver: Any
) -> None:
    """A local server speaking the HF API, then the commands a person runs."""
    from werkzeug import Request, Response

    listing = [
        factories.hf_item("2603.30001", title="Diffusion transformers at scale", upvotes=40),
        factories.hf_item("2603.30002", title="OOD detection with energy scores", upvotes=12),
        factories.hf_item("2603.30003", title="Soil moisture from satellites", upvotes=90),
        factories.hf_item("2603.30004", title="A survey of graph coloring", upvotes=2),
    ]

    def handler(request: Request) -> Response:
        day = request.args.get("date")
        page = int(request.args.get("p", "0"))
        items = listing if day == DAY.isoformat() and page == 0 else []
        return Response(json.dumps(items), content_type="application/json")

    httpserver.expect_request("/api/daily_papers").respond_with_handler(handler)
    settings = replace(
        settings_for(smtp), database_url=db_url, hf_api_url=httpserver.url_for("/").rstrip("/")
    )
    assert run_cli(settings, "init").exit_code == 0
    fetched = run_cli(settings, "fetch", "--json")
    assert fetched.exit_code == 0, fetched.output
    assert json.loads(fetched.output)["counts"]["new"] == 4
    for email, keywords in (
        ("ada@example.org", "diffusion"),
        ("bob@example.org", "OOD, energy"),
        ("cy@example.org", "quantum chemistry"),
    ):
        assert run_cli(settings, "subscribe", email, "--keywords", keywords).exit_code == 0
    out = tmp_path / "preview"
    dry = run_cli(settings, "send", "--dry-run", "--out", str(out))
    assert dry.exit_code == 0, dry.output
    assert smtp.received == [] and len(list(out.glob("*.eml"))) == 2
    first = run_cli(settings, "send", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["counts"]["sent"] == 2
    got = {r.recipients[0]: r.parse() for r in smtp.received}
    assert sorted(got) == ["ada@example.org", "bob@example.org"]
    ada_text = got["ada@example.org"].get_payload()[0].get_payload(decode=True).decode()
    assert "Diffusion transformers at scale" in ada_text and "Soil moisture" not in ada_text
    second = run_cli(settings, "send", "--json")
    assert json.loads(second.output)["counts"]["claimed"] == 0 and len(smtp.received) == 2
    status = run_cli(settings, "status", "--json")
    body = json.loads(status.output)
    assert body["outbox"]["sent"] == 2 and body["outbox"]["empty"] == 1
    assert body["last_fetch"]["new"] == 4


def test_a_digest_that_cannot_be_built_fails_alone(engine: Engine, smtp: SmtpServer) -> None:
    from digest.render.renderer import Renderer

    class Picky(Renderer):
        def digest(self, ctx: Any) -> Any:
            if ctx.email == "ada@example.org":
                raise ValueError("template exploded")
            return super().digest(ctx)

    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    settings = settings_for(smtp)
    from digest.delivery.wiring import make_composer

    worker = make_worker(settings, engine, clock=lambda: NOW, composer=make_composer(
        settings, renderer=Picky()
    ))  # fmt: skip
    report = send_digests(worker.db, worker, now=NOW)[1]
    worker.mailer.close()
    assert (report.counts["sent"], report.counts["failed"]) == (1, 1)
    assert "template exploded" in report.errors[0]
    state = rows(engine)
    assert state["ada@example.org"].status == "failed"
    assert "template exploded" in (state["ada@example.org"].last_error or "")
    assert [r.recipients for r in smtp.received] == [("bob@example.org",)]


def test_feedback_reaches_the_ranking(engine: Engine, smtp: SmtpServer) -> None:
    """A "not for me" vote on a paper keeps it out even though it matches."""
    from digest.store.tables import Feedback

    seed(
        engine,
        [
            *PAPERS,
            *(factories.listed(f"2603.{n:05d}", title=f"Topic {n}") for n in range(100, 130)),
        ],
    )
    ada = subscribe(engine, "ada@example.org", "diffusion")
    with session_scope(engine) as session:
        session.add(Feedback(subscriber_id=ada, paper_id="2603.00003", vote=-1, created_at=NOW))
    report = send(engine, settings_for(smtp))
    assert report.counts["sent"] == 1
    assert rows(engine)["ada@example.org"].paper_ids == ["2603.00001"]


def test_a_stale_row_is_superseded_by_the_later_digest(engine: Engine, smtp: SmtpServer) -> None:
    """Workers were down through a whole day: one digest with everything, not two in a row."""
    seed(engine, at=NOW - timedelta(days=1, hours=3))
    subscribe(engine, "ada@example.org", "diffusion")
    settings = settings_for(smtp)
    yesterday = NOW - timedelta(days=1)
    planning.plan(planning.Db(engine), now=yesterday)  # planned, never sent
    new = [
        factories.listed(
            "2603.00012",
            title="Diffusion for proteins",
            abstract="Diffusion models generate data. We study diffusion sampling.",
        ),
        factories.listed("2603.00013", title="Sheep herding"),
    ]
    seed(engine, new, at=NOW - timedelta(hours=2))
    report = send(engine, settings)
    assert (report.counts["sent"], report.counts["skipped"]) == (1, 1)
    with Session(engine) as session:
        states = {r.digest_date: r for r in session.exec(select(Delivery))}
    assert states[DAY - timedelta(days=1)].status == "skipped"
    assert "superseded" in (states[DAY - timedelta(days=1)].last_error or "")
    assert set(states[DAY].paper_ids) == {"2603.00001", "2603.00003", "2603.00012"}
    assert len(smtp.received) == 1


@pytest.mark.postgres
def test_a_dropped_database_connection_while_recording_loses_and_doubles_nothing(
    pg_engine: Engine, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's connection is terminated while it records accepted digests: the real error
    is reported (not a KeyError from the bookkeeping), the answers already received are
    recorded on a new connection, and every subscriber gets exactly one digest."""
    import sqlalchemy as sa

    from digest.delivery import outcomes

    seed(pg_engine)
    for n in range(6):
        subscribe(pg_engine, f"r{n}@example.org", "diffusion")
    real = outcomes.record_sent_many
    calls = []

    def drop_then_record(session: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with pg_engine.connect() as admin:
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return real(session, **kw)

    monkeypatch.setattr(outcomes, "record_sent_many", drop_then_record)
    report = send(pg_engine, settings_for(smtp, smtp_connections=2))
    assert len(calls) >= 2
    assert report.errors and "KeyError" not in report.errors[0]
    assert "terminat" in report.errors[0] or "OperationalError" in report.errors[0]
    monkeypatch.setattr(outcomes, "record_sent_many", real)
    send(pg_engine, settings_for(smtp), now=NOW + timedelta(hours=2))  # what was retried goes out
    received = sorted(r.recipients[0] for r in smtp.received)
    assert received == [f"r{n}@example.org" for n in range(6)]
    assert {row.status for row in rows(pg_engine).values()} == {"sent"}


def test_list_id_feedback_id_and_return_path_follow_the_settings(
    engine: Engine, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    seed(engine)
    ada = subscribe(engine, "ada@example.org", "diffusion")
    settings = settings_for(
        smtp,
        mail_from="Paper Digest <papers@example.org>",
        return_path="bounces@mail.example.org",
        list_id="Research papers <papers.lists.example.org>",
        feedback_id="paperdigest",
    )
    with caplog.at_level("WARNING", logger="digest.delivery"):
        assert send(engine, settings).counts["sent"] == 1
    [got] = smtp.received
    msg = got.parse()
    assert msg["List-Id"] == "Research papers <papers.lists.example.org>"
    assert msg["Feedback-ID"] == "digest:paperdigest"
    assert got.sender.startswith("bounces+") and got.sender.endswith("@mail.example.org")
    assert BounceTags("k" * 32, "bounces@mail.example.org").find(got.sender) == [(ada, DAY)]
    # sending for real without DKIM is allowed, and said once at start-up
    assert [r.getMessage() for r in caplog.records].count(DKIM_MISSING) == 1


def test_no_dkim_warning_when_signing_or_previewing(
    engine: Engine, smtp: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    signed = settings_for(smtp, dkim_key_file=str(tmp_path / "dkim.pem"), dkim_selector="s1")
    with caplog.at_level("WARNING", logger="digest.delivery"):
        make_worker(signed, engine, clock=lambda: NOW).mailer.close()
        make_worker(Settings(), engine, clock=lambda: NOW, dry_run_dir=tmp_path / "out")
    assert DKIM_MISSING not in [r.getMessage() for r in caplog.records]


def test_a_subscriber_following_an_author_receives_exactly_that_authors_new_papers(
    engine: Engine, smtp: SmtpServer
) -> None:
    papers = [
        factories.listed("2603.00021", title="Engines", authors=("Ada Lovelace",)),
        factories.listed("2603.00022", title="Notes", authors=("A. Lovelace", "C. Babbage")),
        factories.listed("2603.00023", title="Looms", authors=("Joseph Jacquard",)),
        *(factories.listed(f"2603.{n:05d}", title=f"Topic {n}", authors=("X. Y",)) for n in range(100, 130)),
    ]  # fmt: skip
    seed(engine, papers)
    subscribe(engine, "fan@example.org", 'author:"Ada Lovelace"')
    report = send(engine, settings_for(smtp))
    assert report.counts["sent"] == 1
    assert sorted(rows(engine)["fan@example.org"].paper_ids) == ["2603.00021", "2603.00022"]
    import email
    import email.policy

    message = email.message_from_bytes(smtp.received[0].data, policy=email.policy.default)
    body = message.get_body(("plain",))
    assert body is not None and "by Ada Lovelace" in body.get_content()
