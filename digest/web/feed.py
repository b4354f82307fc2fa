"""A subscriber's digests on the web: the browser copy of one digest and a private Atom feed."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest import store
from digest.papers import PaperText
from digest.ranking import Profile, ScoredPaper
from digest.render.context import paper_url as link_for
from digest.store.engine import session_scope
from digest.store.tables import Delivery, Paper, Subscriber
from digest.tokens import BadToken
from digest.web.base import WebContext, bad_link, subscriber_for, web
from digest.web.mail import renderer_for

log = logging.getLogger("digest.web")

ATOM = "http://www.w3.org/2005/Atom"
VIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ET.register_namespace("", ATOM)


def paper_url(paper: Paper) -> str:
    """The page a paper links to: Hugging Face's when it listed the paper, else arXiv's."""
    return link_for(paper.id, "hf" in paper.source.split(","))


def _papers(session: Session, delivery: Delivery) -> list[Paper]:
    found = store.papers_by_id(session, ids=delivery.paper_ids)
    return [found[i] for i in delivery.paper_ids if i in found]


def view(request: Request) -> Response:
    """The digest as it was emailed, re-rendered from the papers the delivery recorded."""
    ctx = web(request)
    try:
        with session_scope(ctx.engine) as session:
            sub, payload = subscriber_for(session, ctx, "view", request.path_params["token"])
            assert sub.id is not None
            try:
                day = date.fromisoformat(str(payload.get("d")))
            except ValueError:
                raise BadToken("invalid view link: no digest date") from None
            delivery = store.delivery_of(session, subscriber_id=sub.id, digest_date=day)
            if delivery is None or delivery.status != "sent":
                raise BadToken("invalid view link: no such digest")
            html = _web_copy(ctx, sub, delivery, _papers(session, delivery))
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    # The email's own HTML: inline styles and remote thumbnails, never scripts.
    return HTMLResponse(html, headers={"content-security-policy": VIEW_CSP})


def _web_copy(ctx: WebContext, sub: Subscriber, delivery: Delivery, papers: list[Paper]) -> str:
    from digest.render.renderer import build_digest_context

    assert sub.id is not None
    explained = _explain(sub, papers)
    pairs = [(p, explained.get(p.id) or ScoredPaper(p.id, 0.0, 0.0, 0.0)) for p in papers]
    digest = build_digest_context(
        email=sub.email,
        keywords=sub.keywords,
        papers=pairs,
        total_new=len(pairs),
        digest_date=delivery.digest_date,
        links=ctx.links,
        public_id=sub.public_id,
        token_version=sub.token_version,
        view_link=False,  # this is the browser copy: no "view in browser" link
    )
    renderer = renderer_for(ctx)
    return str((renderer.digest(digest) if pairs else renderer.empty(digest)).html)


def _explain(sub: Subscriber, papers: list[Paper]) -> dict[str, ScoredPaper]:
    """Why each paper matches the subscriber's keywords (as they read now)."""
    from digest.ranking import rank_papers
    from digest.ranking.interests import InterestError

    if not papers:
        return {}
    texts = [
        PaperText(
            p.id,
            p.title,
            p.abstract,
            p.upvotes,
            authors=tuple(p.authors),
            categories=tuple(p.categories),
        )
        for p in papers
    ]
    profile = Profile(key=sub.id or 0, keywords=sub.keywords, max_papers=len(texts))
    try:
        return {s.paper_id: s for s in rank_papers(texts, profile)}
    except InterestError:  # keywords stored before the interest language got stricter
        return {}


def feed(request: Request) -> Response:
    ctx = web(request)
    try:
        with session_scope(ctx.engine) as session:
            sub, _ = subscriber_for(session, ctx, "feed", request.path_params["token"])
            assert sub.id is not None
            entries = [
                (d, _papers(session, d))
                for d in store.sent_deliveries(session, subscriber_id=sub.id)
            ]
    except BadToken as exc:
        log.info("refused: %s", exc)
        return bad_link(request)
    xml = atom_feed(ctx, sub, entries)
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


def _stamp(d: Delivery) -> str:
    when = d.sent_at or datetime.combine(d.digest_date, time(0), UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What XML 1.0 cannot hold at all (ElementTree would write it and break the document).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml(text)
    return el


def _entry_html(ctx: WebContext, papers: list[Paper]) -> str:
    item = ctx.env.from_string(
        '<li><a href="{{ url }}">{{ p.title }}</a>'
        '{% if p.authors %} — {{ p.authors[:3]|join(", ") }}{% endif %}</li>'
    )
    rows = "".join(item.render(p=p, url=paper_url(p)) for p in papers)
    return f"<ul>{rows}</ul>"


def atom_feed(
    ctx: WebContext, sub: Subscriber, entries: list[tuple[Delivery, list[Paper]]]
) -> bytes:
    """An Atom 1.0 document: one entry per sent digest, newest first."""
    assert sub.id is not None
    host = urlsplit(ctx.settings.base_url).hostname or "localhost"
    root = ET.Element(f"{{{ATOM}}}feed")
    _sub(root, "id", f"tag:{host},2026:digest/feed/{sub.public_id}")
    _sub(root, "title", f"Paper digest for {sub.keywords}")
    _sub(root, "updated", _stamp(entries[0][0]) if entries else _stamp_now(ctx))
    author = _sub(root, "author")
    _sub(author, "name", "digest")
    _sub(root, "link", rel="self", href=ctx.links.feed(sub.public_id, sub.token_version))
    _sub(root, "generator", "digest")
    for delivery, papers in entries:
        entry = _sub(root, "entry")
        day = delivery.digest_date.isoformat()
        _sub(entry, "id", f"tag:{host},2026:digest/{sub.public_id}/{day}")
        count = f"{len(papers)} paper{'s' if len(papers) != 1 else ''}"
        _sub(entry, "title", f"Digest of {delivery.digest_date.isoformat()}: {count}")
        _sub(entry, "updated", _stamp(delivery))
        view = ctx.links.view(sub.public_id, delivery.digest_date, sub.token_version)
        _sub(entry, "link", rel="alternate", type="text/html", href=view)
        for p in papers:
            _sub(entry, "link", rel="related", href=paper_url(p), title=p.title)
        _sub(entry, "content", _entry_html(ctx, papers), type="html")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _stamp_now(ctx: WebContext) -> str:
    return ctx.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
