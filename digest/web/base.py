"""What every page handler shares: the app's dependencies, page rendering, link checking."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from jinja2 import Environment, StrictUndefined, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest import shipped, store
from digest.config import Settings
from digest.delivery.compose import Composer
from digest.render.templates import check_overrides
from digest.render.templates import loader as template_loader
from digest.store.tables import Subscriber
from digest.tokens import BadToken, Links, read_token
from digest.web.forms import csrf_token, set_csrf_cookie
from digest.web.limits import Limits

log = logging.getLogger("digest.web")

TEMPLATES = shipped("templates") / "web"
STATIC = TEMPLATES / "static"


def template_env(overrides: str = "") -> Environment:
    env = Environment(
        loader=template_loader("web", overrides),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    check_overrides(overrides, "web", [env])
    return env


def timezone_names() -> list[str]:
    names = {
        n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/"))
    }
    return ["UTC", *sorted(names)]


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    links: Links
    mailer_factory: Callable[[], Any]
    clock: Callable[[], datetime]
    limits: Limits
    env: Environment
    timezones: list[str]
    composer: Composer  # builds the notices (confirmation, manage link)
    owner: str  # this app's name on the notices it claims
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def secret(self) -> str:
        return self.links.secret

    @property
    def domain(self) -> str:
        return self.composer.domain

    @property
    def secure_cookies(self) -> bool:
        return self.settings.base_url.startswith("https://")


def web(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


Handler = Callable[[Request, FormData | None], Response]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Read a POST's form, then run the handler (which uses the database) in the threadpool."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        form = await read_form(request) if request.method == "POST" else None
        return await run_in_threadpool(handler, request, form)

    return run


MAX_FIELDS = 50  # the largest form has a dozen


async def read_form(request: Request) -> FormData:
    """The posted form; a body that is not one (broken multipart, a file, bad encoding) is a
    400, a body over the limit a 413 (see `forms.BodyLimit`), never a 500."""
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        raise
    except Exception as exc:  # python-multipart's parse errors, undecodable bytes
        log.info("malformed form: %s", exc)
        raise HTTPException(400, "Malformed form data.") from None


def page(
    request: Request,
    name: str,
    status: int = 200,
    background: BackgroundTask | None = None,
    **values: Any,
) -> HTMLResponse:
    """Render a page template; every page gets a CSRF token for its forms."""
    ctx = web(request)
    token = csrf_token(request, ctx.secret)
    html = ctx.env.get_template(name).render(csrf=token, **values)
    response = HTMLResponse(html, status_code=status, background=background)
    set_csrf_cookie(request, response, ctx.secure_cookies)
    return response


def bad_link(request: Request, reason: str = "") -> HTMLResponse:
    """The same plain 400 page for every forged, altered, foreign or expired link; `reason`
    (never about the subscriber) is shown when a valid link asks for something refused."""
    html = web(request).env.get_template("bad_link.html").render(reason=reason)
    return HTMLResponse(html, status_code=400)


def subscriber_for(
    session: Session, ctx: WebContext, purpose: str, token: str
) -> tuple[Subscriber, dict[str, Any]]:
    """The subscriber a link belongs to; BadToken unless the link is valid for them now (its
    token version is the subscriber's: `digest subscribers revoke` bumps it, confirm links
    included; a confirm link is also for the address it was sent to)."""
    payload = read_token(ctx.secret, purpose, token)
    sub = store.get_subscriber_by_public_id(session, public_id=payload["s"])
    if sub is None:
        raise BadToken(f"invalid {purpose} link: no such subscriber")
    if purpose == "confirm" and payload.get("e") != sub.email:
        raise BadToken("invalid confirm link: address changed")
    if payload.get("v") != sub.token_version:
        raise BadToken(f"invalid {purpose} link: revoked")
    return sub, payload


def local(url: str) -> str:
    """The path of one of our own links, for redirects that never leave the site."""
    return urlsplit(url).path


_LABELS = {"keywords:": "Interests:", "exclude:": "Never show papers mentioning:"}


def friendly(message: str) -> str:
    """An input error as the page names its fields ("keywords: ..." -> "Interests: ...")."""
    for prefix, label in _LABELS.items():
        if message.startswith(prefix):
            return label + message[len(prefix) :]
    return message[:1].upper() + message[1:]
