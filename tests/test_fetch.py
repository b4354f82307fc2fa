"""fetching.fetch + store: ingest and diff on SQLite and PostgreSQL, against a loopback server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import select

from digest import fetching, store
from digest.diff import diff
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter, make_client
from digest.store.engine import session_scope
from digest.store.tables import FetchRun, Paper
from tests.factories import DAY, hf_item, listed

PATH = "/api/daily_papers"


@pytest.fixture
def getter():
    with make_client(timeout=5) as client:
        yield PoliteGetter(client, sleep=lambda s: None, min_interval=0)


def serve_day(server: HTTPServer, day: date, items: list[dict], page_size: int = 100) -> None:
    pages = [items[i : i + page_size] for i in range(0, len(items), page_size)] or [[]]
    if len(items) and len(items) % page_size == 0:
        pages.append([])
    for n, page in enumerate(pages):
        server.expect_request(
            PATH, query_string={"date": day.isoformat(), "p": str(n), "limit": str(page_size)}
        ).respond_with_json(page)


def test_diff_is_pure_and_sorts_new_updated_unchanged() -> None:
    stored = {"a": listed("a"), "b": listed("b"), "c": listed("c")}
    fetched = [
        listed("a"),
        listed("b", upvotes=9),
        listed("c", github_url="https://g"),
        listed("d"),
        listed("d", upvotes=4),
    ]
    result = diff(stored, fetched)
    assert [p.id for p in result.new] == ["d"] and result.new[0].upvotes == 4
    assert [p.id for p in result.updated] == ["b"]
    assert sorted(p.id for p in result.unchanged) == ["a", "c"]
    assert result.duplicates == 1


def test_fetch_stores_every_paper_once_across_pages(engine, httpserver, getter, now) -> None:
    serve_day(httpserver, DAY, [hf_item(f"2603.{i:05d}") for i in range(250)])
    report = fetching.fetch(
        engine, sources=[HfListing(getter, httpserver.url_for(""))], days=[DAY], now=now
    )
    assert report.counts == {
        "days": 1,
        "fetched": 250,
        "new": 250,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "ignored": 0,
        "pruned": 0,
        "recovered": 0,
    }
    assert report.parts == {"hf": {k: v for k, v in report.counts.items() if k != "pruned"}}
    with session_scope(engine) as session:
        assert store.count_papers(session) == 250


def test_refetch_reports_updates_and_keeps_first_seen(engine, httpserver, getter, now) -> None:
    base = httpserver.url_for("")
    serve_day(httpserver, DAY, [hf_item("2603.00001", upvotes=1), hf_item("2603.00002")])
    fetching.fetch(engine, sources=[HfListing(getter, base)], days=[DAY], now=now)
    httpserver.clear()
    serve_day(
        httpserver,
        DAY,
        [hf_item("2603.00001", upvotes=50), hf_item("2603.00002"), hf_item("2603.00003")],
    )
    later = now + timedelta(hours=3)
    report = fetching.fetch(engine, sources=[HfListing(getter, base)], days=[DAY], now=later)
    assert (report.counts["new"], report.counts["updated"], report.counts["unchanged"]) == (1, 1, 1)
    with session_scope(engine) as session:
        paper = session.get(Paper, "2603.00001")
        assert paper is not None
        assert paper.upvotes == 50
        assert paper.first_seen_at == now and paper.updated_at == later
        assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    # the same answer again stores nothing new
    again = fetching.fetch(engine, sources=[HfListing(getter, base)], days=[DAY], now=later)
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 3)


def test_garbage_day_leaves_earlier_data_intact(engine, httpserver, getter, now) -> None:
    base = httpserver.url_for("")
    serve_day(httpserver, DAY, [hf_item("2603.00001", upvotes=1)])
    fetching.fetch(engine, sources=[HfListing(getter, base)], days=[DAY], now=now)
    httpserver.clear()
    nxt = DAY + timedelta(days=1)
    httpserver.expect_request(
        PATH, query_string={"date": DAY.isoformat(), "p": "0", "limit": "100"}
    ).respond_with_data("garbage{")
    serve_day(httpserver, nxt, [hf_item("2603.00002", day=nxt)])
    report = fetching.fetch(engine, sources=[HfListing(getter, base)], days=[DAY, nxt], now=now)
    assert len(report.errors) == 1 and "2026-03-04" in report.errors[0]
    assert report.counts["new"] == 1
    with session_scope(engine) as session:
        assert session.get(Paper, "2603.00001").upvotes == 1
        assert store.count_papers(session) == 2
        runs = session.exec(select(FetchRun).order_by(FetchRun.id)).all()
        assert [(r.status, r.errors) for r in runs] == [("ok", 0), ("partial", 1)]
        assert "not JSON" in (runs[1].message or "")


def test_default_days_start_after_last_listing(engine, now) -> None:
    today = date(2026, 3, 10)
    assert fetching.default_fetch_days(engine, today) == [date(2026, 3, 9), today]
    with session_scope(engine) as session:
        store.insert_papers(session, papers=[listed("x", listing_day=date(2026, 3, 6))], now=now)
    assert fetching.default_fetch_days(engine, today) == fetching.day_range(date(2026, 3, 7), today)
