"""Subscriber storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from digest import store
from digest.store.engine import session_scope
from digest.subscribers import lifecycle
from tests.factories import subscriber

DEFAULTS = {"send_at": "07:00", "timezone": "UTC", "max_papers": 10}


def test_bulk_import_creates_then_updates(engine, now) -> None:
    values = [subscriber(f"u{i}@example.org", keywords=f"k{i}") for i in range(1200)]
    with session_scope(engine) as session:
        assert store.import_subscribers(session, values=values, now=now, defaults=DEFAULTS) == (
            1200,
            0,
        )
    changed = [
        subscriber(f"u{i}@example.org", keywords="new", send_at="09:15") for i in range(0, 1200, 2)
    ]
    with session_scope(engine) as session:
        assert store.import_subscribers(
            session, values=changed, now=now + timedelta(hours=1), defaults=DEFAULTS
        ) == (0, 600)
    with session_scope(engine) as session:
        rows = list(store.iter_subscribers(session, batch=250))
    assert len(rows) == 1200
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    first = rows[0]
    assert (first.keywords, first.send_at, first.timezone) == ("new", "09:15", "UTC")
    assert (rows[1].keywords, rows[1].send_at) == ("k1", "07:00")


def test_a_failed_import_writes_nothing(pg_engine, now) -> None:
    # PostgreSQL enforces the email column's length; the whole import is one transaction.
    values = [subscriber(f"ok{i}@example.org") for i in range(700)]
    values.append(subscriber("x" * 330 + "@example.org"))
    with (
        pytest.raises((sa.exc.DataError, psycopg.errors.DataError)),
        session_scope(pg_engine) as session,
    ):
        store.import_subscribers(session, values=values, now=now, defaults=DEFAULTS)
    with session_scope(pg_engine) as session:
        assert list(store.iter_subscribers(session)) == []


def test_resubscribing_reactivates(engine, now) -> None:
    with session_scope(engine) as session:
        store.upsert_subscriber(session, value=subscriber(), now=now, defaults=DEFAULTS)
        lifecycle.unsubscribe(
            session, sub=store.get_subscriber(session, email="ada@example.org"), now=now
        )
    with session_scope(engine) as session:
        sub, created = store.upsert_subscriber(
            session, value=subscriber(keywords="RLHF"), now=now, defaults=DEFAULTS
        )
        assert not created and sub.status == "active" and sub.unsubscribed_at is None
        assert sub.keywords == "RLHF"
