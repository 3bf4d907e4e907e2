"""Throughput of `BusinessCalendar.add` and `.elapsed` on the default JP calendar.

Run: .venv/bin/python bench/business_time.py [--calls N]

Target: at least 100,000 `add` calls per second for 1 h, 2 d and 200 d targets, and flat
across the three (the cost must not grow with the span: fastest/slowest at most 1.5x).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.calendar import BusinessCalendar, CalendarSpec

TARGET_PER_SECOND = 100_000
FLAT_SPREAD = 1.5  # fastest/slowest add rate: timing noise on a shared machine stays under this
START_RANGE = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))


def varied_starts(count: int, *, seed: int) -> list[datetime]:
    """Random instants over three years, in UTC and in JST (both are accepted inputs)."""
    rng = random.Random(seed)
    first, last = START_RANGE
    span = int((last - first).total_seconds())
    starts = [first + timedelta(seconds=rng.randrange(span)) for _ in range(count)]
    jst = BusinessCalendar(CalendarSpec()).tz
    return [s.astimezone(jst) if i % 2 else s for i, s in enumerate(starts)]


def adds_per_second(
    calendar: BusinessCalendar, starts: list[datetime], duration: timedelta
) -> float:
    """Best-of-5 rate of `calendar.add(start, duration)` over `starts`."""
    add = calendar.add

    def run() -> None:
        for start in starts:
            add(start, duration)

    return len(starts) / best_time(run)


def elapsed_per_second(calendar: BusinessCalendar, pairs: list[tuple[datetime, datetime]]) -> float:
    """Best-of-5 rate of `calendar.elapsed(start, end)` over `pairs`."""
    elapsed = calendar.elapsed

    def run() -> None:
        for start, end in pairs:
            elapsed(start, end)

    return len(pairs) / best_time(run)


def best_time(run: Callable[[], None], *, repeats: int = 5) -> float:
    """The fastest of `repeats` wall-clock timings of `run`, in seconds."""
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        timings.append(time.perf_counter() - began)
    return min(timings)


def main() -> None:
    """Print a table of add/elapsed calls per second against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000, help="calls per timing run")
    args = parser.parse_args()

    calendar = BusinessCalendar(CalendarSpec())
    day = calendar.working_day_length()
    starts = varied_starts(args.calls, seed=7)
    ends = varied_starts(args.calls, seed=11)
    # Warm the table over every year the runs touch (200 business days reach into 2028).
    calendar.elapsed(START_RANGE[0] - timedelta(days=400), START_RANGE[1] + timedelta(days=800))

    rows = [
        (label, adds_per_second(calendar, starts, duration))
        for label, duration in (
            ("add 1h", timedelta(hours=1)),
            ("add 2d", 2 * day),
            ("add 200d", 200 * day),
        )
    ]
    rows.append(("elapsed", elapsed_per_second(calendar, list(zip(starts, ends, strict=True)))))

    print(f"Python {sys.version.split()[0]}, {args.calls:,} calls per run, best of 5")
    print(f"{'operation':<10} {'calls/s':>12}  target >= {TARGET_PER_SECOND:,}/s")
    for label, rate in rows:
        verdict = "ok" if rate >= TARGET_PER_SECOND else "BELOW TARGET"
        print(f"{label:<10} {rate:>12,.0f}  {verdict}")
    add_rates = [rate for label, rate in rows if label.startswith("add")]
    spread = max(add_rates) / min(add_rates)
    print(f"add spread (fastest/slowest): {spread:.2f}x  (flat means close to 1x)")
    fast = all(rate >= TARGET_PER_SECOND for _, rate in rows)
    flat = spread <= FLAT_SPREAD
    print(
        f"verdict: {'PASS' if fast and flat else 'FAIL'} (every rate >= {TARGET_PER_SECOND:,}/s: "
        f"{'yes' if fast else 'no'}; flat, spread <= {FLAT_SPREAD}x: {'yes' if flat else 'no'})"
    )
    sys.exit(0 if fast and flat else 1)


if __name__ == "__main__":
    main()
