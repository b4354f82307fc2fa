"""`digest bounces`: read the bounce mailbox once."""

from __future__ import annotations

import click

from digest.cli.app import App, BadInput, Failed, input_errors, pass_app, report_out
from digest.config import parse_mailbox_url


@click.command("bounces")
@click.option(
    "--mailbox",
    "url",
    metavar="URL",
    help="Read this mailbox instead of DIGEST_BOUNCE_MAILBOX (same form).",
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Reports read at most in this run.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@input_errors
def bounces(app: App, url: str | None, limit: int, as_json: bool) -> None:
    """Read the bounce mailbox once: hard and soft bounces, complaints.

    Reads the reports not read before from DIGEST_BOUNCE_MAILBOX (imaps://user:password@host/
    INBOX, imap://... for a local server, or maildir:///path). A hard bounce (5.x.x) counts
    towards DIGEST_HARD_BOUNCE_LIMIT, soft ones (4.x.x) suppress after
    DIGEST_SOFT_BOUNCE_LIMIT digests in a row, a complaint unsubscribes at once. Each report
    is acted on once and then marked in the mailbox, never deleted; one that cannot be read is
    kept, flagged and counted as unreadable. `digest run` does this at every poll.

    \b
    Examples:
      digest bounces
      digest bounces --mailbox maildir:///var/mail/bounces --json
    """
    from digest.bounces import MailboxError, read_bounces

    location = None
    if url is not None:
        try:
            location = parse_mailbox_url(url)
        except ValueError as exc:
            raise BadInput(f"--mailbox: {exc}") from None
    try:
        report = read_bounces(
            app.settings, app.engine, clock=app.now, location=location, limit=limit
        )
    except MailboxError as exc:
        raise Failed(str(exc)) from None
    report_out(report, as_json)
