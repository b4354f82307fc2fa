"""Settings: parsed once, at the edge, from the environment and an optional `.env` file.

`load_settings` is the only reader of the environment in the package; everything else takes
a `Settings` value.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values


class ConfigError(ValueError):
    """A setting has a bad value; the message names the setting."""


PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "placeholder", "xxx", "todo"}
TLS_MODES = ("none", "starttls", "ssl")
# Gmail clips an email whose HTML passes about 102 KB; a paper block is 4-5 KB and the frame
# about 8 KB (tests/test_render.py checks the worst case), so 18 papers fit.
MAX_PAPERS_PER_EMAIL = 18
SOURCES = ("hf", "arxiv")  # the listings digest can poll
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///digest.db"
    hf_api_url: str = "https://huggingface.co"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: str = "none"
    smtp_timeout: float = 30.0
    smtp_connections: int = 4
    mail_from: str = ""
    return_path: str = ""
    base_url: str = "http://localhost:8000"
    secret_key: str = ""
    send_at: str = "07:00"
    timezone: str = "UTC"
    poll_minutes: int = 60
    max_papers: int = 10
    send_empty: bool = False
    run_web: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    rate_per_second: float = 0.0
    rate_per_hour: int = 0
    hard_bounce_limit: int = 1
    soft_bounce_limit: int = 3
    dkim_key_file: str = ""
    dkim_selector: str = ""
    dkim_domain: str = ""
    templates_dir: str = ""  # a folder whose email/ and web/ files override the shipped ones
    lease_seconds: int = 300
    bounce_mailbox: str = ""  # imaps://user:pw@host/INBOX, imap://..., maildir:///path
    webhook_secret: str = ""  # signs POST /webhooks/bounces; empty: the webhook is off
    list_id: str = ""  # the List-Id header; empty: from the sender's address
    feedback_id: str = ""  # the sender id in Feedback-ID; empty: the sender's domain
    sources: tuple[str, ...] = ("hf",)  # the listings `digest fetch` polls, in this order
    arxiv_categories: tuple[str, ...] = ()
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    retention_days: int = 30  # papers listed longer ago are deleted after a fetch; 0 keeps all
    # the DIGEST_* names given in the environment or `.env` (not defaults)
    explicit: frozenset[str] = frozenset()

    def require_link_base(self) -> str:
        """The base of the links in real emails.

        Refused when it would send recipients to a local or plain-http address (the default,
        http://localhost:8000, included) unless DIGEST_BASE_URL was set explicitly.
        """
        if "DIGEST_BASE_URL" in self.explicit:
            return self.base_url
        parts = urlsplit(self.base_url)
        if parts.scheme == "https" and not _local_host(parts.hostname or ""):
            return self.base_url
        raise ConfigError(
            f"DIGEST_BASE_URL: links in emails would point to {self.base_url}, which recipients "
            "cannot open; set DIGEST_BASE_URL to the public https address of `digest serve` "
            "(or set it explicitly to keep this one)"
        )

    def require_secret(self) -> str:
        """The signing key, refused when missing or a placeholder."""
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            raise ConfigError(
                "DIGEST_SECRET_KEY: set a random value of at least 16 characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return self.secret_key

    def require_sender(self) -> str:
        """The From address, refused when missing."""
        if not self.mail_from.strip():
            raise ConfigError("DIGEST_FROM: set the sender address, e.g. digest@example.org")
        return self.mail_from

    def mailbox(self) -> MailboxLocation | None:
        """Where bounces are read (DIGEST_BOUNCE_MAILBOX), or None when not set."""
        return parse_mailbox_url(self.bounce_mailbox) if self.bounce_mailbox else None


@dataclass(frozen=True)
class MailboxLocation:
    """A bounce mailbox: IMAP (`imaps`, or `imap` for a local server) or a maildir folder."""

    scheme: str  # imaps | imap | maildir
    host: str = ""
    port: int = 0
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    folder: str = "INBOX"  # the IMAP folder
    path: str = ""  # the maildir folder

    def describe(self) -> str:
        """The location without its password, for messages and logs."""
        if self.scheme == "maildir":
            return f"maildir://{self.path}"
        return f"{self.scheme}://{self.username}@{self.host}:{self.port}/{self.folder}"


MAILBOX_SCHEMES = {"imaps": 993, "imap": 143, "maildir": 0}


def parse_mailbox_url(raw: str) -> MailboxLocation:
    """`imaps://user:password@host[:port]/FOLDER`, `imap://...` or `maildir:///path`.

    The user and password are percent-decoded (write `@` as %40); the folder defaults to
    INBOX. Error messages never repeat the password.
    """
    value = raw.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("not a URL like imaps://user:password@host/INBOX") from None
    scheme = parts.scheme.lower()
    if scheme not in MAILBOX_SCHEMES:
        raise ValueError(
            f"unknown scheme {scheme + '://' if scheme else '(none)'}: "
            "use imaps://user:password@host/INBOX, imap://... or maildir:///path"
        )
    if scheme == "maildir":
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError("a maildir is written maildir:///absolute/path (three slashes)")
        return MailboxLocation("maildir", path=unquote(parts.path))
    if not parts.hostname:
        raise ValueError(f"{scheme}:// needs a host, e.g. {scheme}://user:password@host/INBOX")
    if not parts.username or parts.password is None:
        raise ValueError(f"{scheme}:// needs a user and password: {scheme}://user:password@host")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxLocation(
        scheme,
        host=parts.hostname,
        port=port or MAILBOX_SCHEMES[scheme],
        username=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder,
    )


def _local_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


# setting name -> (field, parser)
def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return parse


def _float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        low = raw.strip().lower()
        if low not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return low

    return parse


def parse_hhmm(raw: str) -> str:
    value = raw.strip()
    if len(value) == 4 and value[1] == ":":
        value = "0" + value
    if not _HHMM.match(value):
        raise ValueError(f"{raw!r} is not a time of day as HH:MM")
    return value


def parse_timezone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{raw!r} is not a known time zone (use Area/City, e.g. Europe/Paris)"
        ) from None
    return name


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{raw!r} is not an http(s) URL")
    return value


def _str(raw: str) -> str:
    return raw.strip()


def _folder(raw: str) -> str:
    value = raw.strip()
    if value and not Path(value).is_dir():
        raise ValueError(f"{raw!r} is not a folder")
    return value


def _mailbox(raw: str) -> str:
    value = raw.strip()
    if value:
        parse_mailbox_url(value)
    return value


def _shared_secret(raw: str) -> str:
    if raw and (raw.strip().lower() in PLACEHOLDER_SECRETS or len(raw) < 16):
        raise ValueError("set a random value of at least 16 characters, or leave it empty")
    return raw


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LIST_ID = re.compile(rf"^{_ATOM}(?:\.{_ATOM})+$")


def parse_list_id(raw: str) -> str:
    """`Description <label.example.org>` or `label.example.org` (RFC 2919)."""
    value = raw.strip()
    if not value:
        return ""
    name, sep, rest = value.rpartition("<")
    ident = rest.rstrip(">").strip() if sep else value
    if (sep and not rest.endswith(">")) or not _LIST_ID.match(ident):
        raise ValueError(
            f"{raw!r} is not a list id like `Paper Digest <papers.example.org>` "
            "(a dotted name under a domain you control)"
        )
    if any(c in name for c in '\r\n"<>'):
        raise ValueError(f"{raw!r}: the description must be plain text")
    return f"{name.strip()} <{ident}>" if name.strip() else f"<{ident}>"


_FEEDBACK_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _feedback_id(raw: str) -> str:
    value = raw.strip()
    if value and not _FEEDBACK_ID.match(value):
        raise ValueError(f"{raw!r}: use letters, digits, `.`, `_` or `-` (no `:`), up to 64")
    return value


def _sources(raw: str) -> tuple[str, ...]:
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise ValueError(f"{raw!r}: use hf, arxiv or hf,arxiv")
    return tuple(dict.fromkeys(names))


_CATEGORY = re.compile(r"^(?P<archive>[a-z][a-z\-]*)(\.[A-Za-z][A-Za-z\-]*)?$")
# arXiv's archives: the part of a category before the dot (cs.LG), or the whole (hep-th)
ARXIV_ARCHIVES = frozenset(
    {
        "astro-ph", "cond-mat", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat", "hep-ph",
        "hep-th", "math", "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "q-bio", "q-fin",
        "quant-ph", "stat",
    }
)  # fmt: skip


def parse_categories(raw: str) -> tuple[str, ...]:
    """ "cs.LG, cs.CL" (or "cs.LG+cs.CL") -> ("cs.LG", "cs.CL"); archives like hep-th too."""
    names = [n.strip() for n in re.split(r"[,+\s]+", raw) if n.strip()]
    for name in names:
        match = _CATEGORY.match(name)
        if not match or match.group("archive") not in ARXIV_ARCHIVES:
            raise ValueError(f"{name!r} is not an arXiv category (e.g. cs.LG, math.OC, hep-th)")
    return tuple(dict.fromkeys(names))


DATABASES = {  # URL scheme -> the one this package drives (psycopg 3 for PostgreSQL)
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def _db_url(raw: str) -> str:
    value = raw.strip()
    if "://" not in value:
        raise ValueError(f"{raw!r} is not a database URL (e.g. sqlite:///digest.db)")
    scheme, rest = value.split("://", 1)
    driver = DATABASES.get(scheme.lower())
    if driver is None:
        raise ValueError(
            f"unsupported database {scheme!r}: use sqlite:///path/to/digest.db or "
            "postgresql+psycopg://user@host/name"
        )
    return f"{driver}://{rest}"


_PARSERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "DIGEST_DATABASE_URL": ("database_url", _db_url),
    "DIGEST_HF_API_URL": ("hf_api_url", _url),
    "DIGEST_SMTP_HOST": ("smtp_host", _str),
    "DIGEST_SMTP_PORT": ("smtp_port", _int(1, 65535)),
    "DIGEST_SMTP_USERNAME": ("smtp_username", _str),
    "DIGEST_SMTP_PASSWORD": ("smtp_password", str),
    "DIGEST_SMTP_TLS": ("smtp_tls", _choice(*TLS_MODES)),
    "DIGEST_SMTP_TIMEOUT": ("smtp_timeout", _float),
    "DIGEST_SMTP_CONNECTIONS": ("smtp_connections", _int(1, 64)),
    "DIGEST_FROM": ("mail_from", _str),
    "DIGEST_RETURN_PATH": ("return_path", _str),
    "DIGEST_BASE_URL": ("base_url", _url),
    "DIGEST_SECRET_KEY": ("secret_key", str),
    "DIGEST_SEND_AT": ("send_at", parse_hhmm),
    "DIGEST_TIMEZONE": ("timezone", parse_timezone),
    "DIGEST_POLL_MINUTES": ("poll_minutes", _int(1, 24 * 60)),
    "DIGEST_MAX_PAPERS": ("max_papers", _int(1, MAX_PAPERS_PER_EMAIL)),
    "DIGEST_SEND_EMPTY": ("send_empty", _bool),
    "DIGEST_RUN_WEB": ("run_web", _bool),
    "DIGEST_WEB_HOST": ("web_host", _str),
    "DIGEST_WEB_PORT": ("web_port", _int(1, 65535)),
    "DIGEST_RATE_PER_SECOND": ("rate_per_second", _float),
    "DIGEST_RATE_PER_HOUR": ("rate_per_hour", _int(0, 10_000_000)),
    "DIGEST_HARD_BOUNCE_LIMIT": ("hard_bounce_limit", _int(1, 100)),
    "DIGEST_SOFT_BOUNCE_LIMIT": ("soft_bounce_limit", _int(1, 100)),
    "DIGEST_DKIM_KEY_FILE": ("dkim_key_file", _str),
    "DIGEST_DKIM_SELECTOR": ("dkim_selector", _str),
    "DIGEST_DKIM_DOMAIN": ("dkim_domain", _str),
    "DIGEST_LEASE_SECONDS": ("lease_seconds", _int(10, 86400)),
    "DIGEST_TEMPLATES_DIR": ("templates_dir", _folder),
    "DIGEST_BOUNCE_MAILBOX": ("bounce_mailbox", _mailbox),
    "DIGEST_WEBHOOK_SECRET": ("webhook_secret", _shared_secret),
    "DIGEST_LIST_ID": ("list_id", parse_list_id),
    "DIGEST_FEEDBACK_ID": ("feedback_id", _feedback_id),
    "DIGEST_SOURCES": ("sources", _sources),
    "DIGEST_ARXIV_CATEGORIES": ("arxiv_categories", parse_categories),
    "DIGEST_ARXIV_RSS_URL": ("arxiv_rss_url", _url),
    "DIGEST_RETENTION_DAYS": ("retention_days", _int(0, 36500)),
}

assert {f for f, _ in _PARSERS.values()} == {f.name for f in fields(Settings)} - {"explicit"}


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | str | None = ".env"
) -> Settings:
    """Settings from `.env` (if present) overridden by the environment.

    Raises ConfigError with a one-line message naming the first bad setting.
    """
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    given = set()
    for name, (field_name, parse) in _PARSERS.items():
        raw = merged.get(name)
        if raw is None:
            continue
        given.add(name)
        try:
            values[field_name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    settings = Settings(**values, explicit=frozenset(given))
    if "arxiv" in settings.sources and not settings.arxiv_categories:
        raise ConfigError(
            "DIGEST_ARXIV_CATEGORIES: name the categories to follow when DIGEST_SOURCES "
            "includes arxiv, e.g. cs.LG,cs.CL"
        )
    return settings
