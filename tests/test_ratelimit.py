import multiprocessing
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from digest.config import Settings
from digest.store.counters import RateLimiter, second_window
from digest.store.engine import make_engine
from digest.store.tables import Counter

T0 = 1_772_604_000.0  # 2026-03-04 06:00:00 UTC, the start of an hour


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(engine, per_second=0.0, per_hour=0, clock=None):
    clock = clock or FakeClock()
    return RateLimiter(engine, per_second, per_hour, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("rate", "window"),
    [(0, (0, 0)), (10, (1, 10)), (2.5, (2, 5)), (0.5, (2, 1)), (0.3, (4, 1)), (1.1, (10, 11)),
     (3.14159, (1, 3))],
)  # fmt: skip
def test_second_window_never_exceeds_the_rate(rate, window):
    assert second_window(rate) == window
    if window[0]:
        assert window[1] / window[0] <= rate


def test_per_second_limit_blocks_until_the_next_window(engine):
    clock = FakeClock(T0 + 0.25)
    rl = limiter(engine, per_second=3, clock=clock)
    for _ in range(3):
        assert rl.try_acquire() == 0.0
    assert rl.try_acquire() == pytest.approx(0.75)
    rl.acquire()  # sleeps to the next second, then takes a slot there
    assert clock.slept == [pytest.approx(0.75)]
    assert rl.used("second", int(T0)) == 3
    assert rl.used("second", int(T0) + 1) == 1


def test_a_full_second_gives_back_the_hour_slot(engine):
    rl = limiter(engine, per_second=2, per_hour=100)
    for _ in range(5):
        rl.try_acquire()
    assert rl.used("second", int(T0)) == 2
    assert rl.used("hour", int(T0)) == 2


def test_per_hour_limit_waits_for_the_next_hour(engine):
    clock = FakeClock(T0 + 10)
    rl = limiter(engine, per_second=100, per_hour=5, clock=clock)
    for i in range(5):
        clock.now = T0 + 10 + i
        assert rl.try_acquire() == 0.0
    assert rl.try_acquire() == pytest.approx(3600 - 14)
    rl.acquire()
    assert clock.now == pytest.approx(T0 + 3600)
    assert rl.used("hour", int(T0) + 3600) == 1


def test_old_windows_are_cleaned_up(engine):
    clock = FakeClock()
    rl = limiter(engine, per_second=5, per_hour=1000, clock=clock)
    for step in range(200):
        clock.now = T0 + step
        rl.acquire()
    clock.now = T0 + 3 * 3600
    rl.acquire()
    with Session(engine) as session:
        keys = session.exec(select(Counter.key)).all()
    assert sorted(keys) == [f"smtp:hour:{int(T0) + 3 * 3600}", f"smtp:second:{int(T0) + 3 * 3600}"]


def test_other_counters_are_left_alone(engine, now):
    with Session(engine) as session:
        session.add(Counter(key="subscribe:ip:1.2.3.4", window_start=now, count=3))
        session.commit()
    rl = limiter(engine, per_second=1, clock=FakeClock(now.timestamp() + 7200))
    rl.acquire()
    with Session(engine) as session:
        assert session.get(Counter, "subscribe:ip:1.2.3.4").count == 3


def test_threads_together_never_exceed_the_limits(engine):
    clock = FakeClock(T0 + 0.5)
    granted = []

    def worker():
        rl = limiter(engine, per_second=7, per_hour=1000, clock=clock)
        granted.append(sum(rl.try_acquire() == 0.0 for _ in range(10)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(granted) == 7


def _process_worker(url: str, start: float, attempts: int, out) -> None:
    engine = make_engine(url)
    rl = RateLimiter(engine, 5, 12, clock=lambda: start, sleep=lambda s: None)
    out.put(sum(rl.try_acquire() == 0.0 for _ in range(attempts)))
    engine.dispose()


def test_processes_together_never_exceed_the_limits(engine):
    url = engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    seconds = [T0 + 1, T0 + 2, T0 + 3]  # three second-windows in one hour: 5 + 5 + 2 of 12
    procs = [ctx.Process(target=_process_worker, args=(url, s, 20, out)) for s in seconds * 2]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(p.exitcode for p in procs) == [0] * len(procs)
    total = sum(out.get(timeout=10) for _ in procs)
    assert total == 12
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(Counter.key, Counter.count)).all())
    assert rows[f"smtp:hour:{int(T0)}"] == 12
    assert all(rows[f"smtp:second:{int(s)}"] <= 5 for s in seconds)


def test_from_settings():
    engine = make_engine("sqlite://")
    assert RateLimiter.from_settings(engine, Settings()) is None
    rl = RateLimiter.from_settings(engine, Settings(rate_per_second=2.5, rate_per_hour=1000))
    assert rl is not None
    assert (rl.window, rl.per_window, rl.per_hour) == (2, 5, 1000)


def test_negative_limits_are_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        RateLimiter(make_engine("sqlite://"), -1, 0)
