"""`digest send`, `digest plan`, `digest worker`, `digest status`, `digest run`.

The sending stack (ranking, templates, SMTP) is imported inside the commands that use it, so
`--help` and `digest status` stay quick and light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from digest import fetching, store
from digest.cli.app import (
    DATE,
    App,
    BadInput,
    Failed,
    echo_json,
    echo_table,
    input_errors,
    pass_app,
    report_out,
    setup_logging,
)
from digest.delivery import notices, outbox
from digest.reports import RunReport
from digest.store.engine import session_scope
from digest.subscribers.inputs import normalize_email


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], Any] | None]:
    """A progress bar on a terminal; nothing at all in logs and pipes."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _subscriber_id(app: App, email: str | None) -> int | None:
    if email is None:
        return None
    address = normalize_email(email)
    with session_scope(app.engine) as session:
        sub = store.get_subscriber(session, email=address)
    if sub is None:
        raise BadInput(f"--to: no subscriber {address}")
    if sub.status != "active":
        raise BadInput(f"--to: {address} is {sub.status}, not active")
    return sub.id


@click.command("send")
@click.option("--dry-run", is_flag=True, help="Write previews into --out; send and change nothing.")
@click.option("--date", "day", type=DATE, help="Digest date (default: each subscriber's latest).")
@click.option("--to", "email", help="Only this subscriber.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("digest-preview"),
    show_default=True,
    help="Where --dry-run writes .html and .eml previews.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@input_errors
def send(
    app: App, dry_run: bool, day: date | None, email: str | None, out: Path, as_json: bool
) -> None:
    """Plan the due digests, then build and send them until none is due.

    A digest is due once the subscriber's send time (in their time zone) has passed on its
    date. Running it again sends nothing twice. Needs DIGEST_FROM, DIGEST_SECRET_KEY and a
    public DIGEST_BASE_URL (links on localhost or plain http are refused unless it is set
    explicitly), except with --dry-run.

    Exits 1 when a due digest could not be delivered (the mail server is down or refused
    it): those are retried by the next run, and `digest status` shows them.

    \b
    Examples:
      digest send --dry-run                     # previews in ./digest-preview/
      digest send --dry-run --to ada@example.org --out /tmp/preview
      digest send --date 2026-03-04 --json
    """
    from digest.delivery import planning
    from digest.delivery.wiring import make_worker
    from digest.process import tune_for_batch_work

    tune_for_batch_work()

    sid = _subscriber_id(app, email)
    address = normalize_email(email) if email else None
    worker = make_worker(
        app.settings,
        app.engine,
        clock=app.now,
        dry_run_dir=out if dry_run else None,
        subscriber_id=sid,
        keep_items=dry_run or as_json or email is not None,
    )
    try:
        planned = planning.plan(worker.db, now=app.now(), digest_date=day, email=address)
        with worker.db.session() as session:
            total = outbox.count_claimable(session, now=app.now())
        with _progress(total, "sending") as tick:
            worker.on_done = tick
            report = worker.run(until_idle=True)
    finally:
        worker.mailer.close()
        worker.db.close()
    counts = {"planned": planned.counts["planned"], **report.counts}
    if dry_run:  # nothing was sent: previews were written
        counts = {("previewed" if k == "sent" else k): n for k, n in counts.items()}
    report = RunReport("send", counts, report.errors, report.items)
    if as_json:
        report_out(report, True)
    elif dry_run:
        _preview_summary(report, out)
    else:
        report_out(report, False)
    if report.errors:
        raise Failed(f"{len(report.errors)} digest(s) could not be sent; see the errors above")
    _undelivered(report)


def _undelivered(report: RunReport) -> None:
    """Exit 1 when due digests were left undelivered (cron and supervisors notice)."""
    retry, failed = report.counts.get("retry", 0), report.counts.get("failed", 0)
    if retry or failed:
        raise Failed(
            f"{retry + failed} due digest(s) not delivered ({retry} to retry, {failed} failed): "
            "the mail server did not take them; `digest status` shows the outbox"
        )


def _preview_summary(report: RunReport, out: Path) -> None:
    rows = [
        (i["email"], i["papers"], "; ".join(i["titles"]) or "-", f"{i['delivery_id']}.html")
        for i in report.items
        if i["status"] in ("sent", "empty")
        and (i["papers"] or (out / f"{i['delivery_id']}.html").exists())
    ]
    if rows:
        echo_table(("recipient", "papers", "top titles", "preview"), rows)
        click.echo(f"\n{len(rows)} preview(s) in {out}/ (.html and .eml); nothing was sent.")
        click.echo(f"Open one with: python -m webbrowser {out / rows[0][3]}")
    else:
        click.echo("No digest is due with matching papers; nothing was written or sent.")
    click.echo(report.line(), err=True)


@click.command("plan")
@click.option("--date", "day", type=DATE, help="Digest date (default: each subscriber's latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def plan(app: App, day: date | None, as_json: bool) -> None:
    """Create the outbox rows for due subscribers (idempotent; several may run at once).

    \b
    Examples:
      digest plan
      digest plan --date 2026-03-04
    """
    from digest.delivery import planning

    report = planning.plan(planning.Db(app.engine), now=app.now(), digest_date=day)
    report_out(report, as_json)


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Exit once no delivery is due.")
@click.option("--batch", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Deliveries claimed at a time.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@input_errors
def worker(app: App, until_idle: bool, batch: int, as_json: bool) -> None:
    """Claim due deliveries and send them; run as many as you like, on any machine.

    Each worker leases what it claims (DIGEST_LEASE_SECONDS); if it dies, another one takes
    over its deliveries when the lease runs out. SIGTERM or Ctrl-C stops after the messages
    in flight. Also sends the confirmation and manage-link emails the web pages queue.
    With --until-idle it exits 1 when a due digest could not be delivered.

    \b
    Examples:
      digest worker                 # runs until stopped
      digest worker --until-idle    # exits when nothing is due
    """
    from digest.delivery.wiring import make_worker
    from digest.process import tune_for_batch_work

    tune_for_batch_work()
    from digest.scheduler import stop_on_signals

    setup_logging()
    w = make_worker(app.settings, app.engine, clock=app.now, batch=batch, keep_items=as_json)
    try:
        with stop_on_signals(w.stop.set):
            report = w.run(until_idle=until_idle)
    finally:
        w.mailer.close()
    report_out(report, as_json)
    if report.errors:
        raise Failed(f"{len(report.errors)} error(s); see above")
    if until_idle:
        _undelivered(report)


@click.command("status")
@click.option("--date", "day", type=DATE, help="Digest date (default: today, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def status(app: App, day: date | None, as_json: bool) -> None:
    """Show the day's outbox (due, sent, retrying, failed, empty, suppressed), the bounces and
    complaints received that day, suppressed subscribers, and the last fetch.

    \b
    Example:
      digest status --json
    """
    day = day or app.today()
    with session_scope(app.engine) as session:
        counts = outbox.status_counts(session, digest_date=day)
        bounced = store.bounce_counts(session, day=day)
        run = store.last_fetch_run(session)
        emails = notices.pending_counts(session)
        missing = [
            {
                "day": m.day.isoformat(),
                "attempts": m.attempts,
                "last_error": m.last_error,
                "retried": m.day >= app.today() - timedelta(days=fetching.RETRY_DAYS),
            }
            for m in store.missing_days(session)
        ]
    fetch = None
    if run is not None:
        fetch = {
            "started_at": run.started_at.isoformat(),
            "status": run.status,
            "days": f"{run.first_day}..{run.last_day}",
            "fetched": run.fetched,
            "new": run.new,
            "errors": run.errors,
            "message": run.message,
        }
    if as_json:
        echo_json(
            {
                "date": day.isoformat(),
                "outbox": counts,
                "bounces": bounced,
                "last_fetch": fetch,
                "missing_days": missing,
                "notices": emails,
            }
        )
        return
    click.echo(f"digests for {day}:")
    echo_table(("state", "count"), [(k, v) for k, v in counts.items()])
    click.echo(f"bounces and complaints received on {day} (UTC):")
    echo_table(("report", "count"), [(k, v) for k, v in bounced.items()])
    if fetch is None:
        click.echo("last fetch: never (run `digest fetch`)")
    else:
        click.echo(
            f"last fetch: {fetch['started_at']} {fetch['status']} days {fetch['days']} "
            f"fetched={fetch['fetched']} new={fetch['new']} errors={fetch['errors']}"
        )
    retried = [m for m in missing if m["retried"]]
    given_up = [m for m in missing if not m["retried"]]
    if retried:
        days = ", ".join(f"{m['day']} ({m['attempts']} tries)" for m in retried)
        click.echo(f"days still missing, retried by `digest fetch`: {days}")
    if given_up:
        days = ", ".join(str(m["day"]) for m in given_up)
        click.echo(
            f"days missing for more than {fetching.RETRY_DAYS} days, no longer retried: "
            f"{days} (fetch one with `digest fetch --date D`)"
        )
    if not missing:
        click.echo("days still missing: none")
    click.echo(f"emails from the web pages: {emails['waiting']} waiting, {emails['failed']} failed")


@click.command("run")
@pass_app
@input_errors
def run(app: App) -> None:
    """Run in the foreground: poll sources every DIGEST_POLL_MINUTES, send digests on time.

    Catches up on start (a digest missed while stopped goes out at once), never sends a
    digest twice, and stops cleanly on SIGTERM or Ctrl-C.

    \b
    With DIGEST_RUN_WEB=true it also serves the web pages on DIGEST_WEB_HOST:DIGEST_WEB_PORT.

    \b
    Example:
      DIGEST_FROM=digest@example.org DIGEST_SECRET_KEY=... digest run
    """
    from digest.process import tune_for_batch_work
    from digest.scheduler import Stopper, run_forever, stop_on_signals

    tune_for_batch_work()

    setup_logging()
    settings = app.settings
    server = None
    stopper = Stopper()
    # from here on a SIGTERM stops cleanly, also one that comes while the web pages and the
    # scheduler start (the pages answer before the scheduler runs)
    with stop_on_signals(stopper):
        if settings.run_web:
            from digest.web.app import start_in_thread

            try:
                server, _ = start_in_thread(
                    settings, app.engine, settings.web_host, settings.web_port
                )
            except RuntimeError as exc:
                raise Failed(str(exc)) from None
            click.echo(f"web pages on http://{settings.web_host}:{settings.web_port}/", err=True)
        try:
            run_forever(settings, app.engine, clock=app.now, stopper=stopper)
        finally:
            if server is not None:
                server.should_exit = True
