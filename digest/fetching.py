"""Fetching: sources -> diff -> store, one transaction per day; returns a RunReport.

A day whose listing cannot be read is remembered (`missingday`) and fetched again by every
later default fetch (so by `digest run`) until it is read, for `RETRY_DAYS` days; `digest
status` lists the days still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from digest import store
from digest.diff import diff, needs_write
from digest.ranking.acronyms import learn_acronyms
from digest.reports import RunReport
from digest.sources import SourceError
from digest.sources.hf import fetch_day
from digest.sources.http import PoliteGetter
from digest.store.engine import session_scope

log = logging.getLogger("digest")

FETCH_COUNTS = ("days", "fetched", "new", "updated", "unchanged", "skipped", "recovered")
RETRY_DAYS = 7  # a day that could not be read is tried again for this many days


def default_fetch_days(engine: Engine, today: date) -> list[date]:
    """From the day after the last stored listing day (2 days back on an empty store) to
    today, and before those the days of the last `RETRY_DAYS` that could not be read."""
    with session_scope(engine) as session:
        last = store.last_listing_day(session)
        missing = store.missing_days(session, since=today - timedelta(days=RETRY_DAYS))
    start = today - timedelta(days=1) if last is None else min(last + timedelta(days=1), today)
    return sorted({m.day for m in missing if m.day <= today} | set(day_range(start, today)))


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def fetch(
    engine: Engine,
    *,
    getter: PoliteGetter,
    base_url: str,
    days: Sequence[date],
    now: datetime,
    on_day: Callable[[date], Any] | None = None,
) -> RunReport:
    """Poll the listing for each day and store it; one transaction per day.

    A day whose answer cannot be read is reported, stores nothing and is remembered as
    missing (later default fetches try it again); other days go on.
    """
    counts = dict.fromkeys(FETCH_COUNTS, 0)
    errors: list[str] = []
    items: list[dict[str, Any]] = []
    for day in days:
        try:
            listing = fetch_day(getter, base_url, day)
        except SourceError as exc:
            errors.append(str(exc))
            log.warning("fetch %s failed: %s", day, exc)
            with session_scope(engine) as session:
                store.mark_missing(session, day=day, now=now, error=str(exc))
        else:
            day_counts = _store_listing(engine, day, listing.papers, now)
            day_counts["skipped"] = len(listing.skipped)
            for reason in listing.skipped:
                log.warning("skipped %s", reason)
            for key, value in day_counts.items():
                counts[key] += value
            counts["days"] += 1
            items.append({"date": day.isoformat(), **day_counts})
        if on_day is not None:
            on_day(day)
    report = RunReport("fetch", counts, tuple(errors), tuple(items))
    _record_fetch(engine, report, days, now)
    log.info(report.line())
    return report


def _store_listing(
    engine: Engine, day: date, papers: Sequence[Any], now: datetime
) -> dict[str, int]:
    with session_scope(engine) as session:
        recovered = store.clear_missing(session, day=day)  # in the same transaction
        stored = store.stored_listings(session, ids=[p.id for p in papers])
        result = diff(stored, papers)
        store.insert_papers(session, papers=result.new, now=now)
        changed = [p for p in result.updated + result.unchanged if needs_write(stored[p.id], p)]
        store.update_papers(session, papers=changed, now=now)
        _learn_acronyms(session, result.new, now)
    return {
        "fetched": len(papers),
        "new": len(result.new),
        "updated": len(result.updated),
        "unchanged": len(result.unchanged),
        "recovered": int(recovered),
    }


def _learn_acronyms(session: Any, papers: Sequence[Any], now: datetime) -> None:
    """Learn "long form (LF)" pairs from the newly stored papers and add them to the store."""
    counts = learn_acronyms(f"{p.title}\n{p.abstract}" for p in papers)
    if counts:
        store.save_acronyms(session, counts=counts, now=now)


def _record_fetch(engine: Engine, report: RunReport, days: Sequence[date], now: datetime) -> None:
    if not days:
        return
    with session_scope(engine) as session:
        run = store.start_fetch_run(session, now=now, first=min(days), last=max(days))
        for key in ("fetched", "new", "updated", "unchanged", "skipped"):
            setattr(run, key, report.counts[key])
        run.errors = len(report.errors)
        run.status = "ok" if report.ok else ("partial" if report.counts["days"] else "failed")
        run.message = "; ".join(report.errors)[:2000] or None
        run.finished_at = now
        session.add(run)
