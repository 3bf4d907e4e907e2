"""stale-reminders end to end over simulated weeks: batched DMs, snoozes, the lead, the unclaimed queue."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot import escalations
from bot.blocks.ids import ActionId
from bot.clock import ManualClock
from bot.lifecycle import Verb
from bot.models import Escalation
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import Message, SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one
from tests.support.slack import SlackDriver

MON = datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def policy(policy_text: str) -> Policy:
    """The test policy with manual assignment, so each test chooses who has what."""
    return parse_policy(policy_text.replace('strategy = "least-loaded"', 'strategy = "manual"'))


def _file(runtime: Runtime, summary: str, claimer: str | None) -> int:
    with runtime.db.session() as session:
        escalation = file_one(session, runtime.policy, runtime.now(), summary=summary)
        assert escalation.id is not None
        if claimer:
            escalations.claim(
                session=session,
                policy=runtime.policy,
                escalation_id=escalation.id,
                actor_id=claimer,
                now=runtime.now(),
            )
    runtime.deliver()
    return escalation.id


def _still_on_it(runtime: Runtime, ids: list[int], engineer: str) -> None:
    with runtime.db.session() as session:
        for escalation_id in ids:
            escalations.still_on_it(
                session=session,
                policy=runtime.policy,
                escalation_id=escalation_id,
                actor_id=engineer,
                now=runtime.now(),
            )


def _run(runtime: Runtime, clock: ManualClock, day: date) -> str:
    at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=TOKYO)
    clock.set(at)
    return run_job(runtime=runtime, name="stale-reminders", at=at)


def _dm_keys(message: Message) -> list[str]:
    """Escalation keys listed (with buttons still on them) in a reminder DM."""
    return [
        b["block_id"].replace("remind:", "ESC-")
        for b in message.blocks
        if str(b.get("block_id", "")).startswith("remind:")
    ]


def _dms(standin: SlackStandIn, user: str) -> list[Message]:
    """Reminder DMs the bot sent a user (not ephemeral replies, nor the DM of an assignment)."""
    return [
        m
        for m in standin.dms(user)
        if m.ephemeral_for is None
        and ((m.metadata or {}).get("event_payload") or {}).get("key", "").startswith("remind:")
    ]


def _channel_posts(standin: SlackStandIn, marker: str) -> list[Message]:
    return [
        m for m in standin.channel_messages("C0ESCALATE") if not m.thread_ts and marker in m.text
    ]


def test_reminders_over_two_weeks(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    a, b, c = (_file(runtime, f"case {n}", "U0HANAKO") for n in "abc")
    d = _file(runtime, "case d", "U0TARO")
    e = _file(runtime, "case e (nobody)", None)

    # Tue: nothing is stale yet (2 business days), but E has waited more than 4h for a claim.
    _run(runtime, clock, date(2026, 12, 1))
    assert _dms(standin, "U0HANAKO") == []
    [unclaimed] = _channel_posts(standin, "waiting for someone to claim")
    assert f"ESC-{e}" in str(unclaimed.blocks)

    # Wed: one DM per engineer, listing all of their stale escalations.
    _run(runtime, clock, date(2026, 12, 2))
    [hanako_dm] = _dms(standin, "U0HANAKO")
    assert _dm_keys(hanako_dm) == [f"ESC-{a}", f"ESC-{b}", f"ESC-{c}"]
    [taro_dm] = _dms(standin, "U0TARO")
    assert _dm_keys(taro_dm) == [f"ESC-{d}"]
    assert len(_channel_posts(standin, "waiting for someone to claim")) == 2  # one per working day

    # Hanako answers: still on A, snoozes B for 3 working days, ignores C. The DM is re-drawn.
    clock.set(datetime(2026, 12, 2, 10, 30, tzinfo=TOKYO))
    slack.click(hanako_dm, Verb.STILL_ON_IT.action_id, user="U0HANAKO")
    hanako_dm = _dms(standin, "U0HANAKO")[0]
    slack.click(hanako_dm, Verb.SNOOZE.action_id, user="U0HANAKO", selected_value=f"{b}:3")
    hanako_dm = _dms(standin, "U0HANAKO")[0]
    assert _dm_keys(hanako_dm) == [f"ESC-{c}"]
    assert "still on it" in str(hanako_dm.blocks)
    assert "Snoozed" in str(hanako_dm.blocks)

    # Thu: only C for Hanako; D again for Taro.
    _run(runtime, clock, date(2026, 12, 3))
    assert [_dm_keys(m) for m in _dms(standin, "U0HANAKO")[1:]] == [[f"ESC-{c}"]]
    assert len(_dms(standin, "U0TARO")) == 2

    # Fri: C and D have two unanswered reminders each: the next waits two working days.
    _run(runtime, clock, date(2026, 12, 4))
    assert len(_dms(standin, "U0HANAKO")) == 2
    assert len(_dms(standin, "U0TARO")) == 2

    # The weekend: not a working day, nobody is reminded.
    assert _run(runtime, clock, date(2026, 12, 5)) == "not due at this instant"

    # Mon: Taro answered by replying in D's thread before the run: activity, so D is quiet again.
    with runtime.db.session() as session:
        card_ts = session.get(Escalation, d).message_ts  # type: ignore[union-attr]
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO))
    slack.event(
        {
            "type": "message",
            "channel": "C0ESCALATE",
            "user": "U0TARO",
            "text": "checking logs",
            "ts": "1796000000.000100",
            "thread_ts": card_ts,
        }
    )
    _run(runtime, clock, date(2026, 12, 7))
    assert len(_dms(standin, "U0TARO")) == 2  # Wed, Thu only
    # C's third reminder; A went stale again (Fri 10:30); B's snooze ended at midnight on the
    # third working day after Wednesday (Thu, Fri, Mon), so it is in Monday's run.
    assert _dm_keys(_dms(standin, "U0HANAKO")[-1]) == [
        f"ESC-{c}",
        f"ESC-{a}",
        f"ESC-{b}",
    ]  # longest stale first
    assert [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text] == []

    # Tue: C is still stale after three unanswered reminders: now the lead is told, of C alone,
    # privately (nothing in the channel), with its SLO and a picker to reassign it. Hanako is not
    # reminded of C again (the lead has it); A and B had one reminder, a working day ago.
    _run(runtime, clock, date(2026, 12, 8))
    assert _channel_posts(standin, "not answering reminders") == []
    [lead_post] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    assert [b["accessory"]["action_id"] for b in lead_post.blocks if "accessory" in b] == [
        "esc.reassign"
    ]
    assert f"esc:{c}" in [b.get("block_id") for b in lead_post.blocks]
    assert f"ESC-{c}" in str(lead_post.blocks)
    assert f"ESC-{d}" not in str(lead_post.blocks)
    assert _dm_keys(_dms(standin, "U0HANAKO")[-1]) == [f"ESC-{a}", f"ESC-{b}"]

    # Wed: resolving C clears it; the lead is not told twice. A and B wait two working days.
    clock.set(datetime(2026, 12, 9, 9, 0, tzinfo=TOKYO))
    with runtime.db.session() as session:
        escalations.resolve(
            session=session,
            policy=runtime.policy,
            escalation_id=c,
            actor_id="U0HANAKO",
            cause="bug",
            note="",
            answer="fixed",
            now=clock.now(),
        )
    hanako_dms = len(_dms(standin, "U0HANAKO"))
    _run(runtime, clock, date(2026, 12, 9))
    assert len(_dms(standin, "U0HANAKO")) == hanako_dms
    assert len([m for m in standin.dms("U0LEAD") if "not answering" in m.text]) == 1
    _run(runtime, clock, date(2026, 12, 10))  # Thu: their third
    assert _dm_keys(_dms(standin, "U0HANAKO")[-1]) == [f"ESC-{a}", f"ESC-{b}"]

    # Re-running the same day sends nothing new.
    dms_before = len(standin.calls_to("chat.postMessage"))
    run_job(runtime=runtime, name="stale-reminders", at=clock.now(), manual=True)
    runtime.deliver()
    assert len(standin.calls_to("chat.postMessage")) == dms_before


def test_a_month_of_runs_never_sends_two_dms_a_day(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    clock.set(MON)
    ids = [_file(runtime, f"case {n}", ("U0HANAKO", "U0TARO", "U0KENJI")[n % 3]) for n in range(12)]
    day = date(2026, 12, 1)
    while day < date(2027, 1, 8):
        if day == date(2026, 12, 22):  # Tue: Hanako says she is still on hers, before the run
            clock.set(datetime(2026, 12, 22, 9, 0, tzinfo=TOKYO))
            _still_on_it(runtime, ids[::3], "U0HANAKO")
        _run(runtime, clock, day)
        day += timedelta(days=1)
    reminded = {engineer: _days_reminded(standin, engineer) for engineer in ("U0TARO", "U0KENJI")}
    # Left alone: Wed, Thu, then two working days later; the lead hears on Tue, then nothing.
    first_spell = [date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 7)]
    assert reminded == {"U0TARO": first_spell, "U0KENJI": first_spell}
    # Hanako's answer started a new spell: stale Thu 24th, then Fri, then two working days
    # later across the year-end closure (12-29..01-03): Mon 28th, Mon 4th.
    assert _days_reminded(standin, "U0HANAKO") == [
        *first_spell,
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2027, 1, 4),
    ]
    told = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    told_days = [datetime.fromtimestamp(float(m.ts), TOKYO).date() for m in told]
    assert told_days == [date(2026, 12, 8), date(2027, 1, 5)]


def test_hand_back_from_a_reminder_returns_it_to_the_queue(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    a = _file(runtime, "case a", "U0HANAKO")
    _run(runtime, clock, date(2026, 12, 2))
    [dm] = _dms(standin, "U0HANAKO")
    slack.click(dm, Verb.HAND_BACK.action_id, user="U0HANAKO")
    with runtime.db.session() as session:
        row = session.get(Escalation, a)
        assert row is not None
        assert (row.status, row.assignee_id, row.stale_at) == ("open", None, None)
    assert "Back in the queue" in str(_dms(standin, "U0HANAKO")[0].blocks)


def test_snooze_until_a_date_and_refusals(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    a = _file(runtime, "case a", "U0HANAKO")
    _run(runtime, clock, date(2026, 12, 2))
    [dm] = _dms(standin, "U0HANAKO")
    slack.click(dm, ActionId.SNOOZE_UNTIL, user="U0HANAKO", selected_date="2026-12-01")  # the past
    assert any("Pick a date after today" in text for text in slack.responses_text())
    slack.click(dm, Verb.STILL_ON_IT.action_id, user="U0TARO")  # not the assignee
    assert any("Only the assignee or the lead" in text for text in slack.responses_text())
    slack.click(
        _dms(standin, "U0HANAKO")[0],
        ActionId.SNOOZE_UNTIL,
        user="U0HANAKO",
        selected_date="2026-12-10",
    )
    with runtime.db.session() as session:
        row = session.get(Escalation, a)
        assert row is not None
        assert row.snoozed_until == datetime(2026, 12, 10, 0, 0, tzinfo=TOKYO)
    for day in (3, 4, 7, 8, 9):
        _run(runtime, clock, date(2026, 12, day))
    assert len(_dms(standin, "U0HANAKO")) == 1
    _run(runtime, clock, date(2026, 12, 10))
    assert len(_dms(standin, "U0HANAKO")) == 2


def test_a_chart_note_by_the_assignee_counts_as_activity(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    from bot.lookup import service

    clock.set(MON)
    mine = _file(runtime, "case a", "U0HANAKO")  # end user u-1001 (the factory's default)
    others = _file(runtime, "case b", "U0TARO")  # same end user, someone else's escalation
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=TOKYO))
    with runtime.db.session() as session:
        service.add_note(
            session=session,
            policy=runtime.policy,
            end_user_id="u-1001",
            author_id="U0HANAKO",
            text="Checked the auth logs.",
            now=clock.now(),
        )
    _run(runtime, clock, date(2026, 12, 2))
    assert (
        _dms(standin, "U0HANAKO") == []
    )  # her note on Tuesday evening reset her escalation's timer
    assert [_dm_keys(m) for m in _dms(standin, "U0TARO")] == [[f"ESC-{others}"]]
    with runtime.db.session() as session:
        row = session.get(Escalation, mine)
        assert row is not None
        assert row.last_activity_at == clock.now().replace(
            day=1, hour=8
        )  # 17:00 JST on the 1st, in UTC


def _days_reminded(standin: SlackStandIn, user: str) -> list[date]:
    return [datetime.fromtimestamp(float(m.ts), TOKYO).date() for m in _dms(standin, user)]


def _remind_wednesday_then_snooze(
    runtime: Runtime,
    clock: ManualClock,
    standin: SlackStandIn,
    slack: SlackDriver,
    *,
    pressed: datetime,
    days: str | None = None,
    until: str | None = None,
) -> int:
    """Hanako's escalation filed Monday, reminded Wednesday; at `pressed` she snoozes it."""
    clock.set(MON)
    a = _file(runtime, "case a", "U0HANAKO")
    _run(runtime, clock, date(2026, 12, 2))
    clock.set(pressed)
    dm = _dms(standin, "U0HANAKO")[0]
    if days is not None:
        slack.click(dm, Verb.SNOOZE.action_id, user="U0HANAKO", selected_value=f"{a}:{days}")
    else:
        slack.click(dm, ActionId.SNOOZE_UNTIL, user="U0HANAKO", selected_date=until)
    return a


@pytest.mark.parametrize(
    ("days", "next_reminder"),
    [("1", date(2026, 12, 3)), ("3", date(2026, 12, 7))],  # Thu; Thu, Fri, Mon
    ids=["1 working day", "3 working days"],
)
def test_a_snooze_for_working_days_pressed_after_the_run_ends_on_the_nth_working_day(
    runtime: Runtime,
    clock: ManualClock,
    standin: SlackStandIn,
    slack: SlackDriver,
    days: str,
    next_reminder: date,
) -> None:
    just_after_the_run = datetime(2026, 12, 2, 10, 5, tzinfo=TOKYO)
    a = _remind_wednesday_then_snooze(
        runtime, clock, standin, slack, pressed=just_after_the_run, days=days
    )
    with runtime.db.session() as session:
        row = session.get(Escalation, a)
        assert row is not None
        start_of_day = datetime.combine(next_reminder, datetime.min.time(), tzinfo=TOKYO)
        assert (row.snoozed_until, row.stale_at) == (start_of_day, start_of_day)
    day = date(2026, 12, 3)
    while day <= date(2026, 12, 9):
        _run(runtime, clock, day)
        day += timedelta(days=1)
    reminded = _days_reminded(standin, "U0HANAKO")
    assert reminded[:2] == [date(2026, 12, 2), next_reminder]


def test_a_snooze_date_sooner_than_stale_after_is_honoured(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    # stale_after (2d) from this press would be Fri 15:00, after Friday's run
    pressed = datetime(2026, 12, 2, 15, 0, tzinfo=TOKYO)
    _remind_wednesday_then_snooze(
        runtime, clock, standin, slack, pressed=pressed, until="2026-12-03"
    )
    _run(runtime, clock, date(2026, 12, 3))
    assert _days_reminded(standin, "U0HANAKO") == [date(2026, 12, 2), date(2026, 12, 3)]


def test_activity_during_a_snooze_does_not_end_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    pressed = datetime(2026, 12, 2, 11, 0, tzinfo=TOKYO)
    a = _remind_wednesday_then_snooze(
        runtime, clock, standin, slack, pressed=pressed, until="2026-12-10"
    )
    clock.set(datetime(2026, 12, 3, 11, 0, tzinfo=TOKYO))  # Still on it from an old message
    _still_on_it(runtime, [a], "U0HANAKO")
    for day in (4, 7, 8, 9, 10):
        _run(runtime, clock, date(2026, 12, day))
    # stale again Mon 11:00 by the activity, but snoozed until Thu the 10th: reminded that day
    assert _days_reminded(standin, "U0HANAKO") == [date(2026, 12, 2), date(2026, 12, 10)]


def test_only_the_escalations_a_dm_shows_count_as_reminded(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    from bot.blocks.reminders import ITEMS_PER_DM

    clock.set(MON)
    ids = [_file(runtime, f"case {n}", "U0HANAKO") for n in range(30)]
    shown, unseen = ids[:ITEMS_PER_DM], ids[ITEMS_PER_DM:]
    for day in (2, 3):  # Wed, Thu: the same 24 oldest each day, "…and 6 more"
        _run(runtime, clock, date(2026, 12, day))
        dm = _dms(standin, "U0HANAKO")[-1]
        assert _dm_keys(dm) == [f"ESC-{i}" for i in shown]
        assert "and 6 more" in str(dm.blocks)
    # Fri: the 24 back off (two unanswered); the six she never saw are due, and shown
    _run(runtime, clock, date(2026, 12, 4))
    dm = _dms(standin, "U0HANAKO")[-1]
    assert _dm_keys(dm) == [f"ESC-{i}" for i in unseen]
    assert "and 6 more" not in str(dm.blocks)
    assert len(_dms(standin, "U0HANAKO")) == 3  # one DM a run
    # a second run the same day sends nothing
    run_job(runtime=runtime, name="stale-reminders", at=clock.now(), manual=True)
    assert len(_dms(standin, "U0HANAKO")) == 3
    with runtime.db.session() as session:
        rows = {i: session.get(Escalation, i) for i in ids}
        counts = {i: (r.reminders_unanswered, r.last_reminded_on) for i, r in rows.items() if r}
    assert {counts[i] for i in shown} == {(2, date(2026, 12, 3))}
    assert {counts[i] for i in unseen} == {(1, date(2026, 12, 4))}  # "6 more" twice, then shown
    _run(runtime, clock, date(2026, 12, 7))  # Mon: the 24's third reminder
    _run(runtime, clock, date(2026, 12, 8))  # Tue: the lead hears of the 24 she saw, not the 6
    [lead_post] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    listed = {int(n) for n in re.findall(r"\|ESC-(\d+)>", str(lead_post.blocks))}
    assert listed == set(shown)
    assert "24 escalations got 3 reminders" in lead_post.text + str(lead_post.blocks)
    assert _dm_keys(_dms(standin, "U0HANAKO")[-1]) == [f"ESC-{i}" for i in unseen]


def test_the_days_unclaimed_list_has_a_claim_button_each_and_is_redrawn_in_place(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    first = _file(runtime, "case one", None)
    second = _file(runtime, "case two", None)
    _run(runtime, clock, date(2026, 12, 1))  # Tue: both waited more than 4h
    [unclaimed] = _channel_posts(standin, "waiting for someone to claim")
    claims = {
        b["block_id"]: b["accessory"]["action_id"] for b in unclaimed.blocks if "accessory" in b
    }
    assert claims == {f"unclaimed:{first}": "esc.claim", f"unclaimed:{second}": "esc.claim"}

    clock.set(datetime(2026, 12, 1, 10, 30, tzinfo=TOKYO))
    slack.click(unclaimed, "esc.claim", user="U0KENJI")  # the first item's button
    # the click delivered the list's redraw with the card's (no outbox flush in between)

    with runtime.db.session() as session:
        claimed = session.get(Escalation, first)
        assert claimed is not None
        assert claimed.assignee_id == "U0KENJI"
    [redrawn] = _channel_posts(standin, "waiting for someone to claim")
    assert redrawn.ts == unclaimed.ts
    assert redrawn.updated_count == 1
    items = {b["block_id"]: b for b in redrawn.blocks if b.get("block_id", "").startswith("unc")}
    assert "accessory" not in items[f"unclaimed:{first}"]
    assert "<@U0KENJI> has it." in items[f"unclaimed:{first}"]["text"]["text"]
    assert items[f"unclaimed:{second}"]["accessory"]["action_id"] == "esc.claim"
    # Wed: the one still unclaimed is in that day's new list; the channel got one post a day.
    _run(runtime, clock, date(2026, 12, 2))
    posts = _channel_posts(standin, "waiting for someone to claim")
    assert len(posts) == 2
    assert f"ESC-{first}" not in str(posts[-1].blocks)


def test_the_lead_reassigns_from_the_private_ignored_list_which_is_redrawn_in_place(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    quiet = _file(runtime, "case quiet", "U0HANAKO")
    other = _file(runtime, "case also quiet", "U0HANAKO")
    for day in (2, 3, 7, 8):  # stale from Wed; reminded Wed, Thu, Mon (backing off), then the lead
        _run(runtime, clock, date(2026, 12, day))
    [told] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    assert "due" in str(told.blocks) or "breached" in str(told.blocks)  # its SLO state

    clock.set(datetime(2026, 12, 8, 11, 0, tzinfo=TOKYO))
    slack.click(told, "esc.reassign", user="U0LEAD", selected_user="U0TARO")  # the first item

    with runtime.db.session() as session:
        moved = session.get(Escalation, quiet)
        assert moved is not None
        assert moved.assignee_id == "U0TARO"
    [taro_dm] = [m for m in standin.dms("U0TARO") if "is yours" in m.text]
    assert f"ESC-{quiet}" in taro_dm.text
    # The lead's DM was redrawn in place by the click itself (no outbox flush in between):
    # the reassigned item says who has it now, without its picker; the other keeps its picker.
    [redrawn] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    assert (redrawn.ts, redrawn.updated_count) == (told.ts, 1)
    items = {b.get("block_id"): b for b in redrawn.blocks}
    assert "accessory" not in items[f"esc:{quiet}"]
    assert "<@U0TARO> has it." in items[f"esc:{quiet}"]["text"]["text"]
    assert items[f"esc:{other}"]["accessory"]["action_id"] == "esc.reassign"


def test_a_reassign_picked_elsewhere_redraws_no_lead_dm(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, slack: SlackDriver
) -> None:
    clock.set(MON)
    quiet = _file(runtime, "case quiet", "U0HANAKO")
    _file(runtime, "case nobody claims", None)  # the day's unclaimed list exists
    for day in (2, 3, 7, 8):
        _run(runtime, clock, date(2026, 12, day))
    [told] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    # a made-up message naming another post (the day's unclaimed list) in its intro: no redraw
    forged = replace(
        told, blocks=[{**told.blocks[0], "block_id": "unassigned:2026-12-08"}, *told.blocks[1:]]
    )
    slack.click(forged, "esc.reassign", user="U0LEAD", selected_user="U0TARO")
    with runtime.db.session() as session:
        assert session.get(Escalation, quiet).assignee_id == "U0TARO"  # type: ignore[union-attr]
    [unchanged] = [m for m in standin.dms("U0LEAD") if "not answering reminders" in m.text]
    assert unchanged.updated_count == 0
