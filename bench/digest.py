"""One month's digest over 100,000 and then 1,000,000 escalations, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/digest.py [--database sqlite|postgresql|both] [--total 1000000]
     [--small 100000] [--months 24] [--repeat 3] [--keep]

Fills a fresh, migrated database in bulk with `--total` escalations filed evenly over `--months`
months up to 2026-11-01 (about 41,700 a month at the defaults), resolved after a log-normal
business time (about a quarter of them over their SLO target), with a timeline of four to five
events each (filed, assigned, SLO warning and breach when reached, resolved). The newest
`--small` escalations are loaded first and measured; then the older ones are added, so the
reported month (October 2026) holds the same rows in both measurements (bar a few filed before
the newest 100,000 and resolved in October) and only the history behind it grows, ten times.

Measured: `bot.digest.month_figures` (every figure of the post, with the month before for the
changes, the breakdowns and the slow-close list), the chart's data (`chart_data`: the month's
resolutions and weeks, and the last twelve months' trend), the CSV and the chart, each the median
of `--repeat` warm runs (the first, cold run is shown too); and the peak Python memory
(tracemalloc) of the figures plus the chart's data. Also October 2025, a month a year back, on
the full history.

Targets: the figures in at most 2 s; peak memory flat in the size of the history (1M vs 100k
within 1.5x).
PostgreSQL: postgresql://postgres@127.0.0.1:5432/bench_digest (created and dropped here).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bot import migrate  # noqa: E402
from bot.db import Database, UTCDateTime  # noqa: E402
from bot.digest.chart import ChartData, chart_data, render_chart  # noqa: E402
from bot.digest.export import month_csv  # noqa: E402
from bot.digest.figures import Month, month_figures  # noqa: E402
from bot.policy import Policy, parse_policy  # noqa: E402

TARGET_SECONDS = 2.0
FLAT_RATIO = 1.5
TOKYO = ZoneInfo("Asia/Tokyo")
HISTORY_END = datetime(2026, 11, 1, 10, 0, tzinfo=TOKYO)  # "now": the digest's first morning
REPORTED = Month(2026, 10)
OLD_MONTH = Month(2025, 10)
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "bench_digest"
POLICY_FILE = ROOT / "crebot.example.toml"
WORKSPACE = "https://acme.slack.com/"  # the CSV links each row to its escalation
CHUNK = 50_000
SEED = 20261101

PRIORITIES = ("P1", "P2", "P3")
PRIORITY_WEIGHTS = (0.10, 0.55, 0.35)
OPEN_STATUSES = ("open", "assigned", "investigating", "waiting")
PRODUCTS = ("album", "game", "market")
CATEGORIES = ("login", "billing", "data", "other")
CAUSES = ("bug", "spec", "user-operation", "data-fix", "infra", "third-party", "unknown")
SUMMARIES = (
    "Login fails after password reset",
    "Purchase not reflected after payment",
    "Photos missing after device change",
    "App crashes on start (Android 14)",
    "パスワード再設定後にログインできない",
    "購入したアイテムが反映されない",
    "機種変更後に写真が表示されない",
)
ESCALATION_COLUMNS = (
    "id",
    "intake_key",
    "end_user_id",
    "product",
    "category",
    "priority",
    "summary",
    "details",
    "filed_by",
    "filed_at",
    "status",
    "assignee_id",
    "channel_id",
    "message_ts",
    "version",
    "last_activity_at",
    "resolved_at",
    "resolved_by",
    "resolution_cause",
    "resolution_note",
    "slo_target_s",
    "slo_consumed_s",
    "slo_stage",
    "resolution_business_s",
)
EVENT_COLUMNS = ("escalation_id", "at", "actor_id", "kind", "data")


# -- generating the history ------------------------------------------------------------------


@dataclass
class History:
    """Every escalation as column arrays (row i has id i + 1), and its timeline events."""

    filed_us: np.ndarray
    resolved_us: np.ndarray  # -1 while open
    priority: np.ndarray
    target_s: np.ndarray
    took_s: np.ndarray
    product: np.ndarray
    category: np.ndarray
    cause: np.ndarray
    assignee: np.ndarray
    summary: np.ndarray
    open_status: np.ndarray
    event_escalation: np.ndarray  # 0-based row of the escalation
    event_us: np.ndarray
    event_kind: np.ndarray

    @property
    def size(self) -> int:
        return len(self.filed_us)


EVENT_KINDS = ("filed", "auto_assigned", "slo_warning", "slo_breach", "resolved")


def _epoch_us(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def generate(policy: Policy, *, total: int, months: int) -> History:
    """`total` escalations filed evenly over `months` months up to HISTORY_END (fixed seed)."""
    rng = np.random.default_rng(SEED)
    end = _epoch_us(HISTORY_END)
    start = _epoch_us(HISTORY_END.replace(year=HISTORY_END.year - months // 12))
    spacing = (end - start) / total
    filed = (start + np.arange(total) * spacing + rng.uniform(0, spacing, total)).astype(np.int64)
    priority = rng.choice(len(PRIORITIES), total, p=PRIORITY_WEIGHTS)
    targets = np.array([int(policy.priority_target(p).total_seconds()) for p in PRIORITIES])
    target = targets[priority]
    took = np.maximum(60, target * rng.lognormal(-0.5, 0.8, total)).astype(np.int64)
    # business seconds to wall-clock time: 9 working hours a day, 5 working days a week
    wall_us = (took * (24 / 9) * (7 / 5) * rng.uniform(0.8, 1.2, total) * 1_000_000).astype(
        np.int64
    )
    resolved = filed + wall_us
    resolved = np.where(resolved < end, resolved, -1)
    is_resolved = resolved >= 0
    rows = np.arange(total)
    warned = took * 2 >= target
    breached = took > target
    event_rows = [rows, rows, rows[warned], rows[breached], rows[is_resolved]]
    event_us = [
        filed,
        filed + 60_000_000,
        filed[warned] + (wall_us[warned] * (target[warned] / 2 / took[warned])).astype(np.int64),
        filed[breached]
        + (wall_us[breached] * (target[breached] / took[breached])).astype(np.int64),
        resolved[is_resolved],
    ]
    event_kind = [np.full(len(r), k, dtype=np.int8) for k, r in enumerate(event_rows)]
    return History(
        filed_us=filed,
        resolved_us=resolved,
        priority=priority,
        target_s=target,
        took_s=took,
        product=rng.integers(0, len(PRODUCTS), total),
        category=rng.integers(0, len(CATEGORIES), total),
        cause=rng.integers(0, len(CAUSES), total),
        assignee=rng.integers(0, len(policy.engineer_ids), total),
        summary=rng.integers(0, len(SUMMARIES), total),
        open_status=rng.integers(0, len(OPEN_STATUSES), total),
        event_escalation=np.concatenate(event_rows),
        event_us=np.concatenate(event_us),
        event_kind=np.concatenate(event_kind),
    )


def _timestamps(us: np.ndarray, *, postgres: bool) -> list[str | None]:
    """Timestamps as the bot's column type writes them (SQLite) or as COPY reads them."""
    text = np.datetime_as_string(np.maximum(us, 0).astype("datetime64[us]"), unit="us")
    text = np.char.replace(text, "T", " ")
    if postgres:
        text = np.char.add(text, "+00")
    return [None if u < 0 else s for u, s in zip(us.tolist(), text.tolist(), strict=True)]


def escalation_rows(
    policy: Policy, history: History, rows: range, *, postgres: bool
) -> Iterator[tuple[Any, ...]]:
    """The escalation rows `rows` (0-based) as tuples in ESCALATION_COLUMNS order."""
    engineers = policy.engineer_ids
    for first in range(rows.start, rows.stop, CHUNK):
        part = slice(first, min(first + CHUNK, rows.stop))
        filed = _timestamps(history.filed_us[part], postgres=postgres)
        resolved = _timestamps(history.resolved_us[part], postgres=postgres)
        columns = zip(
            range(part.start, part.stop),
            filed,
            resolved,
            history.priority[part].tolist(),
            history.target_s[part].tolist(),
            history.took_s[part].tolist(),
            history.product[part].tolist(),
            history.category[part].tolist(),
            history.cause[part].tolist(),
            history.assignee[part].tolist(),
            history.summary[part].tolist(),
            history.open_status[part].tolist(),
            strict=True,
        )
        for row, f, r, pr, target, took, product, category, cause, who, summary, status in columns:
            assignee = engineers[who]
            done = r is not None
            yield (
                row + 1,
                f"bench:{row + 1}",
                f"u-{row % 50_000}",
                PRODUCTS[product],
                CATEGORIES[category],
                PRIORITIES[pr],
                SUMMARIES[summary],
                "",
                "U0CSAGENT",
                f,
                "resolved" if done else OPEN_STATUSES[status],
                assignee if done or status else None,
                policy.escalation_channel,
                f"{1_700_000_000 + row}.000100",
                1,
                r or f,
                r,
                assignee if done else None,
                CAUSES[cause] if done else None,
                "Fixed and confirmed with the customer." if done else None,
                target,
                took if done else 0,
                0,
                took if done else None,
            )


def event_rows(history: History, rows: range, *, postgres: bool) -> Iterator[tuple[Any, ...]]:
    """The timeline events of escalation rows `rows`, as tuples in EVENT_COLUMNS order."""
    mine = np.flatnonzero(
        (history.event_escalation >= rows.start) & (history.event_escalation < rows.stop)
    )
    for first in range(0, len(mine), CHUNK):
        part = mine[first : first + CHUNK]
        at = _timestamps(history.event_us[part], postgres=postgres)
        for row, when, kind in zip(
            history.event_escalation[part].tolist(),
            at,
            history.event_kind[part].tolist(),
            strict=True,
        ):
            yield (row + 1, when, None, EVENT_KINDS[kind], "{}")


# -- loading in bulk ---------------------------------------------------------------------------


def _batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_sqlite_timestamps() -> None:
    """Fail early if the hand-made timestamp text differs from what the bot's column writes."""
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    engine = sa.create_engine("sqlite://")
    table.metadata.create_all(engine)
    for sample in (
        datetime(2026, 10, 5, 1, 2, 3, tzinfo=UTC),
        datetime(2026, 10, 5, 1, 2, 3, 4, tzinfo=UTC),
    ):
        with engine.begin() as connection:
            connection.execute(table.delete())
            connection.execute(table.insert().values(at=sample))
            written = connection.exec_driver_sql("SELECT at FROM t").scalar_one()
        [made] = _timestamps(np.array([_epoch_us(sample)]), postgres=False)
        assert written == made, (written, made)


def load_sqlite(url: str, policy: Policy, history: History, rows: range) -> None:
    """executemany in one transaction, straight through sqlite3."""
    path = url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA cache_size = -1000000")
        connection.execute("BEGIN")
        insert = "INSERT INTO {} ({}) VALUES ({})"
        for table, columns, source in (
            (
                "escalation",
                ESCALATION_COLUMNS,
                escalation_rows(policy, history, rows, postgres=False),
            ),
            ("escalation_event", EVENT_COLUMNS, event_rows(history, rows, postgres=False)),
        ):
            statement = insert.format(table, ", ".join(columns), ", ".join("?" * len(columns)))
            for batch in _batches(source, CHUNK):
                connection.executemany(statement, batch)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def load_postgres(url: str, policy: Policy, history: History, rows: range) -> None:
    """COPY … FROM STDIN through psycopg, then ANALYZE."""
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            for table, columns, source in (
                (
                    "escalation",
                    ESCALATION_COLUMNS,
                    escalation_rows(policy, history, rows, postgres=True),
                ),
                ("escalation_event", EVENT_COLUMNS, event_rows(history, rows, postgres=True)),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in source:
                        copy.write_row(row)
            cursor.execute("SELECT setval('escalation_id_seq', (SELECT max(id) FROM escalation))")
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE escalation")
        connection.execute("VACUUM ANALYZE escalation_event")


@contextmanager
def fresh_database(kind: str, *, keep: bool) -> Iterator[str]:
    """A new, migrated database URL (SQLite file in a temp dir, or PostgreSQL `bench_digest`)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-digest-") as directory:
            url = f"sqlite:///{directory}/crebot.db"
            migrate.upgrade(url)
            yield url
        return
    admin = f"{POSTGRES_SERVER}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
    url = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Timing:
    """A cold first run, then the median of the warm ones."""

    first: float
    median: float


def timed(run: Callable[[], object], repeat: int) -> Timing:
    """Time `run` once cold, then `repeat` more times."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return Timing(times[0], statistics.median(times[1:]))


def peak_memory(run: Callable[[], object]) -> int:
    """Peak bytes Python allocated while `run` ran (after one warm-up run)."""
    run()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


@dataclass
class Result:
    """What one month's digest cost on one database with one size of history."""

    database: str
    history: int
    month: Month
    resolved: int
    slow: int
    figures: Timing
    chart_data: Timing
    csv: Timing
    chart: Timing
    peak_bytes: int


def measure(
    db: Database, policy: Policy, *, name: str, history: int, month: Month, repeat: int
) -> Result:
    """Time the figures, the chart's data, the CSV and the chart of `month`."""

    def figures() -> Any:
        with db.session() as session:
            return month_figures(session=session, policy=policy, month=month)

    def data() -> ChartData:
        with db.session() as session:
            return chart_data(session=session, policy=policy, month=month)

    def csv() -> bytes:
        with db.session() as session:
            return month_csv(session=session, policy=policy, month=month, workspace_url=WORKSPACE)

    drawn = data()

    def chart() -> bytes:
        return render_chart(policy=policy, data=drawn)

    result = figures()
    return Result(
        database=name,
        history=history,
        month=month,
        resolved=result.resolved,
        slow=len(result.slow),
        figures=timed(figures, repeat),
        chart_data=timed(data, repeat),
        csv=timed(csv, repeat),
        chart=timed(chart, repeat),
        peak_bytes=peak_memory(lambda: (figures(), data())),
    )


def run_database(
    kind: str, policy: Policy, history: History, args: argparse.Namespace
) -> list[Result]:
    """Load the newest `--small` rows, measure; add the older ones, measure again."""
    load = load_sqlite if kind == "sqlite" else load_postgres
    results = []
    with fresh_database(kind, keep=args.keep) as url:
        recent = range(history.size - args.small, history.size)
        older = range(0, history.size - args.small)
        for rows, months in ((recent, (REPORTED,)), (older, (REPORTED, OLD_MONTH))):
            started = time.perf_counter()
            load(url, policy, history, rows)
            print(
                f"  {kind}: loaded {len(rows):,} escalations in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            loaded = len(recent) if rows is recent else history.size
            db = Database(url)
            try:
                for month in months:
                    results.append(
                        measure(
                            db, policy, name=kind, history=loaded, month=month, repeat=args.repeat
                        )
                    )
            finally:
                db.dispose()
    return results


# -- reporting ---------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(results: Sequence[Result]) -> bool:
    """The results as a table; True when every target was met."""
    header = (
        f"{'database':<10} {'history':>9} {'month':<8} {'resolved':>8} {'slow':>6} "
        f"{'figures 1st':>11} {'figures':>8} {'chart data':>10} {'csv':>6} {'chart':>6} "
        f"{'peak MiB':>8}  target ≤ {TARGET_SECONDS:.0f} s"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for r in results:
        passed = r.figures.median <= TARGET_SECONDS and r.figures.first <= TARGET_SECONDS
        ok &= passed
        print(
            f"{r.database:<10} {r.history:>9,} {r.month!s:<8} {r.resolved:>8,} {r.slow:>6,} "
            f"{r.figures.first:>10.3f}s {r.figures.median:>7.3f}s {r.chart_data.median:>9.3f}s "
            f"{r.csv.median:>5.2f}s {r.chart.median:>5.2f}s "
            f"{r.peak_bytes / 2**20:>8.1f}  {_verdict(passed)}"
        )
    print()
    for database in dict.fromkeys(r.database for r in results):
        same_month = [r for r in results if r.database == database and r.month == REPORTED]
        if len(same_month) == 2:
            small, large = same_month
            ratio = large.peak_bytes / max(small.peak_bytes, 1)
            flat = ratio <= FLAT_RATIO
            ok &= flat
            print(
                f"{database}: peak memory with {large.history:,} vs {small.history:,} escalations "
                f"of history: {ratio:.2f}x (target ≤ {FLAT_RATIO}x) {_verdict(flat)}"
            )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)
    if args.months % 12:
        parser.error("--months must be whole years")
    check_sqlite_timestamps()
    policy = parse_policy(POLICY_FILE.read_text(), source=str(POLICY_FILE))
    started = time.perf_counter()
    history = generate(policy, total=args.total, months=args.months)
    print(
        f"generated {history.size:,} escalations and {len(history.event_us):,} timeline events "
        f"over {args.months} months in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = [r for kind in kinds for r in run_database(kind, policy, history, args)]
    print()
    return 0 if print_table(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
