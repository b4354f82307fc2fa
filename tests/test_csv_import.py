"""`digest subscribers import`: a broken quote or a bad row stops the import before anything is
stored, naming the line; repeated addresses are counted and named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.subscribers.inputs import InputError, check_csv, read_csv
from tests.conftest import NOW

HEADER = "email,keywords,exclude,send_at,tz\n"


@pytest.fixture
def run(tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'import.db'}")

    def invoke(*args: str):
        app = App(settings_factory=lambda: settings, clock=lambda: NOW)
        return CliRunner().invoke(cli, list(args), obj=app)

    assert invoke("init").exit_code == 0
    return invoke


def stored(run) -> dict[str, dict]:
    result = run("subscribers", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["email"]: row for row in json.loads(result.stdout)}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unclosed_quote_names_its_line_and_swallows_nothing(run, tmp_path: Path) -> None:
    # the file: the quote on line 3 used to swallow the three rows after it
    path = write(
        tmp_path,
        HEADER + "c@example.org,RLHF,,,\n"
        'd@example.org,"unbalanced\n'
        "e@example.org,diffusion,,,\n"
        "f@example.org,OOD,,,\n"
        "g@example.org,KD,,,\n",
    )
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors[0].startswith(f"{path}:3: a quoted field starts on this line and does not close")
    assert errors[-1] == (
        f"Error: {path}: 1 bad row of 5; nothing imported (fix them and import the file again)"
    )
    assert len(errors) == 2  # the rows after the quote were read as rows, and they are good
    assert stored(run) == {}  # all or nothing
    fixed = path.read_text().replace('"unbalanced', '"unbalanced"')
    path.write_text(fixed)
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert sorted(stored(run)) == [f"{c}@example.org" for c in "cdefg"]
    assert stored(run)["e@example.org"]["keywords"] == "diffusion"


def test_a_quoted_field_spanning_lines_is_an_error_on_the_line_it_starts(
    run, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER + 'a@example.org,OOD,,,\nb@example.org,"diffusion;\nRLHF",,,\nc@example.org,KD,,,\n',
    )
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 2
    assert f"{path}:3: a quoted field starts on this line" in result.stderr
    assert f"{path}:4: " in result.stderr  # the closing half is a bad row of its own
    assert "nothing imported" in result.stderr
    assert stored(run) == {}


def test_the_report_counts_new_updated_and_duplicate_rows(run, tmp_path: Path) -> None:
    assert run("subscribe", "old@example.org", "--keywords", "OOD").exit_code == 0
    path = write(
        tmp_path,
        HEADER + "ada@example.org,OOD,,,\n"
        "old@example.org,RLHF,,,\n"
        "bob@example.org,KD,,,\n"
        "ADA@example.org,diffusion,,,\n"
        '"x@example.org","""diffusion models"";GAN",,,\n',
    )
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "imported 3 new, updated 1, 1 duplicate row (the last row counts), 0 bad rows"
    )
    assert result.stderr.strip() == (
        f"{path}:5: ada@example.org is also on line 2; the last row counts"
    )
    rows = stored(run)
    assert rows["ada@example.org"]["keywords"] == "diffusion"
    assert rows["old@example.org"]["keywords"] == "RLHF"
    assert rows["x@example.org"]["keywords"] == '"diffusion models", GAN'


def test_rows_are_lines_whatever_the_line_breaks() -> None:
    text = "email,keywords\r\na@example.org,OOD\rb@example.org,KD\n\nc@example.org,GAN"
    rows = list(read_csv(text))
    assert [(r.line, r.value.email if r.value else None) for r in rows] == [
        (2, "a@example.org"),
        (3, "b@example.org"),
        (5, "c@example.org"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('a@example.org,"x"y,,,', "malformed CSV"),
        ("a@example.org,OOD,,,,,", "7 columns, the header has 5"),
        ("a@example.org,\x00OOD,,,", "keywords: control character U+0000 (NUL)"),
    ],
)
def test_bad_rows_say_why(line: str, message: str) -> None:
    checked = check_csv(HEADER + line + "\n")
    assert checked.values == ()
    ((number, error),) = checked.bad
    assert number == 2 and message in error


def test_a_broken_header_is_refused() -> None:
    with pytest.raises(InputError, match="CSV header: a quoted field starts"):
        check_csv('email,"keywords\na@example.org,OOD\n')
    with pytest.raises(InputError, match="empty"):
        check_csv("\n\n")
