"""Fixed-window limits in the shared Counter table: atomic under concurrency, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import Session, select

from digest.store.counters import window_start
from digest.store.tables import Counter
from digest.web.limits import Limit
from digest.web.limits import allow as hit


def test_exactly_the_limit_passes_when_many_clients_hit_at_once(engine, now):
    limit = Limit(5, 3600)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: hit(engine, "k", limit, now), range(24)))
    assert results.count(True) == 5
    with Session(engine) as s:
        row = s.get(Counter, "k")
        assert row is not None and row.count == 24
        assert row.window_start == window_start(now, 3600)


def test_a_new_window_starts_counting_again(engine, now):
    limit = Limit(1, 60)
    assert hit(engine, "k", limit, now)
    assert not hit(engine, "k", limit, now + timedelta(seconds=1))
    start = window_start(now, 60)
    assert hit(engine, "k", limit, start + timedelta(seconds=60))
    assert hit(engine, "other", limit, now)  # keys are independent


def test_window_start_is_aligned_to_the_window():
    from datetime import UTC, datetime

    t = datetime(2026, 3, 4, 6, 59, 59, tzinfo=UTC)
    assert window_start(t, 3600) == datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
    assert window_start(t, 86400) == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


def test_prune_forgets_only_old_counters_under_the_given_prefixes(engine, now):
    from digest.store.counters import prune

    old = now - timedelta(days=3)
    for key in ("subscribe:ip:1.2.3.4", "smtp:hour:1", "email_x"):
        hit(engine, key, Limit(9, 60), old)
    hit(engine, "subscribe:to:a@example.org", Limit(9, 60), now)
    assert prune(engine, ("subscribe:", "email:"), now - timedelta(days=2)) == 1
    with Session(engine) as s:
        keys = sorted(c.key for c in s.exec(select(Counter)))
    assert keys == ["email_x", "smtp:hour:1", "subscribe:to:a@example.org"]
