"""Outbox queries and results (digest.outbox, digest.outcomes) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from digest import store
from digest.delivery import outbox, outcomes
from digest.store.engine import session_scope
from digest.store.tables import Delivery, SentPaper, Subscriber
from digest.subscribers import lifecycle
from tests import factories

DAY = date(2026, 3, 4)


def _subscribers(engine: Engine, now: datetime, n: int) -> list[int]:
    with session_scope(engine) as session:
        values = [factories.subscriber(f"s{i}@example.org") for i in range(n)]
        store.import_subscribers(session, values=values, now=now, defaults={})
        return [s.id for s in session.exec(select(Subscriber).order_by(Subscriber.id))]


def _row(engine: Engine, delivery_id: int) -> Delivery:
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def _sub(engine: Engine, subscriber_id: int) -> Subscriber:
    with Session(engine) as session:
        sub = session.get(Subscriber, subscriber_id)
        assert sub is not None
        return sub


def test_plan_is_idempotent(engine: Engine, now: datetime) -> None:
    ids = _subscribers(engine, now, 3)
    rows = [(sid, DAY) for sid in ids]
    with session_scope(engine) as session:
        assert outbox.insert_planned(session, rows=rows, now=now) == 3
    with session_scope(engine) as session:
        assert outbox.insert_planned(session, rows=rows, now=now) == 0
        assert outbox.latest_planned(session, subscriber_ids=ids) == dict.fromkeys(ids, DAY)
        assert outbox.status_counts(session, digest_date=DAY)["pending"] == 3


def test_iter_slots_streams_active_subscribers_in_batches(engine: Engine, now: datetime) -> None:
    ids = _subscribers(engine, now, 5)
    with session_scope(engine) as session:
        lifecycle.unsubscribe(
            session, sub=store.get_subscriber(session, email="s1@example.org"), now=now
        )
    with session_scope(engine) as session:
        batches = list(outbox.iter_slots(session, batch=2))
    assert [len(b) for b in batches] == [2, 2]
    assert [s.id for b in batches for s in b] == [i for i in ids if i != ids[1]]


def test_claim_takes_each_row_once_until_the_lease_expires(engine: Engine, now: datetime) -> None:
    ids = _subscribers(engine, now, 3)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY) for sid in ids], now=now)
    with session_scope(engine) as session:
        first = outbox.claim(session, owner="a", now=now, lease_seconds=60, limit=2)
    with session_scope(engine) as session:
        second = outbox.claim(session, owner="b", now=now, lease_seconds=600, limit=5)
        assert outbox.claim(session, owner="c", now=now, lease_seconds=60, limit=5) == []
    assert len(first) == 2 and len(second) == 1
    assert {c.id for c in first} | {c.id for c in second} == {1, 2, 3}
    # worker "a" died: after its lease, "c" gets its rows; "a" can no longer record them
    later = now + timedelta(seconds=61)
    with session_scope(engine) as session:
        stolen = outbox.claim(session, owner="c", now=later, lease_seconds=60, limit=5)
        assert [c.id for c in stolen] == [c.id for c in first]
        assert not outcomes.record_sent(
            session,
            delivery_id=first[0].id,
            subscriber_id=first[0].subscriber_id,
            owner="a",
            now=later,
            message_id="<x>",
            paper_ids=["p1"],
            cutoff=later,
        )
    assert _row(engine, first[0].id).status == "sending"


def test_renew_and_release(engine: Engine, now: datetime) -> None:
    ids = _subscribers(engine, now, 2)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY) for sid in ids], now=now)
    with session_scope(engine) as session:
        rows = outbox.claim(session, owner="a", now=now, lease_seconds=60, limit=5)
        assert outbox.renew(session, owner="a", ids=[rows[0].id], now=now, lease_seconds=600) == 1
        assert outbox.release(session, owner="a", ids=[rows[1].id], now=now) == 1
    later = now + timedelta(seconds=120)
    with session_scope(engine) as session:
        assert [
            c.id for c in outbox.claim(session, owner="b", now=later, lease_seconds=60, limit=5)
        ] == [rows[1].id]
        assert outbox.next_due(session) == later + timedelta(seconds=60)


def _claim_one(engine: Engine, now: datetime, owner: str = "w") -> outbox.Claimed:
    with session_scope(engine) as session:
        rows = outbox.claim(session, owner=owner, now=now, lease_seconds=60, limit=1)
    assert len(rows) == 1
    return rows[0]


def test_record_sent_remembers_papers_and_moves_cutoff(engine: Engine, now: datetime) -> None:
    (sid,) = _subscribers(engine, now, 1)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY)], now=now)
    row = _claim_one(engine, now)
    with session_scope(engine) as session:
        assert outcomes.record_sent(
            session,
            delivery_id=row.id,
            subscriber_id=sid,
            owner="w",
            now=now,
            message_id="<m@x>",
            paper_ids=["p1", "p2"],
            cutoff=now,
        )
    done = _row(engine, row.id)
    assert (done.status, done.message_id, done.paper_ids, done.lease_owner) == (
        "sent",
        "<m@x>",
        ["p1", "p2"],
        None,
    )
    assert _sub(engine, sid).last_digest_at == now
    with Session(engine) as session:
        assert sorted(p.paper_id for p in session.exec(select(SentPaper))) == ["p1", "p2"]
        assert outbox.count_claimable(session, now=now + timedelta(days=1)) == 0


def test_cutoff_never_moves_back(engine: Engine, now: datetime) -> None:
    (sid,) = _subscribers(engine, now, 1)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY)], now=now)
        sub = session.get(Subscriber, sid)
        assert sub is not None
        sub.last_digest_at = now + timedelta(hours=1)
    row = _claim_one(engine, now)
    with session_scope(engine) as session:
        outcomes.record_empty(
            session, delivery_id=row.id, subscriber_id=sid, owner="w", now=now, cutoff=now
        )
    assert _row(engine, row.id).status == "empty"
    assert _sub(engine, sid).last_digest_at == now + timedelta(hours=1)


def test_retry_then_give_up_counts_soft_bounces(engine: Engine, now: datetime) -> None:
    (sid,) = _subscribers(engine, now, 1)
    for n in range(3):
        day = DAY + timedelta(days=n)
        with session_scope(engine) as session:
            outbox.insert_planned(session, rows=[(sid, day)], now=now)
        row = _claim_one(engine, now)
        later = now + timedelta(minutes=5)
        with session_scope(engine) as session:
            kw = {"delivery_id": row.id, "subscriber_id": sid, "owner": "w", "now": now}
            assert (
                outcomes.record_retry(
                    session,
                    **kw,
                    error="451 try later",
                    next_attempt_at=later,
                    soft_bounce=True,
                    soft_limit=3,
                )
                == "retry"
            )
        assert _row(engine, row.id).attempts == 1
        row = _claim_one(engine, later)
        with session_scope(engine) as session:
            kw = {"delivery_id": row.id, "subscriber_id": sid, "owner": "w", "now": later}
            assert (
                outcomes.record_retry(
                    session,
                    **kw,
                    error="451 try later",
                    next_attempt_at=None,
                    soft_bounce=True,
                    soft_limit=3,
                )
                == "failed"
            )
        sub = _sub(engine, sid)
        assert sub.soft_bounces == n + 1
        assert sub.status == ("suppressed" if n == 2 else "active")
    assert _sub(engine, sid).suppressed_at == now + timedelta(minutes=5)


def test_sent_resets_soft_bounces(engine: Engine, now: datetime) -> None:
    (sid,) = _subscribers(engine, now, 1)
    with session_scope(engine) as session:
        sub = session.get(Subscriber, sid)
        assert sub is not None
        sub.soft_bounces = 2
        outbox.insert_planned(session, rows=[(sid, DAY)], now=now)
    row = _claim_one(engine, now)
    with session_scope(engine) as session:
        outcomes.record_sent(
            session,
            delivery_id=row.id,
            subscriber_id=sid,
            owner="w",
            now=now,
            message_id="<m>",
            paper_ids=[],
            cutoff=now,
        )
    assert _sub(engine, sid).soft_bounces == 0


def test_hard_bounce_suppresses_at_the_limit(engine: Engine, now: datetime) -> None:
    a, b = _subscribers(engine, now, 2)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(a, DAY), (b, DAY)], now=now)
    for sid, limit in ((a, 1), (b, 2)):
        row = _claim_one(engine, now)
        assert row.subscriber_id == sid
        with session_scope(engine) as session:
            assert outcomes.record_bounce(
                session,
                delivery_id=row.id,
                subscriber_id=sid,
                owner="w",
                now=now,
                error="550 no such user",
                hard_limit=limit,
            )
    assert (_sub(engine, a).status, _sub(engine, a).hard_bounces) == ("suppressed", 1)
    assert (_sub(engine, b).status, _sub(engine, b).hard_bounces) == ("active", 1)
    with Session(engine) as session:
        counts = outbox.status_counts(session, digest_date=DAY)
    assert counts["failed"] == 2 and counts["suppressed_subscribers"] == 1 and counts["due"] == 2


def test_record_sent_many_records_only_rows_still_owned(engine: Engine, now: datetime) -> None:
    ids = _subscribers(engine, now, 3)
    with session_scope(engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY) for sid in ids], now=now)
    with session_scope(engine) as session:
        rows = outbox.claim(session, owner="a", now=now, lease_seconds=60, limit=5)
    later = now + timedelta(seconds=120)
    with session_scope(engine) as session:  # b takes over the first row after a's lease ran out
        (stolen,) = outbox.claim(session, owner="b", now=later, lease_seconds=60, limit=1)
    accepted = [
        outcomes.Accepted(r.id, r.subscriber_id, f"<m{r.id}@x>", (f"p{r.id}", "q")) for r in rows
    ]
    with session_scope(engine) as session:
        done = outcomes.record_sent_many(
            session, accepted=accepted, owner="a", now=later, cutoff=later
        )
    assert done == {r.id for r in rows} - {stolen.id}
    for r in rows:
        row = _row(engine, r.id)
        if r.id == stolen.id:
            assert (row.status, row.lease_owner, row.message_id) == ("sending", "b", None)
            assert _sub(engine, r.subscriber_id).last_digest_at is None
        else:
            assert (row.status, row.message_id, row.paper_ids, row.lease_owner, row.attempts) == (
                "sent", f"<m{r.id}@x>", [f"p{r.id}", "q"], None, 1,
            )  # fmt: skip
            assert _sub(engine, r.subscriber_id).last_digest_at == later
    with Session(engine) as session:
        sent = {(p.delivery_id, p.paper_id) for p in session.exec(select(SentPaper))}
    assert sent == {(i, p) for i in done for p in (f"p{i}", "q")}


def test_claims_read_the_partial_indexes_in_order(sqlite_engine: Engine, now: datetime) -> None:
    # a claim must not sort every pending row: SQLite's plan reads the partial indexes
    from sqlalchemy import event

    ids = _subscribers(sqlite_engine, now, 3)
    with session_scope(sqlite_engine) as session:
        outbox.insert_planned(session, rows=[(sid, DAY) for sid in ids], now=now)
    statements: list[tuple[str, tuple[object, ...]]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", keep)
    with session_scope(sqlite_engine) as session:
        rows = outbox.claim(session, owner="a", now=now, lease_seconds=60, limit=2)
    event.remove(sqlite_engine, "before_cursor_execute", keep)
    assert [r.subscriber_id for r in rows] == ids[:2]  # earliest first, then by id
    claims = [(s, p) for s, p in statements if s.startswith("UPDATE delivery")]
    plans = []
    with sqlite_engine.connect() as conn:
        for statement, parameters in claims:
            steps = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" ".join(str(step[-1]) for step in steps))
    assert "ix_delivery_leased" in plans[0] and "ix_delivery_due" in plans[1]
    assert not any("TEMP B-TREE" in plan for plan in plans)
