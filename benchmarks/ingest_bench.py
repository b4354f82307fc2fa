"""Import 100,000 subscribers from CSV and ingest 10,000 papers; print the figures.

    python benchmarks/ingest_bench.py [--subscribers 100000] [--papers 10000] [--postgres URL]

Baselines in the same run: a per-row ORM upsert (one query and flush per subscriber) and a
per-paper ORM merge, each timed on a sample and scaled up.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest import fetching, store
from digest.sources.hf import parse_item
from digest.store.engine import make_engine, session_scope, upgrade
from digest.store.tables import Paper
from digest.subscribers import lifecycle
from digest.subscribers.inputs import read_csv

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers.json"
NOW = datetime(2026, 3, 4, 6, tzinfo=UTC)
DEFAULTS = {"send_at": "07:00", "timezone": "UTC", "max_papers": 10}
WORDS = [
    "OOD",
    "diffusion",
    "RLHF",
    "KD",
    "LLM",
    "normalizing flows",
    "graph neural networks",
    "vision transformers",
    "retrieval",
    "speech",
    "robotics",
    "federated learning",
]


def make_csv(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    rows = ["email,keywords,exclude,send_at,tz"]
    for i in range(n):
        kws = ";".join(rng.sample(WORDS, rng.randint(1, 4)))
        rows.append(f"user{i}@example.org,{kws},survey,0{rng.randint(5, 9)}:30,Europe/Paris")
    return "\n".join(rows) + "\n"


def hf_items(n: int) -> list[dict]:
    corpus = json.loads(CORPUS.read_text())
    day = date(2026, 3, 4)
    items = []
    for i in range(n):
        doc = corpus[i % len(corpus)]
        items.append(
            {
                "paper": {
                    "id": f"2603.{i:05d}",
                    "title": doc["title"],
                    "summary": doc["abstract"],
                    "upvotes": i % 97,
                    "submittedOnDailyAt": f"{day}T03:00:00.000Z",
                    "authors": [{"name": f"Author {j}"} for j in range(5)],
                },
                "numComments": i % 5,
            }
        )
    return items


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_import(url: str, n: int, sample: int) -> None:
    engine = make_engine(url)
    text = make_csv(n)
    parse_s, values = timed(lambda: [r.value for r in read_csv(text) if r.value])
    store_s, report = timed(
        lambda: lifecycle.import_subscribers(engine, values=values, now=NOW, defaults=DEFAULTS)
    )
    again_s, again = timed(
        lambda: lifecycle.import_subscribers(engine, values=values, now=NOW, defaults=DEFAULTS)
    )
    base_values = [v for v in values[:sample]]
    base_engine = make_engine(url)

    def per_row() -> None:
        for v in base_values:
            with session_scope(base_engine) as session:
                store.upsert_subscriber(
                    session,
                    value=v.__class__(**{**v.__dict__, "email": "b" + v.email}),
                    now=NOW,
                    defaults=DEFAULTS,
                )

    base_s, _ = timed(per_row)
    scaled = base_s * n / sample
    total = parse_s + store_s
    print(
        f"import {n:,} subscribers [{engine.dialect.name}]: parse+validate {parse_s:.2f}s, "
        f"store {store_s:.2f}s, total {total:.2f}s ({n / total:,.0f} rows/s); "
        f"{report.counts}; re-import {again_s:.2f}s {again.counts}"
    )
    print(
        f"  baseline per-row upsert: {base_s:.2f}s for {sample:,} -> {scaled:.1f}s scaled "
        f"to {n:,}; bulk store is {scaled / store_s:.1f}x faster"
    )


def bench_ingest(url: str, n: int, sample: int) -> None:
    engine = make_engine(url)
    items = hf_items(n)
    parse_s, papers = timed(lambda: [parse_item(it, date(2026, 3, 4)) for it in items])
    store_s, counts = timed(lambda: fetching._store_listing(engine, papers, NOW))
    bumped = [p.__class__(**{**p.__dict__, "upvotes": p.upvotes + 1}) for p in papers]
    later = NOW + timedelta(hours=1)
    update_s, counts2 = timed(lambda: fetching._store_listing(engine, bumped, later))
    same_s, counts3 = timed(lambda: fetching._store_listing(engine, bumped, later))

    def per_paper() -> None:
        for p in papers[:sample]:
            with session_scope(engine) as session:
                session.merge(
                    Paper(
                        **{
                            **store.papers._row(p),
                            "id": "b" + p.id,
                            "listing_day": p.listing_day,
                            "first_seen_at": NOW,
                            "updated_at": NOW,
                        }
                    )
                )

    base_s, _ = timed(per_paper)
    scaled = base_s * n / sample
    print(
        f"ingest {n:,} papers [{engine.dialect.name}]: parse {parse_s:.2f}s, store new "
        f"{store_s:.2f}s {counts}; all updated {update_s:.2f}s (updated={counts2['updated']}); "
        f"unchanged {same_s:.2f}s (unchanged={counts3['unchanged']})"
    )
    print(
        f"  baseline per-paper merge: {base_s:.2f}s for {sample:,} -> {scaled:.1f}s scaled; "
        f"batched ingest is {scaled / store_s:.1f}x faster"
    )
    with session_scope(engine) as session:
        assert store.count_papers(session) == n + sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a scratch database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{tmp}/bench.db"]
        if args.postgres:
            urls.append(args.postgres)
        for url in urls:
            engine = make_engine(url)
            upgrade(engine)
            bench_import(url, args.subscribers, args.sample)
            bench_ingest(url, args.papers, args.sample)


if __name__ == "__main__":
    main()
