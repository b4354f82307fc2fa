"""`digest demo`: offline, temporary database, previews written, nothing sent."""

from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli


def test_demo_writes_previews_offline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "previews"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "fetched=12 new=12" in result.stdout
    html = sorted(out.glob("*.html"))
    eml = sorted(out.glob("*.eml"))
    assert len(html) == len(eml) == 4  # eli@ (quantum error correction) matches nothing
    text = "\n".join(p.read_text() for p in html)
    assert "Speculative Decoding Without a Draft Model" in text
    assert "quantum" not in text.lower()
    assert "nothing was sent" in result.stdout
    assert not list(tmp_path.glob("*.db"))  # the user's own database is never touched
