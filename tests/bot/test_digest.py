"""The digest's figures for a fixture month, checked against values computed by hand."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from sqlmodel import Session

from bot.db import Database
from bot.digest.export import month_csv
from bot.digest.figures import (
    Breakdown,
    Month,
    MonthFigures,
    MonthVolume,
    Resolution,
    month_bounds,
    month_figures,
    month_resolutions,
    month_totals,
    month_weeks,
    nearest_rank,
    reported_month,
)
from bot.digest.trend import month_trend
from bot.models import Escalation, EscalationEvent, Status
from bot.policy import Policy, parse_policy
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
    zendesk: tuple[int, str | None] | None = None,
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
        zendesk_ticket_id=zendesk[0] if zendesk else None,
        zendesk_url=zendesk[1] if zendesk else None,
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
                zendesk=(4321, "https://acme.zendesk.com/agent/tickets/4321"),
            ),
            "D": insert(
                s,
                filed=jst(10, 7),
                resolved=jst(10, 13),
                took_s=P2,
                cause="spec",
                zendesk=(77, None),
            ),
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


@pytest.mark.parametrize(
    ("month", "weeks"),
    [
        # October 2026 begins on a Thursday: four days, a week of their own
        (Month(2026, 10), ["10/1-4", "10/5-11", "10/12-18", "10/19-25", "10/26-31"]),
        # November 2026 begins on a Sunday and ends on a Monday: each stub joins its neighbour
        (Month(2026, 11), ["11/1-8", "11/9-15", "11/16-22", "11/23-30"]),
        # September 2026 begins on a Tuesday (six days) and ends on a Wednesday (three)
        (Month(2026, 9), ["9/1-6", "9/7-13", "9/14-20", "9/21-30"]),
        # August 2026 begins on a Saturday and ends on a Monday
        (Month(2026, 8), ["8/1-9", "8/10-16", "8/17-23", "8/24-31"]),
        # February 2027 begins on a Monday and ends on a Sunday: four whole weeks
        (Month(2027, 2), ["2/1-7", "2/8-14", "2/15-21", "2/22-28"]),
    ],
)
def test_weeks_start_on_mondays_with_no_stub_of_three_days_or_fewer(
    policy: Policy, month: Month, weeks: list[str]
) -> None:
    found = month_weeks(policy, month)
    assert [f"{w.first_day.month}/{w.first_day.day}-{w.last_day.day}" for w in found] == weeks
    assert all(w.first_day.weekday() == 0 for w in found[1:])  # every week after the first
    assert found[0].start == month_bounds(policy, month)[0]
    assert found[-1].end == month_bounds(policy, month)[1]
    assert all(a.end == b.start for a, b in itertools.pairwise(found))


def test_week_bounds_are_local_midnights(policy: Policy) -> None:
    weeks = month_weeks(policy, OCTOBER)
    assert weeks[0].start == datetime(2026, 9, 30, 15, tzinfo=UTC)
    assert weeks[1].start == datetime(2026, 10, 4, 15, tzinfo=UTC)
    assert weeks[-1].end == datetime(2026, 10, 31, 15, tzinfo=UTC)


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


def test_breaches_count_escalations_with_a_breach_in_the_month(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        figures = month_figures(session=session, policy=policy, month=OCTOBER)
    assert figures.breaches == 4  # B, C, F (twice), O2; not X1 (Sep), X2 (Nov), A (a warning)


def test_a_resolution_over_target_is_a_breach_even_if_no_sweep_recorded_it(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as s:
        # resolved over target between two sweeps: no breach event at all
        insert(s, filed=jst(10, 5), resolved=jst(10, 6, 17), took_s=P2 + 1)
        # breached in September (recorded then), resolved late in October: September's breach,
        # not October's again (October counts it against its attainment only)
        late = insert(s, filed=jst(9, 24), resolved=jst(10, 8), took_s=P2 + 40_000)
        event(s, late, jst(9, 28))
        insert(s, filed=jst(10, 9), resolved=jst(10, 14), took_s=P2)  # exactly on target
        insert(s, filed=jst(10, 9), resolved=jst(10, 30), target_s=0, took_s=900_000)  # no SLO
        insert(s, filed=jst(10, 26), resolved=jst(11, 5), took_s=P2 * 3)  # resolved in November
        s.commit()
        figures = month_figures(session=s, policy=policy, month=OCTOBER)
    # B, C, F, O2 (recorded in October, F twice) + the unrecorded late one; B, C, F are also late
    # but each escalation is counted once
    assert figures.breaches == 5
    # attainment agrees: the two late ones missed their target, the one on target met it, the one
    # without a target is measured but not within one: 5 + 1 within of 8 + 4 measured
    assert (figures.within_target, figures.measured) == (6, 12)


def test_a_breach_counts_in_the_month_it_happened_not_again_in_the_month_it_is_resolved(
    db: Database, policy: Policy
) -> None:
    with db.session() as s:
        late = insert(s, filed=jst(10, 26), resolved=jst(11, 5), took_s=P2 * 3)
        event(s, late, jst(10, 29))  # the sweep saw it breach in October
        s.commit()
        october = month_figures(session=s, policy=policy, month=OCTOBER)
        november = month_figures(session=s, policy=policy, month=Month(2026, 11))
    assert (october.breaches, october.resolved, october.open_at_end) == (1, 0, 1)
    assert november.breaches == 0
    # November resolved it over its target: against November's attainment, among its slow closes
    assert (november.within_target, november.measured) == (0, 1)
    assert [slow.escalation_id for slow in november.slow] == [late]


def test_breakdowns_by_product_and_category(figures: MonthFigures) -> None:
    # filed in October: login A D F O1, billing E X2, data C Y, other H; in September: login G X1,
    # billing B. Resolved in October: login A D F G (A D G on target), billing B E (E), data C,
    # other H (on target).
    assert figures.by_category == (
        Breakdown("login", filed=4, filed_before=2, resolved=4, measured=4, within_target=3),
        Breakdown("billing", filed=2, filed_before=1, resolved=2, measured=2, within_target=1),
        Breakdown("data", filed=2, filed_before=0, resolved=1, measured=1, within_target=0),
        Breakdown("other", filed=1, filed_before=0, resolved=1, measured=1, within_target=1),
    )
    assert figures.by_product == (
        Breakdown("album", filed=9, filed_before=3, resolved=8, measured=8, within_target=5),
    )
    assert figures.by_cause == (
        ("bug", 3),
        ("spec", 2),
        ("infra", 1),
        ("third-party", 1),
        ("user-operation", 1),
    )


def test_the_month_before_is_summed_for_the_changes(
    db: Database, policy: Policy, figures: MonthFigures
) -> None:
    before = figures.previous
    # September: filed B (the 30th, 23:30), G, X1; resolved X1 (over target, 999,999 s);
    # open at its end: B, G (resolved at October's first instant), O2; breached: X1
    assert before.month == Month(2026, 9)
    assert (before.filed, before.resolved, before.open_at_end, before.breaches) == (3, 1, 3, 1)
    assert (before.within_target, before.measured, before.attainment) == (0, 1, Fraction(0))
    assert before.median_s == before.p90_s == 999_999
    with db.session() as session:
        assert month_totals(session=session, policy=policy, month=Month(2026, 9)) == before


def test_a_month_after_a_quiet_one_has_nothing_to_compare(db: Database, policy: Policy) -> None:
    with db.session() as session:
        insert(session, filed=jst(10, 5), resolved=jst(10, 6), took_s=30_000)
        session.commit()
        figures = month_figures(session=session, policy=policy, month=OCTOBER)
    assert figures.previous is None  # nothing filed, resolved or open in September
    assert figures.by_product == (
        Breakdown("album", filed=1, filed_before=0, resolved=1, measured=1, within_target=1),
    )


def test_a_month_not_over_yet_is_in_progress(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        during = month_figures(session=session, policy=policy, month=OCTOBER, now=jst(10, 20))
        after = month_figures(session=session, policy=policy, month=OCTOBER, now=jst(11, 1, 0))
    assert during.in_progress
    assert not after.in_progress


def test_the_trend_counts_each_month_between_local_midnights(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        trend = month_trend(session=session, policy=policy, month=OCTOBER, months=4)
    assert trend == [
        MonthVolume(Month(2026, 7), filed=0, resolved=0, measured=0, within_target=0),
        MonthVolume(Month(2026, 8), filed=1, resolved=0, measured=0, within_target=0),  # O2
        MonthVolume(Month(2026, 9), filed=3, resolved=1, measured=1, within_target=0),
        MonthVolume(OCTOBER, filed=9, resolved=8, measured=8, within_target=5),
    ]
    assert trend[-1].attainment == Fraction(5, 8)


def test_a_month_spanning_a_year_end_trends_back_into_the_year_before(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        insert(session, filed=datetime(2025, 12, 31, 23, 59, tzinfo=TOKYO))
        insert(session, filed=datetime(2026, 1, 1, 0, 0, tzinfo=TOKYO))
        session.commit()
        trend = month_trend(session=session, policy=policy, month=Month(2026, 2), months=3)
    assert [(str(m.month), m.filed) for m in trend] == [
        ("2025-12", 1),
        ("2026-01", 1),
        ("2026-02", 0),
    ]


def test_slow_closes_are_over_target_or_slow_after_slowest_first(
    figures: MonthFigures, october: dict[str, int]
) -> None:
    assert [s.escalation_id for s in figures.slow] == [october[k] for k in ("H", "C", "F", "B")]
    assert [s.missed_target for s in figures.slow] == [False, True, True, True]
    assert figures.slow[1].note == "Restore job <timed out> & was re-run"
    assert figures.slow_after_s == P3


def test_resolutions_are_the_months_with_their_targets(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        found = month_resolutions(session=session, policy=policy, month=OCTOBER)
    assert found == [
        Resolution(october["A"], "P2", 30_000, P2),
        Resolution(october["B"], "P1", 20_000, P1),
        Resolution(october["C"], "P3", 170_000, P3),
        Resolution(october["D"], "P2", P2, P2),
        Resolution(october["E"], "P1", 3_600, P1),
        Resolution(october["F"], "P2", 100_000, P2),
        Resolution(october["G"], "P3", 150_000, P3),
        Resolution(october["H"], "P3", 180_000, 200_000),
    ]


def test_a_month_without_escalations(db: Database, policy: Policy) -> None:
    with db.session() as session:
        empty = month_figures(session=session, policy=policy, month=OCTOBER)
    assert (empty.filed, empty.resolved, empty.open_at_end, empty.breaches) == (0, 0, 0, 0)
    assert (empty.median_s, empty.p90_s, empty.attainment) == (None, None, None)
    assert (empty.slow, empty.by_category, empty.by_product, empty.by_cause) == ((), (), (), ())
    assert [w.filed for w in empty.weeks] == [0] * 5
    assert empty.empty


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8 Japanese
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_lists_everything_filed_or_resolved_in_the_month(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        data = month_csv(
            session=session, policy=policy, month=OCTOBER, workspace_url="https://acme.slack.com/"
        )
    rows = _csv(data)
    keys = {f"ESC-{october[k]}" for k in ("A", "B", "C", "D", "E", "F", "G", "H", "X2", "O1", "Y")}
    assert {r["Escalation"] for r in rows} == keys
    assert list(rows[0]) == [
        "Escalation",
        "Link",
        "Filed",
        "Resolved",
        "Status",
        "Priority",
        "Product",
        "Category",
        "End user",
        "Zendesk ticket",
        "Assignee",
        "Business hours to resolve",
        "SLO target (business hours)",
        "On target",
        "Cause",
        "Summary",
    ]
    c = next(r for r in rows if r["Escalation"] == f"ESC-{october['C']}")
    assert c["Filed"] == "2026-10-01 00:00"  # team time, not UTC
    assert c["Resolved"] == "2026-10-20 12:00"
    assert (c["Business hours to resolve"], c["SLO target (business hours)"]) == ("47.22", "45.00")
    assert (c["On target"], c["Cause"], c["Category"]) == ("no", "Bug", "Data restore")
    assert (c["Status"], c["Priority"], c["Product"]) == ("Resolved", "P3", "Family Album")
    assert c["End user"] == "u-1001"
    assert c["Zendesk ticket"] == "https://acme.zendesk.com/agent/tickets/4321"
    ts = f"{int(jst(10, 1, 0, 0).timestamp())}000100"
    assert c["Link"] == f"https://acme.slack.com/archives/C0ESCALATE/p{ts}"
    d = next(r for r in rows if r["Escalation"] == f"ESC-{october['D']}")
    assert (d["Zendesk ticket"], d["On target"]) == ("#77", "yes")  # exactly on target is on it
    h = next(r for r in rows if r["Escalation"] == f"ESC-{october['H']}")
    assert h["Summary"].startswith("'=HYPERLINK")  # never a live formula in a spreadsheet
    assert h["Summary"].endswith("機種変更後に写真が表示されない")
    assert (h["Assignee"], h["Zendesk ticket"]) == ("hanako", "")
    y = next(r for r in rows if r["Escalation"] == f"ESC-{october['Y']}")
    assert (y["Status"], y["Resolved"], y["Business hours to resolve"]) == ("Open", "", "")


def test_without_the_workspace_url_the_link_column_is_empty(
    db: Database, policy: Policy, october: dict[str, int]
) -> None:
    with db.session() as session:
        rows = _csv(month_csv(session=session, policy=policy, month=OCTOBER))
    assert {r["Link"] for r in rows} == {""}
    assert len(rows) == 11


def test_a_japanese_teams_csv_speaks_japanese(
    db: Database, policy_text: str, october: dict[str, int]
) -> None:
    japanese = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    with db.session() as session:
        rows = _csv(month_csv(session=session, policy=japanese, month=OCTOBER))
    assert list(rows[0])[:4] == ["エスカレーション", "リンク", "起票日時", "解決日時"]
    c = next(r for r in rows if r["エスカレーション"] == f"ESC-{october['C']}")
    assert (c["ステータス"], c["目標内"], c["原因"]) == ("解決済み", "いいえ", "不具合")
    assert (c["ユーザーID"], c["解決までの営業時間(時間)"]) == ("u-1001", "47.22")
    y = next(r for r in rows if r["エスカレーション"] == f"ESC-{october['Y']}")
    assert y["ステータス"] == "担当者待ち"
