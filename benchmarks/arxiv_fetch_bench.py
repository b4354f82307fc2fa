"""Fetch and store a day of 2,000 arXiv announcements plus the Hugging Face listing; print the
figures.

    python benchmarks/arxiv_fetch_bench.py [--items 2000] [--hf 100] [--postgres URL]

A stdlib HTTP server on 127.0.0.1 serves a generated announcement feed in the format of
shared/samples/arxiv_rss_sample.xml (titles and abstracts from shared/corpus/papers.json under
new ids; 55% new, 20% cross, 20% replace, 5% replace-cross) and a Hugging Face listing of
`--hf` papers, half of them also in the announcement. `digest fetch`'s own path runs against
it (fetching.fetch with the polite getters: one request per listing, so no 3 s wait), on a
fresh SQLite database (and PostgreSQL with --postgres, a scratch database it empties first).

Three runs: day 1 into an empty store; the same day again (nothing new); day 2, whose
replacements name day 1's papers (updates, never new). Each prints wall time, the share spent
downloading and parsing the feed, papers per second and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import SQLModel

from digest import fetching, store
from digest.sources import arxiv
from digest.sources.arxiv import ArxivFeed, parse_feed
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter, make_client
from digest.store.engine import make_engine, session_scope, upgrade

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers.json"
CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")
KINDS = ("new",) * 11 + ("cross",) * 4 + ("replace",) * 4 + ("replace-cross",)
SPACE = " "  # arXiv's descriptions end their first line with one


def rfc822(day: date) -> str:
    return datetime(day.year, day.month, day.day).strftime("%a, %d %b %Y 00:00:00 -0500")


def make_feed(
    corpus: list[dict], n: int, day: date, serial: int
) -> tuple[str, list[tuple[str, dict]]]:
    """An announcement of `n` items (the sample's layout); returns it and the new papers.

    Replacements name papers of the previous day's feed (serial - 1), as arXiv's do."""
    items, new_ids = [], []
    stamp = rfc822(day)
    for i in range(n):
        doc = corpus[i % len(corpus)]
        kind = KINDS[i % len(KINDS)]
        replacing = kind.startswith("replace")
        # a replacement names the previous day's new paper 15 places before it
        pid = f"26{serial - 1:02d}.{i - 15:05d}" if replacing else f"26{serial:02d}.{i:05d}"
        version = 2 if replacing else 1
        if not replacing:
            new_ids.append((pid, doc))
        cats = "".join(
            f"\n      <category>{c}</category>"
            for c in (CATEGORIES[i % 5], CATEGORIES[(i + 2) % 5])
        )
        authors = ", ".join(f"Author {i}-{j}" for j in range(1 + i % 6))
        items.append(
            f"""
    <item>
      <title>{escape(doc["title"])}</title>
      <link>https://arxiv.org/abs/{pid}</link>
      <description>arXiv:{pid}v{version} Announce Type: {kind}{SPACE}
Abstract: {escape(doc["abstract"])}</description>
      <guid isPermaLink="false">oai:arXiv.org:{pid}v{version}</guid>{cats}
      <pubDate>{stamp}</pubDate>
      <arxiv:announce_type>{kind}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>{escape(authors)}</dc:creator>
    </item>"""
        )
    feed = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>{"+".join(CATEGORIES)} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{"+".join(CATEGORIES)}</link>
    <description>cs updates on the arXiv.org e-print archive.</description>
    <language>en-us</language>
    <lastBuildDate>{stamp}</lastBuildDate>
    <pubDate>{stamp}</pubDate>{"".join(items)}
  </channel>
</rss>
"""
    return feed, new_ids


def make_hf(corpus: list[dict], new: list[tuple[str, dict]], n: int, day: date) -> list[dict]:
    """`n` Hugging Face items: the first half also in the announcement (the same text), the
    rest not."""
    out = []
    for i in range(n):
        pid, doc = new[i * 7] if i < n // 2 else (f"2699.{i:05d}", corpus[(i * 7) % len(corpus)])
        out.append(
            {
                "paper": {
                    "id": pid,
                    "title": doc["title"],
                    "summary": doc["abstract"],
                    "upvotes": (i * 37) % 120,
                    "submittedOnDailyAt": f"{day}T03:00:00.000Z",
                    "authors": [{"name": f"Author {i}-{j}"} for j in range(3)],
                },
                "numComments": i % 4,
            }
        )
    return out


class Listings:
    """What the loopback server answers; swapped between runs."""

    feed: ClassVar[bytes] = b""
    hf: ClassVar[dict[str, bytes]] = {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/rss/"):
            body, kind = Listings.feed, "application/rss+xml"
        elif self.path.startswith("/api/daily_papers"):
            day = self.path.split("date=")[1][:10]
            page = self.path.split("p=")[1].split("&")[0]
            body = Listings.hf.get(day, b"[]") if page == "0" else b"[]"
            kind = "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(engine: sa.Engine, base: str, day: date, now: datetime) -> tuple[float, dict]:
    with make_client() as hf_client, arxiv.make_client() as rss_client:
        sources = [
            HfListing(PoliteGetter(hf_client), base),
            ArxivFeed(arxiv.polite_getter(rss_client), f"{base}/rss", CATEGORIES),
        ]
        start = time.perf_counter()
        report = fetching.fetch(engine, sources=sources, days=[day], now=now)
        wall = time.perf_counter() - start
    assert report.ok, report.errors
    return wall, report.as_dict()


def bench(url: str, corpus: list[dict], items: int, hf: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    day1, day2 = date(2026, 3, 4), date(2026, 3, 5)
    feed1, ids1 = make_feed(corpus, items, day1, serial=3)
    feed2, ids2 = make_feed(corpus, items, day2, serial=4)
    Listings.hf = {
        day1.isoformat(): json.dumps(make_hf(corpus, ids1, hf, day1)).encode(),
        day2.isoformat(): json.dumps(make_hf(corpus, ids2, hf, day2)).encode(),
    }
    parse_s = min(_timed(lambda f=feed1: parse_feed(f.encode())) for _ in range(3))
    now = datetime(2026, 3, 4, 6, tzinfo=UTC)
    with server() as base:
        print(f"[{engine.dialect.name}] feed of {items:,} items, {len(feed1) / 1e6:.1f} MB; "
              f"Hugging Face listing of {hf} ({hf // 2} also on arXiv)")  # fmt: skip
        print(f"  parse alone (defusedxml): {parse_s * 1000:.0f} ms "
              f"({items / parse_s:,.0f} items/s)")  # fmt: skip
        runs = [
            ("day 1, empty store", feed1, day1, now),
            ("day 1 again", feed1, day1, now + timedelta(hours=1)),
            ("day 2, replacements of day 1", feed2, day2, now + timedelta(days=1)),
        ]
        for name, feed, day, when in runs:
            Listings.feed = feed.encode()
            wall, report = run(engine, base, day, when)
            counts, parts = report["counts"], report["sources"]
            fetched = counts["fetched"]
            print(
                f"  {name}: fetch+store {wall:.2f} s ({fetched / wall:,.0f} items/s); "
                f"new={counts['new']} updated={counts['updated']} "
                f"unchanged={counts['unchanged']} ignored={counts['ignored']} "
                f"(arxiv new={parts['arxiv']['new']}, hf new={parts['hf']['new']}); "
                f"peak RSS {peak_rss_mb():.0f} MB"
            )
    with session_scope(engine) as session:
        print(f"  papers stored: {store.count_papers(session):,}")
    engine.dispose()


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="announcement size")
    parser.add_argument("--hf", type=int, default=100, help="Hugging Face listing size")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a scratch database)")
    args = parser.parse_args()
    corpus = json.loads(CORPUS.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{tmp}/bench.db"]
        if args.postgres:
            urls.append(args.postgres)
        for url in urls:
            bench(url, corpus, args.items, args.hf)


if __name__ == "__main__":
    main()
