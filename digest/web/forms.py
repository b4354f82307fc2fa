"""Form safety for the web pages: CSRF tokens, security headers, client address.

CSRF: a random value lives in an HttpOnly cookie; every form carries that value signed with
DIGEST_SECRET_KEY (itsdangerous, its own salt). A POST is accepted only when the signed form
field matches the cookie, so another site can neither read nor forge the pair.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf"
CSRF_MAX_AGE = 2 * 24 * 3600

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="digest.csrf")


def csrf_token(request: Request, secret: str) -> str:
    """The signed token for forms on this page; creates the cookie value when missing."""
    value = getattr(request.state, "csrf_value", None) or request.cookies.get(CSRF_COOKIE)
    if not value or len(value) > 100:
        value = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_value = value
    return str(_signer(secret).dumps(value))


def set_csrf_cookie(request: Request, response: Response, secure: bool) -> None:
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_value,
            max_age=CSRF_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )


def csrf_ok(request: Request, form: Mapping[str, Any] | None, secret: str) -> bool:
    if form is None:
        return False
    cookie = request.cookies.get(CSRF_COOKIE)
    token = form.get(CSRF_FIELD)
    if not cookie or not isinstance(token, str):
        return False
    try:
        signed = _signer(secret).loads(token, max_age=CSRF_MAX_AGE)
    except BadData:
        return False
    return isinstance(signed, str) and secrets.compare_digest(signed, cookie)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def text_field(form: Mapping[str, Any] | None, name: str, limit: int = 2000) -> str:
    """A form field as text (files and missing fields become ""), cut to `limit` characters."""
    value = form.get(name) if form is not None else None
    return value[:limit] if isinstance(value, str) else ""


MAX_BODY = 64 * 1024  # bytes: the largest form is a few kilobytes


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413 before the app parses it: at once when
    Content-Length says so, otherwise as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0 or size > self.max_bytes:
                status, text = (
                    (413, "Request body too large.") if size > 0 else (400, "Bad request.")
                )
                await PlainTextResponse(text, status)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # the app's error handling answers 413
                    raise HTTPException(413, "Request body too large.")
            return message

        await self.app(scope, limited, send)


async def http_error(request: Request, exc: Exception) -> Response:
    """Errors as short plain pages (the security headers are added on the way out)."""
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: one plain line, no traceback, with the security headers (this
    answer leaves outside the SecurityHeaders middleware, so it carries them itself)."""
    headers = SECURITY_HEADERS | {"cache-control": "no-store"}
    return PlainTextResponse(
        "Something went wrong on our side; please try again later.", 500, headers=headers
    )


class SecurityHeaders:
    """Adds the security headers and a caching rule to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # Pages carry signed links and personal data: never cached. CSS and JS may be.
        static = scope["path"].startswith("/static/")
        cache = b"public, max-age=3600" if static else b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", cache))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
