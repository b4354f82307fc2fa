"""`POST /webhooks/bounces`: bounces and complaints from an email service, as signed JSON
(the format is in digest.bounces.webhook; the README shows how to connect a service).

Off (404) unless DIGEST_WEBHOOK_SECRET is set. No CSRF token or cookie: the signature with
the shared secret is the proof, checked before anything is read.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from digest.bounces import Limits, WebhookError, parse_events, process_events, verify
from digest.bounces.webhook import MAX_BODY
from digest.tokens import BounceTags
from digest.web.base import web

log = logging.getLogger("digest.web")


async def bounces(request: Request) -> Response:
    ctx = web(request)
    secret = ctx.settings.webhook_secret
    if not secret:
        return PlainTextResponse("Not Found", status_code=404)
    try:
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            raise WebhookError(413, f"the body is larger than {MAX_BODY} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise WebhookError(413, f"the body is larger than {MAX_BODY} bytes")
        verify(
            secret,
            timestamp=request.headers.get("x-digest-timestamp", ""),
            sig=request.headers.get("x-digest-signature", ""),
            body=body,
            now=ctx.clock(),
        )
        events = parse_events(body)
    except WebhookError as exc:
        log.warning("webhook refused (%d): %s", exc.status, exc)
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    except ValueError:
        return JSONResponse({"error": "Content-Length: not a number"}, status_code=400)
    report = await run_in_threadpool(
        process_events,
        ctx.engine,
        events,
        tags=BounceTags(ctx.secret),
        limits=Limits.from_settings(ctx.settings),
        now=ctx.clock(),
    )
    log.info(report.line())
    return JSONResponse(report.counts)
