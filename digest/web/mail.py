"""The two emails the web pages send: the double opt-in confirmation and a manage link."""

from __future__ import annotations

import logging
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.web.base import WebContext

log = logging.getLogger("digest.web")


class MailNotSent(RuntimeError):
    """The mail server did not accept the message."""


def renderer_for(ctx: WebContext) -> Any:
    """One Renderer per app: it compiles each MJML template once."""
    if "renderer" not in ctx.cache:
        from digest.render.renderer import Renderer

        ctx.cache["renderer"] = Renderer(overrides=ctx.settings.templates_dir)
    return ctx.cache["renderer"]


def _dkim(ctx: WebContext) -> Any:
    if "dkim" not in ctx.cache:
        from digest.mail.dkim import DkimSigner

        ctx.cache["dkim"] = DkimSigner.from_settings(ctx.settings)
    return ctx.cache["dkim"]


def send_confirm(ctx: WebContext, subscriber_id: int, email: str, keywords: str) -> None:
    url = ctx.links.confirm(subscriber_id, email)
    rendered = renderer_for(ctx).confirm(email=email, confirm_url=url, keywords=keywords)
    _send(ctx, "confirm", subscriber_id, email, rendered)


def send_manage_link(ctx: WebContext, subscriber_id: int, email: str, version: int) -> None:
    url = ctx.links.manage(subscriber_id, version)
    rendered = renderer_for(ctx).manage_link(email=email, manage_url=url)
    _send(ctx, "manage", subscriber_id, email, rendered)


def _send(ctx: WebContext, kind: str, subscriber_id: int, to: str, rendered: Any) -> None:
    from digest.mail.mailers import Envelope, envelope_sender
    from digest.mail.message import build_message, domain_of, feedback_id
    from digest.tokens import BounceTags

    key = f"{kind}-{subscriber_id}"
    sender = ctx.settings.require_sender()
    # A bounce of this email (a mistyped address) comes back tagged like a digest's.
    bounce_to = BounceTags(ctx.secret, envelope_sender(ctx.settings)).address(subscriber_id)
    headers = dict(rendered.headers)
    headers["Feedback-ID"] = feedback_id(kind, ctx.settings.feedback_id, sender)
    data = build_message(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers=headers,
        sender=sender,
        to=to,
        message_id=make_msgid(domain=domain_of(sender)),
        date=ctx.clock(),
        dkim=_dkim(ctx),
    )
    mailer = ctx.mailer_factory()
    try:
        results = list(mailer.send_many([Envelope(key, bounce_to, to, data)]))
    finally:
        close = getattr(mailer, "close", None)
        if callable(close):
            close()
    for result in results:
        if result.status != "sent":
            raise MailNotSent(f"{key} to {to}: {result.status} {result.code} {result.detail}")
    log.info("sent %s email to %s", key.split("-")[0], to)
