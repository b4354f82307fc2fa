"""The manage page: preferences, the last digests, feedback given (with undo)."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest import store
from digest.store import SubscriberInput
from digest.store.engine import session_scope
from digest.store.tables import Subscriber
from digest.subscribers import lifecycle
from digest.subscribers.inputs import FREQUENCIES, InputError, make_input
from digest.tokens import BadToken
from digest.web.base import (
    WebContext,
    bad_link,
    endpoint,
    friendly,
    local,
    page,
    subscriber_for,
    web,
)
from digest.web.forms import csrf_ok, text_field
from digest.web.subscribe import hints

log = logging.getLogger("digest.web")

FIELDS = ("keywords", "exclude", "send_at", "timezone", "max_papers", "frequency")
EXPIRED = "This form had expired; please make your changes again."
NOTICES = {
    "welcome": "Your subscription is confirmed. Your first digest comes at your send time.",
    "saved": "Your preferences are saved.",
    "resumed": "Welcome back: your digests are on again.",
    "undone": "Feedback removed.",
}


def _values(sub: Subscriber) -> dict[str, str]:
    return {
        "keywords": sub.keywords,
        "exclude": sub.exclude,
        "send_at": sub.send_at,
        "timezone": sub.timezone,
        "max_papers": str(sub.max_papers),
        "frequency": sub.frequency,
    }


def _context(session: Session, ctx: WebContext, sub: Subscriber) -> dict[str, Any]:
    assert sub.id is not None
    v, pid = sub.token_version, sub.public_id
    deliveries = [
        {
            "date": d.digest_date,
            "status": d.status,
            "papers": len(d.paper_ids),
            "view": local(ctx.links.view(pid, d.digest_date, v)) if d.status == "sent" else "",
        }
        for d in store.recent_deliveries(session, subscriber_id=sub.id)
    ]
    feedback = [
        {"paper_id": fb.paper_id, "title": title or fb.paper_id, "vote": fb.vote}
        for fb, title in store.feedback_of(session, subscriber_id=sub.id)
    ]
    return {
        "sub": sub,
        "deliveries": deliveries,
        "feedback": feedback,
        "feed_url": ctx.links.feed(pid, v),
        "unsubscribe_url": local(ctx.links.unsubscribe(pid, v)),
        "frequencies": FREQUENCIES,
    }


def _manage_page(
    request: Request,
    session: Session,
    sub: Subscriber,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    ctx = web(request)
    notice = NOTICES.get(next(iter(request.query_params), ""), "") if not error else ""
    values = values or _values(sub)
    notes = hints(ctx, values["keywords"])
    return page(
        request,
        "manage.html",
        status,
        values=values,
        error=error,
        notice=notice,
        timezones=ctx.timezones,
        request_path=f"/manage/{request.path_params['token']}",
        **notes._asdict(),
        **_context(session, ctx, sub),
    )


@endpoint
def manage(request: Request, form: FormData | None) -> Response:
    ctx = web(request)
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "manage", request.path_params["token"])
            if form is None:
                return _manage_page(request, session, sub)
            values = {name: text_field(form, name) for name in FIELDS}
            if not csrf_ok(request, form, ctx.secret):
                return _manage_page(request, session, sub, values, EXPIRED, 400)
            try:
                value = _validate(sub, values)
            except InputError as exc:
                return _manage_page(request, session, sub, values, friendly(str(exc)), 400)
            store.set_preferences(session, sub=sub, value=value, now=ctx.clock())
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    return RedirectResponse(request.url.path + "?saved=1", status_code=303)


def _validate(sub: Subscriber, values: dict[str, str]) -> SubscriberInput:
    return make_input(
        sub.email,
        values["keywords"],
        values["exclude"],
        values["send_at"] or None,
        values["timezone"] or None,
        values["max_papers"] or None,
        values["frequency"] or None,
    )


@endpoint
def resume(request: Request, form: FormData | None) -> Response:
    """POST /manage/<token>/resume: the owner turns their digests back on."""
    return _action(request, form, "resume")


@endpoint
def undo_feedback(request: Request, form: FormData | None) -> Response:
    """POST /manage/<token>/undo with paper_id: forget one "more like this"/"not for me"."""
    return _action(request, form, "undo")


def _action(request: Request, form: FormData | None, action: str) -> Response:
    ctx = web(request)
    token = request.path_params["token"]
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "manage", token)
            assert sub.id is not None
            if not csrf_ok(request, form, ctx.secret):
                return _manage_page(request, session, sub, None, EXPIRED, 400)
            if action == "resume":
                lifecycle.reactivate(session, sub=sub, now=ctx.clock())
            else:
                paper_id = text_field(form, "paper_id", 32)
                store.delete_feedback(session, subscriber_id=sub.id, paper_id=paper_id)
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    notice = "resumed" if action == "resume" else "undone"
    return RedirectResponse(f"/manage/{token}?{notice}=1", status_code=303)
