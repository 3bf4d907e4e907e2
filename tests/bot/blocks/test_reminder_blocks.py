"""Reminder Block Kit without Slack: the DM, the lead's post, the unclaimed queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.blocks.common import MESSAGE_BLOCKS_MAX
from bot.blocks.reminders import (
    ITEMS_PER_DM,
    ReminderItem,
    build_reminder_dm,
    build_unassigned_post,
    reminded_ids,
)
from bot.policy import Policy
from tests.support.factories import make_escalation, policy_variant
from tests.support.flows import texts_in


def _item(n: int = 42, **overrides: timedelta) -> ReminderItem:
    values = {"age": timedelta(hours=30), "idle": timedelta(hours=20), **overrides}
    return ReminderItem(
        escalation=make_escalation(id=n),
        slo_line="SLO: 2h left",
        age=values["age"],
        idle=values["idle"],
    )


@pytest.fixture
def japanese(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


def test_each_item_shows_its_age_beside_its_quiet_time_and_slo_state(policy: Policy) -> None:
    _, blocks = build_reminder_dm(policy=policy, items=[_item()], workspace_url=None)
    head = next(b for b in blocks if b.get("block_id") == "remind-item:42")
    facts = head["text"]["text"].splitlines()[1]
    # business time: 30h is 3 working days of 9h and 3h; 20h is 2d 2h
    assert facts == "open for 3 business days 3h · quiet for 2 business days 2h · SLO: 2h left"


def test_the_japanese_dm_reads_durations_in_japanese(japanese: Policy) -> None:
    _, blocks = build_reminder_dm(policy=japanese, items=[_item()], workspace_url=None)
    text = "\n".join(texts_in(blocks))
    assert (
        "次の1件は2営業日2時間動きがありません。" in text
    )  # not the policy file's "2d", nor "2日"
    assert "2d" not in text
    assert "起票から3営業日3時間 · 2営業日2時間動きなし" in text


def test_the_intro_says_what_the_quietest_item_says(policy: Policy, japanese: Policy) -> None:
    # a snooze that ended makes an escalation due before stale_after (2d) has passed
    items = [_item(1), _item(2, idle=timedelta(hours=9, minutes=30))]
    _, blocks = build_reminder_dm(policy=policy, items=items, workspace_url=None)
    texts = "\n".join(texts_in(blocks))
    assert texts.startswith(
        ":alarm_clock: These 2 escalations have had no activity for 9h 30m or more."
    )
    assert "quiet for 2 business days 2h" in texts
    assert "quiet for 9h 30m" in texts
    _, blocks = build_reminder_dm(policy=japanese, items=items, workspace_url=None)
    assert "次の2件は9時間30分以上動きがありません。" in texts_in(blocks)[0]


def test_snoozed_says_until_which_day_and_the_date_picker_shows_its_label(
    policy: Policy, japanese: Policy
) -> None:
    until = datetime(2026, 12, 7, tzinfo=ZoneInfo("Asia/Tokyo"))  # local midnight, a Monday
    snoozed = ReminderItem(
        escalation=make_escalation(id=7, snoozed_until=until),
        slo_line="",
        age=timedelta(hours=30),
        idle=timedelta(0),
        outcome="snoozed",
    )
    _, blocks = build_reminder_dm(policy=policy, items=[snoozed, _item()], workspace_url=None)
    assert ":zzz: Snoozed until Mon 12/7: no reminders before then." in texts_in(blocks)
    picker = next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "datepicker"
    )
    assert "initial_date" not in picker  # so Slack shows the placeholder, not a preset date
    assert picker["placeholder"]["text"] == "Snooze until…"
    _, blocks = build_reminder_dm(policy=japanese, items=[snoozed], workspace_url=None)
    assert ":zzz: 12/7(月)までスヌーズしました。それまでリマインドは届きません。" in texts_in(
        blocks
    )


def test_the_unclaimed_post_formats_unassigned_after(policy: Policy, japanese: Policy) -> None:
    escalation = make_escalation(status="open", assignee_id=None)
    _, en = build_unassigned_post(
        policy=policy, escalations=[escalation], slo_lines={}, workspace_url=None
    )
    _, ja = build_unassigned_post(
        policy=japanese, escalations=[escalation], slo_lines={}, workspace_url=None
    )
    assert "more than 4h for someone" in texts_in(en)[0]
    assert "次の1件は4時間以上担当者待ちのままです。" in texts_in(ja)[0]


def test_a_dm_with_more_than_fit_lists_the_first_and_counts_the_rest(policy: Policy) -> None:
    items = [_item(n) for n in range(1, ITEMS_PER_DM + 1)]
    text, blocks = build_reminder_dm(policy=policy, items=items, workspace_url=None, total=30)
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    assert reminded_ids(blocks) == list(range(1, ITEMS_PER_DM + 1))
    assert texts_in(blocks)[-1] == "…and 6 more: see `/cre mine`."
    assert "30" in text
