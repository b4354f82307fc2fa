"""The ranking index of a batch is reused until its papers, the votes or the acronyms change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from digest import compose, store, web_store
from digest.db import session_scope
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
        web_store.set_feedback(session, subscriber_id=sid, paper_id="2603.00001", vote=1, now=now)
    assert builds(now) == 4
    with session_scope(engine) as session:
        store.save_acronyms(session, counts={("OOD", "out of distribution"): 2}, now=now)
    assert builds(now) == 5
    assert builds(now) == 5
