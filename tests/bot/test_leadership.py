"""One scheduler per deployment: the lease in the database, and the candidates that campaign for it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot import leadership
from bot.clock import ManualClock
from bot.db import Database
from bot.models import JobRun
from bot.policy import Policy
from bot.runtime import Runtime
from bot.scheduler import Elector, _scheduled
from tests.conftest import TOKYO

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)
SECOND = timedelta(seconds=1)


# -- the lease ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "leaders"),
    [
        # (owner, seconds after T0) -> who leads after each attempt (None: that attempt was refused)
        ([("a", 0)], ["a"]),
        ([("a", 0), ("b", 1)], ["a", None]),
        ([("a", 0), ("a", 10), ("b", 35)], ["a", "a", None]),  # renewed at 10: valid until 40
        ([("a", 0), ("b", 31)], ["a", "b"]),  # a's lease ran out at 30
        ([("a", 0), ("b", 31), ("a", 32)], ["a", "b", None]),  # a crashed and came back: b leads
        ([("a", 0), ("b", 29), ("b", 30)], ["a", None, None]),  # not expired until after 30
    ],
)
def test_the_lease_goes_to_one_owner_until_it_runs_out(
    db: Database, steps: list[tuple[str, int]], leaders: list[str | None]
) -> None:
    seen = []
    for owner, seconds in steps:
        with db.session() as session:
            until = leadership.try_lead(session=session, owner=owner, now=T0 + seconds * SECOND)
        seen.append(owner if until else None)
    assert seen == leaders


def test_renewing_keeps_when_it_was_acquired(db: Database) -> None:
    with db.session() as session:
        leadership.try_lead(session=session, owner="a", now=T0)
        leadership.try_lead(session=session, owner="a", now=T0 + 10 * SECOND)
        lease = leadership.leader(session=session, now=T0 + 11 * SECOND)
    assert lease is not None
    assert (lease.owner, lease.acquired_at, lease.expires_at) == (
        "a",
        T0,
        T0 + 10 * SECOND + leadership.TTL,
    )


def test_a_resigned_lease_is_taken_at_once(db: Database) -> None:
    with db.session() as session:
        leadership.try_lead(session=session, owner="a", now=T0)
        leadership.resign(session=session, owner="a")
        assert leadership.leader(session=session, now=T0 + SECOND) is None
        assert leadership.try_lead(session=session, owner="b", now=T0 + SECOND)


def test_candidates_racing_for_a_free_lease_elect_exactly_one(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(6)]
    barrier = threading.Barrier(len(databases))
    won: list[str] = []

    def campaign(number: int) -> None:
        barrier.wait()
        with databases[number].session() as session:
            if leadership.try_lead(session=session, owner=f"p{number}", now=T0):
                won.append(f"p{number}")

    threads = [threading.Thread(target=campaign, args=(n,)) for n in range(len(databases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.dispose()
    assert len(won) == 1


# -- the candidates ------------------------------------------------------------------------------


@pytest.fixture
def deployment(runtime: Runtime, database_url: str, policy: Policy) -> Iterator[list[Runtime]]:
    """Three processes of one deployment on one database and one clock."""
    others = [
        Runtime(
            settings=runtime.settings,
            policy=policy,
            db=Database(database_url),
            client=runtime.client,
            clock=runtime.clock,
            owner=f"host:{n}",
        )
        for n in (2, 3)
    ]
    yield [runtime, *others]
    for other in others:
        other.db.dispose()


def _leaders(electors: list[Elector]) -> list[str]:
    return [e.runtime.owner for e in electors if e.is_leader()]


def test_of_three_processes_exactly_one_runs_the_jobs(
    deployment: list[Runtime], clock: ManualClock, db: Database
) -> None:
    electors = [Elector(runtime) for runtime in deployment]

    for elector in electors:
        elector.campaign()
    for elector, runtime in zip(electors, deployment, strict=True):
        _scheduled(runtime, "slo-sweep", elector)
        _scheduled(runtime, "stale-reminders", elector)

    assert len(_leaders(electors)) == 1
    with db.session() as session:
        owners = Counter(run.owner for run in session.exec(select(JobRun)).all())
    assert set(owners) == set(_leaders(electors))


def test_a_crashed_leader_is_replaced_within_one_sweep_interval(
    deployment: list[Runtime], clock: ManualClock, policy: Policy
) -> None:
    electors = [Elector(runtime) for runtime in deployment]
    for elector in electors:
        elector.campaign()
    [first] = _leaders(electors)
    survivors = [e for e in electors if e.runtime.owner != first]
    sweep_interval = timedelta(minutes=policy.slo.sweep_every_minutes)

    waited = timedelta()
    while not _leaders(survivors):  # the leader crashed: it never campaigns again
        assert waited <= sweep_interval, "no process took over within one sweep interval"
        clock.advance(leadership.RENEW_EVERY)
        waited += leadership.RENEW_EVERY
        for elector in survivors:
            elector.campaign()

    assert len(_leaders(survivors)) == 1
    assert waited <= leadership.TTL + leadership.RENEW_EVERY


def test_a_leader_cut_off_from_the_database_stands_down_before_anyone_can_take_over(
    deployment: list[Runtime], clock: ManualClock
) -> None:
    leader, other = Elector(deployment[0]), Elector(deployment[1])
    assert leader.campaign()
    assert not other.campaign()

    # The leader can no longer renew; time passes for both.
    clock.advance(leadership.TTL - leadership.MARGIN)
    assert not leader.is_leader()
    assert not other.campaign()  # the lease has not run out yet: nobody leads for a moment
    clock.advance(leadership.MARGIN + SECOND)
    assert other.campaign()
    assert not leader.is_leader()


def test_a_clean_stop_hands_the_lease_over_at_once(deployment: list[Runtime]) -> None:
    first, second = Elector(deployment[0]), Elector(deployment[1])
    assert first.campaign()

    first.stop()

    assert second.campaign()


def test_the_new_leader_catches_up_first(deployment: list[Runtime]) -> None:
    elected: list[str] = []
    elector = Elector(deployment[0], on_elected=lambda: elected.append("caught up"))

    elector.campaign()
    elector.campaign()

    assert elected == ["caught up"]
