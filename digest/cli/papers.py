"""`digest init` and `digest fetch`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, timedelta

import click

from digest import fetching
from digest.cli.app import DATE, App, BadInput, Failed, pass_app, report_out
from digest.store.engine import current_revision

MAX_FETCH_DAYS = 366


@click.command("init")
@pass_app
def init(app: App) -> None:
    """Create or upgrade the database to the latest schema.

    \b
    Example:
      DIGEST_DATABASE_URL=postgresql+psycopg://localhost/digest digest init
    """
    engine = app.open(create=True)
    click.echo(f"database ready at revision {current_revision(engine)}: {engine.url!r}")


@click.command("fetch")
@click.option("--date", "day", type=DATE, help="Fetch this one listing day.")
@click.option("--since", type=DATE, help="Fetch every day from this one...")
@click.option("--until", type=DATE, help="...through this one (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def fetch(
    app: App, day: date | None, since: date | None, until: date | None, as_json: bool
) -> None:
    """Poll the listings in DIGEST_SOURCES once and store the papers they list.

    hf: the Hugging Face daily papers, day by day; without options from the day after its
    last stored listing day (the last 2 days on an empty store) through today. arxiv: the
    latest announcement of DIGEST_ARXIV_CATEGORIES (the feed holds that one only; with
    --date/--since it is stored when its date is one of those days). A paper on both
    listings is stored once; arXiv replacements update a stored paper, never add one.

    Hugging Face days of the last week that could not be read before are fetched again
    until they are read (`digest status` lists them).

    Reports, in total and per source: fetched / new / updated / unchanged / skipped
    (malformed items) / ignored (replacements of papers never stored) / recovered, and
    papers pruned past DIGEST_RETENTION_DAYS. Exits 1 if a listing could not be read (the
    others are still stored, and a day that failed is remembered).

    \b
    Examples:
      digest fetch
      digest fetch --date 2026-03-04
      DIGEST_SOURCES=hf,arxiv DIGEST_ARXIV_CATEGORIES=cs.LG,cs.CL digest fetch --json
      digest fetch --since 2026-03-01 --until 2026-03-07 --json
    """
    days = _days(app, day, since, until)
    report = fetching.fetch_with_settings(
        app.engine,
        app.settings,
        days=days,
        now=app.now(),
        asked=day is not None or since is not None,
        on_day=_progress(len(days)),
    )
    report_out(report, as_json)
    if report.errors:
        raise Failed(f"{len(report.errors)} listing(s) could not be fetched")


def _days(app: App, day: date | None, since: date | None, until: date | None) -> list[date]:
    today = app.today()
    if day is not None and (since or until):
        raise BadInput("--date cannot be combined with --since/--until")
    if until is not None and since is None:
        raise BadInput("--until needs --since")
    if day is not None:
        since = until = day
    if since is None:
        return fetching.default_fetch_days(app.engine, today)
    until = until or today
    if since > until:
        raise BadInput(f"--since {since} is after --until {until}")
    if until > today + timedelta(days=1):
        raise BadInput(f"{until} is in the future")
    if (until - since).days >= MAX_FETCH_DAYS:
        raise BadInput(f"at most {MAX_FETCH_DAYS} days per fetch")
    return fetching.day_range(since, until)


def _progress(total: int) -> Callable[[date], None] | None:
    """A progress line on a terminal; nothing in logs or pipes."""
    if total < 2 or not sys.stderr.isatty():
        return None
    done = [0]

    def tick(day: date) -> None:
        done[0] += 1
        end = "\n" if done[0] == total else ""
        click.echo(f"\rfetching {day} ({done[0]}/{total})", err=True, nl=False)
        click.echo(end, err=True, nl=False)

    return tick
