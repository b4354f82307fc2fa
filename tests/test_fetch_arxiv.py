"""Both listings through fetching.fetch into the store (SQLite and PostgreSQL), each served
by a real HTTP server on loopback in its own format."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import select

from digest import fetching, store
from digest.config import Settings
from digest.diff import diff, merge
from digest.sources import arxiv
from digest.sources.arxiv import ArxivFeed
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter, make_client
from digest.store.engine import session_scope
from digest.store.tables import Feedback, FetchRun, Paper
from tests.factories import DAY, arxiv_feed, arxiv_item, hf_item, listed, subscriber

HF_PATH = "/api/daily_papers"
RSS_PATH = "/rss/cs.LG+cs.CL"
CATS = ("cs.LG", "cs.CL")


@pytest.fixture
def listings(httpserver: HTTPServer):
    """(Hugging Face, arXiv) as fetch reads them; neither waits (tests/test_sources_arxiv.py
    checks the spacing)."""
    with make_client(timeout=5) as hf_client, arxiv.make_client(timeout=5) as rss_client:
        hf = HfListing(
            PoliteGetter(hf_client, sleep=lambda s: None, min_interval=0), base(httpserver)
        )
        feed = ArxivFeed(
            arxiv.polite_getter(rss_client, sleep=lambda s: None, min_interval=0),
            httpserver.url_for("/rss"),
            CATS,
        )
        yield hf, feed


def base(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/").rstrip("/")


def serve_hf(httpserver: HTTPServer, items: list[dict], day: date = DAY) -> None:
    query = {"date": day.isoformat(), "p": "0", "limit": "100"}
    httpserver.expect_request(HF_PATH, query_string=query).respond_with_json(items)


def serve_rss(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request(RSS_PATH).respond_with_data(body, content_type="application/rss+xml")


def papers(engine) -> dict[str, Paper]:
    with session_scope(engine) as session:
        return {p.id: p for p in session.exec(select(Paper))}


def test_new_and_cross_are_new_replacements_never(engine, httpserver, listings, now) -> None:
    _, feed = listings
    serve_rss(
        httpserver,
        arxiv_feed(
            [
                arxiv_item("2603.00001", announce="new", categories=("cs.LG", "stat.ML")),
                arxiv_item("2603.00002", announce="cross", categories=("cs.CV", "cs.CL")),
                arxiv_item("2501.00003", announce="replace", version=2),
                arxiv_item("2412.00004", announce="replace-cross", version=3),
            ]
        ),
    )
    report = fetching.fetch(engine, sources=[feed], days=[DAY], now=now)
    assert report.ok, report.errors
    assert report.parts["arxiv"] == {
        "days": 1,
        "fetched": 4,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "ignored": 2,  # replacements of papers never stored: not new, not stored
        "recovered": 0,
    }
    stored = papers(engine)
    assert sorted(stored) == ["2603.00001", "2603.00002"]
    first = stored["2603.00001"]
    assert (first.source, first.categories, first.arxiv_version) == (
        "arxiv",
        ["cs.LG", "stat.ML"],
        1,
    )
    assert first.listing_day == DAY and first.first_seen_at == now and first.upvotes == 0
    assert first.authors == ["Ada Lovelace", "Alan Turing"]
    with session_scope(engine) as session:  # what ranking reads carries both
        texts = {t.id: t for t in store.paper_texts(session)}
    assert texts["2603.00001"].authors == ("Ada Lovelace", "Alan Turing")
    assert texts["2603.00001"].categories == ("cs.LG", "stat.ML")
    assert texts["2603.00002"].categories == ("cs.CV", "cs.CL")
    # the same announcement again adds nothing
    again = fetching.fetch(engine, sources=[feed], days=[DAY], now=now + timedelta(hours=1))
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 2)


def test_a_replacement_updates_version_and_text_but_is_never_new(
    engine, httpserver, listings, now
) -> None:
    _, feed = listings
    serve_rss(httpserver, arxiv_feed([arxiv_item("2603.00001", title="First title")]))
    fetching.fetch(engine, sources=[feed], days=[DAY], now=now)
    httpserver.clear()
    nxt = DAY + timedelta(days=1)
    serve_rss(
        httpserver,
        arxiv_feed(
            [
                arxiv_item(
                    "2603.00001",
                    announce="replace",
                    version=2,
                    title="Second title",
                    abstract="A new abstract. It is longer.",
                    categories=("cs.LG", "cs.AI"),
                    pub_date="Thu, 05 Mar 2026 00:00:00 -0500",
                )
            ],
            pub_date="Thu, 05 Mar 2026 00:00:00 -0500",
        ),
    )
    later = now + timedelta(days=1)
    report = fetching.fetch(engine, sources=[feed], days=[nxt], now=later)
    assert (report.counts["new"], report.counts["updated"]) == (0, 1)
    paper = papers(engine)["2603.00001"]
    assert (paper.title, paper.abstract, paper.arxiv_version) == (
        "Second title",
        "A new abstract. It is longer.",
        2,
    )
    assert paper.categories == ["cs.LG", "cs.AI"]
    # first seen and listed as before: a digest never counts it as new again
    assert (paper.first_seen_at, paper.listing_day, paper.updated_at) == (now, DAY, later)


def test_a_paper_on_both_listings_is_stored_once(engine, httpserver, listings, now) -> None:
    hf, feed = listings
    serve_hf(
        httpserver,
        [
            hf_item("2603.00001", upvotes=42, github="https://github.com/ada/x", comments=3),
            hf_item("2603.00005", upvotes=7),
        ],
    )
    serve_rss(
        httpserver,
        arxiv_feed(
            [
                arxiv_item("2603.00001", categories=("cs.CL", "cs.AI"), authors=("A. Lovelace",)),
                arxiv_item("2603.00002", announce="cross"),
            ]
        ),
    )
    report = fetching.fetch(engine, sources=[hf, feed], days=[DAY], now=now)
    assert report.ok, report.errors
    assert report.counts["new"] == 3  # the paper on both counts once
    assert report.counts["fetched"] == 4
    assert (report.parts["hf"]["new"], report.parts["arxiv"]["new"]) == (2, 1)
    assert report.parts["arxiv"]["unchanged"] + report.parts["arxiv"]["updated"] == 1
    stored = papers(engine)
    assert sorted(stored) == ["2603.00001", "2603.00002", "2603.00005"]
    both = stored["2603.00001"]
    assert both.source == "hf,arxiv"
    assert (both.upvotes, both.num_comments, both.github_url) == (
        42,
        3,
        "https://github.com/ada/x",
    )  # Hugging Face's, kept
    assert both.categories == ["cs.CL", "cs.AI"] and both.arxiv_version == 1  # arXiv's, gained
    assert both.authors == ["A. Lovelace"]  # arXiv owns the text once it announced the paper
    assert both.thumbnail and both.thumbnail.endswith("2603.00001.png")
    assert (stored["2603.00002"].source, stored["2603.00005"].source) == ("arxiv", "hf")
    # a second fetch adds nothing, whichever order the listings come in
    again = fetching.fetch(engine, sources=[feed, hf], days=[DAY], now=now + timedelta(hours=1))
    assert again.counts["new"] == 0 and again.counts["updated"] == 0
    assert papers(engine)["2603.00001"].source == "hf,arxiv"
    with session_scope(engine) as session:
        runs = session.exec(select(FetchRun)).all()
    assert [(r.fetched, r.new, r.status) for r in runs] == [(4, 3, "ok"), (4, 0, "ok")]


def test_arxiv_first_then_hugging_face(engine, httpserver, listings, now) -> None:
    hf, feed = listings
    serve_rss(httpserver, arxiv_feed([arxiv_item("2603.00001", title="The arXiv title")]))
    fetching.fetch(engine, sources=[feed], days=[DAY], now=now)
    serve_hf(httpserver, [hf_item("2603.00001", title="An older HF copy", upvotes=9)])
    later = now + timedelta(hours=5)
    report = fetching.fetch(engine, sources=[hf], days=[DAY], now=later)
    assert report.counts["new"] == 0 and report.counts["updated"] == 1  # upvotes 0 -> 9
    paper = papers(engine)["2603.00001"]
    assert (paper.source, paper.upvotes, paper.title) == ("hf,arxiv", 9, "The arXiv title")
    assert paper.first_seen_at == now  # first seen when arXiv announced it


def test_garbage_or_truncated_feed_stores_nothing_and_names_source_and_date(
    engine, httpserver, listings, now
) -> None:
    hf, feed = listings
    serve_hf(httpserver, [hf_item("2603.00001")])
    whole = arxiv_feed([arxiv_item(f"2603.0{n:04d}") for n in range(10, 40)])
    serve_rss(httpserver, whole[: len(whole) // 2])
    report = fetching.fetch(engine, sources=[hf, feed], days=[DAY], now=now)
    assert len(report.errors) == 1
    assert report.errors[0].startswith("arxiv cs.LG+cs.CL (fetched 2026-03-04): not a well-formed")
    assert sorted(papers(engine)) == ["2603.00001"]  # Hugging Face's day is stored all the same
    assert report.parts["arxiv"]["days"] == 0 and report.parts["hf"]["new"] == 1
    httpserver.clear()
    serve_hf(httpserver, [])
    serve_rss(httpserver, "\x00\x01 definitely not a feed")
    again = fetching.fetch(engine, sources=[hf, feed], days=[DAY], now=now)
    assert "arxiv" in again.errors[0] and "2026-03-04" in again.errors[0]
    with session_scope(engine) as session:
        runs = session.exec(select(FetchRun).order_by(FetchRun.id)).all()
    assert [r.status for r in runs] == ["partial", "partial"]
    assert sorted(papers(engine)) == ["2603.00001"]


def test_asked_days_without_the_announcement_store_nothing_of_it(
    engine, httpserver, listings, now
) -> None:
    _, feed = listings
    serve_rss(httpserver, arxiv_feed([arxiv_item("2603.00001")]))
    old = DAY - timedelta(days=20)
    report = fetching.fetch(engine, sources=[feed], days=[old], now=now, asked=True)
    assert report.ok and report.counts["new"] == 0 and papers(engine) == {}
    assert "holds the announcement of 2026-03-04 only" in report.items[0]["note"]
    stored = fetching.fetch(engine, sources=[feed], days=[DAY], now=now, asked=True)
    assert stored.counts["new"] == 1


def test_retention_prunes_old_papers_but_keeps_voted_ones(
    engine, httpserver, listings, now
) -> None:
    hf, _ = listings
    old_day = DAY - timedelta(days=40)
    with session_scope(engine) as session:
        store.insert_papers(
            session,
            papers=[
                listed("2601.00001", listing_day=old_day),
                listed("2601.00002", listing_day=old_day),
            ],
            now=now - timedelta(days=40),
        )
        sub, _ = store.upsert_subscriber(
            session, value=subscriber(), now=now, defaults={"send_at": "07:00", "timezone": "UTC"}
        )
        session.add(Feedback(subscriber_id=sub.id, paper_id="2601.00002", vote=1, created_at=now))
    serve_hf(httpserver, [hf_item("2603.00001")])
    report = fetching.fetch(engine, sources=[hf], days=[DAY], now=now, retention_days=30)
    assert report.counts["pruned"] == 1
    assert sorted(papers(engine)) == ["2601.00002", "2603.00001"]


def test_fetch_with_settings_reads_both_listings(engine, httpserver, now) -> None:
    serve_hf(httpserver, [hf_item("2603.00001")])
    serve_rss(httpserver, arxiv_feed([arxiv_item("2603.00001"), arxiv_item("2603.00002")]))
    settings = Settings(
        hf_api_url=base(httpserver),
        arxiv_rss_url=httpserver.url_for("/rss"),
        sources=("hf", "arxiv"),
        arxiv_categories=CATS,
    )
    report = fetching.fetch_with_settings(engine, settings, days=[DAY], now=now)
    assert report.ok, report.errors
    assert list(report.parts) == ["hf", "arxiv"]
    assert report.counts["new"] == 2 and report.parts["arxiv"]["new"] == 1
    agents = {r.headers["User-Agent"] for r, _ in httpserver.log}
    assert len(agents) == 1 and agents.pop().startswith("digest/")
    only_arxiv = replace(settings, sources=("arxiv",))
    assert list(fetching.fetch_with_settings(engine, only_arxiv, days=[DAY], now=now).parts) == [
        "arxiv"
    ]


def test_default_days_follow_hugging_face_not_a_later_arxiv_announcement(engine, now) -> None:
    today = date(2026, 3, 10)
    with session_scope(engine) as session:
        store.insert_papers(session, papers=[listed("a", listing_day=date(2026, 3, 6))], now=now)
        arxiv_paper = listed("b", listing_day=date(2026, 3, 10), source="arxiv")
        store.insert_papers(session, papers=[arxiv_paper], now=now)
    assert fetching.default_fetch_days(engine, today)[0] == date(2026, 3, 7)


def test_merge_keeps_a_newer_version_over_an_older_copy() -> None:
    v3 = listed("x", source="arxiv", version=3, title="v3 title", categories=("cs.LG",))
    v2 = listed("x", source="arxiv", version=2, title="v2 title", announce="replace")
    assert merge(v3, v2).title == "v3 title" and merge(v3, v2).version == 3
    hf = listed("x", source="hf", title="HF copy", upvotes=12)
    merged = merge(v3, hf)
    assert (merged.title, merged.upvotes, merged.source) == ("v3 title", 12, "hf,arxiv")
    # a replacement for a paper never stored is ignored; one for a stored paper is an update
    result = diff({"x": v2}, [v3, replace(v3, id="y", announce="replace-cross")])
    assert [p.id for p in result.updated] == ["x"]
    assert [p.id for p in result.ignored] == ["y"] and result.new == ()
