"""Pure scheduling rules: which digest date a subscriber is due for at a given instant.

A subscriber is due for digest date D once their local send time on D (`send_at`, HH:MM in
their `timezone`) has passed. The date planned at an instant is the *latest* date whose send
time has passed, so a scheduler that missed ticks (restart, laptop asleep) catches up on its
next run with one digest: papers are never skipped, because a digest's candidates are every
paper first seen since the subscriber's previous digest, however many days that spans.

Weekly subscribers get their digest on Mondays (their local Monday, at their send time);
paused, pending, unsubscribed and suppressed subscribers are never due.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ACTIVE = "active"
WEEKLY_WEEKDAY = 0  # Monday


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _send_time(send_at: str) -> time:
    hours, minutes = send_at.split(":")
    return time(int(hours), int(minutes))


def send_instant(digest_date: date, send_at: str, timezone: str) -> datetime:
    """The UTC instant of the local send time on `digest_date`.

    A local time that does not exist (skipped by a DST jump) resolves forward, one that
    happens twice resolves to its first occurrence (zoneinfo's fold=0).
    """
    local = datetime.combine(digest_date, _send_time(send_at), tzinfo=_zone(timezone))
    return local.astimezone(UTC)


def latest_due_date(now: datetime, send_at: str, timezone: str, frequency: str) -> date | None:
    """The latest digest date whose send time has passed at `now`; None when never due."""
    if frequency == "paused":
        return None
    local_day = now.astimezone(_zone(timezone)).date()
    day = local_day
    if send_instant(day, send_at, timezone) > now:
        day -= timedelta(days=1)  # its send time has surely passed: a day is >= 23 hours
    if frequency == "weekly":
        day -= timedelta(days=(day.weekday() - WEEKLY_WEEKDAY) % 7)
    return day


def is_due_on(
    digest_date: date, now: datetime, send_at: str, timezone: str, frequency: str
) -> bool:
    """Whether a digest for `digest_date` may be sent at `now` (its send time has passed)."""
    if frequency == "paused":
        return False
    if frequency == "weekly" and digest_date.weekday() != WEEKLY_WEEKDAY:
        return False
    return send_instant(digest_date, send_at, timezone) <= now


def due_date(
    *,
    now: datetime,
    send_at: str,
    timezone: str,
    frequency: str,
    status: str,
    wanted: date | None = None,
) -> date | None:
    """The digest date to plan for one subscriber at `now`, or None.

    Without `wanted`: the latest due date. With `wanted` (an explicit `--date`): that date
    when it is due.
    """
    if status != ACTIVE:
        return None
    if wanted is None:
        return latest_due_date(now, send_at, timezone, frequency)
    return wanted if is_due_on(wanted, now, send_at, timezone, frequency) else None


def retry_deadline(digest_date: date, send_at: str, timezone: str, frequency: str) -> datetime:
    """When retrying a digest must stop: the send time of the next digest after it."""
    step = 7 if frequency == "weekly" else 1
    return send_instant(digest_date + timedelta(days=step), send_at, timezone)
