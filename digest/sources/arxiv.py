"""The arXiv announcement: GET {base}/{categories joined by +} returns RSS 2.0 of the latest
announcement (up to 2,000 items), the format of arXiv's RSS specification.

Per item: `link` https://arxiv.org/abs/ID, `guid` oai:arXiv.org:IDvN, `description`
"arXiv:IDvN Announce Type: TYPE" then "Abstract: ...", `arxiv:announce_type` new | cross |
replace | replace-cross, `dc:creator` the authors separated by commas, one `category` per
category. The listing day of every item is the feed's announcement date (the channel's
`pubDate`, in arXiv's own time zone). Weekends and holidays have no announcement: a feed
without items is an empty listing, not an error.

The feed is untrusted XML: defusedxml parses it (no entity expansion, no external entities).
A body that is not well-formed (garbage, or a feed cut short) is a SourceError: nothing of it
is stored. arXiv's terms ask for one request at a time, at least 3 seconds apart, from all of
a site's machines together; all categories go in one request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import httpx
from defusedxml import DefusedXmlException

from digest.papers import ANNOUNCE_TYPES, ListedPaper
from digest.sources.errors import SourceError
from digest.sources.http import PoliteGetter
from digest.sources.http import make_client as make_http_client

MIN_INTERVAL = 3.0  # seconds between two requests to arXiv, start to start
ACCEPT = "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8"
ARXIV_NS = "http://arxiv.org/schemas/atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
MAX_ID = 32  # the paper table's key length

_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v(\d+))?$", re.IGNORECASE)
_ABS = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/abs/(\S+?)/?$", re.IGNORECASE)
_GUID = re.compile(r"^oai:arXiv\.org:(\S+)$", re.IGNORECASE)
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:(?P<abstract>.*))?$",
    re.DOTALL | re.IGNORECASE,
)
_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass(frozen=True)
class Announcement:
    """One announcement as the feed lists it."""

    day: date | None  # the announcement date; None when the feed announces nothing
    papers: tuple[ListedPaper, ...]
    skipped: tuple[str, ...] = ()  # one reason per malformed item
    url: str = ""


def make_client(timeout: float = 30.0) -> httpx.Client:
    """An HTTP client that asks for RSS, with digest's User-Agent."""
    return make_http_client(timeout, accept=ACCEPT)


def polite_getter(client: httpx.Client, **kw: Any) -> PoliteGetter:
    """A getter that keeps arXiv's terms: one request at a time, MIN_INTERVAL s apart."""
    return PoliteGetter(client, **({"min_interval": MIN_INTERVAL} | kw))


@dataclass(frozen=True)
class ArxivFeed:
    """The announcement feed of `categories` at `base_url`, read through `getter` (built by
    `polite_getter`, which spaces requests MIN_INTERVAL apart)."""

    getter: PoliteGetter
    base_url: str
    categories: tuple[str, ...]
    name: str = field(default="arxiv", init=False)

    def latest(self, asked_on: date) -> Announcement:
        return fetch_announcement(self.getter, self.base_url, self.categories, asked_on=asked_on)


def feed_url(base_url: str, categories: tuple[str, ...] | list[str]) -> str:
    """All categories in one request: {base}/cs.LG+cs.CL."""
    if not categories:
        raise ValueError("no arXiv category to follow")
    return f"{base_url.rstrip('/')}/{'+'.join(categories)}"


def fetch_announcement(
    getter: PoliteGetter, base_url: str, categories: tuple[str, ...], *, asked_on: date
) -> Announcement:
    """The latest announcement of `categories`. Raises SourceError naming the feed and date."""
    url = feed_url(base_url, categories)
    what = f"arxiv {'+'.join(categories)} (fetched {asked_on.isoformat()})"
    response = getter.get(url, {}, what)
    if response.status_code != 200:
        raise SourceError(f"{what}: HTTP {response.status_code} {_snippet(response.text)}")
    announcement = parse_feed(response.content, what)
    return Announcement(announcement.day, announcement.papers, announcement.skipped, url)


def parse_feed(body: bytes | str, what: str = "arxiv") -> Announcement:
    """An RSS document to an Announcement; malformed items are skipped with a reason.

    Raises SourceError when the document is not well-formed XML, not RSS, or lists papers
    without saying on which day.
    """
    try:
        root = SafeET.fromstring(body)
    except ParseError as exc:
        raise SourceError(
            f"{what}: not a well-formed feed (garbage or cut short: {exc}); nothing stored"
        ) from None
    except DefusedXmlException as exc:
        raise SourceError(f"{what}: refused XML ({type(exc).__name__}); nothing stored") from None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise SourceError(f"{what}: not an RSS feed (root element <{root.tag}>); nothing stored")
    items = channel.findall("item")
    day = _announcement_day(channel, items)
    if not items:
        return Announcement(day, ())
    if day is None:
        raise SourceError(f"{what}: the feed gives no announcement date; nothing stored")
    papers: list[ListedPaper] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            papers.append(parse_item(item, day))
        except ValueError as exc:
            skipped.append(f"{what} item {index}: {exc}")
    return Announcement(day, tuple(papers), tuple(skipped))


def _announcement_day(channel: Element, items: list[Element]) -> date | None:
    """The channel's pubDate; else the items' (all the same in arXiv's feeds); else the
    last build date."""
    for raw in (
        channel.findtext("pubDate"),
        *(item.findtext("pubDate") for item in items[:1]),
        channel.findtext("lastBuildDate"),
    ):
        when = _rfc822(raw)
        if when is not None:
            return when.date()  # in the feed's own offset: arXiv's announcement date
    return None


def parse_item(item: Element, day: date) -> ListedPaper:
    """One <item> to a ListedPaper; raises ValueError when it is malformed."""
    description = _text(item.findtext("description"))
    described = _DESCRIPTION.match(item.findtext("description") or "")
    paper_id, version = _identity(item, described)
    announce = _text(item.findtext(f"{{{ARXIV_NS}}}announce_type")).lower()
    if not announce and described:
        announce = described.group("type").lower()
    if announce not in ANNOUNCE_TYPES:
        raise ValueError(f"{paper_id}: unknown announce type {announce!r}")
    title = _text(item.findtext("title"))
    if not title:
        raise ValueError(f"{paper_id}: empty title")
    if described and described.group("abstract") is not None:
        abstract = _text(described.group("abstract"))
    else:
        _, found, rest = description.partition("Abstract:")
        abstract = _text(rest) if found else ""
    categories = [_text(c.text) for c in item.findall("category")]
    return ListedPaper(
        id=paper_id,
        title=title,
        abstract=abstract,
        listing_day=day,
        authors=tuple(split_authors(item.findtext(f"{{{DC_NS}}}creator") or "")),
        published_at=_rfc822(item.findtext("pubDate")),
        source="arxiv",
        categories=tuple(dict.fromkeys(c for c in categories if c)),
        version=version,
        announce=announce,
    )


def _identity(item: Element, described: re.Match[str] | None) -> tuple[str, int | None]:
    """(arXiv id without version, version) from the link, the guid and the description,
    which must agree."""
    found: list[tuple[str, int | None]] = []
    link = _ABS.match(_text(item.findtext("link")))
    guid = _GUID.match(_text(item.findtext("guid")))
    for raw in (
        link.group(1) if link else None,
        guid.group(1) if guid else None,
        described.group("id") if described else None,
    ):
        if raw is None:
            continue
        match = _ID.match(raw)
        if not match:
            raise ValueError(f"bad arXiv id {raw!r}")
        found.append((match.group(1), int(match.group(2)) if match.group(2) else None))
    if not found:
        raise ValueError("no arXiv id (no abs link, guid or 'arXiv:' description)")
    ids = {i for i, _ in found}
    if len(ids) > 1:
        raise ValueError(f"the link, guid and description name different papers {sorted(ids)}")
    paper_id = found[0][0]
    if len(paper_id) > MAX_ID:
        raise ValueError(f"arXiv id {paper_id!r} is too long")
    versions = [v for _, v in found if v is not None]
    return paper_id, max(versions) if versions else None


def split_authors(creator: str) -> list[str]:
    """ "Ada Lovelace, Alan Turing and Grace Hopper" -> three names."""
    return [" ".join(n.split()) for n in _AUTHOR_SPLIT.split(creator.strip()) if n.strip()]


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _rfc822(raw: str | None) -> datetime | None:
    if not raw or not raw.strip():
        return None
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:80] + ("..." if len(flat) > 80 else ""))
