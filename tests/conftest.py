"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from digest.store.engine import make_engine, upgrade

PG_ENV = "DIGEST_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI") == "true"


def missing(what: str) -> None:
    """A server or browser the tests need is not there: skip on a laptop, fail in CI (where a
    skipped PostgreSQL or browser test would hide the very thing it checks)."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: a missing server or browser is a failure)")
    pytest.skip(what)


NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get(PG_ENV):
        return f"digest: PostgreSQL tests run against {PG_ENV}={os.environ[PG_ENV]}"
    return f"digest: PostgreSQL tests SKIPPED ({PG_ENV} is not set)"


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        missing(f"{PG_ENV} not set: PostgreSQL tests skipped")
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"digest_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_server_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_server_url)
    _truncate_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on SQLite and, when configured, PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


# --------------------------------------------------------------------------- SMTP (mailer)


@pytest.fixture
def smtp_server():
    """A scripted aiosmtpd `SmtpServer` on 127.0.0.1 (see tests/smtp_server.py)."""
    from tests.smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server


# --------------------------------------------------------------------------- IMAP (bounces)


@pytest.fixture(scope="session")
def dovecot():
    """Debian's Dovecot on 127.0.0.1 (see tests/imap_server.py), one for the session."""
    from tests.imap_server import Dovecot

    try:
        server = Dovecot()
    except FileNotFoundError as exc:
        missing(f"{exc}: IMAP tests skipped")
    with server:
        yield server


@pytest.fixture
def imap_box(dovecot):
    """A fresh, empty IMAP mailbox on the session's Dovecot."""
    return dovecot.new_box()
