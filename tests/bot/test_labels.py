"""Changing an escalation's product or category after filing: who may, what is recorded and
posted, what becomes of a suggestion, and that a repeated submission acts once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot import escalations, presenter
from bot.db import Database
from bot.errors import InvalidInput, NotAllowed
from bot.models import Escalation, Outbox, Status
from bot.outbox_rows import OutboxKind
from bot.policy import Policy
from tests.conftest import START
from tests.support.db_faults import committed_elsewhere_first, escalation_moved_on_once
from tests.support.factories import FILER, LEAD, bring_to, file_one, policy_variant

HANAKO, TARO, OUTSIDER = "U0HANAKO", "U0TARO", "U0OTHER"
LATER = START + timedelta(hours=1)
# What a Zendesk intake records when both labels were suggested.
SUGGESTED = (
    {"what": "product", "value": "", "used": "album", "suggested": "1"},
    {"what": "category", "value": "", "used": "login", "suggested": "1"},
)


def _file(session: Session, policy: Policy, *, suggested: bool = False) -> int:
    escalation = file_one(session, policy, START, unmapped=SUGGESTED if suggested else ())
    assert escalation.id is not None  # album/login: assigned to Hanako
    return escalation.id


def _relabel(
    session: Session,
    policy: Policy,
    escalation_id: int,
    product: str = "album",
    category: str = "login",
    actor_id: str = HANAKO,
) -> Escalation:
    return escalations.relabel(
        session=session,
        policy=policy,
        escalation_id=escalation_id,
        product=product,
        category=category,
        actor_id=actor_id,
        now=LATER,
    )


def _posts(session: Session, escalation_id: int) -> list[str]:
    """The kinds of the Slack posts promised since filing (card redraws and thread lines)."""
    rows = session.exec(
        select(Outbox)
        .where(Outbox.escalation_id == escalation_id, col(Outbox.created_at) >= LATER)
        .order_by(col(Outbox.id))
    ).all()
    return [row.kind for row in rows if row.kind in (OutboxKind.CARD_UPDATE, OutboxKind.THREAD)]


def _thread_lines(session: Session, policy: Policy, escalation_id: int) -> list[str]:
    escalation = escalations.get_escalation(session=session, escalation_id=escalation_id)
    return [
        presenter.render_thread_line(
            session=session, policy=policy, escalation=escalation, event_id=e.id or 0
        )
        for e in escalations.timeline(session=session, escalation_id=escalation_id)
        if e.kind == "relabeled"
    ]


# -- who may ----------------------------------------------------------------------------------


# Whoever may press one of the card's status buttons (to another status) may change the labels.
@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Status.OPEN, {LEAD, HANAKO, TARO}),  # nobody has it: the roster may claim it
        (Status.ASSIGNED, {LEAD, HANAKO}),
        (Status.INVESTIGATING, {LEAD, HANAKO}),
        (Status.WAITING, {LEAD, HANAKO}),
        (Status.RESOLVED, {LEAD, HANAKO, FILER}),  # the filer may reopen it
    ],
)
def test_who_may_change_the_labels_in_each_status(
    db: Database, policy: Policy, status: Status, allowed: set[str]
) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy)
        bring_to(session, policy, escalation_id, status, now=START)
        for actor in (LEAD, HANAKO, TARO, FILER, OUTSIDER):
            if actor in allowed:
                escalation = _relabel(session, policy, escalation_id, "game", "billing", actor)
                assert (escalation.product, escalation.category) == ("game", "billing")
                _relabel(session, policy, escalation_id, actor_id=LEAD)  # back, for the next
            else:
                with pytest.raises(NotAllowed) as refused:
                    _relabel(session, policy, escalation_id, "game", "billing", actor)
                assert refused.value.key == "error.not_allowed.relabel"
        assert escalations.get_escalation(session=session, escalation_id=escalation_id).status == (
            status
        )


# -- what is recorded and posted --------------------------------------------------------------


@pytest.mark.parametrize(
    ("suggested", "chosen", "data", "posts", "line"),
    [
        # Nothing changes, nothing was suggested: nothing happens.
        (False, ("album", "login"), None, [], None),
        (
            False,
            ("album", "billing"),
            {"changed": {"category": ["login", "billing"]}, "confirmed": []},
            [OutboxKind.CARD_UPDATE, OutboxKind.THREAD],
            "<@U0HANAKO> changed category: Login / account → Purchases / billing.",
        ),
        (
            False,
            ("game", "billing"),
            {"changed": {"product": ["album", "game"], "category": ["login", "billing"]}},
            [OutboxKind.CARD_UPDATE, OutboxKind.THREAD],
            "<@U0HANAKO> changed product: Family Album → Puzzle Game;"
            " category: Login / account → Purchases / billing.",
        ),
        # Suggested and kept as they are: confirmed, the card redrawn, nothing in the thread.
        (
            True,
            ("album", "login"),
            {"changed": {}, "confirmed": ["product", "category"]},
            [OutboxKind.CARD_UPDATE],
            "<@U0HANAKO> confirmed the suggested product and category.",
        ),
        # One changed, the other kept: the change is told, the kept one confirmed.
        (
            True,
            ("album", "billing"),
            {"changed": {"category": ["login", "billing"]}, "confirmed": ["product"]},
            [OutboxKind.CARD_UPDATE, OutboxKind.THREAD],
            "<@U0HANAKO> changed category: Login / account → Purchases / billing.",
        ),
    ],
)
def test_a_change_is_recorded_told_in_the_thread_and_redrawn(
    db: Database,
    policy: Policy,
    suggested: bool,
    chosen: tuple[str, str],
    data: dict[str, Any] | None,
    posts: list[str],
    line: str | None,
) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy, suggested=suggested)
        before = escalations.get_escalation(session=session, escalation_id=escalation_id).version

        escalation = _relabel(session, policy, escalation_id, *chosen)

        assert (escalation.product, escalation.category) == chosen
        assert (escalation.product_suggested, escalation.category_suggested) == (False, False)
        events = [
            e
            for e in escalations.timeline(session=session, escalation_id=escalation_id)
            if e.kind == "relabeled"
        ]
        if data is None:
            assert events == []
            assert escalation.version == before
        else:
            assert len(events) == 1
            assert events[0].actor_id == HANAKO
            assert events[0].at == LATER
            assert {k: v for k, v in events[0].data.items() if v} == {
                k: v for k, v in data.items() if v
            }
        assert _posts(session, escalation_id) == posts
        assert _thread_lines(session, policy, escalation_id) == ([line] if line else [])


def test_submitting_the_same_choice_again_does_nothing_more(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy, suggested=True)
        _relabel(session, policy, escalation_id, "album", "billing")
        posts = _posts(session, escalation_id)
        version = escalations.get_escalation(session=session, escalation_id=escalation_id).version

        again = _relabel(session, policy, escalation_id, "album", "billing")

        assert again.version == version
        assert _posts(session, escalation_id) == posts
        assert len(_thread_lines(session, policy, escalation_id)) == 1


def test_the_status_the_clock_and_the_assignee_stay_as_they_were(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy)
        bring_to(session, policy, escalation_id, Status.INVESTIGATING, now=START)
        before = escalations.get_escalation(session=session, escalation_id=escalation_id)
        kept = (before.status, before.assignee_id, before.slo_due_at, before.last_activity_at)

        after = _relabel(session, policy, escalation_id, "game", "billing")

        assert (after.status, after.assignee_id, after.slo_due_at, after.last_activity_at) == kept


@pytest.mark.parametrize(
    ("product", "category", "fields"),
    [
        ("spaceship", "login", {"product"}),
        ("album", "", {"category"}),
        ("", "nope", {"product", "category"}),
    ],
)
def test_only_the_policy_s_choices_are_accepted(
    db: Database, policy: Policy, product: str, category: str, fields: set[str]
) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy)
        with pytest.raises(InvalidInput) as refused:
            _relabel(session, policy, escalation_id, product, category)
        assert set(refused.value.fields) == fields
        escalation = escalations.get_escalation(session=session, escalation_id=escalation_id)
        assert (escalation.product, escalation.category) == ("album", "login")


def test_the_thread_line_in_japanese(db: Database, policy_text: str) -> None:
    ja = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    with db.session() as session:
        escalation_id = _file(session, ja)
        _relabel(session, ja, escalation_id, "album", "billing")
        login, billing = ja.label("categories", "login"), ja.label("categories", "billing")
        assert _thread_lines(session, ja, escalation_id) == [
            f"<@U0HANAKO> さんがカテゴリを変更しました: {login} → {billing}"
        ]


def test_labels_chosen_by_a_person_are_escaped_in_the_line(db: Database, policy_text: str) -> None:
    odd = policy_variant(policy_text, ('label = "Puzzle Game"', 'label = "<Puzzle> & Game"'))
    with db.session() as session:
        escalation_id = _file(session, odd)
        _relabel(session, odd, escalation_id, "game", "login")
        assert _thread_lines(session, odd, escalation_id) == [
            "<@U0HANAKO> changed product: Family Album → &lt;Puzzle&gt; &amp; Game."
        ]


# -- at the same time -------------------------------------------------------------------------


def test_a_row_changed_under_a_relabel_is_retried_and_leaves_nothing_twice(
    db: Database, policy: Policy
) -> None:
    """The version check fails once (the row moved on inside our transaction): retried, once."""
    with db.session() as session:
        escalation_id = _file(session, policy)
        with escalation_moved_on_once(session, escalation_id) as bumped:
            escalation = _relabel(session, policy, escalation_id, "album", "billing")
        assert bumped == [True]
        assert escalation.category == "billing"
        assert _posts(session, escalation_id) == [OutboxKind.CARD_UPDATE, OutboxKind.THREAD]
        assert len(_thread_lines(session, policy, escalation_id)) == 1


@pytest.mark.postgres  # SQLite serialises writers (BEGIN IMMEDIATE)
def test_the_same_modal_submitted_twice_at_once_changes_it_once(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        escalation_id = _file(session, policy)

        def same_submission(other: Session) -> object:
            return _relabel(other, policy, escalation_id, "album", "billing")

        with committed_elsewhere_first(db, session, same_submission) as interfered:
            escalation = _relabel(session, policy, escalation_id, "album", "billing")
        assert interfered == [True]
        assert escalation.category == "billing"
        assert _posts(session, escalation_id) == [OutboxKind.CARD_UPDATE, OutboxKind.THREAD]
        assert len(_thread_lines(session, policy, escalation_id)) == 1


@pytest.mark.postgres  # SQLite serialises writers (BEGIN IMMEDIATE)
@pytest.mark.parametrize("first", ["status change", "relabel"])
def test_a_relabel_and_a_status_change_at_once_both_hold(
    db: Database, policy: Policy, first: str
) -> None:
    """Whichever commits first, the other finds the row's version moved on, reads it again and
    makes its own change on top: neither is lost, each is recorded and posted once."""
    with db.session() as session:
        escalation_id = _file(session, policy)
        version = escalations.get_escalation(session=session, escalation_id=escalation_id).version

        def acknowledge(on: Session) -> Escalation:
            return escalations.acknowledge(
                session=on, policy=policy, escalation_id=escalation_id, actor_id=HANAKO, now=LATER
            )

        def relabel(on: Session) -> Escalation:
            return _relabel(on, policy, escalation_id, "game", "billing")

        elsewhere, here = (
            (acknowledge, relabel) if first == "status change" else (relabel, acknowledge)
        )
        with committed_elsewhere_first(db, session, elsewhere) as interfered:
            row = here(session)

        assert interfered == [True]
        # What `here` returns was read again after `elsewhere` committed, and changed on top of it.
        for seen in (row, escalations.get_escalation(session=session, escalation_id=escalation_id)):
            assert (seen.status, seen.product, seen.category) == (
                Status.INVESTIGATING,
                "game",
                "billing",
            )
            assert seen.version == version + 2
        kinds = [e.kind for e in escalations.timeline(session=session, escalation_id=escalation_id)]
        assert kinds.count("acknowledge") == kinds.count("relabeled") == 1
        assert _posts(session, escalation_id) == [OutboxKind.CARD_UPDATE, OutboxKind.THREAD] * 2
        assert _thread_lines(session, policy, escalation_id) == [
            "<@U0HANAKO> changed product: Family Album → Puzzle Game;"
            " category: Login / account → Purchases / billing."
        ]
