"""No paper reaches a subscriber twice, whichever listing named it first: both listings served
on loopback, fetched into the store, digests sent to a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine

from digest import fetching, store
from digest.sources import arxiv
from digest.sources.arxiv import ArxivFeed
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter, make_client
from digest.store.engine import session_scope
from tests.factories import arxiv_feed, arxiv_item, hf_item
from tests.smtp_server import SmtpServer
from tests.test_send import send, settings_for, subscribe

DAY1 = datetime(2026, 3, 4, 6, tzinfo=UTC)  # fetch at 06:00, digests at 08:00
TITLE = "Diffusion models for text"
ABSTRACT = "Diffusion models generate data. We study diffusion sampling."


def rfc822(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y 00:00:00 -0500")


@pytest.fixture
def listings(httpserver: HTTPServer):
    with make_client(timeout=5) as hf_client, arxiv.make_client(timeout=5) as rss_client:
        yield (
            HfListing(
                PoliteGetter(hf_client, sleep=lambda s: None, min_interval=0),
                httpserver.url_for("/").rstrip("/"),
            ),
            ArxivFeed(
                arxiv.polite_getter(rss_client, sleep=lambda s: None, min_interval=0),
                httpserver.url_for("/rss"),
                ("cs.LG",),
            ),
        )


def serve(httpserver: HTTPServer, hf: list[dict], rss: list[str], when: datetime) -> None:
    httpserver.clear()
    httpserver.expect_request("/api/daily_papers").respond_with_json(hf)
    httpserver.expect_request("/rss/cs.LG").respond_with_data(
        arxiv_feed(rss, pub_date=rfc822(when)), content_type="application/rss+xml"
    )


def fetch(engine: Engine, listings, when: datetime, *, retention_days: int = 0):
    report = fetching.fetch(
        engine, sources=list(listings), days=[when.date()], now=when, retention_days=retention_days
    )
    assert report.ok, report.errors
    return report


def titles_sent(smtp: SmtpServer) -> list[list[str]]:
    out = []
    for message in smtp.received:
        text = message.parse().get_payload()[0].get_payload(decode=True).decode()
        out.append([t for t in (TITLE, "Revised: diffusion models for text") if t in text])
    return out


@pytest.mark.parametrize("first", ["hf", "arxiv"])
def test_a_paper_is_sent_once_whichever_listing_named_it_first(
    engine: Engine, httpserver: HTTPServer, listings, first: str
) -> None:
    hf_listing = [hf_item("2603.00001", title=TITLE, summary=ABSTRACT, upvotes=20)]
    rss_listing = [arxiv_item("2603.00001", title=TITLE, abstract=ABSTRACT)]
    day2 = DAY1 + timedelta(days=1)
    if first == "hf":
        serve(httpserver, hf_listing, [], DAY1)
    else:
        serve(httpserver, [], rss_listing, DAY1)
    assert fetch(engine, listings, DAY1).counts["new"] == 1
    subscribe(engine, "ada@example.org", "diffusion")
    with SmtpServer() as smtp:
        settings = settings_for(smtp)
        assert send(engine, settings, now=DAY1 + timedelta(hours=2)).counts["sent"] == 1
        # day 2: the other listing names the same paper, and arXiv announces a new version
        replaced = arxiv_item(
            "2603.00001",
            announce="replace",
            version=2,
            title="Revised: diffusion models for text",
            abstract=ABSTRACT + " Diffusion sampling is faster now.",
        )
        serve(httpserver, hf_listing, [replaced], day2)
        report = fetch(engine, listings, day2)
        assert report.counts["new"] == 0
        later = send(engine, settings, now=day2 + timedelta(hours=2))
        assert later.counts["sent"] == 0 and later.counts["empty"] == 1
        assert titles_sent(smtp) == [[TITLE]]
    with session_scope(engine) as session:
        paper = store.papers_by_id(session, ids=["2603.00001"])["2603.00001"]
    assert paper.source == "hf,arxiv" and paper.arxiv_version == 2 and paper.upvotes == 20


def test_a_paper_pruned_then_listed_again_is_not_sent_again(
    engine: Engine, httpserver: HTTPServer, listings
) -> None:
    serve(httpserver, [hf_item("2603.00001", title=TITLE, summary=ABSTRACT)], [], DAY1)
    fetch(engine, listings, DAY1)
    subscribe(engine, "ada@example.org", "diffusion")
    later = DAY1 + timedelta(days=40)
    with SmtpServer() as smtp:
        settings = settings_for(smtp)
        assert send(engine, settings, now=DAY1 + timedelta(hours=2)).counts["sent"] == 1
        # 40 days on, a 30-day window prunes it; then Hugging Face lists it again (trending)
        serve(httpserver, [], [], later)
        assert fetch(engine, listings, later, retention_days=30).counts["pruned"] == 1
        again = [hf_item("2603.00001", title=TITLE, summary=ABSTRACT, day=later.date())]
        serve(httpserver, again, [], later)
        assert fetch(engine, listings, later, retention_days=30).counts["new"] == 1
        report = send(engine, settings, now=later + timedelta(hours=2))
        assert report.counts["sent"] == 0 and len(smtp.received) == 1
