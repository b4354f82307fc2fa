"""Joining: the subscribe page, its live preview, and the double opt-in confirmation."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from digest import store
from digest.delivery import notices
from digest.papers import PaperText
from digest.ranking import Notes, Profile, select_expansions
from digest.store import SubscriberInput
from digest.store.counters import prune
from digest.store.engine import session_scope
from digest.subscribers import lifecycle
from digest.subscribers.inputs import InputError, make_input, normalize_keywords
from digest.subscribers.lifecycle import subscriber_defaults
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
from digest.web.forms import client_ip, csrf_ok, text_field
from digest.web.limits import allow
from digest.web.mail import send_notices

log = logging.getLogger("digest.web")

FIELDS = ("email", "keywords", "exclude", "send_at", "timezone", "max_papers", "frequency")
PREVIEW_DAYS = 7
PRUNED_PREFIXES = ("subscribe:", "email:")
PREVIEW_TOP = 10
PREVIEW_NEAR = 3  # near misses shown below the preview
PREVIEW_CACHE_SECONDS = 60.0


def _form_defaults(ctx: WebContext) -> dict[str, str]:
    s = ctx.settings
    return {
        "email": "",
        "keywords": "",
        "exclude": "",
        "send_at": s.send_at,
        "timezone": s.timezone,
        "max_papers": str(s.max_papers),
        "frequency": "daily",
    }


def _subscribe_page(
    request: Request, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    ctx = web(request)
    return page(
        request, "subscribe.html", status, values=values, error=error, timezones=ctx.timezones
    )


def subscribe_form(request: Request) -> Response:
    return _subscribe_page(request, _form_defaults(web(request)))


@endpoint
def subscribe(request: Request, form: FormData | None) -> Response:
    ctx = web(request)
    values = {name: text_field(form, name) for name in FIELDS}
    if not csrf_ok(request, form, ctx.secret):
        error = "This form had expired; please check your details and submit it again."
        return _subscribe_page(request, values, error, 400)
    if text_field(form, "website"):  # a field people never see: only bots fill it in
        return page(request, "check_inbox.html", email=values["email"])
    try:
        value = _validate(values)
    except InputError as exc:
        return _subscribe_page(request, values, friendly(str(exc)), 400)
    now = ctx.clock()
    limits = ctx.limits
    ip = client_ip(request)
    if not allow(ctx.engine, f"subscribe:ip:{ip}", limits.subscribe_per_ip, now):
        error = "Too many sign-ups from your network just now; please try again in an hour."
        return _subscribe_page(request, values, error, 429)
    if not allow(ctx.engine, f"subscribe:to:{value.email}", limits.subscribe_per_address, now):
        error = "We have already sent several emails to this address today; check your inbox."
        return _subscribe_page(request, values, error, 429)
    _prune_hourly(ctx, now)
    if not (
        allow(ctx.engine, f"email:to:{value.email}", limits.emails_per_address, now)
        and allow(ctx.engine, f"email:ip:{ip}", limits.emails_per_ip, now)
    ):  # say so: the page must not promise an email that will not come
        error = (
            "We have just sent several emails to this address (or from your network), so we "
            "will not send another now; use the link in one of them, or try again in an hour."
        )
        return _subscribe_page(request, values, error, 429)
    notice = _register(ctx, value, now)
    task = BackgroundTask(send_notices, ctx, [notice]) if notice is not None else None
    return page(request, "check_inbox.html", background=task, email=value.email)


def _validate(values: dict[str, str]) -> SubscriberInput:
    if values["frequency"] not in ("daily", "weekly"):
        raise InputError("frequency: choose daily or weekly")
    return make_input(
        values["email"],
        values["keywords"],
        values["exclude"],
        values["send_at"] or None,
        values["timezone"] or None,
        values["max_papers"] or None,
        values["frequency"],
    )


def _register(ctx: WebContext, value: SubscriberInput, now: datetime) -> int | None:
    """Store a new (pending) subscriber and queue the email the address should get, in one
    transaction; the notice's id, or None when the address gets nothing.

    An existing address is never changed by this anonymous form (pending ones excepted: they
    have nothing to protect yet); its owner gets a manage link instead.
    """
    s = ctx.settings
    defaults = subscriber_defaults(s.send_at, s.timezone, s.max_papers)
    with session_scope(ctx.engine) as session:
        sub = store.get_subscriber(session, email=value.email)
        if sub is None or sub.status == "pending":
            sub = lifecycle.sign_up(session, value=value, now=now, defaults=defaults)
            kind = "confirm"
        elif sub.status == "suppressed":
            return None  # the address bounced: mailing it again only hurts our reputation
        else:
            kind = "manage"
        assert sub.id is not None
        return notices.enqueue(session, subscriber_id=sub.id, kind=kind, now=now, domain=ctx.domain)


def _prune_hourly(ctx: WebContext, now: datetime) -> None:
    """Drop old per-address / per-client counters so the table does not grow forever."""
    last = ctx.cache.get("pruned_at")
    if last is not None and now - last < timedelta(hours=1):
        return
    ctx.cache["pruned_at"] = now
    before = now - timedelta(seconds=2 * ctx.limits.longest)
    prune(ctx.engine, PRUNED_PREFIXES, before)


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class _Recent:
    """The last week's papers, indexed for ranking; rebuilt at most once a minute."""

    key: object
    built: float
    index: Any
    shown: dict[str, dict[str, Any]]  # what the preview shows of each paper, by id


def _recent(ctx: WebContext) -> _Recent:
    from digest.ranking import build_index

    since = (ctx.clock() - timedelta(days=PREVIEW_DAYS)).date()
    cached: _Recent | None = ctx.cache.get("preview")
    if cached and cached.key == since and time.monotonic() - cached.built < PREVIEW_CACHE_SECONDS:
        return cached
    with session_scope(ctx.engine) as session:
        papers = store.paper_texts(session, listing_from=since)
        sources = store.paper_sources(session, listing_from=since)
        acronyms = select_expansions(store.acronym_counts(session))
    shown = _shown(papers, sources)
    fresh = _Recent(since, time.monotonic(), build_index(papers, acronyms), shown)
    ctx.cache["preview"] = fresh
    return fresh


def _shown(papers: list[PaperText], sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Title and source of each paper: a Hugging Face paper shows its upvotes, an arXiv-only
    one its categories (the preview covers papers from both listings)."""
    out: dict[str, dict[str, Any]] = {}
    for p in papers:
        source = sources.get(p.id, "hf")
        on_hf = "hf" in source.split(",")
        out[p.id] = {
            "title": p.title,
            "source": source,
            "upvotes": p.upvotes if on_hf else None,
            "categories": list(p.categories),
        }
    return out


def hints(ctx: WebContext, keywords: str) -> Notes:
    """Notes on interests that match a large share of this week's papers, on those that
    match none of them, and on acronyms of several meanings ("" where nothing to say)."""
    from digest.ranking import breadth_notes

    return breadth_notes(_recent(ctx).index, keywords)


def _preview(
    ctx: WebContext, keywords: str, exclude: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The week's best matches, then its best near misses: papers holding words of an
    interest without the interest (never sent), with the words found, so a subscriber sees
    the wording papers use and can add it as an interest of its own."""
    from digest.ranking import near_misses, rank_profiles

    recent = _recent(ctx)
    profile = Profile(key="preview", keywords=keywords, exclude=exclude, max_papers=PREVIEW_TOP)
    ranked = rank_profiles(recent.index, [profile])[0][:PREVIEW_TOP]
    papers = [
        {"id": r.paper_id, **recent.shown[r.paper_id], "matched": list(r.matched)} for r in ranked
    ]
    missed = near_misses(recent.index, profile, PREVIEW_NEAR, [r.paper_id for r in ranked])
    near = [
        {
            "id": m.paper_id,
            "title": recent.shown[m.paper_id]["title"],
            "found": [{"interest": i, "words": list(words)} for i, words in m.found],
        }
        for m in missed
    ]
    return papers, near


def preview(request: Request) -> Response:
    """Ranked titles of the last week's papers for the keywords being typed."""
    ctx = web(request)
    try:
        keywords = normalize_keywords(request.query_params.get("keywords", "")[:2000])
        exclude = normalize_keywords(
            request.query_params.get("exclude", "")[:2000], what="exclude", required=False
        )
    except InputError as exc:
        return JSONResponse({"papers": [], "near": [], "error": str(exc)})
    papers, near = _preview(ctx, keywords, exclude)
    notes = hints(ctx, keywords)
    return JSONResponse(
        {
            "papers": papers,
            "near": near,
            "error": "",
            "days": PREVIEW_DAYS,
            "top": PREVIEW_TOP,
            **notes._asdict(),
        }
    )


# --------------------------------------------------------------------------- confirm


@endpoint
def confirm(request: Request, form: FormData | None) -> Response:
    """GET shows a button (mail scanners fetch links); POST activates the subscription."""
    ctx = web(request)
    token = request.path_params["token"]
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "confirm", token)
            assert sub.id is not None
            manage = local(ctx.links.manage(sub.public_id, sub.token_version))
            if sub.status == "active":
                return RedirectResponse(manage, status_code=303)
            if sub.status != "pending":
                raise BadToken("confirm link for a subscriber who left")
            if form is None or not csrf_ok(request, form, ctx.secret):
                expired = form is not None
                return page(request, "confirm.html", email=sub.email, expired=expired)
            lifecycle.confirm(session, sub=sub, now=ctx.clock())
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    return RedirectResponse(manage + "?welcome=1", status_code=303)
