"""`digest demo`: the whole pipeline offline, on a temporary database, with built-in samples."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, time
from importlib import resources
from pathlib import Path

import click
import httpx

from digest import fetching
from digest.cli.app import App
from digest.cli.send import send
from digest.config import Settings
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter
from digest.subscribers import lifecycle
from digest.subscribers.inputs import read_csv

DEMO_API = "http://sample.invalid"


def sample_listing(day: str) -> list[dict]:
    raw = resources.files("digest").joinpath("sample_data/daily_papers.json").read_text("utf-8")
    return json.loads(raw.replace("DAYT", f"{day}T"))


def sample_transport(day: str) -> httpx.MockTransport:
    """Answers like the Hugging Face listing: the samples on `day`, nothing on other days."""
    items = sample_listing(day)

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("p", "0"))
        limit = int(request.url.params.get("limit", "100"))
        listed = items if request.url.params.get("date") == day else []
        return httpx.Response(200, json=listed[page * limit : (page + 1) * limit])

    return httpx.MockTransport(handler)


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("digest-preview"),
    show_default=True,
    help="Where to write the previews (.html and .eml).",
)
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Run the whole pipeline offline on a temporary database with built-in sample data.

    Fetches a built-in sample listing (no network), subscribes five sample readers, ranks
    the papers for each, renders their digests and writes previews; nothing is sent and
    your own database and settings are not touched.

    \b
    Example:
      digest demo && python -m webbrowser digest-preview/1.html
    """
    now = datetime.combine(datetime.now(UTC).date(), time(23, 30), tzinfo=UTC)
    day = now.date().isoformat()
    with tempfile.TemporaryDirectory(prefix="digest-demo-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            hf_api_url=DEMO_API,
            mail_from="digest-demo@example.org",
        )
        app = App(settings_factory=lambda: settings, clock=lambda: now)
        app.open(create=True)
        with httpx.Client(transport=sample_transport(day)) as client:
            report = fetching.fetch(
                app.engine,
                sources=[HfListing(PoliteGetter(client, min_interval=0), DEMO_API)],
                days=[now.date()],
                now=now,
            )
        click.echo(f"1. fetched the built-in sample listing for {day}: {report.line()}")
        csv = resources.files("digest").joinpath("sample_data/subscribers.csv").read_text()
        people = [row.value for row in read_csv(csv) if row.value is not None]
        defaults = lifecycle.subscriber_defaults(
            settings.send_at, settings.timezone, settings.max_papers
        )
        lifecycle.import_subscribers(app.engine, values=people, now=now, defaults=defaults)
        click.echo(
            f"2. subscribed {len(people)} sample readers: "
            + "; ".join(f"{p.email} ({p.keywords})" for p in people)
        )
        click.echo("3. ranked, rendered and previewed their digests (nothing is sent):\n")
        ctx.obj = app
        ctx.invoke(send, dry_run=True, day=None, email=None, out=out, as_json=False)
        app.engine.dispose()
    click.echo(f"\nOpen the previews in a browser, e.g.: python -m webbrowser {out.resolve()}")
