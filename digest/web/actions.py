"""One-click actions from the email: unsubscribe (RFC 8058) and paper feedback.

Mail scanners fetch every GET link, so a GET only shows a button; changes happen on POST.
The exception to CSRF is RFC 8058's one-click POST, which mail providers send with no
cookie: the unguessable signed link is the proof there.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from digest import store
from digest.store.engine import session_scope
from digest.subscribers import lifecycle
from digest.tokens import VOTES, BadToken
from digest.web.base import bad_link, endpoint, local, page, subscriber_for, web
from digest.web.forms import csrf_ok

log = logging.getLogger("digest.web")

ONE_CLICK = ("List-Unsubscribe", "One-Click")


@endpoint
def unsubscribe(request: Request, form: FormData | None) -> Response:
    ctx = web(request)
    token = request.path_params["token"]
    one_click = form is not None and form.get(ONE_CLICK[0]) == ONE_CLICK[1]
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "unsubscribe", token)
            if form is None or not (one_click or csrf_ok(request, form, ctx.secret)):
                expired = form is not None
                return page(
                    request,
                    "unsubscribe.html",
                    email=sub.email,
                    expired=expired,
                    already=sub.status == "unsubscribed",
                )
            lifecycle.unsubscribe(session, sub=sub, now=ctx.clock())
            email = sub.email
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    if one_click:
        return PlainTextResponse(f"Unsubscribed {email}.")
    return page(request, "unsubscribed.html", email=email, token=token)


@endpoint
def resubscribe(request: Request, form: FormData | None) -> Response:
    """POST /unsubscribe/<token>/undo: the "changed my mind" button on the goodbye page."""
    ctx = web(request)
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "unsubscribe", request.path_params["token"])
            assert sub.id is not None
            if not csrf_ok(request, form, ctx.secret):
                return page(
                    request,
                    "unsubscribed.html",
                    400,
                    email=sub.email,
                    token=request.path_params["token"],
                    expired=True,
                )
            lifecycle.reactivate(session, sub=sub, now=ctx.clock())
            manage = local(ctx.links.manage(sub.public_id, sub.token_version))
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    return RedirectResponse(manage + "?resumed=1", status_code=303)


class NotSent(Exception):
    """A feedback link for a paper that was never sent to this subscriber."""


@endpoint
def feedback(request: Request, form: FormData | None) -> Response:
    """GET: a confirm button for "more like this" / "not for me"; POST: record the vote.

    The signed token names the subscriber; the paper and the vote are the query string
    (`?paper=<id>&vote=more|less`), so a vote counts only on a paper sent to them.
    """
    ctx = web(request)
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "feedback", request.path_params["token"])
            assert sub.id is not None
            paper_id = request.query_params.get("paper", "")
            vote = VOTES.get(request.query_params.get("vote", ""))
            if not paper_id or vote is None:
                raise BadToken("invalid feedback link: no paper or vote")
            if not store.was_sent(session, subscriber_id=sub.id, paper_id=paper_id):
                raise NotSent(paper_id)
            title = store.paper_title(session, paper_id=paper_id)
            if title is None:
                raise BadToken(f"invalid feedback link: no paper {paper_id}")
            values: dict[str, Any] = {"title": title, "paper_id": paper_id, "vote": vote}
            if form is None or not csrf_ok(request, form, ctx.secret):
                return page(
                    request, "feedback.html", done=False, expired=form is not None, **values
                )
            store.set_feedback(
                session, subscriber_id=sub.id, paper_id=paper_id, vote=vote, now=ctx.clock()
            )
            manage = local(ctx.links.manage(sub.public_id, sub.token_version))
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    except NotSent as exc:
        log.info("refused: feedback on paper %s, which was not sent to this subscriber", exc)
        reason = f"Paper {exc} was not in a digest sent to you, so feedback on it is not taken."
        return bad_link(request, reason)
    return page(request, "feedback.html", done=True, expired=False, manage=manage, **values)
