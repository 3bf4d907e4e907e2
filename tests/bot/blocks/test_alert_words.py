"""What SLO breaches and resolutions say, in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import slo
from bot.blocks import slo as slo_words
from bot.blocks.alerts import build_breach
from bot.models import Status
from bot.policy import Policy
from tests.conftest import TOKYO
from tests.support.factories import make_escalation, policy_variant

FILED = datetime(2026, 11, 24, 10, tzinfo=TOKYO)  # a Tuesday, 10:00


@pytest.fixture
def japanese(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


def _breach(policy: Policy, **overrides: object) -> str:
    escalation = make_escalation(priority="P1", filed_at=FILED, last_activity_at=FILED, **overrides)
    slo.start(policy=policy, escalation=escalation, now=FILED)
    now = FILED + timedelta(days=1)
    current = slo.state(policy=policy, escalation=escalation, now=now)
    return build_breach(policy=policy, escalation=escalation, current=current, mention_lead=True)


def test_an_unclaimed_breach_says_so_once(policy: Policy, japanese: Policy) -> None:
    unclaimed = {"status": Status.OPEN, "assignee_id": None, "assigned_at": None}
    english = _breach(policy, **unclaimed)
    assert "breached its SLO (4h, P1). Nobody has claimed it yet.\n&gt; Login fails" in english
    assert "Unassigned" not in english
    assert "Open" not in english
    in_japanese = _breach(japanese, **unclaimed)
    assert "が SLO(4時間、P1)を超過しました。まだ担当者がいません。" in in_japanese
    assert in_japanese.count("担当") == 1


def test_an_assigned_breach_names_the_assignee_and_status(policy: Policy, japanese: Policy) -> None:
    assert "Assignee: <@U0HANAKO> · Assigned." in _breach(policy)
    assert "担当者: <@U0HANAKO> さん · 割り当て済み" in _breach(japanese)


def test_a_resolution_under_two_business_days_reads_in_hours_and_minutes(
    policy: Policy, japanese: Policy
) -> None:
    took = int(timedelta(hours=9, minutes=30).total_seconds())
    escalation = make_escalation(
        priority="P1", status=Status.RESOLVED, slo_consumed_s=took, slo_target_s=4 * 3600
    )
    now = FILED + timedelta(days=2)
    lines = [
        slo_words.describe(
            policy=p, current=slo.state(policy=p, escalation=escalation, now=now), now=now
        )
        for p in (policy, japanese)
    ]
    assert lines == [
        "resolved in 9h 30m (target 4h, over by 5h 30m)",
        "9時間30分で解決(目標 4時間、5時間30分超過)",
    ]
