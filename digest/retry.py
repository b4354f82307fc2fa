"""The one backoff rule (pure), for every retry: a source asking again, a digest sent again."""

from __future__ import annotations


def backoff(
    attempts: int, *, base: float = 60.0, cap: float = 3600.0, jitter: float = 0.0
) -> float:
    """Seconds before retry number `attempts` (1-based): exponential, capped, jittered.

    `jitter` in (-1, 1) moves the delay by up to that fraction of it (up or down), so clients
    that failed together do not retry together.
    """
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * (1.0 + jitter)
