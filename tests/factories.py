"""Valid defaults for test data; override only what a test is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from digest.papers import ListedPaper, PaperText
from digest.store import SubscriberInput

DAY = date(2026, 3, 4)


def listed(id: str = "2603.00001", **kw: Any) -> ListedPaper:
    values: dict[str, Any] = {
        "title": f"A paper {id}",
        "abstract": f"We study things in paper {id}. It works.",
        "listing_day": DAY,
        "authors": ("Ada Lovelace", "Alan Turing"),
        "upvotes": 3,
    }
    values.update(kw)
    return ListedPaper(id=id, **values)


def paper_text(id: str = "2603.00001", **kw: Any) -> PaperText:
    values: dict[str, Any] = {
        "title": f"A paper {id}",
        "abstract": "We study things.",
        "upvotes": 0,
    }
    values.update(kw)
    return PaperText(id=id, **values)


def hf_item(
    id: str = "2603.00001",
    *,
    title: str | None = None,
    summary: str | None = None,
    upvotes: int = 3,
    day: date = DAY,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    github: str | None = None,
    comments: int = 0,
) -> dict[str, Any]:
    """One item in the Hugging Face daily-papers format (see shared/samples)."""
    title = title or f"A paper {id}"
    summary = summary or f"We study things in paper {id}. It works."
    stamp = f"{day.isoformat()}T03:55:12.777Z"
    return {
        "paper": {
            "id": id,
            "authors": [
                {"_id": f"a{i}", "name": n, "hidden": False} for i, n in enumerate(authors)
            ],
            "publishedAt": f"{day.isoformat()}T01:00:00.000Z",
            "submittedOnDailyAt": stamp,
            "title": title,
            "summary": summary,
            "upvotes": upvotes,
            "githubRepo": github,
        },
        "publishedAt": f"{day.isoformat()}T01:00:00.000Z",
        "title": title,
        "summary": summary,
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png",
        "numComments": comments,
    }


def subscriber(email: str = "ada@example.org", **kw: Any) -> SubscriberInput:
    values: dict[str, Any] = {"keywords": "diffusion, OOD"}
    values.update(kw)
    return SubscriberInput(email=email, **values)


ARXIV_DAY_RFC822 = "Wed, 04 Mar 2026 00:00:00 -0500"  # the announcement of DAY, as arXiv dates it
SPACE = " "  # arXiv's descriptions end their first line with one


def arxiv_item(
    id: str = "2603.00001",
    *,
    announce: str = "new",
    version: int = 1,
    title: str | None = None,
    abstract: str | None = None,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    categories: tuple[str, ...] = ("cs.LG",),
    pub_date: str = ARXIV_DAY_RFC822,
) -> str:
    """One <item> in the format of arXiv's announcement RSS (see shared/samples)."""
    from xml.sax.saxutils import escape

    title = title or f"A paper {id}"
    abstract = abstract or f"We study things in paper {id}. It works."
    cats = "".join(f"\n      <category>{escape(c)}</category>" for c in categories)
    return f"""
    <item>
      <title>{escape(title)}</title>
      <link>https://arxiv.org/abs/{id}</link>
      <description>arXiv:{id}v{version} Announce Type: {announce}{SPACE}
Abstract: {escape(abstract)}</description>
      <guid isPermaLink="false">oai:arXiv.org:{id}v{version}</guid>{cats}
      <pubDate>{pub_date}</pubDate>
      <arxiv:announce_type>{announce}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>{escape(", ".join(authors))}</dc:creator>
    </item>"""


def arxiv_feed(
    items: list[str] | tuple[str, ...] = (),
    *,
    categories: str = "cs.LG+cs.CL",
    pub_date: str = ARXIV_DAY_RFC822,
) -> str:
    """A whole announcement feed around `items`, laid out like shared/samples' RSS."""
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>{categories} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{categories}</link>
    <description>{categories} updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/{categories}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Wed, 04 Mar 2026 05:00:11 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{pub_date}</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>{"".join(items)}
  </channel>
</rss>
"""
