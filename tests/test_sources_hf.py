"""The Hugging Face source against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from pytest_httpserver import HTTPServer

from digest.sources import SourceError
from digest.sources.hf import fetch_day, parse_item
from digest.sources.http import USER_AGENT, PoliteGetter, make_client
from tests.factories import DAY, hf_item

PATH = "/api/daily_papers"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def getter(sleeps: Sleeps):
    with make_client(timeout=5) as client:
        yield PoliteGetter(client, sleep=sleeps, min_interval=0)


def _query(day: date, page: int, limit: int = 100) -> dict[str, str]:
    return {"date": day.isoformat(), "p": str(page), "limit": str(limit)}


def items(n: int, start: int = 0) -> list[dict]:
    return [hf_item(f"2603.{i:05d}") for i in range(start, start + n)]


def test_pages_until_a_short_page(httpserver: HTTPServer, getter: PoliteGetter) -> None:
    for page, count in enumerate((100, 100, 37)):
        httpserver.expect_request(PATH, query_string=_query(DAY, page)).respond_with_json(
            items(count, start=page * 100)
        )
    listing = fetch_day(getter, httpserver.url_for(""), DAY)
    assert listing.pages == 3
    assert len(listing.papers) == 237
    assert len({p.id for p in listing.papers}) == 237
    assert listing.skipped == ()


def test_sends_a_descriptive_user_agent(httpserver: HTTPServer, getter: PoliteGetter) -> None:
    httpserver.expect_request(PATH, headers={"User-Agent": USER_AGENT}).respond_with_json([])
    assert fetch_day(getter, httpserver.url_for(""), DAY).papers == ()
    assert USER_AGENT.startswith("digest/")


def test_parses_the_recorded_sample_item() -> None:
    import json
    from pathlib import Path

    sample = Path(__file__).parents[2] / "shared" / "samples" / "hf_daily_papers_sample.json"
    item = json.loads(sample.read_text())[0]
    paper = parse_item(item, date(2026, 3, 6))
    assert paper.id == "2602.23229"
    assert paper.listing_day == date(2026, 3, 6)  # from submittedOnDailyAt
    assert paper.upvotes == 10 and paper.num_comments == 1
    assert paper.authors[0] == "Marco Garosi" and len(paper.authors) == 5
    assert paper.github_url == "https://github.com/marco-garosi/CIRCLE"
    assert paper.abstract.startswith("Which multimodal model")


def test_retries_a_500_then_succeeds(httpserver: HTTPServer, getter, sleeps) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_data("boom", status=500)
    httpserver.expect_request(PATH).respond_with_json(items(2))
    listing = fetch_day(getter, httpserver.url_for(""), DAY)
    assert len(listing.papers) == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff, jittered


def test_honours_retry_after_on_429(httpserver: HTTPServer, getter, sleeps) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_request(PATH).respond_with_json(items(1))
    assert len(fetch_day(getter, httpserver.url_for(""), DAY).papers) == 1
    assert sleeps == [7.0]


def test_gives_up_after_bounded_retries(httpserver: HTTPServer, getter, sleeps) -> None:
    httpserver.expect_request(PATH).respond_with_data("down", status=503)
    with pytest.raises(
        SourceError, match=r"2026-03-04 page 0: gave up after 5 attempts \(HTTP 503\)"
    ):
        fetch_day(getter, httpserver.url_for(""), DAY)
    assert len(sleeps) == 4
    assert sleeps == sorted(sleeps)  # exponential backoff


def test_connection_refused_is_retried_then_reported(sleeps: Sleeps) -> None:
    with make_client(timeout=1) as client:
        getter = PoliteGetter(client, sleep=sleeps, min_interval=0, attempts=2)
        with pytest.raises(SourceError, match="ConnectError"):
            fetch_day(getter, "http://127.0.0.1:9", DAY)
    assert len(sleeps) == 1


def test_garbage_body_is_an_error_naming_the_date(httpserver: HTTPServer, getter) -> None:
    httpserver.expect_request(PATH).respond_with_data("<html>oops</html>", status=200)
    with pytest.raises(SourceError, match=r"2026-03-04 page 0: the answer is not JSON"):
        fetch_day(getter, httpserver.url_for(""), DAY)


def test_json_that_is_not_a_list_is_an_error(httpserver: HTTPServer, getter) -> None:
    httpserver.expect_request(PATH).respond_with_json({"error": "nope"})
    with pytest.raises(SourceError, match="expected a JSON array, got dict"):
        fetch_day(getter, httpserver.url_for(""), DAY)


def test_400_is_an_error_without_retry(httpserver: HTTPServer, getter, sleeps) -> None:
    httpserver.expect_request(PATH).respond_with_json({"error": "bad date"}, status=400)
    with pytest.raises(SourceError, match="HTTP 400"):
        fetch_day(getter, httpserver.url_for(""), DAY)
    assert sleeps == []


def test_a_malformed_item_is_skipped_and_counted(httpserver: HTTPServer, getter) -> None:
    bad_id = hf_item("not-an-id")
    no_title = hf_item("2603.00009")
    no_title["paper"]["title"] = None
    no_title["title"] = None
    httpserver.expect_request(PATH).respond_with_json([*items(2), bad_id, "junk", no_title])
    listing = fetch_day(getter, httpserver.url_for(""), DAY)
    assert [p.id for p in listing.papers] == ["2603.00000", "2603.00001"]
    assert len(listing.skipped) == 3
    assert "bad arXiv id 'not-an-id'" in listing.skipped[0]


def test_an_empty_weekend_is_normal(httpserver: HTTPServer, getter, sleeps) -> None:
    saturday = date(2026, 3, 7)
    httpserver.expect_request(PATH, query_string=_query(saturday, 0)).respond_with_json([])
    listing = fetch_day(getter, httpserver.url_for(""), saturday)
    assert listing.papers == () and listing.pages == 1 and sleeps == []


def test_version_suffix_is_dropped() -> None:
    paper = parse_item(hf_item("2603.12345v3"), DAY)
    assert paper.id == "2603.12345"


def test_spacing_keeps_requests_polite() -> None:
    clock_values = iter([0.0, 0.0, 0.1, 0.1])
    waits: list[float] = []
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    with httpx.Client(transport=transport) as client:
        getter = PoliteGetter(client, sleep=waits.append, clock=lambda: next(clock_values))
        getter.get("http://x/api", {}, "a")
        getter.get("http://x/api", {}, "b")
    assert waits == [pytest.approx(getter.min_interval - 0.1)]
