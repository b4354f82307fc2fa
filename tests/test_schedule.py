"""Scheduling rules with a fixed clock: due dates across time zones, weekly, DST, retries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digest.delivery.schedule import (
    due_date,
    latest_due_date,
    retry_deadline,
    send_instant,
)
from digest.retry import backoff


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_due_once_local_send_time_has_passed() -> None:
    # 07:00 in Paris on 2026-03-04 is 06:00 UTC (CET, +01:00).
    assert latest_due_date(at("2026-03-04T05:59"), "07:00", "Europe/Paris", "daily") == date(
        2026, 3, 3
    )
    assert latest_due_date(at("2026-03-04T06:00"), "07:00", "Europe/Paris", "daily") == date(
        2026, 3, 4
    )


def test_local_date_differs_from_utc_date() -> None:
    # 23:30 UTC on Mar 3 is already 08:30 on Mar 4 in Tokyo.
    now = at("2026-03-03T23:30")
    assert latest_due_date(now, "08:00", "Asia/Tokyo", "daily") == date(2026, 3, 4)
    assert latest_due_date(now, "09:00", "Asia/Tokyo", "daily") == date(2026, 3, 3)
    # and still Mar 3 afternoon in Los Angeles
    assert latest_due_date(now, "07:00", "America/Los_Angeles", "daily") == date(2026, 3, 3)


def test_missed_ticks_catch_up_to_the_latest_day() -> None:
    # Asleep from Mar 1 to the evening of Mar 4: one digest, for Mar 4.
    assert latest_due_date(at("2026-03-04T20:00"), "07:00", "UTC", "daily") == date(2026, 3, 4)


def test_weekly_is_monday_at_send_time() -> None:
    monday = date(2026, 3, 2)
    assert monday.weekday() == 0
    assert latest_due_date(at("2026-03-02T06:59"), "07:00", "UTC", "weekly") == monday - timedelta(
        days=7
    )
    assert latest_due_date(at("2026-03-02T07:00"), "07:00", "UTC", "weekly") == monday
    assert latest_due_date(at("2026-03-08T23:00"), "07:00", "UTC", "weekly") == monday


@pytest.mark.parametrize("status", ["pending", "unsubscribed", "suppressed"])
def test_only_active_subscribers_are_due(status: str) -> None:
    kw = {"send_at": "07:00", "timezone": "UTC", "frequency": "daily"}
    assert due_date(now=at("2026-03-04T08:00"), status=status, **kw) is None
    assert due_date(now=at("2026-03-04T08:00"), status="active", **kw) == date(2026, 3, 4)


def test_paused_is_never_due() -> None:
    assert (
        due_date(
            now=at("2026-03-04T08:00"),
            send_at="07:00",
            timezone="UTC",
            frequency="paused",
            status="active",
        )
        is None
    )


def test_explicit_date_only_when_its_send_time_passed() -> None:
    kw = {"send_at": "07:00", "timezone": "UTC", "frequency": "daily", "status": "active"}
    now = at("2026-03-04T06:00")
    assert due_date(now=now, wanted=date(2026, 3, 3), **kw) == date(2026, 3, 3)
    assert due_date(now=now, wanted=date(2026, 3, 4), **kw) is None
    weekly = kw | {"frequency": "weekly"}
    assert due_date(now=at("2026-03-10T08:00"), wanted=date(2026, 3, 3), **weekly) is None
    assert due_date(now=at("2026-03-10T08:00"), wanted=date(2026, 3, 9), **weekly) == date(
        2026, 3, 9
    )


def test_dst_gap_resolves_forward() -> None:
    # 02:30 does not exist in Paris on 2026-03-29 (clocks jump 02:00 -> 03:00).
    instant = send_instant(date(2026, 3, 29), "02:30", "Europe/Paris")
    assert instant in (at("2026-03-29T00:30"), at("2026-03-29T01:30"))
    assert latest_due_date(instant, "02:30", "Europe/Paris", "daily") == date(2026, 3, 29)


def test_retry_deadline_is_the_next_digest() -> None:
    assert retry_deadline(date(2026, 3, 4), "07:00", "UTC", "daily") == at("2026-03-05T07:00")
    assert retry_deadline(date(2026, 3, 2), "07:00", "UTC", "weekly") == at("2026-03-09T07:00")


def test_backoff_grows_then_caps() -> None:
    delays = [backoff(n) for n in range(1, 10)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 3600
    assert backoff(1, jitter=0.5) == 90
