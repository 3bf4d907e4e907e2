"""Who gets an escalation (skills, availability, load, rotation) and `/cre away` / `/cre back`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot import assignment
from bot.db import Database
from bot.errors import NotAllowed
from bot.models import EngineerState, Escalation, Status
from bot.policy import Policy
from tests.conftest import START, TOKYO
from tests.support.factories import LEAD, bring_to, file_one, manual_policy

HANAKO, TARO, KENJI = "U0HANAKO", "U0TARO", "U0KENJI"


def pick(
    session: Session, policy: Policy, product: str = "album", category: str = "login"
) -> str | None:
    return assignment.pick_assignee(
        session=session, policy=policy, product=product, category=category, now=START
    )


def state(session: Session, user_id: str, **values: Any) -> None:
    session.add(EngineerState(user_id=user_id, **values))
    session.commit()


# -- pick_assignee ----------------------------------------------------------------------------


def test_with_nobody_assigned_yet_roster_order_decides(db: Database, policy: Policy) -> None:
    with db.session() as session:
        assert pick(session, policy) == HANAKO
        assert pick(session, policy, "game", "billing") == TARO
        assert pick(session, policy, "market", "other") == KENJI


def test_fewest_open_escalations_wins(db: Database, policy: Policy) -> None:
    with db.session() as session:
        file_one(session, policy, START)  # hanako
        assert pick(session, policy) == KENJI


def test_least_recently_assigned_breaks_a_tie(db: Database, policy: Policy) -> None:
    with db.session() as session:
        state(session, HANAKO, last_assigned_at=START - timedelta(minutes=5))
        state(session, KENJI, last_assigned_at=START - timedelta(minutes=6))
        assert pick(session, policy) == KENJI


def test_never_assigned_comes_before_assigned_long_ago(db: Database, policy: Policy) -> None:
    with db.session() as session:
        state(session, HANAKO, last_assigned_at=START - timedelta(days=365))
        assert pick(session, policy) == KENJI


def test_load_outranks_rotation(db: Database, policy: Policy) -> None:
    with db.session() as session:
        file_one(session, policy, START - timedelta(days=3))  # hanako: one open, assigned long ago
        state(session, KENJI, last_assigned_at=START - timedelta(minutes=1))
        assert pick(session, policy) == KENJI  # zero open beats "assigned less recently"


def test_only_active_statuses_count_as_load(db: Database, policy: Policy) -> None:
    with db.session() as session:
        ids = [file_one(session, policy, START + timedelta(minutes=i)).id for i in range(2)]
        assert assignment.open_load(session=session) == {HANAKO: 1, KENJI: 1}
        assert ids[0] is not None
        assert ids[1] is not None
        bring_to(session, policy, ids[0], Status.WAITING, now=START)
        assert assignment.open_load(session=session) == {HANAKO: 1, KENJI: 1}
        bring_to(session, policy, ids[1], Status.RESOLVED, now=START)
        assert assignment.open_load(session=session) == {HANAKO: 1}
        bring_to(session, policy, ids[0], Status.OPEN, now=START)
        assert assignment.open_load(session=session) == {}


def test_away_engineers_are_skipped(db: Database, policy: Policy) -> None:
    with db.session() as session:
        state(session, HANAKO, away=True)
        assert pick(session, policy) == KENJI
        state(session, KENJI, away=True)
        assert pick(session, policy) is None


def test_manual_strategy_picks_nobody(db: Database, policy_text: str) -> None:
    with db.session() as session:
        assert pick(session, manual_policy(policy_text)) is None


# -- is_away ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "away"),
    [
        (None, False),
        (EngineerState(user_id=HANAKO, away=False), False),
        (EngineerState(user_id=HANAKO, away=True), True),
        (
            EngineerState(user_id=HANAKO, away=True, away_until=START + timedelta(microseconds=1)),
            True,
        ),
        (EngineerState(user_id=HANAKO, away=True, away_until=START), False),
        (EngineerState(user_id=HANAKO, away=True, away_until=START - timedelta(days=1)), False),
        (EngineerState(user_id=HANAKO, away=False, away_until=START + timedelta(days=1)), False),
    ],
)
def test_is_away(row: EngineerState | None, away: bool) -> None:
    assert assignment.is_away(row, now=START) is away


# -- set_away / set_back ----------------------------------------------------------------------


def test_away_until_a_date_lasts_through_that_day_in_the_team_time_zone(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        result = assignment.set_away(
            session=session, policy=policy, user_id=HANAKO, until=date(2026, 11, 27), now=START
        )
    midnight = datetime(2026, 11, 28, 0, 0, tzinfo=TOKYO)
    assert result.away
    assert result.away_until == midnight
    assert result.away_until == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with db.session() as session:
        row = session.get(EngineerState, HANAKO)
        assert row is not None
        assert row.away_until == midnight
        assert assignment.is_away(row, now=midnight - timedelta(seconds=1))
        assert not assignment.is_away(row, now=midnight)
        during = assignment.availability(session=session, user_id=HANAKO, now=START)
        assert (during.away, during.away_until) == (True, midnight)
        after = assignment.availability(session=session, user_id=HANAKO, now=midnight)
        assert (after.away, after.away_until) == (False, None)


def test_away_until_today_is_allowed(db: Database, policy: Policy) -> None:
    with db.session() as session:
        result = assignment.set_away(
            session=session, policy=policy, user_id=TARO, until=date(2026, 11, 25), now=START
        )
    assert result.away_until == datetime(2026, 11, 26, 0, 0, tzinfo=TOKYO)


def test_away_until_a_past_date_is_refused(db: Database, policy: Policy) -> None:
    with db.session() as session, pytest.raises(NotAllowed) as caught:
        assignment.set_away(
            session=session, policy=policy, user_id=TARO, until=date(2026, 11, 24), now=START
        )
    assert caught.value.key == "error.away_in_past"
    assert caught.value.params == {"date": "2026-11-24"}
    with db.session() as session:
        assert session.get(EngineerState, TARO) is None


def test_the_past_is_judged_in_the_team_time_zone(db: Database, policy: Policy) -> None:
    # 00:30 on the 25th in Tokyo is still the 24th in UTC: the 24th is already past for the team.
    just_after_midnight = datetime(2026, 11, 25, 0, 30, tzinfo=TOKYO)
    with db.session() as session, pytest.raises(NotAllowed):
        assignment.set_away(
            session=session,
            policy=policy,
            user_id=TARO,
            until=date(2026, 11, 24),
            now=just_after_midnight,
        )


@pytest.mark.parametrize("user_id", [LEAD, "U0CS", "U0OTHER"])
def test_only_roster_engineers_can_be_away_or_back(
    db: Database, policy: Policy, user_id: str
) -> None:
    with db.session() as session:
        with pytest.raises(NotAllowed) as caught:
            assignment.set_away(
                session=session, policy=policy, user_id=user_id, until=None, now=START
            )
        assert caught.value.key == "error.not_on_roster"
        with pytest.raises(NotAllowed):
            assignment.set_back(session=session, policy=policy, user_id=user_id, now=START)
        assert session.get(EngineerState, user_id) is None


def test_away_without_a_date_lasts_until_back(db: Database, policy: Policy) -> None:
    with db.session() as session:
        away = assignment.set_away(
            session=session, policy=policy, user_id=KENJI, until=None, now=START
        )
        assert (away.away, away.away_until) == (True, None)
        far_future = START + timedelta(days=400)
        assert assignment.availability(session=session, user_id=KENJI, now=far_future).away
        back = assignment.set_back(session=session, policy=policy, user_id=KENJI, now=START)
        assert (back.away, back.away_until) == (False, None)
    with db.session() as session:
        row = session.get(EngineerState, KENJI)
        assert row is not None
        assert (row.away, row.away_until) == (False, None)
        assert not assignment.availability(session=session, user_id=KENJI, now=START).away


def test_away_keeps_the_rotation_memory(db: Database, policy: Policy) -> None:
    with db.session() as session:
        file_one(session, policy, START)  # hanako, last assigned at START
        assignment.set_away(session=session, policy=policy, user_id=HANAKO, until=None, now=START)
        assignment.set_back(session=session, policy=policy, user_id=HANAKO, now=START)
    with db.session() as session:
        row = session.get(EngineerState, HANAKO)
        assert row is not None
        assert row.last_assigned_at == START


def test_availability_of_someone_never_seen(db: Database) -> None:
    with db.session() as session:
        result = assignment.availability(session=session, user_id=HANAKO, now=START)
    assert (result.user_id, result.away, result.away_until) == (HANAKO, False, None)


def test_simultaneous_first_assignments_all_file(db: Database, policy: Policy) -> None:
    """Ten filings at once, each the first to assign its engineer: none collides on engineer_state."""
    import threading

    start = threading.Barrier(10, timeout=30)
    errors: list[BaseException] = []
    now = START

    def file() -> None:
        try:
            start.wait()
            with db.session() as session:
                file_one(session, policy, now)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=file) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert len(session.exec(select(Escalation)).all()) == 10
        states = session.exec(select(EngineerState)).all()
        assert {s.user_id for s in states} <= set(policy.engineer_ids)
        assert all(s.last_assigned_at is not None for s in states)
