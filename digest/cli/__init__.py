"""The `digest` command line: a thin click group over the library, one module per command
group; shared plumbing (settings, engine, errors, output) in digest.cli.app."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from digest.cli import bounces, demo, papers, rank, send, subscribers, web
from digest.cli.app import App, Failed, describe_database_error, shown_url


class DigestGroup(click.Group):
    """Prints bad usage as one line (`Error: ...`, exit 2) instead of click's usage block."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.UsageError as exc:
            where = f"{exc.ctx.command_path}: " if exc.ctx else ""
            click.echo(f"Error: {where}{exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        """A database failure inside a command (a read-only file, a lost server) is one line
        and exit 1, not a traceback; the command's transaction was rolled back."""
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            app = ctx.find_root().obj
            where = shown_url(app.settings.database_url) if isinstance(app, App) else "error"
            raise Failed(describe_database_error(exc, where)) from None


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="digest")
def cli() -> None:
    """Email each subscriber, once a day, the new trending papers that match their interests.

    \b
    Quick start:
      digest demo                                   # offline demo, writes previews
      digest init && digest fetch                   # create the database, poll Hugging Face
      digest subscribe you@example.org --keywords "OOD, diffusion"
      digest send --dry-run                         # preview today's digests
    """


for command in (
    papers.init,
    papers.fetch,
    subscribers.subscribe,
    subscribers.unsubscribe,
    subscribers.subscribers,
    rank.rank,
    send.send,
    send.plan,
    send.worker,
    send.status,
    send.run,
    bounces.bounces,
    demo.demo,
    web.serve,
):
    cli.add_command(command)
