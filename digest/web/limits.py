"""Fixed-window rate limits kept in the shared `Counter` table.

One atomic upsert per hit (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so the limits
hold across worker processes and survive restarts, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from digest.store.tables import Counter, table_of


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


@dataclass(frozen=True)
class Limits:
    """How many subscribe attempts and emails are allowed per window."""

    subscribe_per_ip: Limit = Limit(20, 3600)
    subscribe_per_address: Limit = Limit(5, 24 * 3600)
    emails_per_address: Limit = Limit(3, 3600)
    emails_per_ip: Limit = Limit(20, 3600)

    @property
    def longest(self) -> int:
        return max(limit.seconds for limit in vars(self).values())


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def hit(engine: Engine, key: str, limit: Limit, now: datetime) -> bool:
    """Count one hit on `key`; True while the window's count stays within the limit."""
    start = window_start(now, limit.seconds)
    table = table_of(Counter)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(key=key[:200], window_start=start, count=1)
    same_window = table.c.window_start == stmt.excluded.window_start
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": sa.case((same_window, table.c.count + 1), else_=1),
            "window_start": stmt.excluded.window_start,
        },
    ).returning(table.c.count)
    with engine.begin() as conn:
        count = conn.execute(stmt).scalar_one()
    return bool(count <= limit.count)


def prune(engine: Engine, prefixes: tuple[str, ...], before: datetime) -> int:
    """Forget counters under `prefixes` whose window started before `before`."""
    table = table_of(Counter)
    mine = sa.or_(*(table.c.key.startswith(p, autoescape=True) for p in prefixes))
    with engine.begin() as conn:
        result = conn.execute(sa.delete(table).where(mine, table.c.window_start < before))
    return int(result.rowcount or 0)
