"""The outbox against the Slack stand-in over real HTTP: posts sent once, in order, retried, never lost."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlmodel import Session, col, select

from bot import escalations, outbox_keys, presenter
from bot.clock import ManualClock
from bot.db import Database
from bot.models import Escalation, Outbox, OutboxStatus
from bot.outbox import DeliveryReport, OutboxDeliverer, pending_count
from bot.outbox_rows import OutboxKind, OutboxRow, enqueue, enqueue_many
from bot.policy import Policy
from bot.runtime import make_web_client
from bot.workspace.webapi import RunningServer, SlackStandIn, dm_channel_id
from tests.conftest import START
from tests.support.factories import LEAD, file_one
from tests.support.flows import wait_for

CHANNEL = "C0ESCALATE"
HANAKO = "U0HANAKO"


@pytest.fixture
def client(slack_server: RunningServer) -> WebClient:
    """The bot's real client (its retry handlers included), with no pause between retries."""
    web = make_web_client("xoxb-test-token", base_url=slack_server.base_url)
    for handler in web.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0)
    return web


def make_deliverer(
    db: Database, client: WebClient, policy: Policy, clock: ManualClock
) -> OutboxDeliverer:
    def render(session: Session, escalation: Escalation) -> tuple[str, list[dict[str, Any]]]:
        return presenter.render_card(
            session=session, policy=policy, escalation=escalation, now=clock.now(), live=False
        )

    def line(session: Session, escalation: Escalation, event_id: int) -> str:
        return presenter.render_thread_line(
            session=session, policy=policy, escalation=escalation, event_id=event_id
        )

    def dm(_session: Session, escalation: Escalation, user: str) -> tuple[str, list[Any]]:
        return presenter.render_assignment_dm(
            policy=policy, escalation=escalation, user=user, now=clock.now(), workspace_url=None
        )

    def notice(
        session: Session, escalation: Escalation, payload: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        return presenter.render_notice(
            session=session,
            policy=policy,
            escalation=escalation,
            payload=payload,
            now=clock.now(),
            workspace_url=None,
        )

    return OutboxDeliverer(
        db=db,
        client=client,
        render_card=render,
        render_line=line,
        render_dm=dm,
        render_notice=notice,
        clock=clock.now,
    )


@pytest.fixture
def deliverer(
    db: Database, client: WebClient, policy: Policy, clock: ManualClock
) -> OutboxDeliverer:
    return make_deliverer(db, client, policy, clock)


def file_and_id(db: Database, policy: Policy, now: datetime = START, **overrides: Any) -> int:
    """File one (auto-assigned); its assignee's and its filer's DMs are withdrawn: these tests follow
    the card and its thread (the DMs' own delivery: tests/bot/test_assignee_dm.py and
    tests/handlers/test_cs_loop.py)."""
    with db.session() as session:
        escalation = file_one(session, policy, now, **overrides)
        assert escalation.id is not None
        session.execute(
            sa.delete(Outbox).where(
                col(Outbox.escalation_id) == escalation.id,
                col(Outbox.kind).in_([OutboxKind.DM, OutboxKind.NOTICE]),
            )
        )
        session.commit()
    return escalation.id


def change(db: Database, policy: Policy, escalation_id: int, *actions: str) -> None:
    functions = {
        "ack": escalations.acknowledge,
        "wait": escalations.wait_on_cs,
        "resume": escalations.resume,
    }
    with db.session() as session:
        for name in actions:
            functions[name](
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                actor_id=LEAD,
                now=START,
            )


def rows(db: Database, escalation_id: int | None = None) -> list[Outbox]:
    with db.session() as session:
        query = select(Outbox).order_by(col(Outbox.id))
        if escalation_id is not None:
            query = query.where(Outbox.escalation_id == escalation_id)
        return list(session.exec(query).all())


def escalation(db: Database, escalation_id: int) -> Escalation:
    with db.session() as session:
        return escalations.get_escalation(session=session, escalation_id=escalation_id)


def replies(standin: SlackStandIn, ts: str) -> list[str]:
    return [m.text for m in standin.thread(CHANNEL, ts)[1:]]


# -- enqueue ----------------------------------------------------------------------------------


def test_enqueue_stores_a_key_once(db: Database) -> None:
    with db.session() as session:
        first = enqueue(session, OutboxRow.message("k1", channel="C1", text="a"), now=START)
        second = enqueue(session, OutboxRow.message("k1", channel="C1", text="b"), now=START)
        session.commit()
    assert (first, second) == (True, False)
    stored = rows(db)
    assert len(stored) == 1
    assert stored[0].payload == {"channel": "C1", "text": "a"}
    assert (stored[0].status, stored[0].attempts, stored[0].next_attempt_at) == (
        "pending",
        0,
        START,
    )


def test_enqueue_in_another_transaction_is_ignored_too(db: Database) -> None:
    for text in ("first", "second"):
        with db.session() as session:
            enqueue(session, OutboxRow.message("same", channel="C1", text=text), now=START)
            session.commit()
    assert [r.payload["text"] for r in rows(db)] == ["first"]


def test_enqueue_many_skips_keys_already_promised(db: Database) -> None:
    with db.session() as session:
        enqueue(session, OutboxRow.message("a", channel="C1", text="old"), now=START)
        enqueue_many(
            session,
            [
                OutboxRow.message("a", channel="C1", text="new"),
                OutboxRow.message("b", channel="C1", text="b"),
            ],
            now=START,
        )
        session.commit()
        assert pending_count(session) == 2
    assert [(r.key, r.payload["text"]) for r in rows(db)] == [("a", "old"), ("b", "b")]


def test_a_rolled_back_change_promises_nothing(db: Database) -> None:
    with db.session() as session:
        enqueue(session, OutboxRow.message("gone", channel="C1", text="x"), now=START)
        session.rollback()
    assert rows(db) == []


# -- delivering cards and threads -------------------------------------------------------------


def test_the_card_is_posted_once_and_its_thread_follows(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    report = deliverer.deliver_due(now=START)
    assert (report.sent, report.failed, report.retrying, report.deferred) == (2, 0, 0, 0)
    posts = standin.calls_to("chat.postMessage")
    assert len(posts) == 2
    card_ts = posts[0].response["ts"]  # type: ignore[index]
    stored = escalation(db, escalation_id)
    assert (stored.channel_id, stored.message_ts) == (CHANNEL, card_ts)
    assert posts[1].args["thread_ts"] == card_ts
    assert replies(standin, card_ts) == [
        ":bust_in_silhouette: Assigned to <@U0HANAKO> (fewest open escalations among those who cover this)."
    ]
    assert all(r.status == OutboxStatus.SENT and r.attempts == 1 for r in rows(db))
    again = deliverer.deliver_due(now=START + timedelta(minutes=5))
    assert again == DeliveryReport()
    assert len(standin.calls_to("chat.postMessage")) == 2


def test_a_second_card_post_for_the_same_escalation_posts_nothing(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    deliverer.deliver_due(now=START)
    card_ts = escalation(db, escalation_id).message_ts
    with db.session() as session:
        again = OutboxRow.card_post(f"esc:{escalation_id}:post:again", escalation_id=escalation_id)
        enqueue(session, again, now=START)
        session.commit()
    report = deliverer.deliver_due(now=START)
    assert report.sent == 1
    assert len(standin.calls_to("chat.postMessage")) == 2
    assert escalation(db, escalation_id).message_ts == card_ts
    assert len(standin.channel_messages(CHANNEL)) == 2  # the card and its one reply


def test_updates_and_replies_wait_for_a_failed_card_post(
    db: Database,
    policy: Policy,
    deliverer: OutboxDeliverer,
    standin: SlackStandIn,
    clock: ManualClock,
) -> None:
    escalation_id = file_and_id(db, policy)
    change(db, policy, escalation_id, "ack")
    standin.fail("chat.postMessage", status=500, times=3)  # the first try and both retries
    report = deliverer.deliver_due(now=START)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert report.deferred == 3  # the auto-assign line, the card update, the acknowledge line
    assert len(standin.calls_to("chat.postMessage")) == 3
    assert standin.calls_to("chat.update") == []
    assert standin.channel_messages(CHANNEL) == []
    card_row, *later = rows(db, escalation_id)
    assert card_row.kind == OutboxKind.CARD_POST
    assert (card_row.status, card_row.attempts) == (OutboxStatus.PENDING, 1)
    assert card_row.next_attempt_at == START + timedelta(seconds=30)
    assert "Internal Server Error" in str(card_row.last_error)
    assert all((r.status, r.attempts) == (OutboxStatus.PENDING, 0) for r in later)
    assert escalation(db, escalation_id).status == "investigating"  # the change itself stands

    early = deliverer.deliver_due(now=START + timedelta(seconds=29))
    assert early.sent == 0
    assert len(standin.calls_to("chat.postMessage")) == 3

    clock.set(START + timedelta(seconds=30))
    report = deliverer.deliver_due(now=clock.now())
    # The card is posted as it is now, so the update queued behind it has nothing to change.
    assert (report.sent, report.unchanged, report.retrying, report.deferred) == (3, 1, 0, 0)
    card_ts = escalation(db, escalation_id).message_ts
    assert card_ts is not None
    assert replies(standin, card_ts) == [
        ":bust_in_silhouette: Assigned to <@U0HANAKO> (fewest open escalations among those who cover this).",
        ":mag: <@U0LEAD> is investigating.",
    ]
    assert standin.calls_to("chat.update") == []
    card = standin.channel_messages(CHANNEL)[0]
    assert "Investigating" in str(card.blocks)


def _refresh_card(db: Database, escalation_id: int, name: str) -> None:
    """Promise a card redraw that changes nothing in the escalation (as card-refresh or a sweep)."""
    with db.session() as session:
        row = OutboxRow.card_update(f"esc:{escalation_id}:card:{name}", escalation_id=escalation_id)
        enqueue(session, row, now=START)
        session.commit()


def test_a_card_update_that_would_draw_what_the_message_shows_is_not_sent(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    deliverer.deliver_due(now=START)
    _refresh_card(db, escalation_id, "same")

    report = deliverer.deliver_due(now=START)

    assert (report.sent, report.unchanged) == (0, 1)
    assert standin.calls_to("chat.update") == []
    assert rows(db, escalation_id)[-1].result == {"unchanged": True}
    change(db, policy, escalation_id, "ack")  # the status changes: drawn
    assert deliverer.deliver_due(now=START).sent == 2
    assert len(standin.calls_to("chat.update")) == 1
    _refresh_card(db, escalation_id, "again")
    assert deliverer.deliver_due(now=START).unchanged == 1
    assert len(standin.calls_to("chat.update")) == 1


def test_after_a_failed_card_update_the_next_one_is_sent_even_if_it_looks_the_same(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    change(db, policy, escalation_id, "ack")
    deliverer.deliver_due(now=START)  # the card, posted as "investigating"
    change(db, policy, escalation_id, "wait")
    standin.fail("chat.update", error="internal_error")  # what the message shows is now unknown
    assert deliverer.deliver_due(now=START).retrying == 1
    assert escalation(db, escalation_id).card_digest is None
    change(db, policy, escalation_id, "resume")  # back to what the last good update drew

    report = deliverer.deliver_due(now=START + timedelta(minutes=1))

    assert (report.superseded, report.unchanged) == (1, 0)  # the waiting update is stale
    [drawn] = [c for c in standin.calls_to("chat.update") if _ok(c)]
    assert drawn.args["blocks"] == standin.calls_to("chat.postMessage")[0].args["blocks"]
    assert escalation(db, escalation_id).card_digest is not None


def _ok(call: Any) -> bool:
    return isinstance(call.response, dict) and bool(call.response.get("ok"))


def test_the_backoff_doubles_with_each_failure(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    standin.fail("chat.postMessage", status=503, times=6)  # two passes of three tries
    deliverer.deliver_due(now=START)
    second_pass = START + timedelta(seconds=30)
    deliverer.deliver_due(now=second_pass)
    card_row = rows(db, escalation_id)[0]
    assert (card_row.status, card_row.attempts) == (OutboxStatus.PENDING, 2)
    assert card_row.next_attempt_at == second_pass + timedelta(seconds=60)
    assert "Service Unavailable" in str(card_row.last_error)
    report = deliverer.deliver_due(now=second_pass + timedelta(seconds=60))
    assert report.sent == 2
    assert rows(db, escalation_id)[0].attempts == 3


def test_a_rate_limit_is_retried_within_the_pass(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    file_and_id(db, policy)
    standin.fail("chat.postMessage", status=429, retry_after=0)
    report = deliverer.deliver_due(now=START)
    assert (report.sent, report.retrying) == (2, 0)
    assert [c.status for c in standin.calls_to("chat.postMessage")] == [429, 200, 200]


@pytest.mark.allow_slack_problems
def test_a_permanent_error_marks_the_row_failed(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    standin.fail("chat.postMessage", error="invalid_blocks")
    report = deliverer.deliver_due(now=START)
    assert (report.failed, report.retrying, report.sent) == (1, 0, 0)
    assert report.errors == [f"card.post esc:{escalation_id}:post: invalid_blocks"]
    assert len(standin.calls_to("chat.postMessage")) == 1  # ok:false is not retried
    card_row = rows(db, escalation_id)[0]
    assert (card_row.status, card_row.attempts, card_row.last_error) == (
        OutboxStatus.FAILED,
        1,
        "invalid_blocks",
    )
    deliverer.deliver_due(now=START + timedelta(hours=2))
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_a_transient_ok_false_is_retried_later(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    standin.fail("chat.postMessage", error="internal_error")
    report = deliverer.deliver_due(now=START)
    assert report.retrying == 1
    card_row = rows(db, escalation_id)[0]
    assert (card_row.status, card_row.last_error) == (OutboxStatus.PENDING, "internal_error")
    assert deliverer.deliver_due(now=START + timedelta(seconds=30)).sent == 2


def test_thread_replies_stay_in_order_when_one_fails(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_and_id(db, policy)
    deliverer.deliver_due(now=START)
    card_ts = escalation(db, escalation_id).message_ts
    assert card_ts is not None
    change(db, policy, escalation_id, "ack", "wait")
    standin.fail("chat.postMessage", status=500, times=3)  # the acknowledge line fails for now
    deliverer.deliver_due(now=START)
    deliverer.deliver_due(now=START + timedelta(seconds=1))
    deliverer.deliver_due(now=START + timedelta(minutes=1))
    assert replies(standin, card_ts)[1:] == [
        ":mag: <@U0LEAD> is investigating.",
        ":hourglass_flowing_sand: <@U0LEAD> is waiting on CS / the user. The SLO clock is paused.",
    ]


def test_one_escalations_failure_does_not_hold_up_another(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    first = file_and_id(db, policy)
    second = file_and_id(db, policy)
    standin.fail("chat.postMessage", status=500, times=3)
    report = deliverer.deliver_due(now=START)
    assert (report.retrying, report.deferred, report.sent) == (1, 1, 2)
    assert escalation(db, first).message_ts is None
    assert escalation(db, second).message_ts is not None


# -- two deliverers at once -------------------------------------------------------------------


def test_two_deliverers_racing_send_each_row_once(
    db: Database,
    policy: Policy,
    slack_server: RunningServer,
    standin: SlackStandIn,
    clock: ManualClock,
) -> None:
    count = 8
    ids = [file_and_id(db, policy, START + timedelta(seconds=i)) for i in range(count)]
    deliverers = [
        make_deliverer(
            db, make_web_client("xoxb-test-token", base_url=slack_server.base_url), policy, clock
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(len(deliverers))
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def run(one: OutboxDeliverer) -> None:
        try:
            barrier.wait()
            reports.append(one.deliver_due(now=START + timedelta(minutes=1)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # A reply the other deliverer found before its card was posted waits for one more pass.
    reports.append(deliverers[0].deliver_due(now=START + timedelta(minutes=2)))
    assert sum(r.sent for r in reports) == 2 * count
    assert all(r.failed == 0 and r.retrying == 0 for r in reports)
    assert len(standin.calls_to("chat.postMessage")) == 2 * count
    cards = [m for m in standin.channel_messages(CHANNEL) if m.thread_ts is None]
    assert len(cards) == count
    stamps = [escalation(db, escalation_id).message_ts for escalation_id in ids]
    assert sorted(stamps) == sorted(m.ts for m in cards)  # type: ignore[type-var]
    for ts in stamps:
        assert ts is not None
        assert len(replies(standin, ts)) == 1
    assert all(r.status == OutboxStatus.SENT and r.attempts == 1 for r in rows(db))


def test_rows_queued_behind_a_post_in_flight_go_with_it_even_when_stamped_later(
    db: Database,
    policy: Policy,
    deliverer: OutboxDeliverer,
    slack_server: RunningServer,
    standin: SlackStandIn,
    clock: ManualClock,
) -> None:
    escalation_id = file_and_id(db, policy)
    deliverer.deliver_due(now=START)
    change(db, policy, escalation_id, "ack")
    standin.fail("chat.update", delay=0.5)  # the acknowledge update is slow
    first: list[DeliveryReport] = []
    sending = threading.Thread(target=lambda: first.append(deliverer.deliver_due(now=START)))
    sending.start()
    assert wait_for(lambda: standin.scripted_left("chat.update") == 0)

    # Another process commits the next change (its clock ahead of the first one's instant) and
    # finds the escalation's posts busy: it leaves them to the process sending the earlier row.
    later = START + timedelta(seconds=5)
    with db.session() as session:
        escalations.wait_on_cs(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id=LEAD,
            now=later,
        )
    other = make_deliverer(
        db, make_web_client("xoxb-test-token", base_url=slack_server.base_url), policy, clock
    )
    assert other.deliver_due(now=later, escalation_id=escalation_id).sent == 0
    sending.join(timeout=30)

    # its card update and line, then the ones queued behind them: the wait's update and line and
    # the filer's DM asking the question
    assert first[0].sent == 5
    assert all(r.status == OutboxStatus.SENT for r in rows(db, escalation_id))
    assert [r.key for r in rows(db, escalation_id) if r.kind == OutboxKind.NOTICE] == [
        outbox_keys.filer_asked(escalation_id, 4)
    ]
    card_ts = escalation(db, escalation_id).message_ts
    assert card_ts is not None
    *_, investigating, waiting = replies(standin, card_ts)
    assert investigating == ":mag: <@U0LEAD> is investigating."
    assert "is waiting on CS" in waiting
    assert len(standin.calls_to("chat.update")) == 2


def test_a_pass_reading_a_clock_sees_rows_committed_after_it_began(
    db: Database,
    policy: Policy,
    deliverer: OutboxDeliverer,
    standin: SlackStandIn,
    clock: ManualClock,
) -> None:
    first = file_and_id(db, policy)
    standin.fail("chat.postMessage", delay=0.5)  # the first card post is slow
    passes: list[DeliveryReport] = []
    sending = threading.Thread(target=lambda: passes.append(deliverer.deliver_due()))
    sending.start()
    assert wait_for(lambda: standin.scripted_left("chat.postMessage") == 0)
    clock.advance(timedelta(seconds=5))
    second = file_and_id(db, policy, clock.now())  # another group, committed during the pass
    sending.join(timeout=30)

    assert passes[0].sent == 4
    assert escalation(db, first).message_ts is not None
    assert escalation(db, second).message_ts is not None


# -- plain messages ---------------------------------------------------------------------------


def test_a_message_in_another_rows_thread_waits_for_its_parent(
    db: Database, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    with db.session() as session:  # the reply is promised first, so it is due first
        reply = OutboxRow.message(
            "reply", channel="C0SUPPORT", text="the reply", thread_of="parent"
        )
        enqueue(session, reply, now=START)
        enqueue(
            session, OutboxRow.message("parent", channel="C0SUPPORT", text="the parent"), now=START
        )
        session.commit()
    standin.fail("chat.postMessage", status=500, times=3)  # the parent fails for now
    first = deliverer.deliver_due(now=START)
    assert (first.sent, first.retrying, first.deferred) == (0, 1, 1)
    reply_row = rows(db)[0]
    assert (reply_row.status, reply_row.attempts, reply_row.lease_until) == ("pending", 0, None)
    # Once the parent is posted, the reply follows it in the same pass, in its thread.
    second = deliverer.deliver_due(now=START + timedelta(minutes=1))
    assert second.sent == 2
    parent_ts = standin.channel_messages("C0SUPPORT")[0].ts
    assert [m.text for m in standin.thread("C0SUPPORT", parent_ts)] == ["the parent", "the reply"]


def test_a_message_to_a_user_goes_to_their_dm(
    db: Database, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    with db.session() as session:
        enqueue(session, OutboxRow.message("dm", channel=HANAKO, text="*bold* reminder"), now=START)
        session.commit()
    assert deliverer.deliver_due(now=START).sent == 1
    assert [m.text for m in standin.dms(HANAKO)] == ["*bold* reminder"]
    assert rows(db)[0].result["channel"] == dm_channel_id(HANAKO)


def test_only_due_rows_of_the_asked_escalation_are_sent(
    db: Database, policy: Policy, deliverer: OutboxDeliverer
) -> None:
    first = file_and_id(db, policy)
    second = file_and_id(db, policy)
    report = deliverer.deliver_due(now=START, escalation_id=second)
    assert report.sent == 2
    assert escalation(db, first).message_ts is None
    with db.session() as session:
        assert pending_count(session) == 2


def test_a_pass_with_a_limit_leaves_the_rows_it_did_not_try_free(
    db: Database, policy: Policy, deliverer: OutboxDeliverer
) -> None:
    escalation_id = file_and_id(db, policy)
    change(db, policy, escalation_id, "ack", "wait")  # more rows queued behind the card
    promised = len(rows(db, escalation_id))

    def tried(report: DeliveryReport) -> int:
        return report.sent + report.unchanged + report.superseded

    assert tried(deliverer.deliver_due(now=START, limit=1)) == 1
    assert tried(deliverer.deliver_due(now=START, escalation_id=escalation_id, limit=2)) == 2

    waiting = [row for row in rows(db, escalation_id) if row.status == OutboxStatus.PENDING]
    assert len(waiting) == promised - 3
    assert [row.lease_until for row in waiting] == [None] * len(waiting), "claimed, not tried"
    assert not any(row.uncertain for row in waiting)
    assert tried(deliverer.deliver_due(now=START)) == len(waiting)  # at once: no lease to wait out
    assert pending_count_of(db) == 0


def pending_count_of(db: Database) -> int:
    with db.session() as session:
        return pending_count(session)


# -- a post whose sender died after Slack took it ------------------------------------------------


def _died_after_posting(db: Database, key: str, *, lease_until: datetime) -> None:
    """Leave the row as a sender killed mid-post does: Slack has the post, the row is pending."""
    with db.session() as session:
        row = session.exec(select(Outbox).where(Outbox.key == key)).one()
        row.status, row.sent_at, row.result = OutboxStatus.PENDING, None, {}
        row.lease_until = lease_until
        session.add(row)
        session.commit()


def _others_post(
    client: WebClient, clock: ManualClock, count: int, *, thread_ts: str | None = None
) -> None:
    for number in range(count):
        clock.advance(timedelta(seconds=1))
        if thread_ts:
            client.chat_postMessage(channel="C0SUPPORT", text=f"r{number}", thread_ts=thread_ts)
        else:
            client.chat_postMessage(channel="C0SUPPORT", text=f"m{number}")


def test_a_post_that_landed_is_found_beyond_the_first_page_of_history(
    db: Database,
    deliverer: OutboxDeliverer,
    standin: SlackStandIn,
    client: WebClient,
    clock: ManualClock,
) -> None:
    with db.session() as session:
        enqueue(session, OutboxRow.message("lost", channel="C0SUPPORT", text="the post"), now=START)
        session.commit()
    assert deliverer.deliver_due(now=START).sent == 1
    _died_after_posting(db, "lost", lease_until=START + timedelta(minutes=2))
    # Busy channel, small pages (Slack's 15 for apps outside the Marketplace): newest first, the
    # post is on the second page.
    _others_post(client, clock, 20)
    standin.page_limit_cap = 15

    clock.advance(timedelta(minutes=10))
    report = deliverer.deliver_due(now=clock.now())

    assert report.sent == 1
    assert [m.text for m in standin.channel_messages("C0SUPPORT")].count("the post") == 1
    [row] = rows(db)
    assert (row.status, row.result["found"]) == (OutboxStatus.SENT, True)
    searches = standin.calls_to("conversations.history")
    assert len(searches) == 2
    assert all(float(call.args["oldest"]) >= START.timestamp() - 60 for call in searches)


def test_a_thread_reply_that_landed_is_found_beyond_the_first_page_of_the_thread(
    db: Database,
    deliverer: OutboxDeliverer,
    standin: SlackStandIn,
    client: WebClient,
    clock: ManualClock,
) -> None:
    parent = client.chat_postMessage(channel="C0SUPPORT", text="the question")["ts"]
    _others_post(client, clock, 20, thread_ts=parent)  # an old, long thread
    clock.advance(timedelta(hours=1))
    created = clock.now()
    with db.session() as session:
        enqueue(session, OutboxRow.message("parent", channel="C0SUPPORT", text="x"), now=created)
        session.commit()
    with db.session() as session:  # the row answers in the existing thread
        row = session.exec(select(Outbox).where(Outbox.key == "parent")).one()
        row.status, row.result = OutboxStatus.SENT, {"ts": parent, "channel": "C0SUPPORT"}
        session.add(row)
        reply = OutboxRow.message("lost", channel="C0SUPPORT", text="answer", thread_of="parent")
        enqueue(session, reply, now=created)
        session.commit()
    _others_post(client, clock, 20, thread_ts=parent)  # busy since the row was written
    assert deliverer.deliver_due(now=clock.now()).sent == 1
    _died_after_posting(db, "lost", lease_until=clock.now() + timedelta(minutes=2))
    standin.page_limit_cap = 15

    clock.advance(timedelta(minutes=10))
    report = deliverer.deliver_due(now=clock.now())

    assert report.sent == 1
    assert [m.text for m in standin.thread("C0SUPPORT", parent)].count("answer") == 1
    searches = standin.calls_to("conversations.replies")
    assert len(searches) == 2  # the 20 old replies were never read: only those since the row


def file_with_its_dm(db: Database, policy: Policy) -> int:
    """File one (auto-assigned), its assignee's DM promised with it."""
    with db.session() as session:
        filed = file_one(session, policy, START)
        assert filed.id is not None
        return filed.id


def test_a_dm_redraw_gives_way_only_to_a_newer_redraw_of_the_same_dm(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_with_its_dm(db, policy)
    deliverer.deliver_due(now=START)  # the card and the assignee's DM
    [dm] = [r for r in rows(db, escalation_id) if r.kind == OutboxKind.DM]
    assert dm.status == OutboxStatus.SENT
    user = str(dm.payload["user"])

    def redraw(cause: str) -> OutboxRow:
        key = outbox_keys.dm_update(dm.key, cause)
        return OutboxRow.assignment_dm(
            key, escalation_id=escalation_id, user=user, update_of=dm.key
        )

    # A redraw with a newer DM behind it that is not a redraw of the same DM: it is sent.
    with db.session() as session:
        enqueue(session, redraw("1"), now=START)
        other = OutboxRow.assignment_dm("other-dm", escalation_id=escalation_id, user=HANAKO)
        enqueue(session, other, now=START)
        session.commit()
    report = deliverer.deliver_due(now=START)
    assert (report.sent, report.superseded) == (2, 0)
    assert len(standin.calls_to("chat.update")) == 1

    # Two redraws of the same DM queued: the older gives way, the newer is drawn.
    with db.session() as session:
        enqueue(session, redraw("2"), now=START)
        enqueue(session, redraw("3"), now=START)
        session.commit()
    report = deliverer.deliver_due(now=START)
    assert (report.sent, report.superseded) == (1, 1)
    statuses = {r.key.rpartition(":")[2]: r.status for r in rows(db, escalation_id)}
    assert (statuses["2"], statuses["3"]) == (OutboxStatus.SUPERSEDED, OutboxStatus.SENT)
    assert len(standin.calls_to("chat.update")) == 2


def test_a_dm_redraw_promised_once_the_dm_was_sent_names_where_it_is(
    db: Database, policy: Policy, deliverer: OutboxDeliverer, standin: SlackStandIn
) -> None:
    escalation_id = file_with_its_dm(db, policy)
    change(db, policy, escalation_id, "ack")  # redrawn before the DM was sent: it waits for it

    def redraws() -> list[Outbox]:
        return [r for r in rows(db, escalation_id) if ":update:" in r.key and r.kind == "dm"]

    [early] = redraws()
    assert "posted" not in early.payload
    deliverer.deliver_due(now=START)
    [dm] = [r for r in rows(db, escalation_id) if r.kind == OutboxKind.DM and r.id < early.id]
    assert dm.status == OutboxStatus.SENT
    assert [r.status for r in redraws()] == [OutboxStatus.SENT]

    change(db, policy, escalation_id, "wait")  # redrawn after: the row says where the DM is
    [_, late] = redraws()
    assert late.payload["posted"] == {"channel": dm.result["channel"], "ts": dm.result["ts"]}
    assert deliverer.deliver_due(now=START).sent >= 2  # the card, its line, the DM
    [*_, update] = [c for c in standin.calls_to("chat.update") if c.args["ts"] == dm.result["ts"]]
    assert update.args["channel"] == dm.result["channel"]
    assert [r.status for r in redraws()] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert len([c for c in standin.calls_to("chat.update") if c.args["ts"] == dm.result["ts"]]) == 2
