"""DIGEST_TEMPLATES_DIR: an operator's files override the shipped ones file by file, and one
that does not compile is a clear error at start-up, naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import shipped
from digest.cli import cli
from digest.config import ConfigError, load_settings
from digest.render.renderer import Renderer
from digest.web.base import template_env


def test_templates_and_migrations_are_top_level_folders_found_from_the_package() -> None:
    root = Path(__file__).resolve().parents[1]
    assert shipped("templates") == root / "templates"
    assert shipped("migrations") == root / "migrations"
    assert not (root / "digest" / "templates").exists()
    assert not (root / "digest" / "migrations").exists()


def test_an_override_replaces_one_email_file_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "confirm.txt.j2").write_text(
        "ACME papers: confirm at {{ confirm_url }}\n"
    )
    renderer = Renderer(overrides=tmp_path)
    mail = renderer.confirm(email="a@example.org", confirm_url="https://x/c/1", keywords="OOD")
    assert mail.text.startswith("ACME papers: confirm at https://x/c/1")
    assert "Confirm" in mail.html  # the HTML part is still the shipped one
    shipped_only = Renderer().confirm(
        email="a@example.org", confirm_url="https://x/c/1", keywords="OOD"
    )
    assert "ACME" not in shipped_only.text


def test_an_override_replaces_a_web_page(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "bad_link.html").write_text("<p>ACME: that link is broken</p>")
    env = template_env(str(tmp_path))
    assert "ACME" in env.get_template("bad_link.html").render()
    assert env.get_template("base.html") is not None


@pytest.mark.parametrize(
    ("kind", "name", "text"),
    [
        ("email", "digest.mjml.j2", "<mjml>{% if %}</mjml>"),
        ("email", "digest.mjml.j2", "<mjml>[% block %]</mjml>"),
        ("email", "confirm.txt.j2", "{{ confirm_url "),
        ("web", "manage.html", "{% for x in %}"),
    ],
)
def test_an_override_that_does_not_compile_is_named(
    tmp_path: Path, kind: str, name: str, text: str
) -> None:
    (tmp_path / kind).mkdir()
    (tmp_path / kind / name).write_text(text)
    with pytest.raises(
        ConfigError, match=rf"DIGEST_TEMPLATES_DIR: {kind}/{name} does not compile: line 1"
    ):
        if kind == "email":
            Renderer(overrides=tmp_path)
        else:
            template_env(str(tmp_path))


def test_the_setting_must_name_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DIGEST_TEMPLATES_DIR"):
        load_settings({"DIGEST_TEMPLATES_DIR": str(tmp_path / "missing")}, env_file=None)


def test_send_refuses_a_broken_override_with_one_line(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "t" / "email").mkdir(parents=True)
    (tmp_path / "t" / "email" / "digest.txt.j2").write_text("{% if %}")
    monkeypatch.chdir(tmp_path)
    env = {
        "DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
        "DIGEST_TEMPLATES_DIR": str(tmp_path / "t"),
    }
    assert CliRunner().invoke(cli, ["init"], env=env).exit_code == 0
    result = CliRunner().invoke(cli, ["send", "--dry-run", "--out", str(tmp_path / "p")], env=env)
    assert result.exit_code == 2, result.output
    assert "email/digest.txt.j2 does not compile" in result.output
    assert "Traceback" not in result.output
