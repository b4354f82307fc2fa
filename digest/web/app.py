"""The web pages (Starlette): subscribe, confirm, manage, unsubscribe, feedback, view, feed;
and the bounce webhook for email services.

`create_app` builds the app from injected edges (settings, engine, mailer, clock); `serve`
runs it with uvicorn (blocking) and `start_in_thread` runs it beside the scheduler.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from digest.config import Settings
from digest.delivery.wiring import make_composer
from digest.delivery.worker import worker_name
from digest.render.renderer import Renderer
from digest.web import actions, feed, manage, subscribe, webhooks
from digest.web.base import STATIC, WebContext, template_env, timezone_names
from digest.web.forms import MAX_BODY, BodyLimit, SecurityHeaders, http_error, server_error
from digest.web.limits import Limits
from digest.web.mail import retry_forever

MailerFactory = Callable[[], Any]


def smtp_mailer_factory(settings: Settings, engine: Engine) -> MailerFactory:
    """One connection per email (the pages send a few, never a batch), within the shared
    sending rate (DIGEST_RATE_PER_SECOND / _PER_HOUR) that digests use too."""

    def factory() -> Any:
        from digest.mail.mailers import SmtpMailer
        from digest.mail.smtp import SmtpOptions
        from digest.store.counters import RateLimiter

        rate = RateLimiter.from_settings(engine, settings)
        return SmtpMailer(SmtpOptions.from_settings(settings), connections=1, rate=rate)

    return factory


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    engine: Engine,
    mailer_factory: MailerFactory | None = None,
    clock: Callable[[], datetime] = _utcnow,
    limits: Limits | None = None,
    retry_seconds: float = 60.0,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The ASGI app; raises ConfigError when DIGEST_SECRET_KEY, DIGEST_FROM or DIGEST_BASE_URL
    cannot make the emails the pages send. While it runs, queued notices are retried every
    `retry_seconds` (0: only by workers)."""
    composer = make_composer(settings, renderer=Renderer(overrides=settings.templates_dir))
    routes = [
        Route("/", subscribe.subscribe_form, methods=["GET"]),
        Route("/", subscribe.subscribe, methods=["POST"]),
        Route("/preview", subscribe.preview, methods=["GET"]),
        Route("/confirm/{token}", subscribe.confirm, methods=["GET", "POST"]),
        Route("/manage/{token}", manage.manage, methods=["GET", "POST"]),
        Route("/manage/{token}/resume", manage.resume, methods=["POST"]),
        Route("/manage/{token}/undo", manage.undo_feedback, methods=["POST"]),
        Route("/unsubscribe/{token}", actions.unsubscribe, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}/undo", actions.resubscribe, methods=["POST"]),
        Route("/feedback/{token}", actions.feedback, methods=["GET", "POST"]),
        Route("/view/{token}", feed.view, methods=["GET"]),
        Route("/feed/{token}", feed.feed, methods=["GET"]),
        Route("/webhooks/bounces", webhooks.bounces, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    ctx = WebContext(
        settings=settings,
        engine=engine,
        links=composer.links,
        mailer_factory=mailer_factory or smtp_mailer_factory(settings, engine),
        clock=clock,
        limits=limits or Limits(),
        env=template_env(settings.templates_dir),
        timezones=timezone_names(),
        composer=composer,
        owner=f"web:{worker_name()}",
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(retry_forever(ctx, retry_seconds)) if retry_seconds else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(BodyLimit, max_bytes=max_body)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.web = ctx
    return app


def _server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
    return uvicorn.Server(config)


def serve(settings: Settings, engine: Engine, host: str, port: int, **kwargs: Any) -> None:
    """Serve the pages until interrupted (blocking)."""
    _server(create_app(settings, engine, **kwargs), host, port).run()


def start_in_thread(
    settings: Settings, engine: Engine, host: str, port: int, **kwargs: Any
) -> tuple[uvicorn.Server, threading.Thread]:
    """Serve in a daemon thread; returns once listening. Stop with `server.should_exit = True`."""
    server = _server(create_app(settings, engine, **kwargs), host, port)
    thread = threading.Thread(target=server.run, name="digest-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web server did not start on {host}:{port}")
        time.sleep(0.02)
    return server, thread
