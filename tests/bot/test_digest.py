"""The digest's figures for a fixture month, checked against values computed by hand."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from sqlmodel import Session

from bot import digest
from bot.db import Database
from bot.digest import (
    CSV_COLUMNS,
    Month,
    MonthFigures,
    month_bounds,
    month_business_times,
    month_csv,
    month_figures,
    month_weekly_counts,
    month_weeks,
    nearest_rank,
    reported_month,
)
from bot.models import Escalation, EscalationEvent, Status
from bot.policy import Policy
from tests.conftest import TOKYO

OCTOBER = Month(2026, 10)
HOUR = 3600
P1, P2, P3 = 4 * HOUR, 2 * 9 * HOUR, 5 * 9 * HOUR  # the SLO targets (9-hour working days)


def jst(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=TOKYO)


def insert(
    session: Session,
    *,
    filed: datetime,
    resolved: datetime | None = None,
    status: Status | None = None,
    priority: str = "P2",
    target_s: int = P2,
    took_s: int | None = None,
    category: str = "login",
    cause: str | None = None,
    note: str | None = None,
    summary: str = "Login fails after password reset",
    assignee: str | None = "U0HANAKO",
) -> int:
    """One escalation row with exactly the times and business seconds a test chooses."""
    escalation = Escalation(
        intake_key=f"test:{uuid.uuid4()}",
        end_user_id="u-1001",
        product="album",
        category=category,
        priority=priority,
        summary=summary,
        filed_by="U0CS",
        filed_at=filed,
        status=status or (Status.RESOLVED if resolved else Status.ASSIGNED),
        assignee_id=assignee,
        channel_id="C0ESCALATE",
        message_ts=f"{int(filed.timestamp())}.000100",
        last_activity_at=resolved or filed,
        resolved_at=resolved,
        resolution_cause=cause,
        resolution_note=note,
        slo_target_s=target_s,
        resolution_business_s=took_s,
    )
    session.add(escalation)
    session.flush()
    assert escalation.id is not None
    return escalation.id


def event(session: Session, escalation_id: int, at: datetime, kind: str = "slo_breach") -> None:
    session.add(EscalationEvent(escalation_id=escalation_id, at=at, kind=kind, data={}))


@pytest.fixture
def october(db: Database) -> dict[str, int]:
    """The fixture month: eight resolutions in October 2026 (JST) and rows just outside it."""
    with db.session() as s:
        ids = {
            # resolved in October: (took, target) chosen so rank, "<=" and slow_after all matter
            "A": insert(s, filed=jst(10, 5), resolved=jst(10, 6), took_s=30_000, cause="bug"),
            "B": insert(
                s,
                filed=jst(9, 30, 23, 30),
                resolved=jst(10, 2),
                priority="P1",
                target_s=P1,
                took_s=20_000,
                category="billing",
                cause="infra",
            ),
            "C": insert(
                s,
                filed=jst(10, 1, 0, 0),  # the month's first instant (Sep 30 15:00 UTC)
                resolved=jst(10, 20, 12),
                priority="P3",
                target_s=P3,
                took_s=170_000,
                category="data",
                cause="bug",
                note="Restore job <timed out> & was re-run",
            ),
            "D": insert(s, filed=jst(10, 7), resolved=jst(10, 13), took_s=P2, cause="spec"),
            "E": insert(
                s,
                filed=jst(10, 14),
                resolved=jst(10, 14, 11),
                priority="P1",
                target_s=P1,
                took_s=3_600,
                category="billing",
                cause="user-operation",
            ),
            "F": insert(s, filed=jst(10, 20), resolved=jst(10, 27), took_s=100_000, cause="bug"),
            "G": insert(
                s,
                filed=jst(9, 15),
                resolved=jst(10, 1, 0, 0),
                priority="P3",
                target_s=P3,
                took_s=150_000,
                cause="spec",
            ),
            "H": insert(  # within its (larger) target, but slower than slow_after (5d)
                s,
                filed=jst(10, 26),
                resolved=jst(10, 31, 23, 59),
                priority="P3",
                target_s=200_000,
                took_s=180_000,
                category="other",
                cause="third-party",
                summary='=HYPERLINK("x") 機種変更後に写真が表示されない',
            ),
            # outside October
            "X1": insert(s, filed=jst(9, 10), resolved=jst(9, 30, 23, 30), took_s=999_999),
            "X2": insert(
                s, filed=jst(10, 28), resolved=jst(11, 1, 0, 0), took_s=5_000, category="billing"
            ),
            # still open
            "O1": insert(s, filed=jst(10, 29)),
            "O2": insert(s, filed=jst(8, 1), status=Status.WAITING),
            "O3": insert(s, filed=jst(11, 2)),
            "Y": insert(
                s, filed=jst(10, 31, 23), status=Status.OPEN, category="data", assignee=None
            ),
        }
        event(s, ids["B"], jst(10, 1, 14))
        event(s, ids["C"], jst(10, 10))
        event(s, ids["F"], jst(10, 23))
        event(s, ids["F"], jst(10, 25))  # breached again after a reopen: still one escalation
        event(s, ids["O2"], jst(10, 3))
        event(s, ids["X1"], jst(9, 20))  # September
        event(s, ids["X2"], jst(11, 1, 0, 0))  # November
        event(s, ids["A"], jst(10, 5, 15), kind="slo_warning")
        s.commit()
    return ids


@pytest.fixture
def figures(db: Database, policy: Policy, october: dict[str, int]) -> MonthFigures:
    with db.session() as session:
        return month_figures(session=session, policy=policy, month=OCTOBER)


def test_nearest_rank_is_the_ceiling_of_p_times_n() -> None:
    assert nearest_rank(10, 50) == 5
    assert nearest_rank(7, 50) == 4
    assert nearest_rank(8, 90) == 8  # ceil(7.2)
    assert nearest_rank(20, 90) == 18
    assert nearest_rank(1, 90) == 1
    assert nearest_rank(0, 50) == 0


def test_month_bounds_are_local_midnights(policy: Policy) -> None:
    assert month_bounds(policy, OCTOBER) == (
        datetime(2026, 9, 30, 15, tzinfo=UTC),
        datetime(2026, 10, 31, 15, tzinfo=UTC),
    )
    assert reported_month(policy, jst(11, 1, 0, 30)) == OCTOBER
    assert reported_month(policy, jst(10, 31, 23, 59)) == Month(2026, 9)
    assert reported_month(policy, datetime(2027, 1, 4, 1, tzinfo=UTC)) == Month(2026, 12)


def test_months_parse_and_refuse_nonsense() -> None:
    assert Month.parse("2026-10") == OCTOBER
    assert str(Month.parse(" 2026-3 ")) == "2026-03"
    assert Month(2026, 1).previous() == Month(2025, 12)
    for text in ("2026-13", "2026-00", "10-2026", "last", ""):
        with pytest.raises(ValueError, match="not a month"):
            Month.parse(text)


def test_weeks_start_on_mondays_and_are_cut_to_the_month(policy: Policy) -> None:
    weeks = month_weeks(policy, OCTOBER)  # 2026-10-01 is a Thursday
    assert [w.first_day.day for w in weeks] == [1, 5, 12, 19, 26]
    assert weeks[0].start == datetime(2026, 9, 30, 15, tzinfo=UTC)
    assert weeks[-1].end == datetime(2026, 10, 31, 15, tzinfo=UTC)
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))


def test_counts(figures: MonthFigures) -> None:
    # filed in October: A C D E F H X2 O1 Y; resolved: A..H; open at the end: X2 O1 O2 Y
    assert (figures.filed, figures.resolved, figures.open_at_end) == (9, 8, 4)
    assert figures.measured == 8


def test_percentiles_by_nearest_rank(figures: MonthFigures) -> None:
    # ascending: 3600 20000 30000 64800 100000 150000 170000 180000 (n = 8)
    # median: rank ceil(0.5 * 8) = 4 -> 64800; p90: rank ceil(0.9 * 8) = 8 -> 180000
    assert figures.median_s == 64_800
    assert figures.p90_s == 180_000


def test_attainment_counts_exactly_on_target_as_met(figures: MonthFigures) -> None:
    # within target: A (30000 <= 64800), D (64800 <= 64800), E, G, H -> 5 of 8
    assert figures.within_target == 5
    assert figures.attainment == Fraction(5, 8)


@pytest.fixture(params=[0, 10**9], ids=["probe-candidates", "scan-events"])
def either_breach_query(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of finding the month's breach events (probing candidates, or the month's events)."""
    monkeypatch.setattr(digest, "PROBE_COST", request.param)


@pytest.mark.usefixtures("either_breach_query")
def test_breaches_count_escalations_with_a_breach_in_the_month(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        figures = month_figures(session=session, policy=policy, month=OCTOBER)
    assert figures.breaches == 4  # B, C, F (twice), O2; not X1 (Sep), X2 (Nov), A (a warning)


@pytest.mark.usefixtures("either_breach_query")
def test_a_resolution_over_target_is_a_breach_even_if_no_sweep_recorded_it(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as s:
        # resolved over target between two sweeps: no breach event at all
        insert(s, filed=jst(10, 5), resolved=jst(10, 6, 17), took_s=P2 + 1)
        # breached in September (recorded then), resolved late in October: late in October too
        late = insert(s, filed=jst(9, 24), resolved=jst(10, 8), took_s=P2 + 40_000)
        event(s, late, jst(9, 28))
        insert(s, filed=jst(10, 9), resolved=jst(10, 14), took_s=P2)  # exactly on target
        insert(s, filed=jst(10, 9), resolved=jst(10, 30), target_s=0, took_s=900_000)  # no SLO
        insert(s, filed=jst(10, 26), resolved=jst(11, 5), took_s=P2 * 3)  # resolved in November
        s.commit()
        figures = month_figures(session=s, policy=policy, month=OCTOBER)
    # B, C, F, O2 (recorded in October, F twice) + the two late ones; B, C, F are also late but
    # each escalation is counted once
    assert figures.breaches == 6
    # attainment agrees: the two late ones missed their target, the one on target met it, the one
    # without a target is measured but not within one: 5 + 1 within of 8 + 4 measured
    assert (figures.within_target, figures.measured) == (6, 12)


def test_counts_by_category_and_cause(figures: MonthFigures) -> None:
    assert figures.by_category == (("login", 4), ("billing", 2), ("data", 2), ("other", 1))
    assert figures.by_cause == (
        ("bug", 3),
        ("spec", 2),
        ("infra", 1),
        ("third-party", 1),
        ("user-operation", 1),
    )


def test_weekly_counts(db: Database, policy: Policy, figures: MonthFigures) -> None:
    assert [(w.first_day, w.filed, w.resolved) for w in figures.weeks] == [
        (date(2026, 10, 1), 1, 2),
        (date(2026, 10, 5), 2, 1),
        (date(2026, 10, 12), 1, 2),
        (date(2026, 10, 19), 1, 1),
        (date(2026, 10, 26), 4, 2),
    ]
    with db.session() as session:
        assert month_weekly_counts(session=session, policy=policy, month=OCTOBER) == list(
            figures.weeks
        )


def test_slow_closes_are_over_target_or_slow_after_slowest_first(
    figures: MonthFigures, october: dict[str, int]
) -> None:
    assert [s.escalation_id for s in figures.slow] == [october[k] for k in ("H", "C", "F", "B")]
    assert [s.missed_target for s in figures.slow] == [False, True, True, True]
    assert figures.slow[1].note == "Restore job <timed out> & was re-run"
    assert figures.slow_after_s == P3


def test_business_times_are_the_months_resolutions(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        times = month_business_times(session=session, policy=policy, month=OCTOBER)
    assert sorted(times) == [3600, 20_000, 30_000, 64_800, 100_000, 150_000, 170_000, 180_000]


def test_a_month_without_escalations(db: Database, policy: Policy) -> None:
    with db.session() as session:
        empty = month_figures(session=session, policy=policy, month=OCTOBER)
    assert (empty.filed, empty.resolved, empty.open_at_end, empty.breaches) == (0, 0, 0, 0)
    assert (empty.median_s, empty.p90_s, empty.attainment) == (None, None, None)
    assert (empty.slow, empty.by_category, empty.by_cause) == ((), (), ())
    assert [w.filed for w in empty.weeks] == [0] * 5


def test_csv_lists_everything_filed_or_resolved_in_the_month(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        data = month_csv(session=session, policy=policy, month=OCTOBER)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8 Japanese
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    keys = {f"ESC-{october[k]}" for k in ("A", "B", "C", "D", "E", "F", "G", "H", "X2", "O1", "Y")}
    assert {r["key"] for r in rows} == keys
    assert list(rows[0]) == list(CSV_COLUMNS)
    c = next(r for r in rows if r["key"] == f"ESC-{october['C']}")
    assert c["filed_at"] == "2026-10-01 00:00"  # team time, not UTC
    assert c["resolved_at"] == "2026-10-20 12:00"
    assert (c["business_hours_to_resolve"], c["target_hours"]) == ("47.22", "45.00")
    assert (c["within_target"], c["cause"], c["category"]) == ("no", "Bug", "Data restore")
    h = next(r for r in rows if r["key"] == f"ESC-{october['H']}")
    assert h["summary"].startswith("'=HYPERLINK")  # never a live formula in a spreadsheet
    assert h["summary"].endswith("機種変更後に写真が表示されない")
    assert h["assignee"] == "hanako"
    y = next(r for r in rows if r["key"] == f"ESC-{october['Y']}")
    assert (y["status"], y["resolved_at"], y["business_hours_to_resolve"]) == ("open", "", "")
