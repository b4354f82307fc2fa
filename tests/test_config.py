import re
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from digest.config import ConfigError, Settings, load_settings, parse_mailbox_url


def test_defaults_match_the_contract() -> None:
    s = load_settings({}, env_file=None)
    assert s == Settings()
    assert (s.database_url, s.smtp_port, s.smtp_tls, s.send_at, s.timezone) == (
        "sqlite:///digest.db",
        25,
        "none",
        "07:00",
        "UTC",
    )
    assert (s.poll_minutes, s.max_papers, s.base_url) == (60, 10, "http://localhost:8000")


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("DIGEST_MAX_PAPERS=7\nDIGEST_TIMEZONE=Europe/Paris\n")
    s = load_settings({"DIGEST_MAX_PAPERS": "3"}, env_file=env)
    assert (s.max_papers, s.timezone) == (3, "Europe/Paris")


def test_settings_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Settings().max_papers = 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_SMTP_PORT", "99999"),
        ("DIGEST_SMTP_TLS", "maybe"),
        ("DIGEST_SEND_AT", "7pm"),
        ("DIGEST_TIMEZONE", "Nowhere/Town"),
        ("DIGEST_BASE_URL", "localhost:8000"),
        ("DIGEST_POLL_MINUTES", "0"),
        ("DIGEST_SEND_EMPTY", "perhaps"),
        ("DIGEST_DATABASE_URL", "digest.db"),
        ("DIGEST_BOUNCE_MAILBOX", "pop3://u:p@mail.example.org"),
        ("DIGEST_BOUNCE_MAILBOX", "imaps://mail.example.org/INBOX"),
        ("DIGEST_BOUNCE_MAILBOX", "maildir://relative/path"),
        ("DIGEST_WEBHOOK_SECRET", "change-me"),
        ("DIGEST_LIST_ID", "Paper Digest <nodots>"),
        ("DIGEST_LIST_ID", "Paper Digest <papers.example.org"),
        ("DIGEST_FEEDBACK_ID", "a:b"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: "):
        load_settings({name: value}, env_file=None)


@pytest.mark.parametrize("secret", ["", "change-me", "short"])
def test_placeholder_or_missing_secret_is_refused_where_needed(secret: str) -> None:
    s = load_settings({"DIGEST_SECRET_KEY": secret}, env_file=None)
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        s.require_secret()


def test_real_secret_and_sender_are_accepted() -> None:
    s = load_settings(
        {"DIGEST_SECRET_KEY": "x" * 32, "DIGEST_FROM": "d@example.org"}, env_file=None
    )
    assert s.require_secret() == "x" * 32 and s.require_sender() == "d@example.org"
    with pytest.raises(ConfigError, match="DIGEST_FROM"):
        Settings().require_sender()


def test_bounce_mailbox_urls() -> None:
    s = load_settings(
        {
            "DIGEST_BOUNCE_MAILBOX": "imaps://bounces%40example.org:p%40ss:w@mail.example.org/Bounces"
        },
        env_file=None,
    )
    box = s.mailbox()
    assert box is not None
    assert (box.scheme, box.host, box.port, box.folder) == (
        "imaps",
        "mail.example.org",
        993,
        "Bounces",
    )
    assert (box.username, box.password) == ("bounces@example.org", "p@ss:w")
    assert "p@ss" not in repr(box) and "p@ss" not in box.describe()
    local = load_settings({"DIGEST_BOUNCE_MAILBOX": "imap://u:p@127.0.0.1:1143"}, env_file=None)
    assert local.mailbox() == parse_mailbox_url("imap://u:p@127.0.0.1:1143/INBOX")
    assert (parse_mailbox_url("imap://u:p@localhost").port, Settings().mailbox()) == (143, None)
    assert parse_mailbox_url("maildir:///var/mail/bounces").path == "/var/mail/bounces"


def test_a_bad_mailbox_url_never_repeats_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DIGEST_BOUNCE_MAILBOX": "imaps://u:hunter2secret@:99/"}, env_file=None)
    assert "hunter2secret" not in str(caught.value)


def test_list_id_and_feedback_id() -> None:
    s = load_settings(
        {"DIGEST_LIST_ID": "  papers.example.org ", "DIGEST_FEEDBACK_ID": "paper-digest"},
        env_file=None,
    )
    assert (s.list_id, s.feedback_id) == ("<papers.example.org>", "paper-digest")
    named = load_settings({"DIGEST_LIST_ID": "Paper Digest <papers.example.org>"}, env_file=None)
    assert named.list_id == "Paper Digest <papers.example.org>"


def test_every_setting_is_documented_in_the_example_file_and_the_readme() -> None:
    from digest.config import _PARSERS

    root = Path(__file__).resolve().parent.parent
    example = (root / "config.example.env").read_text()
    readme = (root / "README.md").read_text()
    for name in _PARSERS:
        # a setting the example leaves unset is shown commented out (`# DIGEST_BASE_URL=...`)
        found = re.search(rf"^(# )?{name}=", example, re.MULTILINE)
        assert found, f"{name} not in config.example.env"
        assert f"`{name}`" in readme, f"{name} not in the README"
    s = load_settings({}, env_file=root / "config.example.env")  # and every value is valid
    assert s.mail_from == "Paper Digest <papers@example.org>"


def test_sources_and_arxiv_settings() -> None:
    s = load_settings(
        {
            "DIGEST_SOURCES": " HF , arxiv,hf",
            "DIGEST_ARXIV_CATEGORIES": "cs.LG, cs.CL+hep-th  astro-ph.GA",
            "DIGEST_ARXIV_RSS_URL": "http://127.0.0.1:8123/rss/",
            "DIGEST_RETENTION_DAYS": "0",
        },
        env_file=None,
    )
    assert s.sources == ("hf", "arxiv")
    assert s.arxiv_categories == ("cs.LG", "cs.CL", "hep-th", "astro-ph.GA")
    assert s.arxiv_rss_url == "http://127.0.0.1:8123/rss"
    assert s.retention_days == 0
    default = Settings()
    assert (default.sources, default.arxiv_rss_url) == (("hf",), "https://rss.arxiv.org/rss")
    assert default.retention_days == 30


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DIGEST_SOURCES": "hf,rss"}, "^DIGEST_SOURCES: 'hf,rss': use hf, arxiv or hf,arxiv"),
        ({"DIGEST_SOURCES": " , "}, "^DIGEST_SOURCES: "),
        ({"DIGEST_SOURCES": "arxiv"}, "^DIGEST_ARXIV_CATEGORIES: name the categories"),
        (
            {"DIGEST_SOURCES": "arxiv", "DIGEST_ARXIV_CATEGORIES": "cs.LG,machine learning"},
            "^DIGEST_ARXIV_CATEGORIES: 'machine' is not an arXiv category",
        ),
        ({"DIGEST_ARXIV_RSS_URL": "rss.arxiv.org/rss"}, "^DIGEST_ARXIV_RSS_URL: "),
        ({"DIGEST_RETENTION_DAYS": "-1"}, "^DIGEST_RETENTION_DAYS: "),
    ],
)
def test_bad_source_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, env_file=None)
