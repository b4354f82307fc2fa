"""The Hugging Face daily-papers listing: GET {base}/api/daily_papers?date=D&p=N&limit=M."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from digest.papers import ListedPaper
from digest.sources.errors import SourceError
from digest.sources.http import PoliteGetter

PAGE_SIZE = 100
MAX_PAGES = 100
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(v\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class DayListing:
    day: date
    papers: tuple[ListedPaper, ...]
    skipped: tuple[str, ...]  # one reason per malformed item
    pages: int


@dataclass(frozen=True)
class HfListing:
    """The Hugging Face daily-papers listing at `base_url`, read through `getter`."""

    getter: PoliteGetter
    base_url: str
    name: str = field(default="hf", init=False)

    def day(self, day: date) -> DayListing:
        return fetch_day(self.getter, self.base_url, day)


def fetch_day(
    getter: PoliteGetter, base_url: str, day: date, page_size: int = PAGE_SIZE
) -> DayListing:
    """Every paper listed on `day`, paging until a short page. Raises SourceError."""
    url = f"{base_url.rstrip('/')}/api/daily_papers"
    papers: list[ListedPaper] = []
    skipped: list[str] = []
    seen_pages: set[tuple[str, ...]] = set()
    for page in range(MAX_PAGES):
        what = f"{day.isoformat()} page {page}"
        response = getter.get(url, {"date": day.isoformat(), "p": page, "limit": page_size}, what)
        if response.status_code != 200:
            raise SourceError(f"{what}: HTTP {response.status_code} {_snippet(response.text)}")
        items = _json_array(response, what)
        ids = tuple(str(i.get("paper", {}).get("id")) if isinstance(i, dict) else "" for i in items)
        if items and ids in seen_pages:
            break  # the server ignores paging and repeats itself
        seen_pages.add(ids)
        for index, item in enumerate(items):
            try:
                papers.append(parse_item(item, day))
            except (KeyError, TypeError, ValueError) as exc:
                skipped.append(f"{what} item {index}: {exc}")
        if len(items) < page_size:
            return DayListing(day, tuple(papers), tuple(skipped), page + 1)
    return DayListing(day, tuple(papers), tuple(skipped), MAX_PAGES)


def _json_array(response: Any, what: str) -> list[Any]:
    try:
        body = response.json()
    except ValueError:
        raise SourceError(f"{what}: the answer is not JSON: {_snippet(response.text)}") from None
    if not isinstance(body, list):
        raise SourceError(f"{what}: expected a JSON array, got {type(body).__name__}")
    return body


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:80] + ("..." if len(flat) > 80 else ""))


def parse_item(item: Any, requested: date) -> ListedPaper:
    """One listing item to a ListedPaper; raises KeyError/TypeError/ValueError if malformed."""
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise ValueError("no 'paper' object")
    paper = item["paper"]
    match = _ARXIV_ID.match(str(paper.get("id", "")).strip())
    if not match:
        raise ValueError(f"bad arXiv id {paper.get('id')!r}")
    title = _text(paper.get("title") or item.get("title"), "title")
    abstract = _text(paper.get("summary") or item.get("summary") or "", "summary", allow_empty=True)
    upvotes = paper.get("upvotes", 0)
    if not isinstance(upvotes, int) or isinstance(upvotes, bool) or upvotes < 0:
        raise ValueError(f"bad upvotes {upvotes!r}")
    return ListedPaper(
        id=match.group(1),
        title=title,
        abstract=abstract,
        listing_day=_day(paper.get("submittedOnDailyAt")) or requested,
        authors=tuple(_authors(paper.get("authors") or [])),
        upvotes=upvotes,
        num_comments=_count(item.get("numComments")),
        github_url=_http_url(paper.get("githubRepo")),
        project_url=_http_url(paper.get("projectPage")),
        thumbnail=_http_url(item.get("thumbnail")),
        published_at=_datetime(paper.get("publishedAt")),
        source="hf",
    )


def _text(value: Any, name: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not text")
    clean = " ".join(value.split())
    if not clean and not allow_empty:
        raise ValueError(f"empty {name}")
    return clean


def _authors(raw: list[Any]) -> list[str]:
    names = []
    for a in raw:
        name = a.get("name") if isinstance(a, dict) else a
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return names


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value.strip()
    return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    parsed = _datetime(value)
    return parsed.date() if parsed else None
