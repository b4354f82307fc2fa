"""Confirmation and manage-link emails survive a mail server outage: queued with the sign-up,
retried by workers and by the web app, never claimed as sent by the page; and every link of a
subscriber, confirm links included, can be revoked."""

from __future__ import annotations

import email
import email.policy
import re
import time
import warnings
from datetime import timedelta
from email.message import EmailMessage

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.delivery.wiring import make_worker
from digest.store.tables import Notice, Subscriber
from digest.web.app import create_app
from tests.conftest import NOW
from tests.smtp_server import SmtpServer
from tests.workers import wait_for

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal", DeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "notice-test-secret-0123456789abcdef"
BASE = "https://digest.example.org"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def down_smtp():
    """An SMTP server that is down until the test calls `start()`: its port is reserved and
    nothing listens on it."""
    server = SmtpServer()
    try:
        yield server
    finally:
        if server.controller._thread is not None:
            server.stop()
        else:  # never started: close the event loop its controller made
            server.controller.loop.close()


def settings_for(smtp: SmtpServer, engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key=SECRET,
        mail_from="Digest <digest@example.org>",
        base_url=BASE,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,  # the server may not be listening (yet)
        smtp_timeout=5.0,
        smtp_connections=1,
    )


def run_cli(settings: Settings, clock: Clock, *args: str):
    app = App(settings_factory=lambda: settings, clock=clock)
    try:
        return CliRunner().invoke(cli, list(args), obj=app)
    finally:
        if app._engine is not None:
            app._engine.dispose()


def client_for(settings: Settings, engine: Engine, clock: Clock, **kw) -> TestClient:
    app = create_app(settings, engine, clock=clock, retry_seconds=kw.pop("retry_seconds", 0))
    return TestClient(app, base_url=BASE, follow_redirects=False)


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found
    return found.group(1)


def sign_up(client: TestClient, address: str = "ada@example.org"):
    page = client.get("/")
    values = {
        "email": address,
        "keywords": "diffusion",
        "exclude": "",
        "send_at": "07:30",
        "timezone": "UTC",
        "max_papers": "5",
        "frequency": "daily",
        "csrf": csrf_of(page.text),
    }
    return client.post("/", data=values)


def notices(engine: Engine) -> list[Notice]:
    with Session(engine) as s:
        return list(s.exec(select(Notice).order_by(Notice.id)))


def status_of(engine: Engine, address: str) -> Subscriber:
    with Session(engine) as s:
        sub = s.exec(select(Subscriber).where(Subscriber.email == address)).one()
        return sub


def received(smtp: SmtpServer, n: int) -> EmailMessage:
    deadline = time.monotonic() + 15
    while len(smtp.received) < n:
        assert time.monotonic() < deadline, f"expected {n} emails, got {len(smtp.received)}"
        time.sleep(0.05)
    message = email.message_from_bytes(smtp.received[n - 1].data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"{re.escape(BASE)}/{path}/[\w.\-]+", body.get_content())
    assert found, f"no /{path}/ link in the email"
    return found.group(0)[len(BASE) :]


def test_a_confirmation_waits_out_a_mail_server_outage(
    engine: Engine, down_smtp: SmtpServer
) -> None:
    clock = Clock()
    smtp = down_smtp  # its port is reserved, nothing listens on it yet: the server is down
    settings = settings_for(smtp, engine)
    client = client_for(settings, engine, clock)
    page = sign_up(client)
    assert page.status_code == 200
    assert "We are sending an email to" in page.text and "We sent" not in page.text
    assert "keep trying" in page.text
    (queued,) = notices(engine)  # the attempt at once failed: queued for a retry, not lost
    assert (queued.kind, queued.status, queued.attempts) == ("confirm", "retry", 1)
    assert queued.last_error and queued.next_attempt_at > clock.now
    assert status_of(engine, "ada@example.org").status == "pending"

    worker = make_worker(settings, engine, clock=clock)
    try:
        early = worker.run(until_idle=True)  # not due yet: nothing tried
        assert "notices_sent" not in early.counts
        smtp.start()  # the mail server is back
        clock.now = queued.next_attempt_at
        report = worker.run(until_idle=True)
    finally:
        worker.mailer.close()
    assert report.counts["notices_sent"] == 1
    confirm = received(smtp, 1)
    assert confirm["To"] == "ada@example.org" and confirm["Subject"].startswith("Confirm")
    assert confirm["Message-ID"] == queued.message_id
    (done,) = notices(engine)
    assert (done.status, done.attempts, done.last_error) == ("sent", 2, None)

    path = link_in(confirm, "confirm")
    button = client.get(path)
    assert button.status_code == 200
    assert client.post(path, data={"csrf": csrf_of(button.text)}).status_code == 303
    assert status_of(engine, "ada@example.org").status == "active"


def test_the_web_app_retries_its_own_queue(engine: Engine, down_smtp: SmtpServer) -> None:
    clock = Clock()
    smtp = down_smtp
    settings = settings_for(smtp, engine)
    with client_for(settings, engine, clock, retry_seconds=0.2) as client:  # runs the lifespan
        assert sign_up(client, "bob@example.org").status_code == 200
        # the app's own retry loop may be trying it right now (status "sending"): wait for
        # that attempt to fail
        wait_for(lambda: notices(engine)[0].status != "sending", 15, "the first attempt")
        (queued,) = notices(engine)
        assert queued.status == "retry"
        smtp.start()
        clock.now = queued.next_attempt_at
        manage_link = received(smtp, 1)
    assert manage_link["To"] == "bob@example.org"
    assert [n.status for n in notices(engine)] == ["sent"]


def test_a_notice_gives_up_when_its_link_would_have_expired(
    engine: Engine, down_smtp: SmtpServer
) -> None:
    clock = Clock()
    smtp = down_smtp
    settings = settings_for(smtp, engine)
    assert sign_up(client_for(settings, engine, clock), "cy@example.org").status_code == 200
    worker = make_worker(settings, engine, clock=clock)
    try:
        for _ in range(200):  # the server stays down for three days
            (n,) = notices(engine)
            if n.status != "retry":
                break
            clock.now = n.next_attempt_at
            worker.run(until_idle=True)
    finally:
        worker.mailer.close()
    (n,) = notices(engine)
    assert n.status == "failed" and n.last_error and n.last_error.startswith("gave up:")
    assert clock.now - NOW < timedelta(days=3)
    status = run_cli(settings, clock, "status")
    assert status.exit_code == 0, status.output
    assert "emails from the web pages: 0 waiting, 1 failed" in status.output


def test_a_confirmation_is_skipped_once_the_address_is_confirmed(engine: Engine) -> None:
    clock = Clock()
    with SmtpServer() as smtp:
        settings = settings_for(smtp, engine)
        client = client_for(settings, engine, clock)
        assert sign_up(client).status_code == 200
        confirm = received(smtp, 1)
        path = link_in(confirm, "confirm")
        with Session(engine) as s:  # a second sign-up queues another confirmation...
            from digest.delivery import notices as queue

            sub = s.exec(select(Subscriber)).one()
            assert sub.id is not None
            queue.enqueue(s, subscriber_id=sub.id, kind="confirm", now=NOW, domain="example.org")
            s.commit()
        button = client.get(path)
        client.post(path, data={"csrf": csrf_of(button.text)})  # ...but the first one is used
        worker = make_worker(settings, engine, clock=clock)
        try:
            worker.run(until_idle=True)
        finally:
            worker.mailer.close()
        assert len(smtp.received) == 1
    assert [n.status for n in notices(engine)] == ["sent", "skipped"]


# --------------------------------------------------------------------------- revoke


def test_revoke_invalidates_every_link_confirm_links_included(engine: Engine) -> None:
    clock = Clock()
    with SmtpServer() as smtp:
        settings = settings_for(smtp, engine)
        client = client_for(settings, engine, clock)
        assert sign_up(client).status_code == 200
        old_confirm = link_in(received(smtp, 1), "confirm")
        assert sign_up(client).status_code == 200  # asks again: a second, newer confirm link
        second_confirm = link_in(received(smtp, 2), "confirm")
        result = run_cli(settings, clock, "subscribers", "revoke", "Ada@Example.org")
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "revoked every link sent to ada@example.org"
        for path in (old_confirm, second_confirm):
            assert client.get(path).status_code == 400
            csrf = csrf_of(client.get("/").text)
            assert client.post(path, data={"csrf": csrf}).status_code == 400
        assert status_of(engine, "ada@example.org").status == "pending"  # nothing changed

        # a manage link of an active subscriber, and every link of their digest
        with Session(engine) as s:
            sub = s.exec(select(Subscriber)).one()
            sub.status = "active"
            s.add(sub)
            s.commit()
        clock.now += timedelta(hours=1)  # past the limit of 3 emails an hour to one address
        assert sign_up(client).status_code == 200  # known address: a manage link
        manage = link_in(received(smtp, 3), "manage")
        page = client.get(manage)
        assert page.status_code == 200
        unsubscribe = re.search(r'href="(/unsubscribe/[^"]+)"', page.text)
        feed = re.search(rf"{re.escape(BASE)}(/feed/[\w.\-]+)", page.text)
        assert unsubscribe and feed
        links = [manage, unsubscribe.group(1), feed.group(1)]
        assert all(client.get(link).status_code == 200 for link in links)
        again = run_cli(settings, clock, "subscribers", "revoke", "ada@example.org")
        assert again.exit_code == 0
        for link in links:
            assert client.get(link).status_code == 400, link
        one_click = client.post(links[1], data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 400
        assert status_of(engine, "ada@example.org").status == "active"
        assert status_of(engine, "ada@example.org").token_version == 2

        clock.now += timedelta(hours=1)
        assert sign_up(client).status_code == 200  # a fresh link works
        assert client.get(link_in(received(smtp, 4), "manage")).status_code == 200

    unknown = run_cli(settings, clock, "subscribers", "revoke", "nobody@example.org")
    assert unknown.exit_code == 2 and "no subscriber nobody@example.org" in unknown.output


@pytest.mark.parametrize("command", [["subscribers", "revoke", "--help"]])
def test_revoke_has_help_with_an_example(command) -> None:
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0 and "Example" in result.output
