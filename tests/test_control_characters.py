"""Control characters (NUL, ESC, BEL...) are refused in every text field, with one line naming
the field, in the CLI, the CSV import and the web form; text stored before that check still
makes a valid email and a well-formed feed."""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from digest import store
from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.delivery.wiring import make_worker
from digest.delivery.worker import send_digests
from digest.store.engine import session_scope
from digest.store.tables import Subscriber
from digest.subscribers.inputs import InputError, make_input
from digest.web.app import create_app
from tests import factories
from tests.conftest import NOW
from tests.smtp_server import SmtpServer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal", DeprecationWarning)
    from starlette.testclient import TestClient

CONTROLS = {"NUL": "\x00", "BEL": "\x07", "ESC": "\x1b", "DEL": "\x7f", "C1": "\x9b"}


@pytest.fixture
def run(tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ctl.db'}")

    def invoke(*args: str):
        app = App(settings_factory=lambda: settings, clock=lambda: NOW)
        return CliRunner().invoke(cli, list(args), obj=app)

    assert invoke("init").exit_code == 0
    return invoke


def nobody_stored(run) -> bool:
    result = run("subscribers", "list", "--json")
    return result.exit_code == 0 and json.loads(result.stdout) == []


@pytest.mark.parametrize("name", list(CONTROLS))
@pytest.mark.parametrize(
    ("option", "field", "value"),
    [
        ("--keywords", "keywords", "diffusion{c}, OOD"),
        ("--exclude", "exclude", "sur{c}vey"),
        ("--tz", "time zone", "Europe/Paris{c}"),
        ("--send-at", "send time", "07:{c}30"),
        ("--max-papers", "max papers", "5{c}"),
    ],
)
def test_cli_refuses_control_characters_in_one_line(run, name, option, field, value) -> None:
    char = CONTROLS[name]
    args = ["subscribe", "ada@example.org", "--keywords", "OOD", option, value.format(c=char)]
    result = run(*args)
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith(f"Error: {field}: control character U+{ord(char):04X}")
    assert "is not allowed" in line
    assert char not in line  # the message names it, never prints it
    assert nobody_stored(run)


def test_cli_refuses_a_control_character_in_the_address(run) -> None:
    result = run("subscribe", "ada\x1b@example.org", "--keywords", "OOD")
    assert result.exit_code == 2
    assert "email: control character U+001B (ESC)" in result.output
    assert nobody_stored(run)


def test_rank_refuses_control_characters(run) -> None:
    result = run("rank", "--keywords", "diffusion\x07")
    assert result.exit_code == 2
    assert "--keywords: control character U+0007 (BEL)" in result.output


def test_tab_and_line_breaks_count_as_spaces_in_interests() -> None:
    value = make_input("ada@example.org", "diffusion\tmodels,\nOOD\r\n", "sur\nvey")
    assert (value.keywords, value.exclude) == ("diffusion models, OOD", "sur vey")
    with pytest.raises(InputError, match=r"^invalid email"):  # no tab in an address, though
        make_input("ada@exa\tmple.org", "OOD")


def test_csv_names_the_line_of_a_control_character(run, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,keywords,exclude\n"
        "ada@example.org,OOD,\n"
        "bob@example.org,diffusion\x00,\n"
        "cy@example.org,KD,sur\x1bvey\n",
        encoding="utf-8",
    )
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 2
    assert f"{path}:3: keywords: control character U+0000 (NUL)" in result.stderr
    assert f"{path}:4: exclude: control character U+001B (ESC)" in result.stderr
    assert "nothing imported" in result.stderr
    assert nobody_stored(run)


# --------------------------------------------------------------------------- web form

SECRET = "control-test-secret-0123456789abcdef"
BASE = "https://digest.example.org"


def web_client(engine) -> TestClient:
    settings = Settings(secret_key=SECRET, mail_from="digest@example.org", base_url=BASE)
    app = create_app(settings, engine, clock=lambda: NOW)
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def csrf(page) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("keywords", "diffusion\x1b[31m", "Interests: control character U+001B (ESC)"),
        ("exclude", "survey\x00", "Never show papers mentioning: control character U+0000 (NUL)"),
        ("email", "ada@example.org\x07", "Email: control character U+0007 (BEL)"),
        ("timezone", "UTC\x7f", "Time zone: control character U+007F (DEL)"),
    ],
)
def test_web_form_refuses_control_characters(engine, field, value, shown) -> None:
    client = web_client(engine)
    page = client.get("/")
    values = {
        "email": "ada@example.org",
        "keywords": "diffusion",
        "exclude": "",
        "send_at": "07:30",
        "timezone": "UTC",
        "max_papers": "5",
        "frequency": "daily",
    } | {field: value}
    r = client.post("/", data=values | {"csrf": csrf(page)})
    assert r.status_code == 400
    assert shown in r.text
    with Session(engine) as s:
        assert not list(s.exec(select(Subscriber)))


def test_the_live_preview_reports_control_characters(engine) -> None:
    r = web_client(engine).get("/preview", params={"keywords": "diffusion\x1b"})
    assert r.status_code == 200
    assert r.json()["error"].startswith("keywords: control character U+001B (ESC)")


# --------------------------------------------------------------------------- stored before


def test_keywords_stored_before_the_check_still_make_a_valid_email_and_feed(
    engine, smtp_server: SmtpServer
) -> None:
    now = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    # NUL broke the Subject header; PostgreSQL cannot store it at all, so BEL there
    end = "\x07" if engine.dialect.name == "postgresql" else "\x00"
    with session_scope(engine) as session:
        store.insert_papers(
            session,
            papers=[
                factories.listed(
                    "2603.00001",
                    title="Diffusion models for text",
                    abstract="Diffusion models generate data. We study diffusion sampling.",
                ),
                factories.listed("2603.00004", title="A study of crop yields"),
            ],
            now=now - timedelta(hours=3),
        )
        session.add(  # as an older version stored it, unchecked
            Subscriber(
                email="ada@example.org",
                keywords=f"\x1bdiffusion{end}",
                status="active",
                created_at=now - timedelta(days=1),
                updated_at=now - timedelta(days=1),
            )
        )
    settings = Settings(
        mail_from="digest@example.org",
        secret_key=SECRET,
        base_url=BASE,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_timeout=5.0,
    )
    worker = make_worker(settings, engine, clock=lambda: now, keep_items=True)
    try:
        report = send_digests(worker.db, worker, now=now)[1]
    finally:
        worker.mailer.close()
    assert (report.counts["sent"], report.counts["failed"]) == (1, 0), report
    (received,) = smtp_server.received
    subject = str(make_header(decode_header(received.parse()["Subject"])))
    assert subject.startswith("1 new paper on ") and "diffusion" in subject
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", subject)

    with Session(engine) as s:
        sub = s.exec(select(Subscriber)).one()
    from digest.tokens import Links

    feed_url = Links(BASE, SECRET).feed(sub.public_id, sub.token_version)
    r = web_client(engine).get("/feed/" + feed_url.rsplit("/", 1)[1])
    assert r.status_code == 200
    root = ET.fromstring(r.content)  # well-formed XML
    title = root.find("{http://www.w3.org/2005/Atom}title")
    assert title is not None and title.text == "Paper digest for diffusion"
