"""Recording what became of a claimed delivery, and the bounce accounting that follows.

Keyword-only functions taking `session`; the caller commits (once per message: these run
for every digest, so their statements are built once and reused). Each only touches a row its
caller still owns (status `sending`, its `lease_owner`) and says whether it did: a worker
whose lease ran out must not overwrite what another worker recorded.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from digest import store
from digest.delivery.outbox import DELIVERY, SENT_PAPER, SUBSCRIBER, owned
from digest.subscribers import lifecycle


def _arrays() -> Any:
    """PostgreSQL: the rows as three arrays, unnested. One short statement for any number of
    rows, which psycopg prepares once; a multi-row VALUES list is parsed anew every time."""
    rows = (
        sa.func.unnest(
            sa.bindparam("s", type_=postgresql.ARRAY(SENT_PAPER.c.subscriber_id.type)),
            sa.bindparam("p", type_=postgresql.ARRAY(SENT_PAPER.c.paper_id.type)),
            sa.bindparam("d", type_=postgresql.ARRAY(SENT_PAPER.c.delivery_id.type)),
        )
        .table_valued("s", "p", "d")
        .render_derived()
    )
    at = sa.bindparam("t", type_=SENT_PAPER.c.sent_at.type)
    columns = ["subscriber_id", "paper_id", "delivery_id", "sent_at"]
    select = sa.select(rows.c.s, rows.c.p, rows.c.d, at)
    return postgresql.insert(SENT_PAPER).from_select(columns, select).on_conflict_do_nothing()


def _json_rows() -> Any:
    """SQLite: the rows as one JSON array of [subscriber, paper, delivery] read by json_each,
    so SQLAlchemy binds three parameters, not four per row."""
    rows = sa.func.json_each(sa.bindparam("rows", type_=sa.JSON)).table_valued("value")
    at = sa.bindparam("t", type_=SENT_PAPER.c.sent_at.type)
    values = (sa.func.json_extract(rows.c.value, f"$[{k}]") for k in range(3))
    select = sa.select(*values, at).where(sa.true())  # SQLite's upsert wants a WHERE here
    columns = ["subscriber_id", "paper_id", "delivery_id", "sent_at"]
    return sqlite.insert(SENT_PAPER).from_select(columns, select).on_conflict_do_nothing()


_SENT_ARRAYS = _arrays()
_SENT_JSON = _json_rows()


def _insert_sent(session: Session, rows: Sequence[tuple[int, str, int]], now: datetime) -> None:
    """Remember papers sent: (subscriber id, paper id, delivery id), all at `now`."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        s, p, d = (list(column) for column in zip(*rows, strict=True))
        session.connection().execute(_SENT_ARRAYS, {"s": s, "p": p, "d": d, "t": now})
    elif name == "sqlite":
        session.connection().execute(_SENT_JSON, {"rows": [list(row) for row in rows], "t": now})
    else:
        raise RuntimeError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


_FINISH: dict[tuple[tuple[str, ...], bool], Any] = {}


def _finish(
    session: Session, delivery_id: int, owner: str, *, bump: bool = False, **values: Any
) -> bool:
    """Update a row still owned by `owner`, dropping the lease; False if it was lost.

    `bump` counts one more attempt. Statements are built once per shape and reused: this
    runs once per message, so building SQL each time would dominate its cost.
    """
    shape = (tuple(sorted(values)), bump)
    stmt = _FINISH.get(shape)
    if stmt is None:
        sets: dict[str, Any] = {
            k: sa.bindparam(f"v_{k}", type_=DELIVERY.c[k].type) for k in shape[0]
        }
        if bump:
            sets["attempts"] = DELIVERY.c.attempts + 1
        stmt = _FINISH[shape] = (
            sa.update(DELIVERY)
            .where(
                DELIVERY.c.id == sa.bindparam("w_id"),
                owned(sa.bindparam("w_owner")),
            )
            .values(lease_owner=None, lease_until=None, **sets)
        )
    params = {f"v_{k}": v for k, v in values.items()} | {"w_id": delivery_id, "w_owner": owner}
    return bool(session.connection().execute(stmt, params).rowcount)


def record_sent(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    message_id: str,
    paper_ids: Sequence[str],
    cutoff: datetime,
) -> bool:
    """A digest the server accepted: remember its papers and move the subscriber's cutoff
    (`record_sent_many` for one digest: there is one way to mark a digest sent)."""
    accepted = [Accepted(delivery_id, subscriber_id, message_id, tuple(paper_ids))]
    return delivery_id in record_sent_many(
        session, accepted=accepted, owner=owner, now=now, cutoff=cutoff
    )


@dataclass(frozen=True)
class Accepted:
    """A digest with papers that the server accepted, for `record_sent_many`."""

    delivery_id: int
    subscriber_id: int
    message_id: str
    paper_ids: tuple[str, ...]


_NOW = sa.bindparam("v_now", type_=DELIVERY.c.sent_at.type)


@functools.lru_cache(maxsize=64)
def _sent_statement(n: int) -> Any:
    """SQLite: mark `n` accepted digests sent (Message-IDs and papers: a CASE per column)
    if this owner still holds them; returns the ids it marked. One statement per count."""
    ids = [sa.bindparam(f"i{k}", type_=DELIVERY.c.id.type) for k in range(n)]

    def each(column: Any, name: str) -> Any:
        value = [sa.bindparam(f"{name}{k}", type_=column.type) for k in range(n)]
        return sa.case(
            *((DELIVERY.c.id == i, v) for i, v in zip(ids, value, strict=True)), else_=column
        )

    return (
        sa.update(DELIVERY)
        .where(
            DELIVERY.c.id.in_(ids),
            owned(sa.bindparam("w_owner")),
        )
        .values(
            status="sent",
            sent_at=_NOW,
            updated_at=_NOW,
            last_error=None,
            lease_owner=None,
            lease_until=None,
            attempts=DELIVERY.c.attempts + 1,
            message_id=each(DELIVERY.c.message_id, "m"),
            paper_ids=each(DELIVERY.c.paper_ids, "p"),
        )
        .returning(DELIVERY.c.id)
    )


def record_sent_many(
    session: Session, *, accepted: Sequence[Accepted], owner: str, now: datetime, cutoff: datetime
) -> set[int]:
    """`record_sent` for several digests at once; returns the delivery ids recorded (the rest
    were lost). One statement on PostgreSQL (a round trip to the server per statement is
    what recording costs there), three on SQLite, whatever the number of digests and papers."""
    if not accepted:
        return set()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {
            "ids": [a.delivery_id for a in accepted],
            "mids": [a.message_id for a in accepted],
            "papers": [json.dumps(a.paper_ids) for a in accepted],
            "owner": owner, "now": now, "cutoff": cutoff,
        }  # fmt: skip
        return {row[0] for row in connection.execute(_SENT_PG, arrays)}
    values: dict[str, Any] = {"w_owner": owner, "v_now": now}
    for k, a in enumerate(accepted):
        values |= {f"i{k}": a.delivery_id, f"m{k}": a.message_id, f"p{k}": list(a.paper_ids)}
    done = {row[0] for row in connection.execute(_sent_statement(len(accepted)), values)}
    mine = [a for a in accepted if a.delivery_id in done]
    if not mine:
        return done
    papers = [(a.subscriber_id, pid, a.delivery_id) for a in mine for pid in a.paper_ids]
    if papers:
        _insert_sent(session, papers, now)
    ids = sorted({a.subscriber_id for a in mine})
    connection.execute(_ADVANCE_MANY, {"w_ids": ids, "v_cutoff": cutoff})
    return done


# PostgreSQL: the rows still owned are marked sent, their papers remembered and their
# subscribers' cutoffs moved, in one statement (data-modifying CTEs see one snapshot, and the
# statement is atomic).
_SENT_PG = sa.text(
    """
WITH v AS (
  SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:mids AS varchar[]), CAST(:papers AS text[]))
    AS v(id, message_id, papers)
), done AS (
  UPDATE delivery AS d
  SET status = 'sent', sent_at = :now, updated_at = :now, last_error = NULL,
      lease_owner = NULL, lease_until = NULL, attempts = d.attempts + 1,
      message_id = v.message_id, paper_ids = CAST(v.papers AS json)
  FROM v
  WHERE d.id = ANY(CAST(:ids AS integer[])) AND d.id = v.id  -- ANY: found by primary key
    AND d.status = 'sending' AND d.lease_owner = :owner  -- outbox.owned, in SQL
  RETURNING d.id, d.subscriber_id, v.papers
), papers AS (
  INSERT INTO sentpaper (subscriber_id, paper_id, delivery_id, sent_at)
  SELECT done.subscriber_id, p.paper_id, done.id, :now
  FROM done CROSS JOIN LATERAL json_array_elements_text(CAST(done.papers AS json)) AS p(paper_id)
  ON CONFLICT DO NOTHING
), advanced AS (
  UPDATE subscriber AS s
  SET last_digest_at = GREATEST(s.last_digest_at, :cutoff), soft_bounces = 0
  WHERE s.id IN (SELECT subscriber_id FROM done)
)
SELECT id FROM done
"""
).bindparams(
    sa.bindparam("now", type_=DELIVERY.c.sent_at.type),
    sa.bindparam("cutoff", type_=SUBSCRIBER.c.last_digest_at.type),
)


def record_empty(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    cutoff: datetime,
    message_id: str | None = None,
) -> bool:
    """Nothing matched (no email, or a short note when `message_id` is given)."""
    done = _finish(
        session,
        delivery_id,
        owner,
        status="empty",
        updated_at=now,
        sent_at=now if message_id else None,
        message_id=message_id,
        last_error=None,
    )
    if done:
        _advance(session, subscriber_id, cutoff, reset=False)
    return done


_LAST = SUBSCRIBER.c.last_digest_at
_CUTOFF = sa.bindparam("v_cutoff", type_=_LAST.type)
_ADVANCE = {
    reset: sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id == sa.bindparam("w_id"))
    .values(
        last_digest_at=sa.case((sa.or_(_LAST.is_(None), _LAST < _CUTOFF), _CUTOFF), else_=_LAST),
        **({"soft_bounces": 0} if reset else {}),
    )
    for reset in (False, True)
}


_ADVANCE_MANY = (  # a window's digests share one cutoff: one statement for all
    sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id.in_(sa.bindparam("w_ids", expanding=True)))
    .values(
        last_digest_at=sa.case((sa.or_(_LAST.is_(None), _LAST < _CUTOFF), _CUTOFF), else_=_LAST),
        soft_bounces=0,
    )
)


def _advance(session: Session, subscriber_id: int, cutoff: datetime, *, reset: bool) -> None:
    """Move `last_digest_at` forward (never back: a late retry must not re-open old papers);
    `reset` clears the soft-bounce streak (a digest got through)."""
    session.connection().execute(_ADVANCE[reset], {"w_id": subscriber_id, "v_cutoff": cutoff})


def record_retry(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    error: str,
    next_attempt_at: datetime | None,
    soft_bounce: bool,
    soft_limit: int,
    digest_date: date | None = None,
) -> str | None:
    """A temporary failure: retry at `next_attempt_at`, or give up when it is None.

    Giving up after a 4xx reply (`soft_bounce`) counts one soft bounce; `soft_limit` in a row
    suppress the subscriber. Returns the row's new status, or None if the lease was lost.
    """
    if next_attempt_at is not None:
        done = _finish(
            session,
            delivery_id,
            owner,
            status="retry",
            bump=True,
            next_attempt_at=next_attempt_at,
            last_error=error[:1000],
            updated_at=now,
        )
        return "retry" if done else None
    done = _finish(
        session,
        delivery_id,
        owner,
        status="failed",
        bump=True,
        last_error=f"gave up: {error}"[:1000],
        updated_at=now,
    )
    if done and soft_bounce:
        _count_bounce(
            session, delivery_id=delivery_id, subscriber_id=subscriber_id,
            digest_date=digest_date, kind="soft", limit=soft_limit, now=now, error=error,
        )  # fmt: skip
    return "failed" if done else None


def record_bounce(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    owner: str,
    now: datetime,
    error: str,
    hard_limit: int,
    digest_date: date | None = None,
) -> bool:
    """A permanent failure (5xx): the row fails and the subscriber counts a hard bounce."""
    done = _finish(
        session,
        delivery_id,
        owner,
        status="failed",
        bump=True,
        last_error=error[:1000],
        updated_at=now,
    )
    if done:
        _count_bounce(
            session, delivery_id=delivery_id, subscriber_id=subscriber_id,
            digest_date=digest_date, kind="hard", limit=hard_limit, now=now, error=error,
        )  # fmt: skip
    return done


def _count_bounce(
    session: Session,
    *,
    delivery_id: int,
    subscriber_id: int,
    digest_date: date | None,
    kind: str,
    limit: int,
    now: datetime,
    error: str,
) -> None:
    """A bounce at sending: recorded once per delivery beside the later reports, and counted."""
    code = _ENHANCED.search(error)
    bounce_id = store.claim_report(
        session, report_key=f"smtp:{delivery_id}", source="smtp", kind=kind, now=now,
        subscriber_id=subscriber_id, digest_date=digest_date,
        status=code.group(0) if code else None, detail=error,
    )  # fmt: skip
    if bounce_id is None:
        return
    if kind == "hard":
        reason = f"hard bounce at sending ({digest_date} digest): {error}"
    else:
        reason = f"{limit} digest(s) in a row refused for now (soft bounces); last: {error}"
    suppressed = lifecycle.count_bounce(
        session, subscriber_id=subscriber_id, kind=kind, limit=limit, now=now, reason=reason
    )
    store.set_bounce_action(
        session, bounce_id=bounce_id, action="suppressed" if suppressed else "counted"
    )


_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")  # RFC 3463 status code


def record_skipped(
    session: Session, *, delivery_id: int, owner: str, now: datetime, status: str, reason: str
) -> bool:
    """The subscriber can no longer receive (suppressed, unsubscribed, paused meanwhile)."""
    return _finish(session, delivery_id, owner, status=status, last_error=reason, updated_at=now)
