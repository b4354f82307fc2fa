"""Process-wide settings for the long-running entry points (`digest send`, `digest worker`,
`digest run`) and the benchmarks that stand in for them. Library code never changes them."""

from __future__ import annotations

import gc
import sys


def tune_for_batch_work() -> None:
    """What a sending or ranking process wants: fewer garbage-collector passes over the
    long-lived index and kept blocks, and a shorter GIL hand-over between its threads."""
    collect_less_often()
    hand_over_sooner()


def collect_less_often(young: int = 50_000, middle: int = 100) -> None:
    """Let this process's garbage collector look at young objects every `young` allocations
    instead of every 700, and at the survivors of those passes every `middle` passes instead
    of every 10 (the oldest less often too). Composing an email makes and drops thousands of
    small containers while the kept blocks and the ranking index stay: with the defaults the
    collector scans those survivors again and again. A batch of ranking makes about 600,000
    result and concept objects that live until its answers are used; a middle pass over
    them takes 0.2-0.5 s, and with one every 100 young passes most die before one comes.
    Only raises."""
    now = gc.get_threshold()
    gc.set_threshold(max(now[0], young), max(now[1], middle), max(now[2], 100))


def hand_over_sooner(seconds: float = 0.0005) -> None:
    """Let a thread waiting for the GIL have it after `seconds` instead of Python's 5 ms. The
    compose thread renders (pure Python) while this one waits on the mail server and the
    database: each reply it wakes up to would otherwise wait up to 5 ms, and a window has a
    few of them. Only lowers."""
    sys.setswitchinterval(min(sys.getswitchinterval(), seconds))
