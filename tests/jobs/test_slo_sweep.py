"""slo-sweep end to end: thresholds crossed in business time, posted once each, paused while waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import escalations
from bot.clock import ManualClock
from bot.models import Escalation, OutboxStatus, Status
from bot.outbox_rows import OutboxKind, OutboxRow, enqueue
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import Message, SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import bring_to, file_one
from tests.support.flows import card_texts, event_kinds, file_via_modal, outbox_rows, texts_in
from tests.support.slack import SlackDriver

# The p1 below: 50% at 12:00, 80% at 13:12, due at 14:00, breached from just after 14:00.
DAY = datetime(2026, 11, 25, tzinfo=TOKYO)


def _sweep_at(runtime: Runtime, clock: ManualClock, when: datetime) -> str:
    clock.set(when)
    return run_job(runtime=runtime, name="slo-sweep", at=when)


def _thread_texts(standin: SlackStandIn, escalation: Escalation) -> list[str]:
    return [m.text for m in _replies(standin, escalation)]


def _replies(standin: SlackStandIn, escalation: Escalation) -> list[Message]:
    """The SLO alerts in the escalation's thread (by the outbox key each post carries)."""
    assert escalation.message_ts
    return [
        m
        for m in standin.thread("C0ESCALATE", escalation.message_ts)[1:]
        if _key(m).startswith("slo:")
    ]


def _key(message: Message) -> str:
    return str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))


def _top_level(standin: SlackStandIn) -> list[Message]:
    """What the channel shows outside threads (cards, unassigned warnings)."""
    return [m for m in standin.channel_messages("C0ESCALATE") if m.thread_ts is None]


@pytest.fixture
def p1(runtime: Runtime) -> Escalation:
    """A P1 (4h target) filed Wed 2026-11-25 10:00 JST, assigned to hanako, card posted."""
    with runtime.db.session() as session:
        escalation = file_one(
            session, runtime.policy, runtime.now(), priority="P1", product="album", category="login"
        )
    runtime.deliver()
    with runtime.db.session() as session:
        fresh = session.get(Escalation, escalation.id)
        assert fresh is not None
        return fresh


def _dm(standin: SlackStandIn, user: str = "U0HANAKO") -> Message:
    """The one DM the assignee has about the escalation (as it reads now, after any redraws)."""
    [dm] = standin.dms(user)
    return dm


def _dm_text(standin: SlackStandIn) -> str:
    return "\n".join(texts_in(_dm(standin).blocks))


def test_each_threshold_redraws_the_assignees_dm_once_at_its_business_instant(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    day = datetime(2026, 11, 25, tzinfo=TOKYO)
    assert ":warning:" not in _dm_text(standin)  # the assignment DM, sent when it was filed
    assert _sweep_at(runtime, clock, day.replace(hour=11, minute=59)).startswith("0 due")
    _sweep_at(runtime, clock, day.replace(hour=12, minute=0))
    assert ":warning: 50% of its SLO (4h) is used." in _dm_text(standin)
    redraws = _dm(standin).updated_count
    # the same period again, and a later sweep before 80%: nothing new
    _sweep_at(runtime, clock, day.replace(hour=12, minute=5))
    _sweep_at(runtime, clock, day.replace(hour=13, minute=10))  # 80% is at 13:12
    assert _dm(standin).updated_count == redraws
    assert _sweep_at(runtime, clock, day.replace(hour=13, minute=12)).startswith(
        "period"
    )  # same slot
    _sweep_at(runtime, clock, day.replace(hour=13, minute=20))
    assert ":warning: 80% of its SLO (4h) is used." in _dm_text(standin)
    assert _dm(standin).updated_count == redraws + 1
    assert _thread_texts(standin, p1) == []  # warnings are not posted in the thread
    _sweep_at(runtime, clock, day.replace(hour=14, minute=0))  # at the due instant: within target
    assert _thread_texts(standin, p1) == []
    _sweep_at(runtime, clock, day.replace(hour=14, minute=10))
    [breach] = _thread_texts(standin, p1)
    assert breach.startswith(":rotating_light: <@U0LEAD> ESC-1")
    assert ":rotating_light: It is past its SLO target (4h)." in _dm_text(standin)
    _sweep_at(runtime, clock, day.replace(hour=17, minute=0))
    assert len(_thread_texts(standin, p1)) == 1
    assert len(standin.dms("U0HANAKO")) == 1


def test_a_threshold_that_leaves_the_cards_words_unchanged_does_not_redraw_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    _sweep_at(runtime, clock, DAY.replace(hour=12))  # 50%: the light turns yellow, 2h left
    clock.set(DAY.replace(hour=13))
    run_job(runtime=runtime, name="card-refresh", at=clock.now())  # 1h left
    updates = len([c for c in standin.calls_to("chat.update") if c.args["channel"] == "C0ESCALATE"])
    card = next(m for m in standin.channel_messages("C0ESCALATE") if m.ts == p1.message_ts)
    shown = (card.text, card.blocks)

    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=20))  # 80%: still yellow, 1h left

    assert "80%" in _dm_text(standin)  # the warning itself goes out, in the DM
    card_updates = [c for c in standin.calls_to("chat.update") if c.args["channel"] == "C0ESCALATE"]
    assert len(card_updates) == updates  # the card would look the same
    assert (card.text, card.blocks) == shown
    [crossing_update] = [
        r for r in outbox_rows(runtime.db, p1.id or 0) if r.key == f"slo:{p1.id}:2:card"
    ]
    assert (crossing_update.status, crossing_update.result) == (
        OutboxStatus.SENT,
        {"unchanged": True},
    )
    _sweep_at(runtime, clock, DAY.replace(hour=14, minute=10))  # the breach turns it red: redrawn
    card_updates = [c for c in standin.calls_to("chat.update") if c.args["channel"] == "C0ESCALATE"]
    assert len(card_updates) == updates + 1


def test_waiting_pauses_the_clock_and_resume_continues_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    day = datetime(2026, 11, 25, tzinfo=TOKYO)
    clock.set(day.replace(hour=11))
    with runtime.db.session() as session:
        escalations.wait_on_cs(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
    _sweep_at(runtime, clock, day.replace(hour=17))
    assert ":warning:" not in _dm_text(standin)  # 1h used before the pause; paused all afternoon
    resumed = datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
    clock.set(resumed)
    with runtime.db.session() as session:
        escalations.resume(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
        row = session.get(Escalation, p1.id)
        assert row is not None
        assert row.slo_consumed_s == 3600
        assert row.slo_due_at == resumed + timedelta(hours=3)
    _sweep_at(runtime, clock, resumed + timedelta(minutes=59))
    assert ":warning:" not in _dm_text(standin)
    _sweep_at(runtime, clock, resumed + timedelta(hours=1))
    assert ":warning: 50% of its SLO" in _dm_text(standin)


def test_a_late_sweep_folds_every_threshold_passed_into_one_redraw_and_one_breach_reply(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    # Nothing ran between filing and 16:00 (downtime): 50%, 80% and the breach are all behind us.
    assert _sweep_at(runtime, clock, DAY.replace(hour=16)) == "1 due, 1 crossed a threshold"
    [breach] = _replies(standin, p1)
    assert breach.reply_broadcast  # a P1's breach: the channel hears it
    assert "<@U0LEAD>" in breach.text
    assert "breached" in breach.text
    assert "past its SLO target" in _dm_text(standin)  # the assignee's DM shows it
    # every stage has its timeline row and its own keys; the merged posts are made once
    assert event_kinds(runtime.db, p1.id or 0).count("slo_warning") == 2
    assert event_kinds(runtime.db, p1.id or 0).count("slo_breach") == 1
    rows = {
        r.key: r.status for r in outbox_rows(runtime.db, p1.id or 0) if r.key.startswith("slo:")
    }
    base = f"slo:{p1.id}"
    assert rows == {
        f"{base}:1:card": OutboxStatus.SENT,
        f"{base}:2:card": OutboxStatus.SUPERSEDED,
        f"{base}:3:card": OutboxStatus.SUPERSEDED,
        f"{base}:1:direct": OutboxStatus.SENT,
        f"{base}:2:direct": OutboxStatus.SUPERSEDED,
        f"{base}:3:direct": OutboxStatus.SUPERSEDED,
        f"{base}:3:channel": OutboxStatus.SENT,
    }
    _sweep_at(runtime, clock, DAY.replace(hour=17))
    assert len(_replies(standin, p1)) == 1
    assert len(standin.dms("U0HANAKO")) == 1


def test_two_warnings_in_one_sweep_then_the_breach_alone(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=30))
    assert _replies(standin, p1) == []
    assert ":warning: 80% of its SLO (4h) is used." in _dm_text(standin)
    assert "due Wed 11/25 14:00 · 30m left" in _dm_text(standin)
    _sweep_at(runtime, clock, DAY.replace(hour=14, minute=10))
    [breach] = _replies(standin, p1)
    assert breach.reply_broadcast
    assert "<@U0LEAD>" in breach.text
    assert len(standin.dms("U0HANAKO")) == 1  # the breach redraws the DM, never a second one


def test_the_breach_is_broadcast_to_the_channel_and_mentions_the_lead(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    for hour, minute in ((12, 0), (13, 20), (14, 0), (14, 10)):
        _sweep_at(runtime, clock, DAY.replace(hour=hour, minute=minute))
    [broadcast] = [c for c in standin.calls_to("chat.postMessage") if c.args.get("reply_broadcast")]
    assert broadcast.args["channel"] == "C0ESCALATE"
    assert broadcast.args["thread_ts"] == p1.message_ts
    assert broadcast.args["text"].startswith(":rotating_light: <@U0LEAD> ")
    assert "<@U0HANAKO>" in broadcast.args["text"]  # names the assignee


def test_a_p2_breach_stays_in_its_thread_without_the_lead(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    with runtime.db.session() as session:
        p2 = file_one(session, runtime.policy, runtime.now(), priority="P2")  # 2d: due Fri 10:00
    runtime.deliver()
    top_before = len(_top_level(standin))
    _sweep_at(runtime, clock, datetime(2026, 11, 27, 10, 10, tzinfo=TOKYO))
    with runtime.db.session() as session:
        fresh = session.get(Escalation, p2.id)
        assert fresh is not None
        [breach] = _replies(standin, fresh)
    assert not breach.reply_broadcast
    assert breach.text.startswith(
        ":rotating_light: ESC-1 breached its SLO (2 business days, P2). Assignee: <@U0HANAKO>"
    )
    assert "<@U0LEAD>" not in breach.text
    assert len(_top_level(standin)) == top_before
    assert "past its SLO target (2 business days)" in _dm_text(standin)


def test_a_warning_on_an_unassigned_escalation_posts_nothing_new(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    with runtime.db.session() as session:
        bring_to(
            session, runtime.policy, p1.id or 0, Status.OPEN, now=DAY.replace(hour=10, minute=1)
        )
    clock.set(DAY.replace(hour=10, minute=1))
    runtime.deliver()
    posts_before = len(standin.calls_to("chat.postMessage"))
    _sweep_at(runtime, clock, DAY.replace(hour=12))
    # The card shows it, and the day's unclaimed list names it: no post, no DM.
    assert len(standin.calls_to("chat.postMessage")) == posts_before
    assert "back in the queue" in _dm_text(standin)  # hanako's DM, redrawn when it was handed back


def test_a_redraw_that_slack_refused_is_made_by_the_next_run_exactly_once(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    standin.fail("chat.update", status=500, times=3)  # slack_sdk tries three times
    _sweep_at(runtime, clock, DAY.replace(hour=12))
    assert ":warning:" not in _dm_text(standin)  # queued behind the card's redraw, in order
    [card_row] = [r for r in outbox_rows(runtime.db, p1.id or 0) if r.key.endswith(":1:card")]
    assert card_row.status == OutboxStatus.PENDING
    assert "Internal Server Error" in (card_row.last_error or "")
    # the next sweep (nothing new crossed) delivers what is owed
    assert _sweep_at(runtime, clock, DAY.replace(hour=12, minute=10)).startswith("0 due")
    assert ":warning: 50% of its SLO" in _dm_text(standin)
    _sweep_at(runtime, clock, DAY.replace(hour=12, minute=20))
    run_job(runtime=runtime, name="outbox-flush", at=DAY.replace(hour=12, minute=21))
    dm_redraws = [
        c
        for c in standin.calls_to("chat.update")
        if c.status == 200 and str(c.args["channel"]).startswith("D")
    ]
    assert len(dm_redraws) == 1
    assert len(standin.dms("U0HANAKO")) == 1


def test_a_stage_already_claimed_elsewhere_is_not_announced_again(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    # As if another sweep had claimed the 50% posts (keys taken) but not moved this row's stage.
    with runtime.db.session() as session:
        for post in ("card", "direct"):
            key = f"slo:{p1.id}:1:{post}"
            row = OutboxRow(key, OutboxKind.THREAD, p1.id, status=OutboxStatus.SENT)
            enqueue(session, row, now=clock.now())
        session.commit()
    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=30))  # 50% and 80% both passed
    assert ":warning: 80% of its SLO (4h) is used." in _dm_text(standin)
    rows = {r.key: r for r in outbox_rows(runtime.db, p1.id or 0)}
    assert rows[f"slo:{p1.id}:2:direct"].status == OutboxStatus.SENT
    assert rows[f"slo:{p1.id}:2:card"].status == OutboxStatus.SENT
    assert _replies(standin, p1) == []


def _slo_lines(slack: SlackDriver) -> dict[str, str]:
    """Every place the SLO line shows, as text: the card, /cre show, /cre queue, App Home."""
    [card] = [m for m in slack.channel("C0ESCALATE") if m.thread_ts is None]
    slack.standin.responses.clear()
    slack.command("/cre", "show ESC-1", user="U0HANAKO")
    slack.command("/cre", "queue", user="U0HANAKO")
    show, queue = (str(payload.get("blocks")) for _, payload in slack.standin.responses)
    slack.event({"type": "app_home_opened", "user": "U0HANAKO", "tab": "home", "channel": "D0H"})
    return {
        "card": "\n".join(card_texts(card)),
        "show": show,
        "queue": queue,
        "home": "\n".join(texts_in(slack.standin.home["U0HANAKO"]["blocks"])),
    }


def test_the_slo_line_shows_everywhere_from_filing_to_breach(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    file_via_modal(slack, values={"priority": "P1"})  # Wed 10:00: due 14:00
    filed = _slo_lines(slack)
    filed_line = "due Wed 11/25 14:00 · 4h left"
    assert {place: filed_line in text for place, text in filed.items()} == {
        "card": True,
        "show": True,
        "queue": True,
        "home": True,
    }
    clock.set(DAY.replace(hour=11, minute=50))
    run_job(runtime=runtime, name="card-refresh", at=clock.now())  # the hour changed at 11:00
    later = _slo_lines(slack)
    for place in ("show", "queue", "home"):  # drawn now
        assert "due Wed 11/25 14:00 · 2h 10m left" in later[place], place
    # a snapshot, rounded up to the hour
    assert "due Wed 11/25 14:00 · 3h left" in later["card"]
    _sweep_at(runtime, clock, DAY.replace(hour=16))  # breached after 14:00; the card is refreshed
    breached = _slo_lines(slack)
    for place in ("show", "queue", "home"):
        assert "breached 2h ago" in breached[place], place
    assert "breached (it was due Wed 11/25 14:00)" in breached["card"]
