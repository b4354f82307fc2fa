"""Composing digests: the ranking index is reused until what it indexes changes; workers GC less."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest import store
from digest.delivery import compose
from digest.store.engine import session_scope
from tests.factories import listed
from tests.test_outbox import _subscribers


def test_paper_cache_is_rebuilt_only_when_what_it_indexes_changes(
    engine: Engine, now: datetime
) -> None:
    (sid,) = _subscribers(engine, now, 1)
    cache = compose.PaperCache()
    floor, hour = now - timedelta(days=2), timedelta(hours=1)

    def builds(at: datetime) -> int:
        with Session(engine) as session:
            cache.load(session, floor=floor, cutoff=at)
        return cache.builds

    with session_scope(engine) as session:
        store.insert_papers(session, papers=[listed("2603.00001")], now=now - 2 * hour)
    assert builds(now) == 1
    assert builds(now) == 1 and set(cache.papers) == {"2603.00001"}  # nothing changed
    with session_scope(engine) as session:
        store.insert_papers(session, papers=[listed("2603.00002")], now=now - hour)
    assert builds(now) == 2 and set(cache.papers) == {"2603.00001", "2603.00002"}
    with session_scope(engine) as session:
        store.update_papers(session, papers=[listed("2603.00002", upvotes=99)], now=now)
    assert builds(now) == 3 and cache.papers["2603.00002"].upvotes == 99
    with session_scope(engine) as session:
        store.set_feedback(session, subscriber_id=sid, paper_id="2603.00001", vote=1, now=now)
    assert builds(now) == 4
    with session_scope(engine) as session:
        store.save_acronyms(session, counts={("OOD", "out of distribution"): 2}, now=now)
    assert builds(now) == 5
    assert builds(now) == 5


def test_workers_collect_garbage_less_often_and_never_more_often() -> None:
    from digest.process import collect_less_often

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collect_less_often()
        assert gc.get_threshold() == (50_000, 100, 100)
        gc.set_threshold(80_000, 300, 5)
        collect_less_often()
        assert gc.get_threshold() == (80_000, 300, 100)
    finally:
        gc.set_threshold(*before)
