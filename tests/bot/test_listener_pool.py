"""The listener pool: an urgent lane that never waits behind normal work, and a bounded normal lane."""

from __future__ import annotations

import threading

import pytest

from bot.listener_pool import lane
from bot.workspace.driver import TrackingExecutor
from tests.support.flows import wait_for


@pytest.fixture
def pool() -> TrackingExecutor:
    """The production pool (with a way to wait for its work), one thread per lane, room for two."""
    return TrackingExecutor(1, urgent_workers=1, max_pending=2)


def test_urgent_work_runs_while_the_normal_lane_is_busy(pool: TrackingExecutor) -> None:
    release = threading.Event()
    pool.submit(release.wait)  # the one normal thread is now taken
    queued = pool.submit(lambda: "normal")
    with lane(urgent=True):
        urgent = pool.submit(lambda: "urgent")
    assert urgent.result(timeout=5) == "urgent"
    assert not queued.done()
    release.set()
    assert queued.result(timeout=5) == "normal"
    pool.shutdown()


def test_the_lane_is_chosen_only_inside_the_block(pool: TrackingExecutor) -> None:
    release = threading.Event()
    pool.submit(release.wait)
    with lane(urgent=True):
        pass
    after = pool.submit(lambda: "normal")
    assert not after.done()  # queued behind the busy normal thread, not run urgently
    release.set()
    assert after.result(timeout=5) == "normal"
    pool.shutdown()


def test_a_full_normal_lane_makes_new_work_wait_for_room(pool: TrackingExecutor) -> None:
    release = threading.Event()
    pool.submit(release.wait)
    pool.submit(lambda: None)  # max_pending = 2: the lane is now full
    third_submitted = threading.Event()

    def submit_third() -> None:
        pool.submit(lambda: None)
        third_submitted.set()

    threading.Thread(target=submit_third, daemon=True).start()
    assert not third_submitted.wait(0.2)
    release.set()
    assert third_submitted.wait(5)
    pool.drain(timeout=5)
    pool.shutdown()


def test_drain_waits_for_work_submitted_by_work(pool: TrackingExecutor) -> None:
    done: list[str] = []

    def outer() -> None:
        with lane(urgent=True):
            pool.submit(lambda: done.append("inner"))
        done.append("outer")

    pool.submit(outer)
    pool.drain(timeout=5)
    assert wait_for(lambda: sorted(done) == ["inner", "outer"])
    pool.shutdown()


def test_a_failing_listener_gives_its_room_back(pool: TrackingExecutor) -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    for _ in range(5):  # more than max_pending: each failure must release its slot
        future = pool.submit(fail)
        with pytest.raises(RuntimeError):
            future.result(timeout=5)
    pool.shutdown()
