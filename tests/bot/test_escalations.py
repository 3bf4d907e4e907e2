"""Escalations: input validation, filing and auto-assignment, the lifecycle, permissions, the timeline."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import Session, col, select

from bot import assignment, escalations, lifecycle, presenter, scope
from bot.blocks.errors import field_errors
from bot.db import Database
from bot.errors import AlreadyClaimed, InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.escalations import changes
from bot.lifecycle import Role, Verb
from bot.models import EngineerState, Escalation, EscalationEvent, Outbox, Status
from bot.outbox_rows import OutboxKind
from bot.policy import Policy
from tests.conftest import START
from tests.support.db_faults import committed_elsewhere_first, escalation_moved_on_once
from tests.support.factories import (
    FILER,
    LEAD,
    bring_to,
    draft,
    file_one,
    make_escalation,
    manual_policy,
    policy_variant,
)
from tests.support.flows import wait_for

HANAKO, TARO, KENJI, OUTSIDER = "U0HANAKO", "U0TARO", "U0KENJI", "U0OTHER"
GOOD_VALUES: dict[str, str | None] = {
    "end_user_id": "u-1001",
    "product": "album",
    "category": "login",
    "priority": "P2",
    "summary": "Login fails after password reset",
    "details": "The user reset their password twice.",
    "zendesk": "",
}


# -- helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    """Everything a change can write about one escalation."""

    status: str
    assignee: str | None
    version: int
    events: tuple[tuple[int, str], ...]
    outbox: tuple[str, ...]


def footprint(session: Session, escalation_id: int) -> Footprint:
    session.expire_all()
    escalation = escalations.get_escalation(session=session, escalation_id=escalation_id)
    events = escalations.timeline(session=session, escalation_id=escalation_id)
    outbox = session.exec(
        select(Outbox.key).where(Outbox.escalation_id == escalation_id).order_by(col(Outbox.id))
    ).all()
    session.rollback()
    return Footprint(
        status=str(escalation.status),
        assignee=escalation.assignee_id,
        version=escalation.version,
        events=tuple((int(e.id or 0), e.kind) for e in events),
        outbox=tuple(outbox),
    )


def outbox_rows(session: Session, escalation_id: int) -> list[Outbox]:
    return list(
        session.exec(
            select(Outbox).where(Outbox.escalation_id == escalation_id).order_by(col(Outbox.id))
        ).all()
    )


def thread_text(session: Session, policy: Policy, row: Outbox) -> str:
    """A thread row's line as delivery words it."""
    assert row.escalation_id is not None
    escalation = escalations.get_escalation(session=session, escalation_id=row.escalation_id)
    return presenter.render_thread_line(
        session=session, policy=policy, escalation=escalation, event_id=row.payload["event_id"]
    )


def kinds(session: Session, escalation_id: int) -> list[str]:
    return [e.kind for e in escalations.timeline(session=session, escalation_id=escalation_id)]


def file_id(session: Session, policy: Policy, now: datetime = START, **overrides: Any) -> int:
    escalation = file_one(session, policy, now, **overrides)
    assert escalation.id is not None
    return escalation.id


def perform(
    session: Session,
    policy: Policy,
    action: Verb,
    escalation_id: int,
    actor_id: str,
    now: datetime,
) -> Escalation:
    """Do `action` through the domain function a button would call."""
    common: dict[str, Any] = {
        "session": session,
        "policy": policy,
        "escalation_id": escalation_id,
        "actor_id": actor_id,
        "now": now,
    }
    simple: dict[Verb, Callable[..., Escalation]] = {
        Verb.CLAIM: escalations.claim,
        Verb.ACKNOWLEDGE: escalations.acknowledge,
        Verb.WAIT: escalations.wait_on_cs,
        Verb.RESUME: escalations.resume,
        Verb.REOPEN: escalations.reopen,
        Verb.HAND_BACK: escalations.hand_back,
        Verb.STILL_ON_IT: escalations.still_on_it,
    }
    if action in simple:
        return simple[action](**common)
    if action is Verb.REASSIGN:
        return escalations.reassign(**common, assignee_id=TARO)
    if action is Verb.ANSWER:
        return escalations.answer_question(**common, answer="4.2.1", answer_key=f"view:{now}")
    if action is Verb.RESOLVE:
        return escalations.resolve(**common, cause="bug", note="n", answer="Fixed.")
    if action is Verb.SNOOZE:
        return escalations.snooze(**common, until=now + timedelta(days=3))
    raise AssertionError(f"no way to perform {action}")


# -- validate_draft ---------------------------------------------------------------------------


def test_good_values_make_a_draft(policy: Policy) -> None:
    values = {**GOOD_VALUES, "zendesk": "#4321"}
    source = {"channel_id": "C0SUPPORT", "message_ts": "1.2", "permalink": "https://x/p1"}
    result = escalations.validate_draft(policy=policy, values=values, source=source)
    assert result.end_user_id == "u-1001"
    assert (result.product, result.category, result.priority) == ("album", "login", "P2")
    assert result.summary == "Login fails after password reset"
    assert result.details == "The user reset their password twice."
    assert result.zendesk == escalations.ZendeskTicket(
        4321, "https://acme.zendesk.com/agent/tickets/4321"
    )
    assert (result.source_channel_id, result.source_message_ts) == ("C0SUPPORT", "1.2")
    assert result.source_permalink == "https://x/p1"


def test_every_field_error_is_reported_at_once(policy: Policy) -> None:
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_draft(
            policy=policy,
            values={"zendesk": "not a ticket", "details": "x" * 3001, "summary": "   "},
        )
    assert caught.value.fields == {
        "end_user_id": ("field.required", {}),
        "product": ("field.choose_one", {}),
        "category": ("field.choose_one", {}),
        "priority": ("field.choose_one", {}),
        "summary": ("field.required", {}),
        "details": ("field.too_long", {"max": 3000, "length": 3001}),
        "zendesk": ("field.zendesk_invalid", {}),
    }
    rendered = field_errors(caught.value, "ja")
    assert rendered["details"] == "3000文字以内で入力してください(現在3001文字)。"


def test_a_summary_over_150_characters_is_refused_with_its_length(policy: Policy) -> None:
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "summary": "s" * 151})
    assert caught.value.fields == {"summary": ("field.too_long", {"max": 150, "length": 151})}
    assert field_errors(caught.value, "en")["summary"] == "At most 150 characters (this is 151)."


def test_a_summary_of_exactly_150_characters_is_accepted(policy: Policy) -> None:
    result = escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "summary": "s" * 150})
    assert len(result.summary) == 150


def test_whitespace_in_the_summary_is_collapsed_before_measuring(policy: Policy) -> None:
    messy = "  Login\n\nfails \t after   reset  "
    result = escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "summary": messy})
    assert result.summary == "Login fails after reset"
    spaced = " ".join(["word"] * 30) + " " * 100  # 149 characters once collapsed
    result = escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "summary": spaced})
    assert len(result.summary) == 149


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("u-1001", "u-1001"),
        ("  acct:42.x_Y  ", "acct:42.x_Y"),
        ("Taro.Yamada@Example.COM", "taro.yamada@example.com"),
        ("<mailto:taro@example.com|taro@example.com>", "taro@example.com"),
    ],
)
def test_the_end_user_is_an_id_or_an_email(policy: Policy, typed: str, stored: str) -> None:
    result = escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "end_user_id": typed})
    assert result.end_user_id == stored


@pytest.mark.parametrize(
    "typed",
    ["../admin", "u/1001", "u 1001", "u?x=1", "u%2F1", "<@U0123ABC>", "a@b", "..", "x" * 65],
)
def test_an_end_user_with_path_characters_or_junk_is_refused(policy: Policy, typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "end_user_id": typed})
    assert caught.value.fields == {"end_user_id": ("field.end_user_invalid", {})}


@pytest.mark.parametrize(
    ("typed", "ticket_id", "url"),
    [
        ("12345", 12345, "https://acme.zendesk.com/agent/tickets/12345"),
        (" #77 ", 77, "https://acme.zendesk.com/agent/tickets/77"),
        (
            "https://acme.zendesk.com/agent/tickets/678",
            678,
            "https://acme.zendesk.com/agent/tickets/678",
        ),
        ("https://ACME.zendesk.com/tickets/9?x=1", 9, "https://acme.zendesk.com/agent/tickets/9"),
        (
            "https://acme.zendesk.com/hc/ja/requests/55",
            55,
            "https://acme.zendesk.com/agent/tickets/55",
        ),
    ],
)
def test_a_zendesk_ticket_is_normalised_to_number_and_url(
    policy: Policy, typed: str, ticket_id: int, url: str
) -> None:
    result = escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "zendesk": typed})
    assert result.zendesk == escalations.ZendeskTicket(ticket_id, url)


@pytest.mark.parametrize(
    "typed",
    [
        "https://evil.example/agent/tickets/1",
        "https://other.zendesk.com/agent/tickets/1",
        "https://acme.zendesk.com.evil.example/agent/tickets/1",
        "https://acme.zendesk.com@evil.example/agent/tickets/1",
        "http://acme.zendesk.com/agent/tickets/1",
        "ticket twelve",
        "1234567890123",
    ],
)
def test_a_zendesk_ticket_elsewhere_or_garbled_is_refused(policy: Policy, typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_draft(policy=policy, values={**GOOD_VALUES, "zendesk": typed})
    assert caught.value.fields == {"zendesk": ("field.zendesk_invalid", {})}


def test_no_zendesk_ticket_is_fine(policy: Policy) -> None:
    values = {**GOOD_VALUES, "zendesk": None}
    assert escalations.validate_draft(policy=policy, values=values).zendesk is None


@pytest.mark.parametrize(
    ("field", "value"), [("product", "albun"), ("category", "Login"), ("priority", "P9")]
)
def test_an_unknown_choice_is_refused(policy: Policy, field: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_draft(policy=policy, values={**GOOD_VALUES, field: value})
    assert caught.value.fields == {field: ("field.choose_one", {})}


def test_parse_zendesk_ticket_without_a_configured_host() -> None:
    assert escalations.parse_zendesk_ticket("", base_url=None) is None
    assert escalations.parse_zendesk_ticket("42", base_url=None) == escalations.ZendeskTicket(
        42, None
    )
    parsed = escalations.parse_zendesk_ticket(
        "https://team.zendesk.com/agent/tickets/42/events", base_url=None
    )
    assert parsed == escalations.ZendeskTicket(42, "https://team.zendesk.com/agent/tickets/42")
    with pytest.raises(ValueError, match="other host"):
        escalations.parse_zendesk_ticket("https://evil.example/agent/tickets/1", base_url=None)
    with pytest.raises(ValueError, match="not a ticket"):
        escalations.parse_zendesk_ticket("javascript:alert(1)", base_url=None)


def test_parse_zendesk_ticket_accepts_a_base_url_with_a_trailing_slash() -> None:
    parsed = escalations.parse_zendesk_ticket("7", base_url="https://acme.zendesk.com/")
    assert parsed == escalations.ZendeskTicket(7, "https://acme.zendesk.com/agent/tickets/7")


# -- parse_key --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("ESC-42", 42), ("esc42", 42), ("Esc-7", 7), ("#42", 42), ("42", 42), ("  ESC-42  ", 42)],
)
def test_parse_key(text: str, number: int) -> None:
    assert escalations.parse_key(text) == number


@pytest.mark.parametrize(
    "text", ["ESC-", "ESC 42", "ESC-42x", "ESC--42", "#", "forty-two", "1234567890", "ESC-4.2"]
)
def test_parse_key_refuses_anything_else(text: str) -> None:
    with pytest.raises(NotFound) as caught:
        escalations.parse_key(text)
    assert caught.value.key == "error.bad_key"
    assert caught.value.params == {"key": text.strip()}


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_key_asks_for_a_key_when_there_is_none(text: str) -> None:
    with pytest.raises(NotFound) as caught:
        escalations.parse_key(text)
    assert caught.value.key == "error.key_missing"


def test_parse_key_keeps_at_most_40_characters_of_garbage() -> None:
    with pytest.raises(NotFound) as caught:
        escalations.parse_key("x" * 500)
    assert caught.value.params == {"key": "x" * 40}


def test_an_unknown_escalation_is_not_found(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound) as caught:
        escalations.get_escalation(session=session, escalation_id=999)
    assert caught.value.params == {"key": "ESC-999"}


def test_the_prebuilt_reads_give_what_the_orm_loads(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = file_id(
            session,
            policy,
            zendesk=escalations.ZendeskTicket(4711, "https://acme.zendesk.com/agent/tickets/4711"),
        )
        perform(session, policy, Verb.ACKNOWLEDGE, escalation_id, HANAKO, START)
        perform(session, policy, Verb.SNOOZE, escalation_id, HANAKO, START)
        timeline = escalations.timeline(session=session, escalation_id=escalation_id)
        expected = [(e.id, e.kind, e.data, e.at) for e in timeline]
    columns = sa.inspect(Escalation).columns.keys()
    with db.session() as session:
        read = escalations.read_escalation(session=session, escalation_id=escalation_id)
        loaded = session.get(Escalation, escalation_id)
        events = [escalations.read_event(session=session, event_id=e[0] or 0) for e in expected]
        assert escalations.read_escalation(session=session, escalation_id=999) is None
    assert read is not None
    assert loaded is not None
    assert [(getattr(read, c), type(getattr(read, c))) for c in columns] == [
        (getattr(loaded, c), type(getattr(loaded, c))) for c in columns
    ]
    assert read.snoozed_until is not None
    assert read.snoozed_until.tzinfo is not None
    assert read.key == f"ESC-{escalation_id}"
    assert [(e.id, e.kind, e.data, e.at) for e in events if e] == expected
    assert len(expected) > 2


def test_a_prebuilt_read_added_to_a_session_is_saved_not_inserted_again(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
    with db.session() as session:
        read = escalations.read_escalation(session=session, escalation_id=escalation_id)
        assert read is not None
        version = read.version
        read.summary = "Login fails on Android"
        session.add(read)
        session.commit()
    with db.session() as session:
        rows = session.exec(select(Escalation)).all()
    assert [(r.id, r.summary, r.version) for r in rows] == [
        (escalation_id, "Login fails on Android", version + 1)
    ]


# -- filing and auto-assignment ---------------------------------------------------------------


def test_filing_creates_the_row_the_filed_event_and_a_card_post(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        filed = escalations.file_escalation(
            session=session,
            policy=policy,
            draft=draft(
                zendesk=escalations.ZendeskTicket(5, "https://acme.zendesk.com/agent/tickets/5")
            ),
            filed_by=FILER,
            intake_key="view:V1",
            now=START,
        )
    assert filed.created
    escalation_id = filed.escalation.id
    assert escalation_id is not None
    with db.session() as session:
        row = escalations.get_escalation(session=session, escalation_id=escalation_id)
        assert row.key == f"ESC-{escalation_id}"
        assert (row.filed_by, row.filed_at, row.last_activity_at) == (FILER, START, START)
        assert (row.status, row.assignee_id, row.assigned_at) == (Status.ASSIGNED, HANAKO, START)
        assert (row.channel_id, row.message_ts) == ("C0ESCALATE", None)
        assert (row.zendesk_ticket_id, row.zendesk_url) == (
            5,
            "https://acme.zendesk.com/agent/tickets/5",
        )
        events = escalations.timeline(session=session, escalation_id=escalation_id)
        assert [(e.kind, e.actor_id, e.data) for e in events] == [
            ("filed", FILER, {}),
            ("auto_assigned", None, {"assignee": HANAKO}),
        ]
        assert all(e.at == START for e in events)
        rows = outbox_rows(session, escalation_id)
        assert [(r.kind, r.key, r.status) for r in rows] == [
            (OutboxKind.CARD_POST, f"esc:{escalation_id}:post", "pending"),
            (OutboxKind.THREAD, f"esc:{escalation_id}:event:{events[1].id}", "pending"),
            # The auto-assignment's DM to the new assignee (issue 16: one per assignment).
            (OutboxKind.DM, f"esc:{escalation_id}:dm:{HANAKO}:20261125T010000", "pending"),
            (OutboxKind.NOTICE, f"esc:{escalation_id}:filer:filed", "pending"),
        ]
        assert rows[1].payload == {"event_id": events[1].id}  # worded when sent
        assert rows[2].payload == {"user": HANAKO}  # drawn when sent
        assert rows[3].payload == {"channel": FILER, "notice": "filed"}  # worded at delivery
        assert "<@U0HANAKO>" in thread_text(session, policy, rows[1])
        state = session.get(EngineerState, HANAKO)
        assert state is not None
        assert state.last_assigned_at == START


@pytest.mark.parametrize(
    ("product", "category", "expected"),
    [
        ("album", "login", HANAKO),  # hanako and kenji cover it: roster order
        ("game", "billing", TARO),  # hanako covers neither: skipped although first
        ("market", "other", KENJI),  # only kenji (no skills listed) covers everything
        ("game", "data", HANAKO),  # the category alone is enough
    ],
)
def test_auto_assignment_follows_skills(
    db: Database, policy: Policy, product: str, category: str, expected: str
) -> None:
    with db.session() as session:
        row = file_one(session, policy, START, product=product, category=category)
    assert row.assignee_id == expected


def test_auto_assignment_prefers_fewest_open_then_least_recently_assigned(
    db: Database, policy: Policy
) -> None:
    minute = timedelta(minutes=1)
    with db.session() as session:
        picks = [file_one(session, policy, START + i * minute).assignee_id for i in range(4)]
    # 1st: tie, roster order; 2nd: kenji has fewer; 3rd: tie at one each, hanako waited longer;
    # 4th: hanako has two, kenji one.
    assert picks == [HANAKO, KENJI, HANAKO, KENJI]


def test_least_recently_assigned_breaks_a_tie_before_roster_order(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        session.add(EngineerState(user_id=HANAKO, last_assigned_at=START - timedelta(hours=1)))
        session.add(EngineerState(user_id=KENJI, last_assigned_at=START - timedelta(hours=2)))
        session.commit()
        assert file_one(session, policy, START).assignee_id == KENJI


def test_resolved_and_open_escalations_do_not_count_as_load(db: Database, policy: Policy) -> None:
    with db.session() as session:
        first = file_id(session, policy)  # hanako
        file_one(session, policy, START + timedelta(minutes=1))  # kenji
        bring_to(session, policy, first, Status.RESOLVED, now=START + timedelta(minutes=2))
        assert assignment.open_load(session=session) == {KENJI: 1}
        later = START + timedelta(minutes=3)
        assert file_one(session, policy, later).assignee_id == HANAKO


def test_away_engineers_are_skipped(db: Database, policy: Policy) -> None:
    with db.session() as session:
        assignment.set_away(session=session, policy=policy, user_id=HANAKO, until=None, now=START)
        assert file_one(session, policy, START).assignee_id == KENJI


def test_an_absence_that_ended_is_ignored(db: Database, policy: Policy) -> None:
    with db.session() as session:
        session.add(EngineerState(user_id=HANAKO, away=True, away_until=START))
        session.commit()
        assert file_one(session, policy, START).assignee_id == HANAKO


def test_nobody_available_leaves_it_open_with_the_reason(db: Database, policy: Policy) -> None:
    with db.session() as session:
        assignment.set_away(session=session, policy=policy, user_id=KENJI, until=None, now=START)
        escalation_id = file_id(session, policy, product="market", category="other")
        row = escalations.get_escalation(session=session, escalation_id=escalation_id)
        assert (row.status, row.assignee_id, row.assigned_at) == (Status.OPEN, None, None)
        events = escalations.timeline(session=session, escalation_id=escalation_id)
        assert [(e.kind, e.data) for e in events] == [
            ("filed", {}),
            ("unassigned", {"reason": "nobody_available"}),
        ]
        card, line, _told = outbox_rows(session, escalation_id)
        assert card.payload == {}  # the card and the line are worded at delivery
        assert "Nobody who covers this is available" in thread_text(session, policy, line)


def test_manual_strategy_leaves_it_open_for_claim(db: Database, policy_text: str) -> None:
    policy = manual_policy(policy_text)
    with db.session() as session:
        escalation_id = file_id(session, policy)
        row = escalations.get_escalation(session=session, escalation_id=escalation_id)
        assert (row.status, row.assignee_id) == (Status.OPEN, None)
        events = escalations.timeline(session=session, escalation_id=escalation_id)
        assert events[-1].kind == "unassigned"
        assert events[-1].data == {"reason": "manual"}
        assert session.exec(select(EngineerState)).all() == []


def test_the_same_intake_key_files_once(db: Database, policy: Policy) -> None:
    with db.session() as session:
        first = escalations.file_escalation(
            session=session,
            policy=policy,
            draft=draft(),
            filed_by=FILER,
            intake_key="view:V9",
            now=START,
        )
        assert first.escalation.id is not None
        before = footprint(session, first.escalation.id)
        again = escalations.file_escalation(
            session=session,
            policy=policy,
            draft=draft(summary="A different summary"),
            filed_by=FILER,
            intake_key="view:V9",
            now=START + timedelta(seconds=3),
        )
        assert not again.created
        assert again.escalation.id == first.escalation.id
        assert again.escalation.summary == "Login fails after password reset"
        assert footprint(session, first.escalation.id) == before
        assert len(session.exec(select(Escalation)).all()) == 1


def test_simultaneous_submissions_of_one_modal_file_once(db: Database, policy: Policy) -> None:
    count = 6
    barrier = threading.Barrier(count)
    results: list[escalations.Filed] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with db.session() as session:
                barrier.wait()
                results.append(
                    escalations.file_escalation(
                        session=session,
                        policy=policy,
                        draft=draft(),
                        filed_by=FILER,
                        intake_key="view:DOUBLE",
                        now=START,
                    )
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({r.escalation.id for r in results}) == 1
    assert [r.created for r in results].count(True) == 1
    with db.session() as session:
        assert len(session.exec(select(Escalation)).all()) == 1
        assert len(session.exec(select(EscalationEvent)).all()) == 2
        # The card, the auto-assignment's thread line, its DM to the assignee and the
        # filer's DM: once each.
        assert len(session.exec(select(Outbox)).all()) == 4


def _submit(session: Session, policy: Policy, intake_key: str) -> escalations.Filed:
    return escalations.file_escalation(
        session=session,
        policy=policy,
        draft=draft(),
        filed_by=FILER,
        intake_key=intake_key,
        now=START,
    )


@pytest.mark.postgres  # SQLite takes its write lock for every transaction anyway
def test_a_submission_that_found_it_filed_holds_up_no_other(db: Database, policy: Policy) -> None:
    with db.session() as session:
        filed = _submit(session, policy, "view:AGAIN")
    with db.session() as lingering:  # found it, and its transaction is still open
        assert _submit(lingering, policy, "view:AGAIN").escalation.id == filed.escalation.id
        # A request's deadline: waiting for the lingering one would be cut, and fail the test.
        with scope.scoped(scope.request("view_submission escalate")), db.session() as other:
            again = _submit(other, policy, "view:AGAIN")
    assert (again.created, again.escalation.id) == (False, filed.escalation.id)


def _advisory_lock_waiters(db: Database) -> int:
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    with db.engine.connect() as connection:
        return int(connection.execute(sa.text(waiting)).scalar_one())


@pytest.mark.postgres  # the wait for a filer in progress is PostgreSQL's advisory lock
def test_a_submission_waiting_for_a_filer_that_gives_up_files_it_itself(
    db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiter_filed: list[escalations.Filed] = []

    def wait_for_the_filer() -> None:
        with db.session() as session:
            waiter_filed.append(_submit(session, policy, "view:GIVEUP"))

    waiter = threading.Thread(target=wait_for_the_filer)
    pick_assignee = assignment.pick_assignee

    def give_up_once_the_other_waits(**kwargs: Any) -> str | None:
        if threading.current_thread() is waiter:
            return pick_assignee(**kwargs)
        waiter.start()
        assert wait_for(lambda: _advisory_lock_waiters(db) == 1), "the other never waited"
        raise RuntimeError("the filer gives up")

    monkeypatch.setattr(assignment, "pick_assignee", give_up_once_the_other_waits)
    with pytest.raises(RuntimeError, match="gives up"), db.session() as session:
        _submit(session, policy, "view:GIVEUP")
    waiter.join(timeout=60)

    assert [filed.created for filed in waiter_filed] == [True]
    with db.session() as session:
        assert len(session.exec(select(Escalation)).all()) == 1
        assert len(session.exec(select(EscalationEvent)).all()) == 2


def test_the_queue_reads_only_the_rows_it_shows_the_most_urgent_first(
    db: Database, policy_text: str
) -> None:
    manual = manual_policy(policy_text)
    with db.session() as session:
        # Filed a minute apart: the first filed is due first.
        ids = [file_id(session, manual, START + timedelta(minutes=n)) for n in range(30)]
        session.commit()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session(read_only=True) as session:
            blocks = presenter.queue_blocks(
                session=session, policy=manual, now=START + timedelta(hours=1), workspace_url=None
            )
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)

    texts = [str(block.get("text", {}).get("text", "")) for block in blocks]
    shown = [text.split(" · ")[0].strip("*") for text in texts if text.startswith("*ESC-")]
    assert shown == [f"ESC-{n}" for n in ids[: len(shown)]]
    assert len(shown) == 22  # what 50 blocks hold for two groups
    assert any(f"and {30 - len(shown)} more" in str(block) for block in blocks)
    # The counts and the two lists, each limited to the rows shown.
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 3
    assert sum("LIMIT" in q.upper() for q in queries) == 2
    assert all("details" not in q for q in queries)


def test_lists_and_counts(db: Database, policy: Policy, policy_text: str) -> None:
    manual = manual_policy(policy_text)
    with db.session() as session:
        mine = file_id(session, policy)  # hanako
        queued = file_id(session, manual, START + timedelta(minutes=1))
        assert [e.id for e in escalations.list_assigned_to(session=session, user_id=HANAKO)] == [
            mine
        ]
        assert [e.id for e in escalations.list_unassigned(session=session)] == [queued]
        assert [e.id for e in escalations.list_in_progress(session=session)] == [mine]
        assert escalations.count_unresolved(session=session) == {"assigned": 1, "open": 1}


# -- the lifecycle ----------------------------------------------------------------------------

# The lifecycle as the product states it: what each verb does from each status, the status it
# leads to or how it is refused. "noop" is a repeated click whose result already holds; "claimed"
# tells who has it. The table in bot.lifecycle must say the same; the domain must do what the
# table says (walked below, every verb from every status).
S = Status
EXPECTED: dict[Verb, dict[Status, Status | str]] = {
    Verb.CLAIM: {
        S.OPEN: S.ASSIGNED,
        S.ASSIGNED: "claimed",
        S.INVESTIGATING: "claimed",
        S.WAITING: "claimed",
        S.RESOLVED: "claimed",
    },
    Verb.REASSIGN: {
        S.OPEN: S.ASSIGNED,
        S.ASSIGNED: S.ASSIGNED,
        S.INVESTIGATING: S.ASSIGNED,
        S.WAITING: S.WAITING,
        S.RESOLVED: "invalid",
    },
    Verb.ACKNOWLEDGE: {
        S.OPEN: "invalid",
        S.ASSIGNED: S.INVESTIGATING,
        S.INVESTIGATING: "noop",
        S.WAITING: "invalid",
        S.RESOLVED: "invalid",
    },
    Verb.WAIT: {
        S.OPEN: "invalid",
        S.ASSIGNED: S.WAITING,
        S.INVESTIGATING: S.WAITING,
        S.WAITING: "noop",
        S.RESOLVED: "invalid",
    },
    Verb.RESUME: {
        S.OPEN: "invalid",
        S.ASSIGNED: "invalid",
        S.INVESTIGATING: "noop",
        S.WAITING: S.INVESTIGATING,
        S.RESOLVED: "invalid",
    },
    Verb.ANSWER: {
        S.OPEN: "invalid",
        S.ASSIGNED: "invalid",
        S.INVESTIGATING: "invalid",
        S.WAITING: S.INVESTIGATING,
        S.RESOLVED: "invalid",
    },
    Verb.RESOLVE: {
        S.OPEN: S.RESOLVED,
        S.ASSIGNED: S.RESOLVED,
        S.INVESTIGATING: S.RESOLVED,
        S.WAITING: S.RESOLVED,
        S.RESOLVED: "noop",
    },
    Verb.REOPEN: {
        S.OPEN: "noop",
        S.ASSIGNED: "noop",
        S.INVESTIGATING: "noop",
        S.WAITING: "noop",
        S.RESOLVED: S.INVESTIGATING,
    },
    Verb.HAND_BACK: {
        S.OPEN: "invalid",
        S.ASSIGNED: S.OPEN,
        S.INVESTIGATING: S.OPEN,
        S.WAITING: S.OPEN,
        S.RESOLVED: "invalid",
    },
    Verb.STILL_ON_IT: {
        S.OPEN: "invalid",
        S.ASSIGNED: S.ASSIGNED,
        S.INVESTIGATING: S.INVESTIGATING,
        S.WAITING: S.WAITING,
        S.RESOLVED: "invalid",
    },
    Verb.SNOOZE: {
        S.OPEN: "invalid",
        S.ASSIGNED: S.ASSIGNED,
        S.INVESTIGATING: S.INVESTIGATING,
        S.WAITING: S.WAITING,
        S.RESOLVED: "invalid",
    },
}
CASES = [(verb, status) for verb in Verb for status in Status]


def table_says(verb: Verb, status: Status) -> Status | str:
    """What bot.lifecycle says `verb` does from `status` to an escalation someone else has."""
    move = lifecycle.move(status, verb)
    if move is not None:
        return move.to
    if verb is Verb.CLAIM:
        return "claimed"
    return "noop" if status in lifecycle.rule(verb).already else "invalid"


def test_the_expectations_cover_every_verb_and_status() -> None:
    assert set(EXPECTED) == set(Verb) == set(lifecycle.VERBS)
    assert all(set(row) == set(Status) for row in EXPECTED.values())
    assert set(lifecycle.MOVES) == set(Status)


@pytest.mark.parametrize(("action", "status"), CASES)
def test_the_table_says_what_the_product_does(action: Verb, status: Status) -> None:
    assert table_says(action, status) == EXPECTED[action][status]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_every_action_from_every_status(
    db: Database, policy: Policy, action: Verb, status: Status
) -> None:
    later = START + timedelta(minutes=5)
    actor = KENJI if action is Verb.CLAIM else LEAD  # kenji is an engineer, not the assignee
    rule = lifecycle.rule(action)
    with db.session() as session:
        escalation_id = file_id(session, policy)  # assigned to hanako
        bring_to(session, policy, escalation_id, status, now=START + timedelta(minutes=1))
        before = footprint(session, escalation_id)
        expected = table_says(action, status)
        if expected == "invalid":
            with pytest.raises(InvalidTransition) as caught:
                perform(session, policy, action, escalation_id, actor, later)
            assert caught.value.key == f"error.transition.{action}"
            assert caught.value.params == {"key": f"ESC-{escalation_id}", "status": str(status)}
            assert footprint(session, escalation_id) == before
        elif expected == "claimed":
            with pytest.raises(AlreadyClaimed) as caught_claim:
                perform(session, policy, action, escalation_id, actor, later)
            assert caught_claim.value.params == {
                "key": f"ESC-{escalation_id}",
                "user": f"<@{HANAKO}>",
            }
            assert footprint(session, escalation_id) == before
        elif expected == "noop":
            perform(session, policy, action, escalation_id, actor, later)
            assert footprint(session, escalation_id) == before
        else:
            perform(session, policy, action, escalation_id, actor, later)
            after = footprint(session, escalation_id)
            assert after.status == expected
            assert after.version > before.version
            assert after.events[: len(before.events)] == before.events
            new_events = after.events[len(before.events) :]
            assert [kind for _id, kind in new_events] == [rule.event]
            added = set(after.outbox) - set(before.outbox)
            if not rule.loud:  # reminder answers: timeline only, no Slack posts
                assert added == set()
            else:
                event_id = new_events[0][0]
                # Hanako's assignment DM (sent at filing) is redrawn in place; a claim or a
                # reassignment also owes its new assignee one DM (issue 16's budget).
                first_dm = f"esc:{escalation_id}:dm:{HANAKO}:20261125T010000"
                new_dm = f"esc:{escalation_id}:dm:{after.assignee}:20261125T010500"
                owed = {
                    f"esc:{escalation_id}:card:{event_id}",
                    f"esc:{escalation_id}:event:{event_id}",
                    f"{first_dm}:update:{event_id}",
                } | ({new_dm} if rule.event in ("claimed", "reassigned") else set())
                if action is Verb.WAIT:  # the filer is asked, by DM
                    owed.add(f"esc:{escalation_id}:filer:wait:{event_id}")
                assert added == owed


def test_claim_assigns_the_claimer(db: Database, policy_text: str) -> None:
    policy = manual_policy(policy_text)
    later = START + timedelta(minutes=3)
    with db.session() as session:
        escalation_id = file_id(session, policy)
        row = escalations.claim(
            session=session, policy=policy, escalation_id=escalation_id, actor_id=TARO, now=later
        )
        assert (row.status, row.assignee_id, row.assigned_at) == (Status.ASSIGNED, TARO, later)
        state = session.get(EngineerState, TARO)
        assert state is not None
        assert state.last_assigned_at == later


def test_reassign_records_from_and_to(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        row = escalations.reassign(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=HANAKO,
            assignee_id=KENJI,
            now=START,
        )
        assert row.assignee_id == KENJI
        last = escalations.timeline(session=session, escalation_id=escalation_id)[-1]
        assert (last.kind, last.actor_id, last.data) == (
            "reassigned",
            HANAKO,
            {"from": HANAKO, "to": KENJI},
        )


def test_reassigning_to_the_current_assignee_changes_nothing(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        before = footprint(session, escalation_id)
        escalations.reassign(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=LEAD,
            assignee_id=HANAKO,
            now=START,
        )
        assert footprint(session, escalation_id) == before


@pytest.mark.parametrize("target", [OUTSIDER, LEAD, FILER, "not-a-user"])
def test_reassigning_to_someone_off_the_roster_is_refused(
    db: Database, policy: Policy, target: str
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        before = footprint(session, escalation_id)
        with pytest.raises(NotAllowed) as caught:
            escalations.reassign(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=LEAD,
                assignee_id=target,
                now=START,
            )
        assert caught.value.key == "error.assignee_not_on_roster"
        assert footprint(session, escalation_id) == before


@pytest.mark.parametrize(
    "actions",
    [
        [Verb.ACKNOWLEDGE, Verb.ACKNOWLEDGE],
        [Verb.WAIT, Verb.WAIT],
        [Verb.WAIT, Verb.RESUME, Verb.RESUME],
        [Verb.RESOLVE, Verb.RESOLVE],
        [Verb.RESOLVE, Verb.REOPEN, Verb.REOPEN],
        [Verb.REASSIGN, Verb.REASSIGN],
    ],
)
def test_a_repeated_click_records_nothing_more(
    db: Database, policy: Policy, actions: list[Verb]
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        for index, action in enumerate(actions[:-1]):
            perform(session, policy, action, escalation_id, LEAD, START + timedelta(minutes=index))
        before = footprint(session, escalation_id)
        perform(session, policy, actions[-1], escalation_id, LEAD, START + timedelta(hours=1))
        assert footprint(session, escalation_id) == before


def test_claiming_twice_by_the_same_engineer_records_once(db: Database, policy_text: str) -> None:
    policy = manual_policy(policy_text)
    with db.session() as session:
        escalation_id = file_id(session, policy)
        escalations.claim(
            session=session, policy=policy, escalation_id=escalation_id, actor_id=TARO, now=START
        )
        before = footprint(session, escalation_id)
        escalations.claim(
            session=session, policy=policy, escalation_id=escalation_id, actor_id=TARO, now=START
        )
        assert footprint(session, escalation_id) == before


# -- who may do what --------------------------------------------------------------------------

# Who each test person is to an escalation hanako has and the CS filer filed (see the policy).
ACTORS: dict[str, set[Role]] = {
    HANAKO: {Role.ASSIGNEE, Role.ROSTER},
    LEAD: {Role.LEAD},
    FILER: {Role.FILER},
    TARO: {Role.ROSTER},
    OUTSIDER: set(),
}


@pytest.mark.parametrize("action", list(Verb))
@pytest.mark.parametrize("actor", list(ACTORS))
def test_may_follows_the_table(policy: Policy, action: Verb, actor: str) -> None:
    escalation = make_escalation(assignee_id=HANAKO, filed_by=FILER)
    expected = bool(ACTORS[actor] & lifecycle.rule(action).who)
    assert lifecycle.may(policy, escalation, actor, action) == expected


def test_who_may_resolve_is_one_line_of_the_table(
    db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Letting the filer resolve is the one line `who=` of Resolve's rule; the domain follows."""
    with db.session() as session:
        escalation_id = file_id(session, policy)
        with pytest.raises(NotAllowed):
            perform(session, policy, Verb.RESOLVE, escalation_id, FILER, START)
        resolve = lifecycle.VERBS[Verb.RESOLVE]
        filer_too = frozenset({Role.ASSIGNEE, Role.LEAD, Role.FILER})
        monkeypatch.setitem(lifecycle.VERBS, Verb.RESOLVE, replace(resolve, who=filer_too))
        escalations.check_may(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=FILER,
            action=Verb.RESOLVE,
        )
        row = perform(session, policy, Verb.RESOLVE, escalation_id, FILER, START)
        assert (row.status, row.resolved_by) == (Status.RESOLVED, FILER)


@pytest.mark.parametrize(
    ("action", "actor", "status"),
    [
        (Verb.ACKNOWLEDGE, TARO, Status.ASSIGNED),
        (Verb.WAIT, FILER, Status.INVESTIGATING),
        (Verb.RESUME, OUTSIDER, Status.WAITING),
        (Verb.RESOLVE, FILER, Status.INVESTIGATING),
        (Verb.REASSIGN, TARO, Status.ASSIGNED),
        (Verb.REOPEN, OUTSIDER, Status.RESOLVED),
        (Verb.HAND_BACK, KENJI, Status.ASSIGNED),
        (Verb.CLAIM, FILER, Status.OPEN),
        (Verb.CLAIM, OUTSIDER, Status.OPEN),
    ],
)
def test_a_refused_actor_changes_nothing(
    db: Database, policy: Policy, action: Verb, actor: str, status: Status
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        bring_to(session, policy, escalation_id, status, now=START)
        before = footprint(session, escalation_id)
        with pytest.raises(NotAllowed) as caught:
            perform(session, policy, action, escalation_id, actor, START + timedelta(minutes=1))
        assert caught.value.key == f"error.not_allowed.{action}"
        assert footprint(session, escalation_id) == before


def test_check_may_answers_like_the_change_would(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        found = escalations.check_may(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=HANAKO,
            action=Verb.ACKNOWLEDGE,
        )
        assert found.id == escalation_id
        with pytest.raises(NotAllowed):
            escalations.check_may(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=TARO,
                action=Verb.ACKNOWLEDGE,
            )
        with pytest.raises(InvalidTransition):
            escalations.check_may(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=HANAKO,
                action=Verb.RESUME,
            )


# -- resolving and reopening ------------------------------------------------------------------


def test_resolve_records_cause_note_and_answer(db: Database, policy: Policy) -> None:
    later = START + timedelta(hours=2)
    with db.session() as session:
        escalation_id = file_id(session, policy)
        row = escalations.resolve(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=HANAKO,
            cause="data-fix",
            note="  restored from backup \n",
            answer="\n Your photos are back. ",
            now=later,
        )
        assert (row.status, row.resolved_at, row.resolved_by) == (Status.RESOLVED, later, HANAKO)
        assert row.resolution_cause == "data-fix"
        assert row.resolution_note == "restored from backup"
        assert row.resolution_answer == "Your photos are back."
        # The resolution's thread line (its card update and the DM redraw come with it).
        thread = [r for r in outbox_rows(session, escalation_id) if r.kind == OutboxKind.THREAD][-1]
        assert thread.key.startswith(f"esc:{escalation_id}:event:")
        assert "<@U0CS>" in thread_text(session, policy, thread)  # the filer is told
        assert "Your photos are back." in thread_text(session, policy, thread)


def test_resolve_reports_every_field_problem_and_writes_nothing(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        before = footprint(session, escalation_id)
        with pytest.raises(InvalidInput) as caught:
            escalations.resolve(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=HANAKO,
                cause="gremlins",
                note="n" * 3001,
                answer="   ",
                now=START,
            )
        assert caught.value.fields == {
            "cause": ("field.choose_one", {}),
            "answer": ("field.required", {}),
            "note": ("field.too_long", {"max": 3000, "length": 3001}),
        }
        assert footprint(session, escalation_id) == before


def test_validate_resolution_limits_the_answer(policy: Policy) -> None:
    escalations.validate_resolution(policy=policy, cause="bug", note="", answer="a" * 3000)
    with pytest.raises(InvalidInput) as caught:
        escalations.validate_resolution(policy=policy, cause="bug", note="", answer="a" * 3001)
    assert caught.value.fields == {"answer": ("field.too_long", {"max": 3000, "length": 3001})}


def test_reopen_goes_back_to_investigating_with_the_assignee(db: Database, policy: Policy) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        bring_to(session, policy, escalation_id, Status.RESOLVED, now=START)
        row = escalations.reopen(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=FILER,
            now=START + timedelta(days=1),
        )
        assert (row.status, row.assignee_id) == (Status.INVESTIGATING, HANAKO)
        assert (row.resolved_at, row.resolved_by) == (None, None)


def test_reopen_goes_back_to_the_queue_when_nobody_had_it(db: Database, policy_text: str) -> None:
    policy = manual_policy(policy_text)
    with db.session() as session:
        escalation_id = file_id(session, policy)
        escalations.resolve(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=LEAD,
            cause="spec",
            note="",
            answer="Working as designed.",
            now=START,
        )
        row = escalations.reopen(
            session=session, policy=policy, escalation_id=escalation_id, actor_id=LEAD, now=START
        )
        assert (row.status, row.assignee_id) == (Status.OPEN, None)
        claimed = escalations.claim(
            session=session, policy=policy, escalation_id=escalation_id, actor_id=KENJI, now=START
        )
        assert claimed.assignee_id == KENJI


# -- the timeline and the posts it promises ---------------------------------------------------

JOURNEY = [
    (Verb.ACKNOWLEDGE, HANAKO),
    (Verb.WAIT, HANAKO),
    (Verb.RESUME, LEAD),
    (Verb.REASSIGN, HANAKO),  # to taro
    (Verb.RESOLVE, TARO),
    (Verb.REOPEN, FILER),
    (Verb.HAND_BACK, LEAD),
    (Verb.CLAIM, KENJI),
]


def test_the_timeline_is_append_only_and_in_order(db: Database, policy: Policy) -> None:
    snapshots: list[list[tuple[Any, ...]]] = []
    with db.session() as session:
        escalation_id = file_id(session, policy)
        for step, (action, actor) in enumerate(JOURNEY, start=1):
            perform(session, policy, action, escalation_id, actor, START + timedelta(minutes=step))
            session.expire_all()
            events = escalations.timeline(session=session, escalation_id=escalation_id)
            snapshots.append([(e.id, e.kind, e.actor_id, e.at, dict(e.data)) for e in events])
    for earlier, later in itertools.pairwise(snapshots):
        assert later[: len(earlier)] == earlier
        assert len(later) == len(earlier) + 1
    final = snapshots[-1]
    assert [kind for _id, kind, *_ in final] == [
        "filed",
        "auto_assigned",
        *(lifecycle.rule(action).event for action, _actor in JOURNEY),
    ]
    assert [actor for _id, _kind, actor, *_ in final[2:]] == [actor for _a, actor in JOURNEY]
    ids = [event_id for event_id, *_ in final]
    times = [at for _id, _kind, _actor, at, _data in final]
    assert ids == sorted(ids)
    assert times == sorted(times)


def test_every_change_promises_one_card_update_and_one_thread_line(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)
        for step, (action, actor) in enumerate(JOURNEY, start=1):
            perform(session, policy, action, escalation_id, actor, START + timedelta(minutes=step))
        events = escalations.timeline(session=session, escalation_id=escalation_id)
        # Less the filer's DMs (filed, asked): the CS loop's, tests/handlers/test_cs_loop.py.
        rows = [r for r in outbox_rows(session, escalation_id) if r.kind != OutboxKind.NOTICE]
        texts = {
            r.key: thread_text(session, policy, r) for r in rows if r.kind == OutboxKind.THREAD
        }
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    # One assignment DM each for hanako (auto-assigned at filing), taro (reassigned at step 4)
    # and kenji (claimed at step 8), at the minute of their assignment.
    dm_minutes = {HANAKO: 0, TARO: 4, KENJI: 8}
    dms = [r.key for r in rows if r.kind == OutboxKind.DM and "update_of" not in r.payload]
    assert dms == [
        f"esc:{escalation_id}:dm:{user}:20261125T01{minute:02d}00"
        for user, minute in dm_minutes.items()
    ]
    redraws = 0
    for step, change in enumerate(events[2:], start=1):
        mine = [r for r in rows if r.key.endswith(f":{change.id}")]
        # A change redraws every assignment DM sent before it, in place.
        earlier = [dm for dm, minute in zip(dms, dm_minutes.values(), strict=True) if minute < step]
        assert sorted((r.kind, r.key) for r in mine) == [
            (OutboxKind.CARD_UPDATE, f"esc:{escalation_id}:card:{change.id}"),
            *((OutboxKind.DM, f"{dm}:update:{change.id}") for dm in earlier),
            (OutboxKind.THREAD, f"esc:{escalation_id}:event:{change.id}"),
        ]
        redraws += len(earlier)
        thread = next(r for r in mine if r.kind == OutboxKind.THREAD)
        assert texts[thread.key].strip()
    # card post + auto-assign line, the DMs, then a card update and a thread line per change
    assert len(rows) == 2 + len(dms) + 2 * len(JOURNEY) + redraws
    assert [r.kind for r in rows].count(OutboxKind.CARD_POST) == 1


# -- two people at once -----------------------------------------------------------------------


def count_reads(monkeypatch: pytest.MonkeyPatch, session_of_interest: Session) -> list[int]:
    """Count how often the change loop reads the escalation in one session (once per attempt)."""
    calls: list[int] = []
    real = changes._read

    def counting(session: Session, escalation_id: int) -> Escalation:
        if session is session_of_interest:
            calls.append(escalation_id)
        return real(session, escalation_id)

    monkeypatch.setattr(changes, "_read", counting)
    return calls


@pytest.mark.parametrize(
    ("action", "actor", "strategy", "expected"),
    [
        (Verb.ACKNOWLEDGE, HANAKO, "least-loaded", Status.INVESTIGATING),
        (Verb.WAIT, LEAD, "least-loaded", Status.WAITING),
        (Verb.HAND_BACK, LEAD, "least-loaded", Status.OPEN),
        pytest.param(Verb.CLAIM, KENJI, "manual", Status.ASSIGNED),
        pytest.param(Verb.REASSIGN, LEAD, "least-loaded", Status.ASSIGNED),
    ],
)
def test_a_row_changed_under_a_change_is_retried(
    db: Database,
    policy_text: str,
    monkeypatch: pytest.MonkeyPatch,
    action: Verb,
    actor: str,
    strategy: str,
    expected: Status,
) -> None:
    """The version check fails once (the row moved on inside our transaction) and the change retries."""
    policy = policy_variant(policy_text, ("least-loaded", strategy))
    with db.session() as session:
        escalation_id = file_id(session, policy)
        before = footprint(session, escalation_id)
        reads = count_reads(monkeypatch, session)
        with escalation_moved_on_once(session, escalation_id) as bumped:
            row = perform(session, policy, action, escalation_id, actor, START)
        assert bumped == [True]
        assert len(reads) == 2  # the first attempt hit StaleDataError
        assert row.status == expected
        after = footprint(session, escalation_id)
    assert [kind for _id, kind in after.events] == [
        *(kind for _id, kind in before.events),
        lifecycle.rule(action).event,
    ]
    # The stale attempt left nothing behind: only what one change owes (its card update and thread
    # line, every earlier assignment DM redrawn, and a new assignee's DM) was added, once each.
    event_id = after.events[-1][0]
    earlier_dms = [key for key in before.outbox if ":dm:" in key and ":update:" not in key]
    owed = {
        f"esc:{escalation_id}:card:{event_id}",
        f"esc:{escalation_id}:event:{event_id}",
        *(f"{dm}:update:{event_id}" for dm in earlier_dms),
    }
    if action in (Verb.CLAIM, Verb.REASSIGN):
        owed.add(f"esc:{escalation_id}:dm:{after.assignee}:20261125T010000")
    if action is Verb.WAIT:  # the filer is asked, by DM
        owed.add(f"esc:{escalation_id}:filer:wait:{event_id}")
    assert after.outbox[: len(before.outbox)] == before.outbox
    assert sorted(after.outbox[len(before.outbox) :]) == sorted(owed)


@pytest.mark.postgres  # SQLite serialises writers (BEGIN IMMEDIATE)
def test_a_change_committed_by_another_session_is_seen_on_retry(
    db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        escalation_id = file_id(session, policy)

        def reassign_elsewhere(other: Session) -> object:
            return escalations.reassign(
                session=other,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=LEAD,
                assignee_id=KENJI,
                now=START,
            )

        reads = count_reads(monkeypatch, session)
        with committed_elsewhere_first(db, session, reassign_elsewhere) as interfered:
            row = escalations.acknowledge(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=LEAD,
                now=START,
            )
        assert interfered == [True]
        assert len(reads) == 2
        assert (row.status, row.assignee_id) == (Status.INVESTIGATING, KENJI)
        assert kinds(session, escalation_id) == [
            "filed",
            "auto_assigned",
            "reassigned",
            "acknowledge",
        ]


def test_simultaneous_claims_give_one_assignee(db: Database, policy_text: str) -> None:
    policy = manual_policy(policy_text)
    with db.session() as session:
        escalation_id = file_id(session, policy)
    claimers = [HANAKO, TARO, KENJI, LEAD]
    barrier = threading.Barrier(len(claimers))
    winners: list[str] = []
    refusals: list[AlreadyClaimed] = []
    errors: list[BaseException] = []

    def press_claim(actor: str) -> None:
        try:
            with db.session() as session:
                barrier.wait()
                escalations.claim(
                    session=session,
                    policy=policy,
                    escalation_id=escalation_id,
                    actor_id=actor,
                    now=START,
                )
                winners.append(actor)
        except AlreadyClaimed as exc:
            refusals.append(exc)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press_claim, args=(actor,)) for actor in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(winners) == 1
    assert len(refusals) == len(claimers) - 1
    assert {r.params["user"] for r in refusals} == {f"<@{w}>" for w in winners}
    with db.session() as session:
        row = escalations.get_escalation(session=session, escalation_id=escalation_id)
        assert row.assignee_id == winners[0]
        assert kinds(session, escalation_id).count("claimed") == 1


@pytest.mark.postgres  # SQLite serialises writers (BEGIN IMMEDIATE)
def test_a_modal_filed_twice_at_once_keeps_the_keys_gapless(db: Database, policy: Policy) -> None:
    """The second filing waits for the first instead of failing an INSERT that burns an id."""
    second: list[escalations.Filed] = []

    def file_again() -> None:
        with db.session() as other:
            second.append(
                escalations.file_escalation(
                    session=other,
                    policy=policy,
                    draft=draft(),
                    filed_by="U0CS",
                    intake_key="view:V0TWICE",
                    now=START,
                )
            )

    def start_the_second_while_the_first_is_uncommitted(_session: Session, _context: Any) -> None:
        if second or helper.is_alive():
            return
        helper.start()
        with db.engine.connect() as probe:  # wait until the second filing is blocked on the first
            for _ in range(500):
                waiting = probe.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE NOT l.granted AND a.datname = current_database()"
                )
                if waiting.scalar():
                    return
                threading.Event().wait(0.01)
        raise AssertionError("the second filing never waited for the first")

    helper = threading.Thread(target=file_again)
    with db.session() as session:
        sa_event.listen(session, "after_flush", start_the_second_while_the_first_is_uncommitted)
        first = escalations.file_escalation(
            session=session,
            policy=policy,
            draft=draft(),
            filed_by="U0CS",
            intake_key="view:V0TWICE",
            now=START,
        )
        sa_event.remove(session, "after_flush", start_the_second_while_the_first_is_uncommitted)
    helper.join(timeout=30)

    assert first.created
    [again] = second
    assert (again.created, again.escalation.id) == (False, first.escalation.id)
    with db.session() as session:
        assert file_id(session, policy) == (first.escalation.id or 0) + 1
