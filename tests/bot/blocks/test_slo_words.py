"""The SLO line in words around closed hours, and business time named as such in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import slo
from bot.blocks import slo as slo_words
from bot.policy import Policy
from tests.conftest import TOKYO
from tests.support.factories import make_escalation, policy_variant

FRIDAY = datetime(2026, 11, 27, tzinfo=TOKYO)
MONDAY_0850 = datetime(2026, 11, 30, 8, 50, tzinfo=TOKYO)


@pytest.fixture
def japanese(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


def _lines(policy: Policy, filed: datetime, now: datetime) -> tuple[str, str]:
    escalation = make_escalation(priority="P1", filed_at=filed)
    slo.start(policy=policy, escalation=escalation, now=filed)
    current = slo.state(policy=policy, escalation=escalation, now=now)
    return (
        slo_words.describe(policy=policy, current=current, now=now),
        slo_words.card_line(policy=policy, current=current, now=now),
    )


def test_due_at_fridays_close_is_not_breached_over_the_weekend_and_says_when_it_will_be(
    policy: Policy, japanese: Policy
) -> None:
    filed = FRIDAY.replace(hour=14)  # 4h: due Fri 18:00, the close
    listed, card = _lines(policy, filed, MONDAY_0850)
    expected = "due Fri 11/27 18:00 · no business time left (breaches Mon 11/30 09:00)"
    assert listed == card == expected
    listed, _ = _lines(japanese, filed, MONDAY_0850)
    assert listed == "期限 11/27(金) 18:00 · 残り営業時間なし(11/30(月) 09:00に超過)"


def test_a_breach_under_a_minute_of_business_time_old_says_when_not_just(
    policy: Policy, japanese: Policy
) -> None:
    # Due Fri 17:59:30; on Monday 08:50 it is 30 seconds of business time over, and two days late.
    filed = FRIDAY.replace(hour=13, minute=59, second=30)
    listed, card = _lines(policy, filed, MONDAY_0850)
    assert listed == "breached Fri 11/27 17:59"
    assert card == "breached (it was due Fri 11/27 17:59)"
    assert _lines(japanese, filed, MONDAY_0850)[0] == "11/27(金) 17:59にSLO超過"
    # once a minute of business time has passed, how long ago, in business time
    listed, _ = _lines(policy, filed, MONDAY_0850.replace(hour=9, minute=10))  # 30s + 10m
    assert listed == "breached 10m ago"
    listed, _ = _lines(policy, filed, MONDAY_0850.replace(hour=11, minute=30))
    assert listed == "breached 2h 30m ago"


@pytest.mark.parametrize(
    ("hours_in", "english", "japanese_text"),
    [
        (0, "due Mon 11/30 10:00 · 9h left", "期限 11/30(月) 10:00 · 残り9時間"),
        (8, "due Mon 11/30 10:00 · 1h left", "期限 11/30(月) 10:00 · 残り1時間"),
    ],
)
def test_a_p2_reads_in_business_days_and_hours(
    policy: Policy, japanese: Policy, hours_in: int, english: str, japanese_text: str
) -> None:
    # a P2 (2 business days, 18h) filed Thu 10:00 is due Mon 10:00 (Sat and Sun are not counted)
    filed = datetime(2026, 11, 26, 10, 0, tzinfo=TOKYO)
    now = filed + timedelta(days=1, hours=hours_in)  # Friday
    escalation = make_escalation(priority="P2", filed_at=filed)
    slo.start(policy=policy, escalation=escalation, now=filed)
    for words, expected in ((policy, english), (japanese, japanese_text)):
        current = slo.state(policy=words, escalation=escalation, now=now)
        assert slo_words.describe(policy=words, current=current, now=now) == expected
