"""The foundation commands through click's CliRunner, on a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings, load_settings
from tests.conftest import NOW
from tests.factories import DAY, hf_item


@pytest.fixture
def run(tmp_path: Path, httpserver: HTTPServer):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}",
        hf_api_url=httpserver.url_for("").rstrip("/"),
    )

    def invoke(*args: str, env: dict[str, str] | None = None):
        factory = (lambda: load_settings(env, env_file=None)) if env else (lambda: settings)
        app = App(settings_factory=factory, clock=lambda: NOW)
        return CliRunner().invoke(cli, list(args), obj=app)

    assert invoke("init").exit_code == 0
    return invoke


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def subscribers(run) -> list[dict]:
    result = run("subscribers", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["fetch"],
        ["subscribe"],
        ["unsubscribe"],
        ["subscribers", "list"],
        ["subscribers", "import"],
        ["bounces"],
    ],
)
def test_every_command_has_help_with_an_example(run, command) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_init_creates_the_database(run) -> None:
    from alembic.script import ScriptDirectory

    from digest.store.engine import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    result = run("init")
    assert result.exit_code == 0 and f"revision {head}" in result.output
    assert run("init").exit_code == 0  # idempotent


def test_subscribe_then_update_never_duplicates(run) -> None:
    first = run(
        "subscribe",
        "Ada@Example.ORG",
        "--keywords",
        "OOD,  diffusion models ,ood",
        "--send-at",
        "7:30",
        "--tz",
        "Europe/Paris",
        "--max-papers",
        "5",
    )
    assert first.exit_code == 0, first.output
    assert "added ada@example.org: OOD, diffusion models" in first.output
    second = run("subscribe", "ada@example.org", "--keywords", "RLHF")
    assert "updated" in second.output
    rows = subscribers(run)
    assert len(rows) == 1
    assert (rows[0]["keywords"], rows[0]["send_at"], rows[0]["tz"], rows[0]["max_papers"]) == (
        "RLHF",
        "07:30",
        "Europe/Paris",
        5,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--keywords", "x"], "invalid email 'not-an-email'"),
        (["a@b.org", "--keywords", " , "], "keywords: give at least one keyword"),
        (["a@b.org", "--keywords", "x", "--tz", "Mars/Olympus"], "time zone: 'Mars/Olympus'"),
        (["a@b.org", "--keywords", "x", "--send-at", "25:00"], "send time: '25:00'"),
        (["a@b.org", "--keywords", "x", "--max-papers", "0"], "max papers: 0"),
        (["a@b.org"], "Missing option '--keywords'"),
    ],
)
def test_bad_subscribe_input_is_one_line_exit_2_and_stores_nothing(run, args, message) -> None:
    result = run("subscribe", *args)
    assert result.exit_code == 2
    assert len(lines(result.stderr)) == 1
    assert message in result.stderr
    assert subscribers(run) == []


def test_unsubscribe_keeps_the_record(run) -> None:
    run("subscribe", "ada@example.org", "--keywords", "OOD")
    result = run("unsubscribe", "ADA@example.org")
    assert result.exit_code == 0 and "unsubscribed ada@example.org" in result.output
    assert run("unsubscribe", "ada@example.org").exit_code == 0  # idempotent
    assert [r["status"] for r in subscribers(run)] == ["unsubscribed"]
    unknown = run("unsubscribe", "nobody@example.org")
    assert unknown.exit_code == 2 and "no subscriber nobody@example.org" in unknown.stderr


def test_import_reports_bad_rows_by_line_and_imports_nothing(run, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,keywords,exclude,send_at,tz\n"
        "ada@example.org,OOD;diffusion,survey,07:30,Europe/Paris\n"
        "broken,OOD,,,\n"
        "bob@example.org,RLHF,,,\n"
        "eve@example.org,KD,,99:99,\n"
    )
    result = run("subscribers", "import", str(csv))
    assert result.exit_code == 2, result.output
    assert f"{csv}:3: invalid email 'broken'" in result.stderr
    assert f"{csv}:5: send time" in result.stderr
    assert lines(result.stderr)[-1] == (
        f"Error: {csv}: 2 bad rows of 4; nothing imported (fix them and import the file again)"
    )
    assert result.stdout == ""
    assert subscribers(run) == []


def test_import_then_reimport_updates(run, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,keywords,exclude,send_at,tz\n"
        "ada@example.org,OOD;diffusion,survey,07:30,Europe/Paris\n"
        "bob@example.org,RLHF,,,\n"
    )
    result = run("subscribers", "import", str(csv))
    assert result.exit_code == 0, result.output
    assert "imported 2 new, updated 0, 0 duplicate rows (the last row counts), 0 bad rows" in (
        result.stdout
    )
    rows = {r["email"]: r for r in subscribers(run)}
    assert rows["ada@example.org"]["keywords"] == "OOD, diffusion"
    assert rows["ada@example.org"]["exclude"] == "survey"
    assert rows["bob@example.org"]["tz"] == "UTC"
    again = run("subscribers", "import", str(csv))
    assert "imported 0 new, updated 2" in again.stdout
    assert len(subscribers(run)) == 2


def test_import_with_a_bad_header_stores_nothing(run, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("mail,topics\nada@example.org,OOD\n")
    result = run("subscribers", "import", str(csv))
    assert result.exit_code == 2 and "must be email,keywords" in result.stderr
    assert subscribers(run) == []
    missing = run("subscribers", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "nope.csv" in missing.stderr


def test_fetch_reports_counts_and_json(run, httpserver: HTTPServer) -> None:
    query = {"date": DAY.isoformat(), "p": "0", "limit": "100"}
    httpserver.expect_request("/api/daily_papers", query_string=query).respond_with_json(
        [hf_item("2603.00001"), hf_item("2603.00002"), {"paper": {"id": "x"}}]
    )
    result = run("fetch", "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "fetched=2 new=2 updated=0 unchanged=0 skipped=1" in result.stdout
    again = run("fetch", "--date", DAY.isoformat(), "--json")
    counts = json.loads(again.stdout)["counts"]
    assert (counts["new"], counts["unchanged"]) == (0, 2)


def test_fetch_garbage_exits_1_and_keeps_data(run, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/api/daily_papers").respond_with_json([hf_item()])
    assert run("fetch", "--date", DAY.isoformat()).exit_code == 0
    httpserver.expect_request("/api/daily_papers").respond_with_data("<html>", status=200)
    result = run("fetch", "--date", DAY.isoformat(), "--json")
    assert result.exit_code == 1
    assert "not JSON" in json.loads(result.stdout)["errors"][0]
    listed = run("fetch", "--date", DAY.isoformat())
    assert listed.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-03-04", "--since", "2026-03-01"], "--date cannot be combined"),
        (["--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
        (["--until", "2026-03-05"], "--until needs --since"),
        (["--date", "yesterday"], "'yesterday' is not a date"),
    ],
)
def test_fetch_bad_dates(run, args, message) -> None:
    result = run("fetch", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(lines(result.stderr)) == 1


def test_bad_setting_is_named(run) -> None:
    result = run("subscribers", "list", env={"DIGEST_SMTP_PORT": "abc"})
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: DIGEST_SMTP_PORT:")


def test_fetch_both_listings_counts_per_source_and_in_total(
    run, tmp_path: Path, httpserver: HTTPServer
) -> None:
    from tests.factories import arxiv_feed, arxiv_item

    query = {"date": DAY.isoformat(), "p": "0", "limit": "100"}
    httpserver.expect_request("/api/daily_papers", query_string=query).respond_with_json(
        [hf_item("2603.00001", upvotes=30), hf_item("2603.00002")]
    )
    httpserver.expect_request("/api/daily_papers").respond_with_json([])
    feed = arxiv_feed(
        [
            arxiv_item("2603.00001"),  # on both listings
            arxiv_item("2603.00003", announce="cross"),
            arxiv_item("2602.00004", announce="replace", version=2),  # never stored: ignored
        ]
    )
    httpserver.expect_request("/rss/cs.LG+cs.CL").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    env = {
        "DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'both.db'}",
        "DIGEST_HF_API_URL": httpserver.url_for("/").rstrip("/"),
        "DIGEST_SOURCES": "hf,arxiv",
        "DIGEST_ARXIV_CATEGORIES": "cs.LG,cs.CL",
        "DIGEST_ARXIV_RSS_URL": httpserver.url_for("/rss"),
    }
    assert run("init", env=env).exit_code == 0
    result = run("fetch", "--date", DAY.isoformat(), "--json", env=env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["counts"]["new"] == 3 and body["counts"]["fetched"] == 5
    assert body["counts"]["ignored"] == 1
    assert body["sources"]["hf"]["new"] == 2 and body["sources"]["arxiv"]["new"] == 1
    assert [(i["source"], i["date"]) for i in body["items"]] == [
        ("hf", "2026-03-04"),
        ("arxiv", "2026-03-04"),
    ]
    text = run("fetch", "--date", DAY.isoformat(), env=env)
    assert text.exit_code == 0, text.output
    assert "new=0" in text.stdout and "[hf: days=1" in text.stdout and "[arxiv: " in text.stdout


def test_fetch_garbage_arxiv_feed_exits_1_naming_it(
    run, tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/rss/cs.LG").respond_with_data("<rss><channel><item>")
    env = {
        "DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'bad.db'}",
        "DIGEST_SOURCES": "arxiv",
        "DIGEST_ARXIV_CATEGORIES": "cs.LG",
        "DIGEST_ARXIV_RSS_URL": httpserver.url_for("/rss"),
    }
    assert run("init", env=env).exit_code == 0
    result = run("fetch", env=env)
    assert result.exit_code == 1
    assert "error: arxiv cs.LG (fetched 2026-03-04): not a well-formed feed" in result.stderr
    assert "1 listing(s) could not be fetched" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DIGEST_SOURCES": "hf,rss"},
            "Error: DIGEST_SOURCES: 'hf,rss': use hf, arxiv or hf,arxiv",
        ),
        ({"DIGEST_SOURCES": "arxiv"}, "Error: DIGEST_ARXIV_CATEGORIES: name the categories"),
    ],
)
def test_fetch_with_bad_source_settings_is_one_line_exit_2(run, env, message) -> None:
    result = run("fetch", env=env)
    assert result.exit_code == 2
    assert len(lines(result.stderr)) == 1 and result.stderr.startswith(message)
