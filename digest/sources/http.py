"""Polite HTTP for sources: a User-Agent, spacing between requests, retries with backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from digest import __version__
from digest.retry import backoff
from digest.sources.errors import SourceError

USER_AGENT = f"digest/{__version__} (self-hosted research-paper digest; polite daily poll)"
RETRY_STATUS = {429, 500, 502, 503, 504}


def make_client(timeout: float = 20.0, accept: str = "application/json") -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": accept},
        timeout=httpx.Timeout(timeout, connect=10.0),
        follow_redirects=True,
    )


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date)."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class PoliteGetter:
    """One request at a time, `min_interval` seconds apart at least (start to start), retried
    with exponential backoff; a Retry-After answer is waited out in full (up to
    `max_retry_after`: a server asking for longer is reported, not waited for)."""

    client: httpx.Client
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    min_interval: float = 0.34  # at most ~3 requests a second
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 600.0
    rng: random.Random = field(default_factory=random.Random)
    _last: float | None = None

    def get(self, url: str, params: dict[str, str | int], what: str) -> httpx.Response:
        """GET with retries on connection errors, 5xx and 429; other answers returned as-is."""
        problem = "no attempt made"
        for attempt in range(self.attempts):
            self._space()
            try:
                response = self.client.get(url, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
                wait = None
            else:
                if response.status_code not in RETRY_STATUS:
                    return response
                problem = f"HTTP {response.status_code}"
                wait = retry_after(response)
                if wait is not None and wait > self.max_retry_after:
                    raise SourceError(
                        f"{what}: {problem}, asked to retry after {wait:.0f} s "
                        f"(more than {self.max_retry_after:.0f} s: try later)"
                    )
            if attempt + 1 < self.attempts:
                self.sleep(self._delay(attempt, wait))
        raise SourceError(f"{what}: gave up after {self.attempts} attempts ({problem})")

    def _delay(self, attempt: int, asked: float | None) -> float:
        jittered = backoff(
            attempt + 1, base=self.base_delay, cap=self.max_delay, jitter=-self.rng.random() / 2
        )  # half to all of the exponential delay
        return max(asked or 0.0, jittered)  # a Retry-After is waited out in full

    def _space(self) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < self.min_interval:
            self.sleep(self.min_interval - (now - self._last))
        self._last = self.clock()
