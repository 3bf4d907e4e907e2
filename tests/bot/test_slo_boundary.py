"""One definition of the SLO at its boundary: within target is elapsed <= target, a breach elapsed > target.

Checked a microsecond before the due instant, at it and after it, everywhere the verdict shows: the
sweep's breach alert, the card, `/cre show`, the digest's breaches and attainment, and its CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import escalations, slo
from bot.blocks import slo as slo_words
from bot.clock import ManualClock
from bot.digest.export import month_csv
from bot.digest.figures import Month, month_figures
from bot.models import Escalation
from bot.policy import parse_policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import SlackStandIn
from tests.conftest import FIXTURES, TOKYO
from tests.support.factories import file_one, make_escalation
from tests.support.flows import card_texts
from tests.support.slack import SlackDriver

US = timedelta(microseconds=1)
POLICY = parse_policy((FIXTURES / "policy.toml").read_text(), source="tests/fixtures/policy.toml")
NOVEMBER = Month(2026, 11)


# -- the clock itself, for any filing instant and target -------------------------------------------


@settings(deadline=None)  # the first example builds the calendar's tables for its years
@given(
    filed=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2027, 12, 31),
        timezones=st.just(TOKYO),
    ),
    priority=st.sampled_from(["P1", "P2", "P3"]),
)
def test_the_breach_begins_a_microsecond_of_business_time_after_the_due_instant(
    filed: datetime, priority: str
) -> None:
    calendar = POLICY.business_calendar
    escalation = make_escalation(priority=priority, filed_at=filed)
    slo.start(policy=POLICY, escalation=escalation, now=filed)
    due = escalation.slo_due_at
    assert due is not None
    # at the due instant: every warning passed, no breach
    crossing = slo.advance(policy=POLICY, escalation=escalation, now=due)
    assert crossing is None or not crossing.is_breach
    assert not slo.state(policy=POLICY, escalation=escalation, now=due).breached
    breach_at = escalation.slo_next_alert_at
    # the first instant past the target: due + 1 µs, or the next opening + 1 µs after a close
    assert breach_at == calendar.add(due, US)
    assert calendar.elapsed(due, breach_at) == US
    assert not slo.state(policy=POLICY, escalation=escalation, now=breach_at - US).breached
    assert slo.state(policy=POLICY, escalation=escalation, now=breach_at).breached
    crossing = slo.advance(policy=POLICY, escalation=escalation, now=breach_at)
    assert crossing is not None
    assert crossing.is_breach


@given(
    consumed_s=st.integers(0, 10**6),
    left_s=st.integers(0, 10**6),
    off_us=st.integers(-2_000_000, 2_000_000),  # around the target, where rounding could flip it
)
def test_a_stopped_clock_keeps_the_running_clocks_verdict(
    consumed_s: int, left_s: int, off_us: int
) -> None:
    # Paused or resolved, the clock keeps whole seconds; the verdict must not change on the way.
    target_s = consumed_s + left_s
    spent = max(timedelta(seconds=left_s) + timedelta(microseconds=off_us), timedelta(0))
    kept = slo._segment_seconds(consumed_s=consumed_s, spent=spent, target_s=target_s)
    target = timedelta(seconds=target_s)
    running = slo.within_target(timedelta(seconds=consumed_s) + spent, target)
    assert slo.within_target(timedelta(seconds=consumed_s + kept), target) is running
    assert abs(timedelta(seconds=kept) - spent) <= timedelta(seconds=1)


# -- every place the verdict shows, at the boundary ---------------------------------------------------

# (filed, due): a P1 (4h) due mid-afternoon, and one due at the day's close, whose
# breach begins only when work resumes the next morning.
MIDDAY = (datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO), datetime(2026, 11, 25, 14, 0, tzinfo=TOKYO))
AT_CLOSE = (
    datetime(2026, 11, 25, 14, 0, tzinfo=TOKYO),
    datetime(2026, 11, 25, 18, 0, tzinfo=TOKYO),
)
NEXT_MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
CASES = {
    "midday, 1µs before": (MIDDAY, MIDDAY[1] - US, False),
    "midday, at the due instant": (MIDDAY, MIDDAY[1], False),
    "midday, 1µs after": (MIDDAY, MIDDAY[1] + US, True),
    "at close, 1µs before": (AT_CLOSE, AT_CLOSE[1] - US, False),
    "at close, at the due instant": (AT_CLOSE, AT_CLOSE[1], False),
    "at close, 1µs after (closed: still within)": (AT_CLOSE, AT_CLOSE[1] + US, False),
    "at close, overnight": (AT_CLOSE, NEXT_MORNING - timedelta(minutes=10), False),
    "at close, at the opening": (AT_CLOSE, NEXT_MORNING, False),
    "at close, 1µs after the opening": (AT_CLOSE, NEXT_MORNING + US, True),
}


def _show(slack: SlackDriver, key: str) -> str:
    slack.standin.responses.clear()
    slack.command("/cre", f"show {key}", user="U0HANAKO")
    [(_, payload)] = slack.standin.responses
    return str(payload.get("blocks"))


def _card(standin: SlackStandIn) -> str:
    [card] = [m for m in standin.channel_messages("C0ESCALATE") if m.thread_ts is None]
    return "\n".join(card_texts(card))


@pytest.mark.parametrize(("times", "at", "breached"), CASES.values(), ids=CASES.keys())
def test_every_place_agrees_at_the_boundary(
    runtime: Runtime,
    clock: ManualClock,
    standin: SlackStandIn,
    slack: SlackDriver,
    times: tuple[datetime, datetime],
    at: datetime,
    breached: bool,
) -> None:
    filed, due = times
    clock.set(filed)
    with runtime.db.session() as session:
        escalation = file_one(session, runtime.policy, filed, priority="P1")
        assert escalation.id is not None
        assert escalation.slo_due_at == due
        key, escalation_id = f"ESC-{escalation.id}", escalation.id
    runtime.deliver()

    # the sweep, as of that instant: the breach alert (a broadcast mentioning the lead) or none
    clock.set(at)
    run_job(runtime=runtime, name="slo-sweep", at=at)
    alerts = [c for c in standin.calls_to("chat.postMessage") if c.args.get("reply_broadcast")]
    assert len(alerts) == breached
    # the card the channel shows, and /cre show, drawn at that instant
    assert ("breached (it was due" in _card(standin)) is breached
    assert ("breached" in _show(slack, key)) is breached

    # resolved at that very instant: within target exactly when it was not breached
    with runtime.db.session() as session:
        escalations.resolve(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            cause="bug",
            note="",
            answer="Fixed.",
            now=at,
        )
    runtime.deliver()
    with runtime.db.session() as session:
        row = session.get(Escalation, escalation_id)
        assert row is not None
        assert row.resolution_business_s is not None
        assert (row.resolution_business_s > row.slo_target_s) is breached
        current = slo.state(policy=runtime.policy, escalation=row, now=at)
        assert current.breached is breached
        said = slo_words.describe(policy=runtime.policy, current=current, now=at)
        assert ("over by" in said) is breached, said
        figures = month_figures(session=session, policy=runtime.policy, month=NOVEMBER)
        table = month_csv(session=session, policy=runtime.policy, month=NOVEMBER)
    assert ("over by" in _show(slack, key)) is breached
    assert (figures.breaches, figures.within_target, figures.measured) == (
        int(breached),
        int(not breached),
        1,
    )
    [row_in_csv] = csv.DictReader(io.StringIO(table.decode("utf-8-sig")))
    assert row_in_csv["On target"] == ("no" if breached else "yes")
