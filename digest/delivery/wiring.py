"""Building the sending side from Settings: composer, mailer, worker (used by CLI and scheduler)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from digest.config import PLACEHOLDER_SECRETS, Settings
from digest.delivery.compose import Composer, Digest
from digest.delivery.worker import Db, Worker
from digest.mail.dkim import DKIM_MISSING, DkimSigner
from digest.mail.mailers import FileMailer, Mailer, SmtpMailer, envelope_sender
from digest.mail.message import domain_of, feedback_id, list_id
from digest.render.renderer import RenderedEmail, Renderer
from digest.store.counters import RateLimiter
from digest.tokens import BounceTags, Links

log = logging.getLogger("digest.delivery")
PREVIEW_FROM = "digest-preview@example.invalid"
PREVIEW_SECRET = "dry-run-preview-key-links-will-not-verify"


def make_composer(
    settings: Settings,
    *,
    preview: bool = False,
    renderer: Renderer | None = None,
    on_rendered: Callable[[Digest, RenderedEmail], Any] | None = None,
) -> Composer:
    """A composer for real mail (sender and secret required) or for previews (placeholders
    stand in for whatever is not configured, so `--dry-run` works on a fresh install)."""
    if preview:
        mail_from = settings.mail_from or PREVIEW_FROM
        secret = settings.secret_key
        if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 16:
            secret = PREVIEW_SECRET
        dkim = None
        envelope_from = parseaddr(settings.return_path or mail_from)[1]
        tags = None
    else:
        mail_from, secret = settings.require_sender(), settings.require_secret()
        settings.require_link_base()  # real emails: links recipients can open
        dkim = DkimSigner.from_settings(settings)
        if dkim is None:
            log.warning(DKIM_MISSING)
        envelope_from = envelope_sender(settings)
        tags = BounceTags(secret, envelope_from)
    return Composer(
        renderer=renderer or Renderer(overrides=settings.templates_dir),
        links=Links(settings.base_url, secret),
        mail_from=mail_from,
        envelope_from=envelope_from,
        domain=domain_of(mail_from),
        send_empty=settings.send_empty,
        dkim=dkim,
        on_rendered=on_rendered,
        bounce_tags=tags,
        list_id=list_id(settings.list_id, mail_from),
        feedback_id=feedback_id("digest", settings.feedback_id, mail_from),
        feedback_sender=settings.feedback_id,
    )


def smtp_mailer(settings: Settings, engine: Engine) -> SmtpMailer:
    """Pooled SMTP connections, rate-limited together with every other worker if configured."""
    return SmtpMailer.from_settings(settings, rate=RateLimiter.from_settings(engine, settings))


def preview_writer(out_dir: Path) -> Callable[[Digest, RenderedEmail], None]:
    """Writes `<delivery id>.html` beside the FileMailer's `<delivery id>.eml`."""

    def write(digest: Digest, email: RenderedEmail) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{digest.row.id}.html").write_text(email.html, encoding="utf-8")

    return write


def make_worker(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime],
    mailer: Mailer | None = None,
    composer: Composer | None = None,
    dry_run_dir: Path | None = None,
    **options: Any,
) -> Worker:
    """A worker on `engine`; with `dry_run_dir` it writes previews and changes nothing."""
    if dry_run_dir is not None:
        composer = composer or make_composer(
            settings, preview=True, on_rendered=preview_writer(dry_run_dir)
        )
        mailer = mailer or FileMailer(dry_run_dir)
        db = Db(engine, dry_run=True)
        options.setdefault("notices", False)  # previews of digests only
    else:
        composer = composer or make_composer(settings)
        mailer = mailer or smtp_mailer(settings, engine)
        db = Db(engine)
    if options.get("subscriber_id") is not None:
        options.setdefault("notices", False)  # `digest send --to`: that subscriber's digest
    return Worker(
        db=db, mailer=mailer, composer=composer, settings=settings, clock=clock, **options
    )
