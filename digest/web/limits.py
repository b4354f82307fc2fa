"""How many subscribe attempts and emails the pages allow per window; counted by
digest.store.counters (the one module for every counter in the shared `counter` table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from digest.store.counters import hit


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


def allow(engine: Engine, key: str, limit: Limit, now: datetime) -> bool:
    """Count one attempt on `key`; True while its window stays within `limit`."""
    return hit(engine, key, limit.count, limit.seconds, now)
