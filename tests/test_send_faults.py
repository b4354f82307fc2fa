"""`digest send` when it cannot do its job: the mail server is down (exit 1, nothing lost),
the links would point nowhere (exit 2 naming DIGEST_BASE_URL); and what a dry run says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest.cli import cli
from digest.cli.app import App
from digest.config import ConfigError, Settings, load_settings
from digest.store.engine import make_engine, upgrade
from digest.store.tables import Delivery
from tests.smtp_server import SmtpServer
from tests.test_send import seed, subscribe

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'send.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    subscribe(engine, "ada@example.org", "diffusion")
    subscribe(engine, "bob@example.org", "OOD")
    yield url, engine
    engine.dispose()


@pytest.fixture
def down_smtp():
    """An SMTP server that is down until the test starts it (its port is reserved)."""
    server = SmtpServer()
    try:
        yield server
    finally:
        if server.controller._thread is not None:
            server.stop()
        else:
            server.controller.loop.close()


def env_for(url: str, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        "DIGEST_DATABASE_URL": url,
        "DIGEST_FROM": "Digest <digest@example.org>",
        "DIGEST_SECRET_KEY": "k" * 32,
        "DIGEST_SMTP_HOST": "127.0.0.1",
        "DIGEST_SMTP_PORT": str(smtp.port),
        "DIGEST_SMTP_TIMEOUT": "5",
        **extra,
    }


def run(env: dict[str, str], *args: str, now: datetime = NOW) -> Any:
    app = App(settings_factory=lambda: load_settings(env, env_file=None), clock=lambda: now)
    try:
        return CliRunner().invoke(cli, list(args), obj=app)
    finally:
        if app._engine is not None:
            app._engine.dispose()


def states(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(d.status for d in s.exec(select(Delivery)))


PUBLIC = {"DIGEST_BASE_URL": "https://digest.example.org"}


def test_send_exits_1_when_the_mail_server_is_down_and_loses_nothing(db, down_smtp) -> None:
    url, engine = db
    env = env_for(url, down_smtp, **PUBLIC)
    result = run(env, "send")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "Error: 2 due digest(s) not delivered (2 to retry, 0 failed): the mail server did "
        "not take them; `digest status` shows the outbox"
    )
    assert "send: planned=2 claimed=2 sent=0" in result.stdout
    assert states(engine) == ["retry", "retry"]  # kept for the next run
    status = run(env, "status", "--json")
    assert json.loads(status.stdout)["outbox"]["retrying"] == 2

    down_smtp.start()  # the server is back; the retries are due a few minutes later
    later = NOW + timedelta(minutes=5)
    again = run(env, "send", now=later)
    assert again.exit_code == 0, again.output
    assert "sent=2" in again.stdout
    assert sorted(r.recipients[0] for r in down_smtp.received) == [
        "ada@example.org",
        "bob@example.org",
    ]
    assert states(engine) == ["sent", "sent"]
    assert run(env, "send", now=later).exit_code == 0  # nothing due, nothing twice
    assert len(down_smtp.received) == 2


def test_worker_until_idle_exits_1_too(db, down_smtp) -> None:
    url, engine = db
    env = env_for(url, down_smtp, **PUBLIC)
    assert run(env, "plan").exit_code == 0
    result = run(env, "worker", "--until-idle")
    assert result.exit_code == 1
    assert "due digest(s) not delivered" in result.stderr
    assert states(engine) == ["retry", "retry"]


def test_a_bounce_is_the_address_fault_not_a_failed_run(db) -> None:
    url, _engine = db
    with SmtpServer() as smtp:
        smtp.script("bob@example.org", "rcpt", "550 5.1.1 No such user")
        result = run(env_for(url, smtp, **PUBLIC), "send")
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.stdout and "bounced=1" in result.stdout


# --------------------------------------------------------------------------- DIGEST_BASE_URL


@pytest.mark.parametrize("command", [["send"], ["worker", "--until-idle"], ["run"]])
def test_links_to_localhost_are_refused_unless_the_url_is_set(db, command) -> None:
    url, engine = db
    with SmtpServer() as smtp:
        result = run(env_for(url, smtp), *command)  # DIGEST_BASE_URL not set
        assert result.exit_code == 2
        (line,) = [line for line in result.output.splitlines() if line.strip()]
        assert line.startswith("Error: DIGEST_BASE_URL: links in emails would point to ")
        assert "http://localhost:8000" in line
        assert smtp.received == [] and smtp.connections == 0
    assert states(engine) == []  # nothing planned either


def test_an_explicit_base_url_is_taken_as_the_operator_wants(db) -> None:
    url, _engine = db
    with SmtpServer() as smtp:
        result = run(env_for(url, smtp, DIGEST_BASE_URL="http://localhost:8000"), "send")
        assert result.exit_code == 0, result.output
        assert len(smtp.received) == 2
        assert b"http://localhost:8000/unsubscribe/" in smtp.received[0].data


@pytest.mark.parametrize(
    ("base", "ok"),
    [
        ("http://localhost:8000", False),
        ("https://localhost", False),
        ("https://127.0.0.1:8443", False),
        ("https://[::1]", False),
        ("https://app.localhost", False),
        ("http://digest.example.org", False),
        ("https://digest.example.org", True),
        ("https://10.0.0.5", True),
    ],
)
def test_which_base_urls_are_public(base: str, ok: bool) -> None:
    settings = Settings(base_url=base)
    if ok:
        assert settings.require_link_base() == base
    else:
        with pytest.raises(ConfigError, match=r"^DIGEST_BASE_URL: "):
            settings.require_link_base()
    explicit = load_settings({"DIGEST_BASE_URL": base}, env_file=None)
    assert explicit.require_link_base() == base


def test_dry_runs_and_the_serve_command(db, tmp_path: Path) -> None:
    url, _engine = db
    with SmtpServer() as smtp:
        env = env_for(url, smtp)  # DIGEST_BASE_URL not set
        preview = run(env, "send", "--dry-run", "--out", str(tmp_path / "p"))
        assert preview.exit_code == 0, preview.output
        serve = run(env, "serve", "--port", "1")
        assert serve.exit_code == 2 and "DIGEST_BASE_URL" in serve.output


# --------------------------------------------------------------------------- dry run summary


def test_a_dry_run_never_says_sent(db, tmp_path: Path) -> None:
    url, engine = db
    with SmtpServer() as smtp:
        env = env_for(url, smtp)
        text = run(env, "send", "--dry-run", "--out", str(tmp_path / "p"))
        as_json = run(env, "send", "--dry-run", "--json", "--out", str(tmp_path / "q"))
        assert smtp.connections == 0
    assert text.exit_code == 0 and as_json.exit_code == 0
    assert "sent=" not in text.output and "previewed=2" in text.stderr
    assert "nothing was sent" in text.stdout
    counts = json.loads(as_json.stdout)["counts"]
    assert counts["previewed"] == 2 and "sent" not in counts
    assert states(engine) == []
