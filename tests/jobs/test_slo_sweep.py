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


def test_each_threshold_posts_once_at_its_business_instant(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    day = datetime(2026, 11, 25, tzinfo=TOKYO)
    assert _sweep_at(runtime, clock, day.replace(hour=11, minute=59)).startswith("0 due")
    _sweep_at(runtime, clock, day.replace(hour=12, minute=0))
    assert any("50%" in t for t in _thread_texts(standin, p1))
    [dm] = standin.dms("U0HANAKO")
    assert "50%" in dm.text
    # the same period again, and a later sweep before 80%: nothing new
    _sweep_at(runtime, clock, day.replace(hour=12, minute=5))
    _sweep_at(runtime, clock, day.replace(hour=13, minute=10))  # 80% is at 13:12
    assert len(standin.dms("U0HANAKO")) == 1
    assert _sweep_at(runtime, clock, day.replace(hour=13, minute=12)).startswith(
        "period"
    )  # same slot
    _sweep_at(runtime, clock, day.replace(hour=13, minute=20))
    assert len(standin.dms("U0HANAKO")) == 2
    assert "80%" in standin.dms("U0HANAKO")[-1].text
    _sweep_at(runtime, clock, day.replace(hour=14, minute=0))  # at the due instant: within target
    assert not [t for t in _thread_texts(standin, p1) if ":rotating_light:" in t]
    _sweep_at(runtime, clock, day.replace(hour=14, minute=10))
    texts = _thread_texts(standin, p1)
    breach = [t for t in texts if ":rotating_light:" in t]
    assert len(breach) == 1
    assert "<@U0LEAD>" in breach[0]
    _sweep_at(runtime, clock, day.replace(hour=17, minute=0))
    assert len([t for t in _thread_texts(standin, p1) if ":rotating_light:" in t]) == 1


def test_a_threshold_that_leaves_the_cards_words_unchanged_does_not_redraw_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    _sweep_at(runtime, clock, DAY.replace(hour=12))  # 50%: the light turns yellow, 2h left
    clock.set(DAY.replace(hour=13))
    run_job(runtime=runtime, name="card-refresh", at=clock.now())  # 1h left
    updates = len(standin.calls_to("chat.update"))
    card = next(m for m in standin.channel_messages("C0ESCALATE") if m.ts == p1.message_ts)
    shown = (card.text, card.blocks)

    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=20))  # 80%: still yellow, 1h left

    assert any("80%" in t for t in _thread_texts(standin, p1))  # the warning itself goes out
    assert len(standin.calls_to("chat.update")) == updates  # the card would look the same
    assert (card.text, card.blocks) == shown
    [crossing_update] = [
        r for r in outbox_rows(runtime.db, p1.id or 0) if r.key == f"slo:{p1.id}:2:card"
    ]
    assert (crossing_update.status, crossing_update.result) == (
        OutboxStatus.SENT,
        {"unchanged": True},
    )
    _sweep_at(runtime, clock, DAY.replace(hour=14, minute=10))  # the breach turns it red: redrawn
    assert len(standin.calls_to("chat.update")) == updates + 1


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
    assert standin.dms("U0HANAKO") == []  # 1h used before the pause; paused all afternoon
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
    assert standin.dms("U0HANAKO") == []
    _sweep_at(runtime, clock, resumed + timedelta(hours=1))
    assert len(standin.dms("U0HANAKO")) == 1


def test_a_late_sweep_posts_every_threshold_passed_merged_into_one_reply_and_one_dm(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    # Nothing ran between filing and 16:00 (downtime): 50%, 80% and the breach are all behind us.
    assert _sweep_at(runtime, clock, DAY.replace(hour=16)) == "1 due, 1 crossed a threshold"
    warning, breach = _replies(standin, p1)
    assert "passed 50% and 80% of its SLO (4 business hours)" in warning.text
    assert not warning.reply_broadcast
    assert breach.reply_broadcast  # the breach's channel post
    assert "<@U0LEAD>" in breach.text
    assert "breached" in breach.text
    [dm] = standin.dms("U0HANAKO")  # the assignee still hears about the warnings
    assert "passed 50% and 80% of its SLO (4 business hours): now breached" in dm.text
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
        f"{base}:1:thread": OutboxStatus.SENT,
        f"{base}:2:thread": OutboxStatus.SUPERSEDED,
        f"{base}:1:direct": OutboxStatus.SENT,
        f"{base}:2:direct": OutboxStatus.SUPERSEDED,
        f"{base}:3:channel": OutboxStatus.SENT,
    }
    _sweep_at(runtime, clock, DAY.replace(hour=17))
    assert len(_replies(standin, p1)) == 2
    assert len(standin.dms("U0HANAKO")) == 1


def test_two_warnings_in_one_sweep_then_the_breach_alone(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=30))
    [warning] = _thread_texts(standin, p1)
    assert (
        "passed 50% and 80% of its SLO (4 business hours): due Wed 11/25 14:00 (30m left)"
        in warning
    )
    [dm] = standin.dms("U0HANAKO")
    assert "passed 50% and 80%" in dm.text
    _sweep_at(runtime, clock, DAY.replace(hour=14, minute=10))
    warning_again, breach = _replies(standin, p1)
    assert warning_again.text == warning
    assert breach.reply_broadcast
    assert "<@U0LEAD>" in breach.text
    assert len(standin.dms("U0HANAKO")) == 1  # the breach goes to the lead, not to a DM


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


def test_a_warning_on_an_unassigned_escalation_goes_to_the_channel(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    with runtime.db.session() as session:
        bring_to(
            session, runtime.policy, p1.id or 0, Status.OPEN, now=DAY.replace(hour=10, minute=1)
        )
    runtime.deliver()
    cards_before = len(_top_level(standin))
    _sweep_at(runtime, clock, DAY.replace(hour=12))
    assert standin.dms("U0HANAKO") == []
    [post] = _top_level(standin)[cards_before:]
    assert "is still unassigned and has used 50% of its SLO (4 business hours)" in post.text
    assert "Can someone claim it?" in post.text
    assert any("50%" in t for t in _thread_texts(standin, p1))


def test_a_warning_that_slack_refused_is_posted_by_the_next_run_exactly_once(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    standin.fail("chat.postMessage", status=500, times=3)  # slack_sdk tries three times
    _sweep_at(runtime, clock, DAY.replace(hour=12))
    assert _thread_texts(standin, p1) == []
    assert standin.dms("U0HANAKO") == []  # queued behind the thread reply, in order
    [thread_row] = [r for r in outbox_rows(runtime.db, p1.id or 0) if r.key.endswith(":1:thread")]
    assert thread_row.status == OutboxStatus.PENDING
    assert "Internal Server Error" in (thread_row.last_error or "")
    # the next sweep (nothing new crossed) delivers what is owed
    assert _sweep_at(runtime, clock, DAY.replace(hour=12, minute=10)).startswith("0 due")
    [warning] = _thread_texts(standin, p1)
    assert "used 50%" in warning
    assert len(standin.dms("U0HANAKO")) == 1
    _sweep_at(runtime, clock, DAY.replace(hour=12, minute=20))
    run_job(runtime=runtime, name="outbox-flush", at=DAY.replace(hour=12, minute=21))
    assert len(_thread_texts(standin, p1)) == 1
    assert len(standin.dms("U0HANAKO")) == 1
    warnings_sent = [
        c
        for c in standin.calls_to("chat.postMessage")
        if c.status == 200 and "50%" in str(c.args.get("text"))
    ]
    assert len(warnings_sent) == 2  # the reply and the DM, once each


def test_a_stage_already_claimed_elsewhere_is_not_named_again(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    # As if another sweep had claimed the 50% posts (keys taken) but not moved this row's stage.
    with runtime.db.session() as session:
        for post in ("card", "thread", "direct"):
            key = f"slo:{p1.id}:1:{post}"
            row = OutboxRow(key, OutboxKind.THREAD, p1.id, status=OutboxStatus.SENT)
            enqueue(session, row, now=clock.now())
        session.commit()
    _sweep_at(runtime, clock, DAY.replace(hour=13, minute=30))  # 50% and 80% both passed
    [warning] = _thread_texts(standin, p1)
    assert "has used 80% of its SLO (4 business hours)" in warning
    assert "50%" not in warning
    [dm] = standin.dms("U0HANAKO")
    assert "has used 80% of its SLO (4 business hours)" in dm.text
    rows = {r.key: r for r in outbox_rows(runtime.db, p1.id or 0)}
    assert rows[f"slo:{p1.id}:2:thread"].status == OutboxStatus.SENT
    assert rows[f"slo:{p1.id}:2:card"].status == OutboxStatus.SENT


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
    filed_line = "due Wed 11/25 14:00 · 4 business hours left"
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
        assert "due Wed 11/25 14:00 · 2 business hours 10m left" in later[place], place
    # a snapshot, rounded up to the hour
    assert "due Wed 11/25 14:00 · 3 business hours left" in later["card"]
    _sweep_at(runtime, clock, DAY.replace(hour=16))  # breached after 14:00; the card is refreshed
    breached = _slo_lines(slack)
    for place in ("show", "queue", "home"):
        assert "breached 2 business hours ago" in breached[place], place
    assert "breached (it was due Wed 11/25 14:00)" in breached["card"]
