"""The listener pool: an urgent lane that never waits behind normal work, and a bounded normal lane."""

from __future__ import annotations

import logging
import threading

import pytest

from bot import scope
from bot.listener_pool import failures_told_by, lane, off_the_urgent_lane
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


# -- after the ack ---------------------------------------------------------------------------------


def test_work_after_the_ack_frees_the_urgent_thread(pool: TrackingExecutor) -> None:
    """An urgent listener's follow-on runs in the after-ack lane: the one urgent thread is free."""
    release = threading.Event()
    ran_on: list[str] = []

    def follow_on() -> None:
        ran_on.append(threading.current_thread().name)
        release.wait()

    with lane(urgent=True):
        pool.submit(off_the_urgent_lane, follow_on).result(timeout=5)
        assert pool.submit(lambda: "next modal").result(timeout=5) == "next modal"
    assert wait_for(lambda: len(ran_on) == 1)
    assert ran_on[0].startswith("listener-after-ack")
    release.set()
    pool.drain(timeout=5)  # drain waits for it too
    pool.shutdown()


def test_work_after_the_ack_does_not_wait_behind_the_normal_lane(pool: TrackingExecutor) -> None:
    release = threading.Event()
    pool.submit(release.wait)  # the one normal thread is now taken
    done = threading.Event()
    with lane(urgent=True):
        pool.submit(off_the_urgent_lane, done.set)
    assert done.wait(5)
    release.set()
    pool.drain(timeout=5)
    pool.shutdown()


def test_outside_the_urgent_lane_the_work_runs_here(pool: TrackingExecutor) -> None:
    here = threading.current_thread().name
    ran_on: list[str] = []
    off_the_urgent_lane(lambda: ran_on.append(threading.current_thread().name))
    assert ran_on == [here]
    pool.submit(
        off_the_urgent_lane,
        lambda: ran_on.append(threading.current_thread().name),
    ).result(timeout=5)
    assert ran_on[1].startswith("listener_")  # a normal listener's thread: its own
    pool.shutdown()


def test_work_after_the_ack_is_not_counted_as_the_request_again(pool: TrackingExecutor) -> None:
    request = scope.request("view_submission escalate", label="view_submission")
    request.escalation = "ESC-7"
    seen: list[scope.Scope | None] = []
    with lane(urgent=True), scope.scoped(request):
        pool.submit(off_the_urgent_lane, lambda: seen.append(scope.current()))
    pool.drain(timeout=5)
    [follow_on] = seen
    assert follow_on is not None
    assert follow_on is not request
    assert (follow_on.kind, follow_on.escalation) == (None, "ESC-7")
    assert (follow_on.deadline, follow_on.until) == (scope.REQUEST_DEADLINE, None)
    pool.shutdown()


def test_a_failure_after_the_ack_is_logged(
    pool: TrackingExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    with lane(urgent=True), caplog.at_level(logging.ERROR, logger="bot.listener_pool"):
        pool.submit(off_the_urgent_lane, fail).result(timeout=5)
        pool.drain(timeout=5)
    assert "work after the ack failed: RuntimeError" in caplog.text
    pool.shutdown()


def test_a_failure_after_the_ack_is_told_in_the_requests_scope(pool: TrackingExecutor) -> None:
    """As the listener's own failure would be: the user is told (`bot.app`), not only the log."""
    request = scope.request("view_submission escalate", label="view_submission")
    told: list[tuple[str, scope.Scope | None]] = []

    def fail() -> None:
        raise RuntimeError("boom")

    def tell(error: Exception) -> None:
        told.append((str(error), scope.current()))

    with lane(urgent=True), scope.scoped(request), failures_told_by(tell):
        pool.submit(off_the_urgent_lane, fail).result(timeout=5)
    pool.drain(timeout=5)
    assert told == [("boom", request)]
    pool.shutdown()
