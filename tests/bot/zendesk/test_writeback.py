"""Write-back: every note and tag change on the ticket exactly once, through 429s, 5xx and timeouts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from bot import escalations
from bot.clock import ManualClock
from bot.db import Database
from bot.errors import NotAllowed
from bot.escalations import ZendeskTicket
from bot.models import Escalation, Outbox, Status, ZendeskWrite
from bot.policy import Policy, parse_policy
from bot.workspace.zendesk import (
    ADD_TAGS,
    LIST_COMMENTS,
    UPDATE_TICKET,
    Comment,
    RunningZendesk,
    ZendeskStandIn,
)
from bot.zendesk import writeback
from bot.zendesk.client import ZendeskAuth, ZendeskClient
from bot.zendesk.notes import render_note
from bot.zendesk.ratelimit import RateLimiter
from bot.zendesk.writeback import WriteStatus, ZendeskWriter, on_event
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN
from tests.support.factories import bring_to, file_one
from tests.support.zendesk import TestTime

TICKET = ZendeskTicket(4711, "https://acme.zendesk.com/agent/tickets/4711")


@pytest.fixture
def given_up() -> list[int]:
    return []


@pytest.fixture
def time(clock: ManualClock) -> TestTime:
    return TestTime(clock)


def make_writer(
    db: Database,
    policy: Policy,
    server: RunningZendesk,
    clock: ManualClock,
    time: TestTime,
    given_up: list[int],
    *,
    timeout: float = 5.0,
    rate: int = 100,
) -> ZendeskWriter:
    def render(session: Session, write: ZendeskWrite) -> str:
        escalation = session.get(Escalation, write.escalation_id)
        assert escalation is not None
        return render_note(
            policy=policy,
            write=write,
            escalation=escalation,
            name_of=lambda user: {"U0LEAD": "Sato"}.get(user or ""),
            slack_url="https://crebot.slack.com/archives/C0ESCALATE/p1",
        )

    def gave_up(session: Session, write: ZendeskWrite, now: datetime) -> None:
        assert write.id is not None
        given_up.append(write.id)

    return ZendeskWriter(
        db=db,
        api=ZendeskClient(
            base_url=server.url,
            auth=ZendeskAuth.api_token(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN),
            timeout=httpx.Timeout(timeout),
        ),
        limiter=RateLimiter(rate=rate, monotonic=time.monotonic, sleep=time.sleep),
        render_note=render,
        gave_up=gave_up,
        clock=clock.now,
    )


@pytest.fixture
def writer(
    db: Database,
    policy: Policy,
    zendesk_server: RunningZendesk,
    clock: ManualClock,
    time: TestTime,
    given_up: list[int],
) -> ZendeskWriter:
    return make_writer(db, policy, zendesk_server, clock, time, given_up, timeout=1.0)


def promise_timeline(session: Session, policy: Policy, escalation_id: int, now: datetime) -> None:
    """What each timeline event owes the ticket (idempotent: already-promised keys are skipped)."""
    escalation = escalations.get_escalation(session=session, escalation_id=escalation_id)
    for event in escalations.timeline(session=session, escalation_id=escalation_id):
        on_event(session=session, policy=policy, escalation=escalation, event=event, now=now)
    session.commit()


@pytest.fixture
def filed(db: Database, policy: Policy, clock: ManualClock) -> Iterator[int]:
    with db.session() as session:
        escalation = file_one(session, policy, clock.now(), zendesk=TICKET)
        assert escalation.id is not None
        promise_timeline(session, policy, escalation.id, clock.now())
        yield escalation.id


def writes(db: Database) -> list[ZendeskWrite]:
    with db.session() as session:
        return list(session.exec(select(ZendeskWrite).order_by(ZendeskWrite.id)).all())


def test_filing_tells_the_ticket_once_with_a_note_and_a_tag(
    filed: int,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    policy: Policy,
    clock: ManualClock,
) -> None:
    report = writer.write_due()
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    [note] = zendesk.ticket(4711).notes()
    assert note == (
        "Escalated to CRE as ESC-1 (P2, SLO due Fri 11/27 10:00). Assigned to hanako.\n"
        "\n"
        "In Slack: https://crebot.slack.com/archives/C0ESCALATE/p1\n"
        "[cre-bot:ESC-1:assigned:2]"
    )
    assert zendesk.ticket(4711).tags == ["vip", "cre_escalated"]
    with db.session() as session:  # promised again (a retried request): nothing new
        promise_timeline(session, policy, filed, clock.now())
    assert writer.write_due().sent == 0
    assert len(zendesk.calls_to(UPDATE_TICKET)) == 1
    assert [w.status for w in writes(db)] == ["sent", "sent"]


def test_waiting_resolution_and_reopening_each_write_their_note(
    filed: int,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    policy: Policy,
    clock: ManualClock,
) -> None:
    with db.session() as session:
        bring_to(session, policy, filed, Status.RESOLVED, now=clock.now())
        escalations.reopen(
            session=session, policy=policy, escalation_id=filed, actor_id="U0LEAD", now=clock.now()
        )
        promise_timeline(session, policy, filed, clock.now())
    writer.write_due()
    notes = zendesk.ticket(4711).notes()
    assert [n.splitlines()[0] for n in notes] == [
        "Escalated to CRE as ESC-1 (P2, SLO due Fri 11/27 10:00). Assigned to hanako.",
        "ESC-1 was resolved by Sato. Cause: Bug.",
        "ESC-1 was reopened by Sato: CRE is looking at it again.",
    ]
    assert "Answer for CS:\nIt works again." in notes[1]
    assert zendesk.ticket(4711).tags == ["vip", "cre_escalated"]  # cre_resolved added, then removed
    assert [c.body for c in zendesk.calls_to(ADD_TAGS)] == [
        {"tags": ["cre_escalated"]},
        {"tags": ["cre_resolved"]},
    ]


def test_a_status_field_is_set_with_each_note_when_configured(
    db: Database,
    policy: Policy,
    zendesk_server: RunningZendesk,
    zendesk: ZendeskStandIn,
    clock: ManualClock,
    time: TestTime,
) -> None:
    field_id = 360000000003
    with_field = policy.model_copy(
        update={"zendesk": policy.zendesk.model_copy(update={"status_field": field_id})}
    )
    writer = make_writer(db, with_field, zendesk_server, clock, time, [])
    with db.session() as session:
        escalation = file_one(session, with_field, clock.now(), zendesk=TICKET)
        assert escalation.id is not None
        promise_timeline(session, with_field, escalation.id, clock.now())
    writer.write_due()
    assert zendesk.ticket(4711).custom_fields == {field_id: "cre_assigned"}
    with db.session() as session:
        bring_to(session, with_field, escalation.id, Status.RESOLVED, now=clock.now())
        promise_timeline(session, with_field, escalation.id, clock.now())
    writer.write_due()
    assert zendesk.ticket(4711).custom_fields == {field_id: "cre_resolved"}
    updates = [c.body["ticket"] for c in zendesk.calls_to(UPDATE_TICKET)]
    assert updates[-1]["custom_fields"] == [{"id": field_id, "value": "cre_resolved"}]
    assert all(u["comment"]["public"] is False for u in updates)


def test_without_a_status_field_no_custom_field_is_sent(
    filed: int, writer: ZendeskWriter, zendesk: ZendeskStandIn
) -> None:
    writer.write_due()
    [update] = [c.body["ticket"] for c in zendesk.calls_to(UPDATE_TICKET)]
    assert "custom_fields" not in update
    assert zendesk.ticket(4711).custom_fields == {}


def test_notes_are_in_the_teams_language(
    db: Database,
    policy_text: str,
    zendesk_server: RunningZendesk,
    zendesk: ZendeskStandIn,
    clock: ManualClock,
    time: TestTime,
) -> None:
    policy = parse_policy(
        policy_text.replace('language = "en"', 'language = "ja"'), source="ja.toml"
    )
    with db.session() as session:
        escalation = file_one(session, policy, clock.now(), zendesk=TICKET)
        assert escalation.id is not None
        promise_timeline(session, policy, escalation.id, clock.now())
    make_writer(db, policy, zendesk_server, clock, time, []).write_due()
    [note] = zendesk.ticket(4711).notes()
    assert note.startswith(
        "ESC-1 として CRE にエスカレーションしました(P2、SLO 期限 11/27(金) 10:00)。担当は hanako さんです。"
    )


def test_nothing_is_promised_without_a_ticket_or_with_write_back_off(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    off = policy.model_copy(
        update={"zendesk": policy.zendesk.model_copy(update={"write_back": False})}
    )
    with db.session() as session:
        no_ticket = file_one(session, policy, clock.now())
        assert no_ticket.id is not None
        promise_timeline(session, policy, no_ticket.id, clock.now())
        ticket_but_off = file_one(session, off, clock.now(), zendesk=TICKET)
        assert ticket_but_off.id is not None
        promise_timeline(session, off, ticket_but_off.id, clock.now())
    assert writes(db) == []


def test_a_429_burst_is_waited_out_and_every_note_lands_once(
    filed: int, writer: ZendeskWriter, zendesk: ZendeskStandIn, db: Database, time: TestTime
) -> None:
    zendesk.fail(UPDATE_TICKET, status=429, retry_after=30, times=3)
    report = writer.write_due()
    assert (report.sent, report.failed) == (2, 0)
    assert len(zendesk.ticket(4711).notes()) == 1
    assert sum(time.slept) == pytest.approx(90.0)  # three Retry-Afters, honoured
    assert [w.attempts for w in writes(db)] == [1, 1]  # a 429 is not the row's fault


@pytest.mark.parametrize("applied", [True, False])
def test_after_a_timeout_the_ticket_is_read_before_writing_again(
    filed: int,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    clock: ManualClock,
    applied: bool,
) -> None:
    zendesk.fail(UPDATE_TICKET, delay=2.0, applied=applied)
    first = writer.write_due()
    assert (first.sent, first.retrying) == (0, 1)  # the tags wait behind the note (one ticket)
    assert writes(db)[0].uncertain
    clock.advance(timedelta(minutes=1))
    second = writer.write_due()
    assert (second.found, second.sent) == ((1, 1) if applied else (0, 2))
    assert len(zendesk.ticket(4711).notes()) == 1
    assert len(zendesk.calls_to(LIST_COMMENTS)) == 1
    assert [w.status for w in writes(db)] == ["sent", "sent"]


def test_a_5xx_backs_off_and_then_writes(
    filed: int, writer: ZendeskWriter, zendesk: ZendeskStandIn, db: Database, clock: ManualClock
) -> None:
    zendesk.fail(UPDATE_TICKET, status=502, times=2)
    assert writer.write_due().retrying == 1
    clock.advance(timedelta(seconds=29))
    assert writer.write_due().sent == 0  # not yet: 30 s after the first failure
    clock.advance(timedelta(seconds=1))
    assert writer.write_due().retrying == 1
    clock.advance(timedelta(seconds=60))
    assert writer.write_due().sent + writes(db)[0].attempts >= 2
    assert len(zendesk.ticket(4711).notes()) == 1  # the 502s were checked for, not repeated blindly


def test_a_closed_ticket_is_given_up_at_once_listed_and_can_be_tried_again(
    filed: int,
    policy: Policy,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    clock: ManualClock,
    given_up: list[int],
) -> None:
    zendesk.ticket(4711).status = "closed"
    report = writer.write_due()
    assert report.failed == 2
    assert given_up == [w.id for w in writes(db)]
    with db.session() as session:
        unwritten = writeback.unwritten(session=session, escalation_id=filed)
        assert [(w.kind, w.status, w.last_error) for w in unwritten] == [
            ("note", "failed", "http_422"),
            ("add_tags", "failed", "http_422"),
        ]
    zendesk.ticket(4711).status = "open"
    with db.session() as session:
        again = {"session": session, "policy": policy, "write_id": given_up[0], "now": clock.now()}
        with pytest.raises(NotAllowed):
            writeback.retry(**again, actor_id="U0HANAKO")  # only the lead
        assert writeback.retry(**again, actor_id="U0LEAD") is not None
        assert writeback.retry(**again, actor_id="U0LEAD") is None
    assert writer.write_due().sent == 1
    assert len(zendesk.ticket(4711).notes()) == 1


def test_after_too_many_attempts_the_writer_gives_up(
    filed: int,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    clock: ManualClock,
    given_up: list[int],
) -> None:
    zendesk.fail(UPDATE_TICKET, status=500, times=20)
    for _ in range(writeback.MAX_ATTEMPTS):
        writer.write_due()
        clock.advance(timedelta(hours=2))
    assert writes(db)[0].status == WriteStatus.FAILED
    assert len(given_up) == 1


def test_a_write_whose_writer_died_is_checked_for_before_it_is_written_again(
    filed: int, writer: ZendeskWriter, zendesk: ZendeskStandIn, db: Database, clock: ManualClock
) -> None:
    # Another process claimed the note, wrote it, and died before recording that it had.
    with db.session() as session:
        row = session.exec(select(ZendeskWrite).where(ZendeskWrite.kind == "note")).one()
        row.lease_until = clock.now() + writeback.LEASE
        marker = row.payload["marker"]
        session.add(row)
        session.commit()
    zendesk.ticket(4711).comments.append(
        Comment(1, f"note\n{marker}", public=False, created_at=0.0)
    )
    assert writer.write_due().sent == 0  # leased: not ours to take
    clock.advance(writeback.LEASE + timedelta(seconds=1))
    report = writer.write_due()
    assert (report.found, report.sent) == (1, 1)
    assert len(zendesk.ticket(4711).notes()) == 1


def test_writes_for_one_ticket_go_in_order(
    filed: int,
    writer: ZendeskWriter,
    zendesk: ZendeskStandIn,
    db: Database,
    policy: Policy,
    clock: ManualClock,
) -> None:
    with db.session() as session:
        bring_to(session, policy, filed, Status.RESOLVED, now=clock.now())
        promise_timeline(session, policy, filed, clock.now())
    zendesk.fail(UPDATE_TICKET, status=503, times=1)  # the first note fails: the rest wait for it
    writer.write_due()
    assert zendesk.ticket(4711).notes() == []
    clock.advance(timedelta(minutes=5))
    writer.write_due()
    first_lines = [n.splitlines()[0] for n in zendesk.ticket(4711).notes()]
    assert first_lines[0].startswith("Escalated to CRE as ESC-1")
    assert first_lines[1].startswith("ESC-1 was resolved")


def test_two_writers_at_once_write_each_note_once(
    db: Database,
    policy: Policy,
    zendesk_server: RunningZendesk,
    zendesk: ZendeskStandIn,
    clock: ManualClock,
    time: TestTime,
) -> None:
    with db.session() as session:
        for n in range(30):
            zendesk.add_ticket(1000 + n)
            escalation = file_one(
                session, policy, clock.now(), zendesk=ZendeskTicket(1000 + n, None)
            )
            assert escalation.id is not None
            promise_timeline(session, policy, escalation.id, clock.now())
    writers = [make_writer(db, policy, zendesk_server, clock, time, []) for _ in range(2)]
    threads = [threading.Thread(target=w.write_due) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(t for t, _ in zendesk.all_notes()) == list(range(1000, 1030))
    assert len(zendesk.calls_to(UPDATE_TICKET)) == 30
    assert {w.status for w in writes(db)} == {"sent"}


def test_the_gave_up_hook_can_tell_the_lead_in_the_same_transaction(
    filed: int,
    db: Database,
    policy: Policy,
    zendesk_server: RunningZendesk,
    zendesk: ZendeskStandIn,
    clock: ManualClock,
    time: TestTime,
) -> None:
    from bot.zendesk.service import ZendeskService

    zendesk.ticket(4711).status = "closed"
    writer = make_writer(db, policy, zendesk_server, clock, time, [])
    service = object.__new__(ZendeskService)
    service.policy = policy
    writer.gave_up = service._tell_lead
    writer.write_due()
    with db.session() as session:
        told = session.exec(select(Outbox).where(Outbox.kind == "message")).all()
    assert [row.payload["channel"] for row in told] == ["U0LEAD", "U0LEAD"]
    assert "could not write the assignment note for ESC-1" in told[0].payload["text"]
    assert told[0].payload["blocks"][1]["elements"][0]["action_id"] == "zendesk.retry"
