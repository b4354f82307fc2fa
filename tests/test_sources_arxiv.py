"""The arXiv announcement feed against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from digest.sources import SourceError
from digest.sources.arxiv import (
    MIN_INTERVAL,
    ArxivFeed,
    feed_url,
    fetch_announcement,
    make_client,
    parse_feed,
    polite_getter,
    split_authors,
)
from digest.sources.http import USER_AGENT, PoliteGetter
from tests.factories import DAY, arxiv_feed, arxiv_item

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
CATS = ("cs.LG", "cs.CL")
PATH = "/rss/cs.LG+cs.CL"


class Clock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.requests: list[float] = []  # when each request left, on this clock

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feed(httpserver: HTTPServer, clock: Clock):
    """The feed as `digest fetch` reads it: 3 s apart, every request stamped on `clock`."""
    client = make_client(timeout=5)
    client.event_hooks["request"].append(lambda request: clock.requests.append(clock()))
    getter = polite_getter(client, sleep=clock.sleep, clock=clock)
    with client:
        yield ArxivFeed(getter, httpserver.url_for("/rss"), CATS)


def serve(httpserver: HTTPServer, body: str, status: int = 200, **kw) -> None:
    httpserver.expect_request(PATH).respond_with_data(
        body, status=status, content_type="application/rss+xml", **kw
    )


FOUR_KINDS = [
    arxiv_item("2603.00001", announce="new", categories=("cs.LG", "stat.ML")),
    arxiv_item("2603.00002", announce="cross", categories=("cs.CV", "cs.CL")),
    arxiv_item("2501.00003", announce="replace", version=2, title="Revised title"),
    arxiv_item("2412.00004", announce="replace-cross", version=3),
]


def test_parses_the_recorded_sample() -> None:
    announcement = parse_feed((SAMPLES / "arxiv_rss_sample.xml").read_bytes())
    assert announcement.day == date(2024, 2, 23)  # the channel's pubDate, arXiv's own zone
    assert announcement.skipped == ()
    (paper,) = announcement.papers
    assert (paper.id, paper.version, paper.announce) == ("2203.01250", 3, "replace-cross")
    assert paper.replacement and paper.source == "arxiv"
    assert paper.title == "Mass concentration in rescaled first order integral functionals"
    assert paper.abstract.startswith("We consider first order local minimization problems")
    assert paper.abstract.endswith("branched transport by elliptic energies.")
    assert "Announce Type" not in paper.abstract
    assert paper.authors == ("Antonin Monteil", "Paul Pegon")
    assert paper.categories == ("math.AP", "math.OC")
    assert paper.listing_day == date(2024, 2, 23)


def test_new_cross_replace_and_replace_cross(httpserver: HTTPServer, feed: ArxivFeed) -> None:
    serve(httpserver, arxiv_feed(FOUR_KINDS))
    got = feed.latest(DAY)
    assert got.day == DAY and got.skipped == ()
    assert got.url == httpserver.url_for(PATH)
    kinds = {p.id: (p.announce, p.version, p.replacement) for p in got.papers}
    assert kinds == {
        "2603.00001": ("new", 1, False),
        "2603.00002": ("cross", 1, False),
        "2501.00003": ("replace", 2, True),
        "2412.00004": ("replace-cross", 3, True),
    }
    by_id = {p.id: p for p in got.papers}
    assert by_id["2603.00001"].categories == ("cs.LG", "stat.ML")
    assert by_id["2501.00003"].title == "Revised title"
    assert all(p.listing_day == DAY and p.source == "arxiv" for p in got.papers)
    assert all(p.authors == ("Ada Lovelace", "Alan Turing") for p in got.papers)


def test_one_request_for_all_categories_with_a_descriptive_user_agent(
    httpserver: HTTPServer, feed: ArxivFeed
) -> None:
    httpserver.expect_request(PATH, headers={"User-Agent": USER_AGENT}).respond_with_data(
        arxiv_feed([arxiv_item()]), content_type="application/rss+xml"
    )
    assert len(feed.latest(DAY).papers) == 1
    assert len(httpserver.log) == 1
    request = httpserver.log[0][0]
    assert request.path == PATH and "rss" in request.headers["Accept"]
    assert feed_url("https://rss.arxiv.org/rss/", ["cs.LG", "cs.CL", "cs.CV"]) == (
        "https://rss.arxiv.org/rss/cs.LG+cs.CL+cs.CV"
    )


def test_429_then_success_waits_out_retry_after_and_3_seconds(
    httpserver: HTTPServer, feed: ArxivFeed, clock: Clock
) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_oneshot_request(PATH).respond_with_data(
        "busy", status=503, headers={"Retry-After": "1"}
    )
    serve(httpserver, arxiv_feed([arxiv_item()]))
    assert len(feed.latest(DAY).papers) == 1
    assert len(httpserver.log) == 3
    assert [round(t, 3) for t in clock.requests] == [0.0, 7.0, 10.0]
    gaps = [b - a for a, b in zip(clock.requests, clock.requests[1:], strict=False)]
    assert gaps[0] >= 7  # Retry-After asked for more than 3 s
    assert gaps[1] >= MIN_INTERVAL  # asked for 1 s, but arXiv wants 3 s between requests


def test_requests_stay_3_seconds_apart_one_at_a_time(
    httpserver: HTTPServer, feed: ArxivFeed, clock: Clock
) -> None:
    serve(httpserver, arxiv_feed([arxiv_item()]))
    for _ in range(4):  # polls in a row through one getter, as `digest run` might
        feed.latest(DAY)
        clock.now += 0.5  # a little work between polls
    assert len(clock.requests) == len(httpserver.log) == 4
    gaps = [b - a for a, b in zip(clock.requests, clock.requests[1:], strict=False)]
    assert min(gaps) >= MIN_INTERVAL == 3.0
    assert clock.sleeps == [2.5, 2.5, 2.5]


def test_a_retry_after_too_long_is_an_error_not_a_hang(
    httpserver: HTTPServer, feed: ArxivFeed, clock: Clock
) -> None:
    httpserver.expect_request(PATH).respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "86400"}
    )
    with pytest.raises(SourceError, match=r"asked to retry after 86400 s"):
        feed.latest(DAY)
    assert clock.sleeps == [] and len(httpserver.log) == 1


def test_garbage_is_an_error_naming_the_source_and_date(
    httpserver: HTTPServer, feed: ArxivFeed
) -> None:
    serve(httpserver, "<html><body>Service unavailable</body>")  # not even well-formed
    with pytest.raises(SourceError) as err:
        feed.latest(DAY)
    message = str(err.value)
    assert message.startswith("arxiv cs.LG+cs.CL (fetched 2026-03-04): not a well-formed feed")
    assert "nothing stored" in message


def test_a_truncated_feed_is_an_error(httpserver: HTTPServer, feed: ArxivFeed) -> None:
    whole = arxiv_feed(FOUR_KINDS)
    serve(httpserver, whole[: len(whole) * 2 // 3])  # the connection ended mid-item
    with pytest.raises(
        SourceError, match=r"arxiv cs\.LG\+cs\.CL \(fetched 2026-03-04\).*cut short"
    ):
        feed.latest(DAY)


def test_well_formed_xml_that_is_not_rss_is_an_error(
    httpserver: HTTPServer, feed: ArxivFeed
) -> None:
    serve(httpserver, "<html><body><p>We are down</p></body></html>")
    with pytest.raises(SourceError, match=r"not an RSS feed \(root element <html>\)"):
        feed.latest(DAY)


def test_an_entity_bomb_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><title>&b;</title>'
        "</channel></rss>"
    )
    with pytest.raises(SourceError, match="refused XML"):
        parse_feed(bomb, "arxiv")


def test_http_errors_other_than_retryable_ones_are_reported(
    httpserver: HTTPServer, feed: ArxivFeed, clock: Clock
) -> None:
    serve(httpserver, "no such category", status=404)
    with pytest.raises(SourceError, match=r"fetched 2026-03-04\): HTTP 404 'no such category'"):
        feed.latest(DAY)
    assert clock.sleeps == []


def test_a_weekend_feed_without_items_is_an_empty_listing(
    httpserver: HTTPServer, feed: ArxivFeed
) -> None:
    serve(httpserver, arxiv_feed([], pub_date="Sat, 07 Mar 2026 00:00:00 -0500"))
    got = feed.latest(date(2026, 3, 7))
    assert got.papers == () and got.skipped == () and got.day == date(2026, 3, 7)


def test_a_malformed_item_is_skipped_with_a_reason() -> None:
    good = arxiv_item("2603.00001")
    unknown_type = arxiv_item("2603.00002", announce="withdrawn")
    no_title = arxiv_item("2603.00003").replace(
        "<title>A paper 2603.00003</title>", "<title> </title>"
    )
    mismatch = arxiv_item("2603.00004").replace(
        "oai:arXiv.org:2603.00004v1", "oai:arXiv.org:2603.09999v1"
    )
    no_id = (
        arxiv_item("2603.00005")
        .replace("<link>https://arxiv.org/abs/2603.00005</link>", "<link>https://x.org/</link>")
        .replace("oai:arXiv.org:2603.00005v1", "tag:x")
        .replace("arXiv:2603.00005v1 Announce", "Announce")
    )
    got = parse_feed(arxiv_feed([good, unknown_type, no_title, mismatch, no_id]), "arxiv")
    assert [p.id for p in got.papers] == ["2603.00001"]
    assert len(got.skipped) == 4
    assert "unknown announce type 'withdrawn'" in got.skipped[0]
    assert "empty title" in got.skipped[1]
    assert "different papers" in got.skipped[2]
    assert "no arXiv id" in got.skipped[3]


def test_items_without_a_channel_date_take_the_items_date() -> None:
    body = arxiv_feed([arxiv_item()]).replace(
        "<pubDate>Wed, 04 Mar 2026 00:00:00 -0500</pubDate>\n    <skipDays>", "<skipDays>"
    )
    assert parse_feed(body).day == DAY


def test_old_style_ids_and_authors_lists() -> None:
    item = arxiv_item("hep-th/9901001", version=2)
    (paper,) = parse_feed(arxiv_feed([item])).papers
    assert (paper.id, paper.version) == ("hep-th/9901001", 2)
    assert split_authors("Ada Lovelace, Alan Turing and Grace Hopper") == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert split_authors(" Ada  Lovelace ,\n  Alan Turing, and Grace Hopper") == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert split_authors("") == []


def test_fetch_announcement_through_a_mock_transport_names_its_url() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text=arxiv_feed([arxiv_item()]))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        getter = PoliteGetter(client, sleep=lambda s: None, min_interval=0)
        got = fetch_announcement(getter, "https://rss.example/rss", ("cs.LG",), asked_on=DAY)
    assert seen == ["https://rss.example/rss/cs.LG"] and got.url == seen[0]
