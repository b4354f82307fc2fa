"""Fetching: sources -> diff -> store, one transaction per listing; returns a RunReport.

The listings are polled one after the other, in the order given (DIGEST_SOURCES): the Hugging
Face listing day by day, the arXiv announcement once (its feed holds the latest announcement
only). A paper both list is stored once: the first listing to name it makes it new, the other
merges into it (diff.merge). Each listing is stored in its own transaction, so one that
cannot be read stores nothing and the others go on.

A Hugging Face day whose listing cannot be read is remembered (`missingday`) and fetched
again by every later default fetch (so by `digest run`) until it is read, for `RETRY_DAYS`
days; `digest status` lists the days still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from digest import store
from digest.config import Settings
from digest.diff import diff, needs_write
from digest.ranking.acronyms import learn_acronyms
from digest.reports import RunReport
from digest.sources import SourceError, arxiv
from digest.sources.arxiv import ArxivFeed
from digest.sources.hf import HfListing
from digest.sources.http import PoliteGetter, make_client
from digest.store.engine import session_scope

log = logging.getLogger("digest")

Listing = HfListing | ArxivFeed
FETCH_COUNTS = (
    "days", "fetched", "new", "updated", "unchanged", "skipped", "ignored", "recovered",
)  # fmt: skip
# days: listings read (a Hugging Face day, an arXiv announcement); ignored: arXiv replacements
# of papers never stored; recovered: missing days read at last; pruned (total only): papers
# deleted past DIGEST_RETENTION_DAYS
RETRY_DAYS = 7  # a day that could not be read is tried again for this many days


def default_fetch_days(engine: Engine, today: date) -> list[date]:
    """From the day after Hugging Face's last stored listing day (2 days back on an empty
    store) to today, and before those the days of the last `RETRY_DAYS` that could not be
    read."""
    with session_scope(engine) as session:
        last = store.last_listing_day(session, source="hf")
        missing = store.missing_days(session, since=today - timedelta(days=RETRY_DAYS))
    start = today - timedelta(days=1) if last is None else min(last + timedelta(days=1), today)
    return sorted({m.day for m in missing if m.day <= today} | set(day_range(start, today)))


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def fetch(
    engine: Engine,
    *,
    sources: Sequence[Listing],
    days: Sequence[date],
    now: datetime,
    asked: bool = False,
    on_day: Callable[[date], Any] | None = None,
    retention_days: int = 0,
) -> RunReport:
    """Poll each listing and store what it lists; one transaction per listing day.

    `days` are the Hugging Face days to poll. The arXiv feed holds only the latest
    announcement: it is stored unless `asked` (the days were asked for explicitly) and its
    date is not among them. A listing that cannot be read is reported and stores nothing
    (a Hugging Face day is remembered as missing, for later default fetches to try again);
    the others go on. With `retention_days`, papers listed longer ago are deleted afterwards.
    """
    parts = {s.name: dict.fromkeys(FETCH_COUNTS, 0) for s in sources}
    errors: list[str] = []
    items: list[dict[str, Any]] = []

    def stored(name: str, day: date, papers: Sequence[Any], skipped: Sequence[str]) -> None:
        counts = _store_listing(engine, papers, now, day if name == "hf" else None)
        counts["skipped"] = len(skipped)
        for reason in skipped:
            log.warning("skipped %s", reason)
        for key, value in counts.items():
            parts[name][key] += value
        parts[name]["days"] += 1
        items.append({"source": name, "date": day.isoformat(), **counts})

    for source in sources:
        if isinstance(source, HfListing):
            for day in days:
                try:
                    listing = source.day(day)
                except SourceError as exc:
                    errors.append(f"hf {exc}")
                    log.warning("fetch hf %s failed: %s", day, exc)
                    with session_scope(engine) as session:
                        store.mark_missing(session, day=day, now=now, error=str(exc))
                else:
                    stored("hf", day, listing.papers, listing.skipped)
                if on_day is not None:
                    on_day(day)
            continue
        try:
            announcement = source.latest(now.date())
        except SourceError as exc:
            errors.append(str(exc))
            log.warning("fetch arxiv failed: %s", exc)
            continue
        if announcement.day is None:  # nothing announced (a weekend, a holiday)
            items.append({"source": "arxiv", "date": None, "fetched": 0})
        elif asked and announcement.day not in days:
            note = (
                f"the feed holds the announcement of {announcement.day} only, "
                "not one of the days asked for: nothing stored"
            )
            log.warning("arxiv: %s", note)
            items.append({"source": "arxiv", "date": announcement.day.isoformat(), "note": note})
        else:
            stored("arxiv", announcement.day, announcement.papers, announcement.skipped)
    counts = {key: sum(part[key] for part in parts.values()) for key in FETCH_COUNTS}
    counts["pruned"] = _prune(engine, now, retention_days)
    report = RunReport("fetch", counts, tuple(errors), tuple(items), parts)
    _record_fetch(engine, report, days, now)
    log.info(report.line())
    return report


def fetch_with_settings(
    engine: Engine,
    settings: Settings,
    *,
    days: Sequence[date],
    now: datetime,
    asked: bool = False,
    on_day: Callable[[date], Any] | None = None,
) -> RunReport:
    """`fetch` from the listings DIGEST_SOURCES names, each through its own polite client."""
    with ExitStack() as stack:
        sources: list[Listing] = []
        for name in settings.sources:
            if name == "hf":
                client = stack.enter_context(make_client())
                sources.append(HfListing(PoliteGetter(client), settings.hf_api_url))
            else:
                client = stack.enter_context(arxiv.make_client())
                feed = ArxivFeed(
                    arxiv.polite_getter(client), settings.arxiv_rss_url, settings.arxiv_categories
                )
                sources.append(feed)
        return fetch(
            engine,
            sources=sources,
            days=days,
            now=now,
            asked=asked,
            on_day=on_day,
            retention_days=settings.retention_days,
        )


def _store_listing(
    engine: Engine, papers: Sequence[Any], now: datetime, missing_day: date | None = None
) -> dict[str, int]:
    """Store one listing; `missing_day`, read at last, is no longer missing (same transaction)."""
    with session_scope(engine) as session:
        recovered = missing_day is not None and store.clear_missing(session, day=missing_day)
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
        "ignored": len(result.ignored),
        "recovered": int(recovered),
    }


def _learn_acronyms(session: Any, papers: Sequence[Any], now: datetime) -> None:
    """Learn "long form (LF)" pairs from the newly stored papers and add them to the store."""
    counts = learn_acronyms(f"{p.title}\n{p.abstract}" for p in papers)
    if counts:
        store.save_acronyms(session, counts=counts, now=now)


def _prune(engine: Engine, now: datetime, retention_days: int) -> int:
    if retention_days <= 0:
        return 0
    before = now.date() - timedelta(days=retention_days)
    with session_scope(engine) as session:
        pruned = store.prune_papers(session, before=before)
    if pruned:
        log.info("pruned %d paper(s) listed before %s", pruned, before)
    return pruned


def _record_fetch(engine: Engine, report: RunReport, days: Sequence[date], now: datetime) -> None:
    if not days and not report.parts:
        return
    first, last = (min(days), max(days)) if days else (now.date(), now.date())
    with session_scope(engine) as session:
        run = store.start_fetch_run(session, now=now, first=first, last=last)
        for key in ("fetched", "new", "updated", "unchanged", "skipped"):
            setattr(run, key, report.counts[key])
        run.errors = len(report.errors)
        run.status = "ok" if report.ok else ("partial" if report.counts["days"] else "failed")
        run.message = "; ".join(report.errors)[:2000] or None
        run.finished_at = now
        session.add(run)
