"""The emails the pages ask for (a confirmation, a manage link), through the notice queue.

A page queues its notice with the change that asks for it (`digest.delivery.notices`), then
tries to send it in the background of the response; the app retries what is still due every
`retry_seconds`, and so does every worker (`digest run`, `digest worker`). The page never
says an email was sent, only that it is on its way: the mail server may be down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from digest.delivery import notices
from digest.delivery.planning import Db
from digest.reports import RunReport

if TYPE_CHECKING:
    from digest.web.base import WebContext

log = logging.getLogger("digest.web")


def renderer_for(ctx: WebContext) -> Any:
    """The app's one Renderer (it compiles each MJML template once)."""
    return ctx.composer.renderer


def send_notices(ctx: WebContext, ids: Sequence[int] | None = None) -> RunReport:
    """Send the due notices (only `ids`, if given) with a fresh mailer; never raises."""
    try:
        mailer = ctx.mailer_factory()
    except Exception as exc:
        log.exception("no mailer for notices")
        return RunReport("notices", {}, (repr(exc),))
    try:
        report = notices.send_due(
            Db(ctx.engine),
            composer=ctx.composer,
            mailer=mailer,
            now=ctx.clock(),
            owner=ctx.owner,
            ids=ids,
        )
    except Exception as exc:  # the database is down: the notices wait in the queue
        log.exception("sending notices failed")
        return RunReport("notices", {}, (repr(exc),))
    finally:
        close = getattr(mailer, "close", None)
        if callable(close):
            close()
    return report


async def retry_forever(ctx: WebContext, seconds: float) -> None:
    """Send what is due now and every `seconds` (an app lifespan task; cancelled on stop)."""
    while True:
        report = await run_in_threadpool(send_notices, ctx)
        if any(report.counts.values()):
            log.info(report.line())
        await asyncio.sleep(seconds)
