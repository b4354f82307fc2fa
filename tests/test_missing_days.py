"""A listing day that could not be read is remembered and fetched again by later default
fetches (and so by `digest run`) until it is read, within a week; `digest status` lists it.
Against a loopback HTTP server speaking the Hugging Face API, garbage on the broken days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from digest import fetching, store
from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.delivery.wiring import make_worker
from digest.mail.mailers import FileMailer
from digest.scheduler import Jobs
from digest.store.engine import make_engine, session_scope
from tests.factories import hf_item


class Listing:
    """Answers /api/daily_papers: two papers a weekday, garbage on the `broken` days."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.asked: list[str] = []

    def __call__(self, request: Request) -> Response:
        day = request.args["date"]
        self.asked.append(day)
        if day in self.broken:
            return Response("<html>upstream error</html>", content_type="text/html")
        weekday = date.fromisoformat(day).weekday() < 5
        page = int(request.args.get("p", "0"))
        stamp = day.replace("-", "")[2:]
        items = [
            hf_item(f"{stamp[:4]}.{stamp[4:]}{n:03d}", day=date.fromisoformat(day))
            for n in range(2)
        ]
        return Response(json.dumps(items if weekday and page == 0 else []), mimetype="json")


@pytest.fixture
def listing(httpserver: HTTPServer) -> Listing:
    handler = Listing()
    httpserver.expect_request("/api/daily_papers").respond_with_handler(handler)
    return handler


@pytest.fixture
def run(tmp_path: Path, httpserver: HTTPServer):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'days.db'}",
        hf_api_url=httpserver.url_for("").rstrip("/"),
    )

    def invoke(*args: str, on: str = "2026-03-04"):
        now = datetime.fromisoformat(f"{on}T12:00:00+00:00")
        app = App(settings_factory=lambda: settings, clock=lambda: now)
        try:
            return CliRunner().invoke(cli, list(args), obj=app)
        finally:
            if app._engine is not None:
                app._engine.dispose()

    assert invoke("init").exit_code == 0
    invoke.url = settings.database_url  # type: ignore[attr-defined]
    return invoke


def stored_ids(run) -> set[str]:
    engine = make_engine(run.url)
    try:
        with session_scope(engine) as session:
            return {p.id for p in store.paper_texts(session)}
    finally:
        engine.dispose()


def status(run, on: str) -> dict:
    result = run("status", "--json", on=on)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_day_that_returned_garbage_is_fetched_again_until_it_is_read(run, listing) -> None:
    listing.broken = {"2026-03-03"}
    first = run("fetch", "--json", on="2026-03-04")  # an empty store: the 3rd and the 4th
    assert first.exit_code == 1
    report = json.loads(first.stdout)
    assert report["counts"]["days"] == 1 and "not JSON" in report["errors"][0]
    missing = status(run, "2026-03-04")["missing_days"]
    assert [(m["day"], m["attempts"], m["retried"]) for m in missing] == [("2026-03-03", 1, True)]
    text = run("status", on="2026-03-04").output
    assert "days still missing, retried by `digest fetch`: 2026-03-03 (1 tries)" in text

    listing.asked.clear()
    again = run("fetch", "--json", on="2026-03-05")  # still broken: the 3rd is tried again
    assert again.exit_code == 1
    assert listing.asked == ["2026-03-03", "2026-03-05"]
    assert status(run, "2026-03-05")["missing_days"][0]["attempts"] == 2

    listing.broken.clear()  # the listing is back
    listing.asked.clear()
    fixed = run("fetch", "--json", on="2026-03-06")
    assert fixed.exit_code == 0, fixed.output
    counts = json.loads(fixed.stdout)["counts"]
    assert listing.asked == ["2026-03-03", "2026-03-06"]
    assert (counts["recovered"], counts["new"]) == (1, 4)  # the 3rd's two papers, the 6th's
    assert status(run, "2026-03-06")["missing_days"] == []
    assert "days still missing: none" in run("status", on="2026-03-06").output
    assert {"2603.03000", "2603.03001"} <= stored_ids(run)

    listing.asked.clear()
    assert run("fetch", on="2026-03-06").exit_code == 0
    assert listing.asked == ["2026-03-06"]  # nothing is retried once read


def test_after_a_week_a_missing_day_is_no_longer_retried_but_still_listed(run, listing) -> None:
    listing.broken = {"2026-02-20"}
    assert run("fetch", "--date", "2026-02-20", on="2026-02-20").exit_code == 1
    assert run("fetch", "--date", "2026-03-02", on="2026-03-02").exit_code == 0
    listing.asked.clear()
    assert run("fetch", on="2026-03-04").exit_code == 0
    assert listing.asked == ["2026-03-03", "2026-03-04"]  # not the 20th: older than a week
    (missing,) = status(run, "2026-03-04")["missing_days"]
    assert (missing["day"], missing["retried"]) == ("2026-02-20", False)
    text = run("status", on="2026-03-04").output
    assert "days missing for more than 7 days, no longer retried: 2026-02-20" in text
    listing.broken.clear()
    assert run("fetch", "--date", "2026-02-20", on="2026-03-04").exit_code == 0
    assert status(run, "2026-03-04")["missing_days"] == []


def test_digest_run_polls_the_missing_days_too(
    sqlite_engine, listing, httpserver, tmp_path: Path
) -> None:
    settings = Settings(
        hf_api_url=httpserver.url_for("").rstrip("/"),
        mail_from="digest@example.org",
        secret_key="k" * 32,
        base_url="https://digest.example.org",
    )
    clock = {"now": datetime(2026, 3, 4, 12, tzinfo=UTC)}
    worker = make_worker(  # polls send nothing: any mailer will do
        settings, sqlite_engine, clock=lambda: clock["now"], mailer=FileMailer(tmp_path)
    )
    jobs = Jobs(settings, sqlite_engine, clock=lambda: clock["now"], worker=worker)
    listing.broken = {"2026-03-03"}
    assert jobs.poll().counts["days"] == 1
    listing.broken.clear()
    clock["now"] = datetime(2026, 3, 5, 12, tzinfo=UTC)
    listing.asked.clear()
    report = jobs.poll()
    assert listing.asked == ["2026-03-03", "2026-03-05"]
    assert report.counts["recovered"] == 1 and report.ok
    assert fetching.default_fetch_days(sqlite_engine, date(2026, 3, 5)) == [date(2026, 3, 5)]
