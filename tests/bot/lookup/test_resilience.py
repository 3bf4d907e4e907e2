"""The circuit breaker and the TTL cache, with injected time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.lookup.resilience import CircuitBreaker, TTLCache

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RESET = timedelta(seconds=30)


def _opened_breaker(threshold: int = 3) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, RESET)
    for _ in range(threshold):
        assert breaker.allow(T0)
        breaker.record_failure(T0)
    return breaker


def test_breaker_stays_closed_below_the_threshold() -> None:
    breaker = CircuitBreaker(3, RESET)
    breaker.record_failure(T0)
    breaker.record_failure(T0)
    assert breaker.state == "closed"
    assert breaker.allow(T0)


def test_breaker_opens_after_consecutive_failures_and_fails_fast() -> None:
    breaker = _opened_breaker(3)
    assert breaker.state == "open"
    assert not breaker.allow(T0)
    assert not breaker.allow(T0 + RESET - timedelta(microseconds=1))


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(3, RESET)
    breaker.record_failure(T0)
    breaker.record_failure(T0)
    breaker.record_success()
    breaker.record_failure(T0)
    breaker.record_failure(T0)
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 2


def test_after_reset_exactly_one_trial_call_is_allowed() -> None:
    breaker = _opened_breaker()
    assert breaker.allow(T0 + RESET)
    assert breaker.state == "half_open"
    assert not breaker.allow(T0 + RESET)
    assert not breaker.allow(T0 + RESET + timedelta(seconds=1))


def test_successful_trial_closes_the_breaker() -> None:
    breaker = _opened_breaker()
    assert breaker.allow(T0 + RESET)
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow(T0 + RESET)
    assert breaker.allow(T0 + RESET)


def test_failed_trial_reopens_for_another_full_period() -> None:
    breaker = _opened_breaker()
    trial_at = T0 + RESET + timedelta(seconds=5)
    assert breaker.allow(trial_at)
    breaker.record_failure(trial_at)
    assert breaker.state == "open"
    assert not breaker.allow(trial_at + RESET - timedelta(seconds=1))
    assert breaker.allow(trial_at + RESET)


def test_a_trial_that_never_reports_back_is_replaced_after_the_reset_period() -> None:
    breaker = _opened_breaker()
    assert breaker.allow(T0 + RESET)
    assert not breaker.allow(T0 + 2 * RESET - timedelta(seconds=1))
    assert breaker.allow(T0 + 2 * RESET)


def test_concurrent_callers_get_a_single_trial() -> None:
    breaker = _opened_breaker()
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def call() -> None:
        start.wait()
        allowed = breaker.allow(T0 + RESET)
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


@pytest.mark.parametrize(
    ("threshold", "reset"), [(0, RESET), (1, timedelta(0)), (1, timedelta(seconds=-1))]
)
def test_breaker_refuses_nonsense_settings(threshold: int, reset: timedelta) -> None:
    with pytest.raises(ValueError, match="must"):
        CircuitBreaker(threshold, reset)


def test_cache_hits_until_the_ttl_expires() -> None:
    cache: TTLCache[str, int] = TTLCache(timedelta(seconds=60))
    cache.put("a", 1, T0)
    assert cache.get("a", T0) == (True, 1)
    assert cache.get("a", T0 + timedelta(seconds=59)) == (True, 1)
    assert cache.get("a", T0 + timedelta(seconds=60)) == (False, None)
    assert len(cache) == 0


def test_cache_tells_a_cached_none_from_a_miss() -> None:
    cache: TTLCache[str, int | None] = TTLCache(timedelta(seconds=60))
    assert cache.get("unknown", T0) == (False, None)
    cache.put("unknown", None, T0)
    assert cache.get("unknown", T0) == (True, None)


def test_put_again_refreshes_value_and_expiry() -> None:
    cache: TTLCache[str, int] = TTLCache(timedelta(seconds=60))
    cache.put("a", 1, T0)
    cache.put("a", 2, T0 + timedelta(seconds=30))
    assert cache.get("a", T0 + timedelta(seconds=80)) == (True, 2)


def test_zero_ttl_disables_the_cache() -> None:
    cache: TTLCache[str, int] = TTLCache(timedelta(0))
    cache.put("a", 1, T0)
    assert not cache.enabled
    assert cache.get("a", T0) == (False, None)


def test_cache_is_bounded_and_evicts_the_oldest() -> None:
    cache: TTLCache[int, int] = TTLCache(timedelta(seconds=60), max_entries=3)
    for key in range(5):
        cache.put(key, key * 10, T0 + timedelta(seconds=key))
    assert len(cache) == 3
    assert cache.get(0, T0 + timedelta(seconds=5)) == (False, None)
    assert cache.get(1, T0 + timedelta(seconds=5)) == (False, None)
    assert cache.get(4, T0 + timedelta(seconds=5)) == (True, 40)


def test_cache_stays_bounded_under_concurrent_writers() -> None:
    cache: TTLCache[tuple[int, int], int] = TTLCache(timedelta(seconds=60), max_entries=100)

    def write(worker: int) -> None:
        for key in range(500):
            cache.put((worker, key), key, T0)
            cache.get((worker, key), T0)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 100


def test_clear_forgets_everything() -> None:
    cache: TTLCache[str, int] = TTLCache(timedelta(seconds=60))
    cache.put("a", 1, T0)
    cache.clear()
    assert cache.get("a", T0) == (False, None)
