"""Shared pieces of the command line: the app context, errors, parameter types, output."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine, make_url

from digest.config import ConfigError, Settings, load_settings
from digest.reports import RunReport
from digest.store.engine import head_revision, make_engine, read_revision, upgrade
from digest.subscribers.inputs import InputError


class BadInput(click.ClickException):
    """Bad input from the user: exit 2 with a one-line message."""

    exit_code = 2


class Failed(click.ClickException):
    """A runtime failure: exit 1."""

    exit_code = 1


@dataclass
class App:
    """What commands need, built lazily so `--help` touches nothing."""

    settings_factory: Callable[[], Settings] = load_settings
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = self.settings_factory()
            except ConfigError as exc:
                raise BadInput(str(exc)) from None
        return self._settings

    @property
    def engine(self) -> Engine:
        """The database, which `digest init` must have created (never created here)."""
        return self.open()

    def open(self, *, create: bool = False) -> Engine:
        """The engine; `create` (for `digest init` and the demo) creates or upgrades the
        database, otherwise a missing or uninitialised database is refused in one line."""
        if self._engine is not None:
            return self._engine
        url = self.settings.database_url
        where = shown_url(url)
        missing = sqlite_file(url)
        if not create and missing is not None and not missing.exists():
            raise BadInput(
                f"no database at {missing}: run `digest init` to create it "
                "(or check DIGEST_DATABASE_URL)"
            )
        engine = make_engine(url)
        try:
            revision = None if create else read_revision(engine)
            if not create and revision is None:
                engine.dispose()
                raise BadInput(f"database {where} is not initialised: run `digest init` first")
            if create or revision != head_revision():
                upgrade(engine)
        except BadInput:
            raise
        except Exception as exc:  # unreachable, read-only or broken: say so in one line
            engine.dispose()
            raise Failed(describe_database_error(exc, where)) from None
        self._engine = engine
        return engine

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()


def shown_url(url: str) -> str:
    """The database URL as printed: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://..."


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and in-memory ones)."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    name = parsed.database or ""
    if (
        parsed.get_backend_name() != "sqlite"
        or name in ("", ":memory:")
        or name.startswith("file:")
    ):
        return None
    return Path(name)


def describe_database_error(exc: BaseException, where: str) -> str:
    """One line for a database failure: a read-only file says so and where to look."""
    text = _first_line(getattr(exc, "orig", None) or exc)
    if "readonly" in text.lower() or "read-only" in text.lower():
        return (
            f"database {where} is read-only ({text}): check the permissions of the "
            "database file and its folder"
        )
    return f"database {where}: {text}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def get_app(ctx: click.Context) -> App:
    root = ctx.find_root()
    if not isinstance(root.obj, App):
        root.obj = App()
    return root.obj


pass_app = click.make_pass_decorator(App, ensure=True)


def input_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn InputError / ConfigError raised inside a command into exit 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, ConfigError) as exc:
            raise BadInput(str(exc)) from None

    return wrapper


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date as YYYY-MM-DD", param, ctx)


DATE = DateType()


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table; long cells are cut so a row fits a terminal line."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_out(report: RunReport, as_json: bool) -> None:
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.line())
        for error in report.errors:
            click.echo(f"error: {error}", err=True)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
