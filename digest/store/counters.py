"""Every counter kept in the shared `Counter` table, so limits hold across processes and
machines and survive restarts: the send-rate limit (`RateLimiter`) and the web pages' per-key
limits (`hit`, `prune`).

The send rate:
two fixed windows, per second and per hour, keyed `<prefix>:second:<epoch>` and
`<prefix>:hour:<epoch>`. Taking a slot is one short transaction: increment the hour row only
while it is under its limit, then the second row likewise, and roll both back when either is
full. The conditional UPDATE is atomic on SQLite (one writer at a time) and on PostgreSQL (the
row lock makes a concurrent UPDATE re-check `count < limit`), so workers together never exceed
either limit. Fixed windows allow a burst of up to two windows' worth across a boundary, which
is how providers count quotas too. Windows follow each machine's wall clock: keep clocks in
sync (NTP) when workers run on several machines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from digest.config import Settings
from digest.store.tables import Counter, table_of

_COUNTER: sa.Table = table_of(Counter)
HOUR = 3600
_KEEP_SECONDS = timedelta(minutes=1)
_KEEP_HOURS = timedelta(hours=2)


def second_window(per_second: float) -> tuple[int, int]:
    """(window length in seconds, messages per window) that never exceeds `per_second`."""
    if per_second <= 0:
        return 0, 0
    if per_second < 1:
        return math.ceil(1 / per_second - 1e-9), 1
    for length in range(1, 11):  # 2.5/s -> 5 per 2 s, exact
        slots = per_second * length
        if abs(slots - round(slots)) < 1e-6:
            return length, round(slots)
    return 1, math.floor(per_second)


class RateLimiter:
    def __init__(
        self,
        engine: Engine,
        per_second: float,
        per_hour: int,
        *,
        prefix: str = "smtp",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second < 0 or per_hour < 0:
            raise ValueError("rate limits must not be negative")
        self.engine = engine
        self.per_hour = per_hour
        self.window, self.per_window = second_window(per_second)
        self.prefix = prefix
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> RateLimiter | None:
        """A limiter for DIGEST_RATE_PER_SECOND / _PER_HOUR, or None when both are 0."""
        if settings.rate_per_second <= 0 and settings.rate_per_hour <= 0:
            return None
        return cls(engine, settings.rate_per_second, settings.rate_per_hour)

    def acquire(self) -> None:
        """Block until one message may go out, and count it."""
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)

    def try_acquire(self) -> float:
        """Take a slot and return 0.0, or return the seconds until one may be free."""
        now = self._clock()
        with self.engine.connect() as conn:
            if self.per_hour:
                start = int(now // HOUR) * HOUR
                if not self._take(conn, "hour", start, self.per_hour, _KEEP_HOURS):
                    conn.rollback()
                    return max(start + HOUR - now, 0.001)
            if self.window:
                start = int(now // self.window) * self.window
                if not self._take(conn, "second", start, self.per_window, _KEEP_SECONDS):
                    conn.rollback()  # gives back the hour slot taken above
                    return max(start + self.window - now, 0.001)
            conn.commit()
        return 0.0

    def used(self, kind: str, start: int) -> int:
        """How many slots the window of `kind` ("second"/"hour") starting at `start` used."""
        with self.engine.connect() as conn:
            count = conn.execute(
                sa.select(_COUNTER.c.count).where(_COUNTER.c.key == self._key(kind, start))
            ).scalar()
        return int(count or 0)

    def _key(self, kind: str, start: int) -> str:
        return f"{self.prefix}:{kind}:{start}"

    def _take(self, conn: Connection, kind: str, start: int, limit: int, keep: timedelta) -> bool:
        key = self._key(kind, start)
        if self._increment(conn, key, limit):
            return True
        opened = datetime.fromtimestamp(start, UTC)
        values = {"key": key, "window_start": opened, "count": 1}
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        # RETURNING, not rowcount: SQLAlchemy does not report rowcount for a plain INSERT.
        statement = insert(_COUNTER).values(values).on_conflict_do_nothing()
        if conn.execute(statement.returning(_COUNTER.c.key)).first() is not None:
            # A new window opened: drop this kind's old windows (once per window, cheap).
            conn.execute(
                sa.delete(_COUNTER).where(
                    _COUNTER.c.key.startswith(f"{self.prefix}:{kind}:", autoescape=True),
                    _COUNTER.c.window_start < opened - keep,
                )
            )
            return True
        return self._increment(conn, key, limit)  # another process created it meanwhile

    def _increment(self, conn: Connection, key: str, limit: int) -> bool:
        result = conn.execute(
            sa.update(_COUNTER)
            .where(_COUNTER.c.key == key, _COUNTER.c.count < limit)
            .values(count=_COUNTER.c.count + 1)
        )
        return result.rowcount == 1


# --------------------------------------------------------------------------- per-key limits


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def hit(engine: Engine, key: str, count: int, seconds: int, now: datetime) -> bool:
    """Count one hit on `key` in its fixed window of `seconds`; True while the window's count
    stays within `count` (the web pages' limits: every attempt counts, even refused ones)."""
    start = window_start(now, seconds)
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
        total = conn.execute(stmt).scalar_one()
    return bool(total <= count)


def prune(engine: Engine, prefixes: tuple[str, ...], before: datetime) -> int:
    """Forget counters under `prefixes` whose window started before `before`."""
    table = table_of(Counter)
    mine = sa.or_(*(table.c.key.startswith(p, autoescape=True) for p in prefixes))
    with engine.begin() as conn:
        result = conn.execute(sa.delete(table).where(mine, table.c.window_start < before))
    return int(result.rowcount or 0)
