"""The database behind the commands: never created by mistake, and every failure one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from digest.cli import cli
from digest.cli.app import App
from digest.config import ConfigError, Settings, load_settings
from digest.store.engine import make_engine
from tests.conftest import NOW, PG_ENV, missing

NOBODY = 65534


def invoke(url: str, *args: str):
    app = App(settings_factory=lambda: Settings(database_url=url), clock=lambda: NOW)
    try:
        return CliRunner().invoke(cli, list(args), obj=app)
    finally:
        if app._engine is not None:  # the last connection closed: no -wal / -shm files left
            app._engine.dispose()


def one_line_error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


COMMANDS = [
    ["subscribers", "list"],
    ["status"],
    ["fetch"],
    ["plan"],
    ["subscribe", "ada@example.org", "--keywords", "OOD"],
    ["unsubscribe", "ada@example.org"],
    ["rank", "--keywords", "OOD"],
    ["send", "--dry-run"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_sqlite_path_is_refused_and_not_created(tmp_path: Path, command) -> None:
    typo = tmp_path / "digst.db"
    result = invoke(f"sqlite:///{typo}", *command)
    assert result.exit_code == 2
    line = one_line_error(result)
    assert f"no database at {typo}" in line and "run `digest init`" in line
    assert not typo.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_uninitialised_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # an existing file with no tables
    before = path.read_bytes()
    result = invoke(f"sqlite:///{path}", "subscribe", "ada@example.org", "--keywords", "OOD")
    assert result.exit_code == 2
    assert "is not initialised: run `digest init` first" in one_line_error(result)
    assert path.read_bytes() == before
    assert invoke(f"sqlite:///{path}", "init").exit_code == 0
    assert invoke(f"sqlite:///{path}", "subscribers", "list").exit_code == 0


@pytest.mark.postgres
def test_an_uninitialised_postgres_database_is_refused_and_left_empty() -> None:
    base = os.environ.get(PG_ENV)
    if not base:
        missing(f"{PG_ENV} not set: PostgreSQL tests skipped")
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"digest_empty_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        result = invoke(url, "status")
        assert result.exit_code == 2
        assert "is not initialised: run `digest init` first" in one_line_error(result)
        engine = make_engine(url)
        assert sa.inspect(engine).get_table_names() == []
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize(
    ("url", "named"),
    [("mysql://user@db.example.org/digest", "'mysql'"), ("oracle://x@y/z", "'oracle'")],
)
def test_an_unsupported_database_url_is_one_line_naming_the_setting(url: str, named: str) -> None:
    env = {"DIGEST_DATABASE_URL": url}
    for command in (["init"], ["status"], ["subscribers", "list"]):
        app = App(settings_factory=lambda: load_settings(env, env_file=None))
        result = CliRunner().invoke(cli, command, obj=app)
        assert result.exit_code == 2
        line = one_line_error(result)
        assert line.startswith("Error: DIGEST_DATABASE_URL: unsupported database " + named)


def test_postgres_urls_use_the_installed_driver() -> None:
    for url in ("postgresql://u@h/d", "postgres://u@h/d", "postgresql+psycopg://u@h/d"):
        settings = load_settings({"DIGEST_DATABASE_URL": url}, env_file=None)
        assert settings.database_url == "postgresql+psycopg://u@h/d"
    with pytest.raises(ConfigError, match=r"^DIGEST_DATABASE_URL: unsupported database"):
        load_settings({"DIGEST_DATABASE_URL": "postgresql+psycopg2://u@h/d"}, env_file=None)


@contextmanager
def as_nobody() -> Iterator[None]:
    """Act as another user while inside: root ignores file permissions."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_a_read_only_database_file_is_one_line_and_keeps_its_data() -> None:
    # a folder everyone may enter and write (pytest's own is private to root): only the
    # database file is read-only, as when a file was copied from another account
    folder = Path(tempfile.mkdtemp(prefix="digest-ro-"))
    try:
        folder.chmod(0o777)
        db = folder / "digest.db"
        url = f"sqlite:///{db}"
        assert invoke(url, "init").exit_code == 0
        for email in ("ada@example.org", "cy@example.org"):  # the second loads what it imports
            assert invoke(url, "subscribe", email, "--keywords", "OOD").exit_code == 0
        assert invoke(url, "unsubscribe", "cy@example.org").exit_code == 0
        assert sorted(p.name for p in folder.iterdir()) == ["digest.db"]
        db.chmod(0o444)
        with as_nobody():
            listed = invoke(url, "subscribers", "list", "--json")
            results = [
                invoke(url, "subscribe", "bob@example.org", "--keywords", "RLHF"),
                invoke(url, "unsubscribe", "ada@example.org"),
            ]
        assert listed.exit_code == 0, listed.output  # reading still works
        assert '"ada@example.org"' in listed.output
        for result in results:
            assert result.exit_code == 1, result.output
            line = one_line_error(result)
            assert f"database {url} is read-only" in line and "check the permissions" in line
        db.chmod(0o644)
        rows = invoke(url, "subscribers", "list", "--json").output
        assert '"bob@example.org"' not in rows
        assert rows.count('"active"') == 1  # ada is still subscribed
    finally:
        shutil.rmtree(folder)
