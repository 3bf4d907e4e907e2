"""monthly-digest end to end against the fake Slack: once per month, in one thread, with files."""

from __future__ import annotations

import csv
import functools
import io
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot import escalations
from bot.clock import ManualClock
from bot.digest import Breakdown, Month, month_figures
from bot.models import Escalation, EscalationEvent, JobRun, Status
from bot.outbox import retry_refused
from bot.runtime import Runtime
from bot.scheduler import build_schedules, catch_up, run_job
from bot.workspace.webapi import Message, SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one, policy_variant
from tests.support.slack import SlackDriver

CHANNEL = "C0ESCALATE"  # the test policy has no [digest] channel: the escalation channel
# November 2026 in Japan: Sun 1, Mon 2 (the first working day), Tue 3 Culture Day, Wed 4.
FIRST_WORKING_DAY = datetime(2026, 11, 2, 10, 0, tzinfo=TOKYO)
SECOND_WORKING_DAY = datetime(2026, 11, 4, 10, 0, tzinfo=TOKYO)
P2 = 2 * 9 * 3600


def resolved(
    session: Session, *, day: int, took_s: int, summary: str = "Login fails", hour: int = 15
) -> int:
    """A P2 escalation filed and resolved in October 2026, taking `took_s` business seconds."""
    filed = datetime(2026, 10, day, 10, tzinfo=TOKYO)
    escalation = Escalation(
        intake_key=f"test:{uuid.uuid4()}",
        end_user_id="u-1001",
        product="album",
        category="login",
        priority="P2",
        summary=summary,
        filed_by="U0CS",
        filed_at=filed,
        status=Status.RESOLVED,
        assignee_id="U0HANAKO",
        channel_id=CHANNEL,
        message_ts=f"{int(filed.timestamp())}.000100",
        last_activity_at=filed,
        resolved_at=filed.replace(hour=hour),
        resolution_cause="bug",
        resolution_note="Token refresh fixed",
        slo_target_s=P2,
        resolution_business_s=took_s,
    )
    session.add(escalation)
    session.flush()
    assert escalation.id is not None
    return escalation.id


def add_october(runtime: Runtime, *, slow: int, fast: int = 3) -> list[int]:
    """`slow` escalations over their 2d target (slowest first in id order) and `fast` within it."""
    with runtime.db.session() as session:
        ids = [
            resolved(session, day=1 + n % 28, took_s=P2 + 100_000 - n, summary=f"Slow {n}")
            for n in range(slow)
        ]
        for n in range(fast):
            resolved(session, day=5 + n, took_s=3600 * (n + 1), summary=f"Fast {n}")
        session.commit()
    return ids


def run_at(runtime: Runtime, clock: ManualClock, at: datetime, *, manual: bool = False) -> str:
    clock.set(at)
    return run_job(runtime=runtime, name="monthly-digest", at=at, manual=manual)


def digests(standin: SlackStandIn) -> list[Message]:
    return [
        m
        for m in standin.channel_messages(CHANNEL)
        if m.thread_ts is None and m.text.startswith("Escalation digest for")
    ]


def test_the_digest_is_one_post_with_its_thread_and_two_files(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    ids = add_october(runtime, slow=2)

    detail = run_at(runtime, clock, FIRST_WORKING_DAY)

    assert detail.startswith("digest for 2026-10: 5 filed, 5 resolved, 2 slow")
    [post] = digests(standin)
    text = str(post.blocks)
    assert "Escalation digest: October 2026" in text
    assert f"ESC-{ids[0]}" in text
    assert f"ESC-{ids[1]}" in text
    assert f"<https://crebot.slack.com/archives/{CHANNEL}/p" in text  # keys link to threads
    replies = standin.thread(CHANNEL, post.ts)[1:]
    assert replies[0].text.startswith(":speech_balloon:")
    assert "at the root" in replies[0].text
    assert [bool(r.files) for r in replies] == [False, True, True]  # prompt, chart, CSV
    chart, table = standin.files
    assert (chart.name, chart.channel, chart.thread_ts) == ("digest-2026-10.png", CHANNEL, post.ts)
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (table.name, table.channel, table.thread_ts) == (
        "escalations-2026-10.csv",
        CHANNEL,
        post.ts,
    )
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert {f"ESC-{i}" for i in ids} <= {r["Escalation"] for r in rows}
    first = next(r for r in rows if r["Escalation"] == f"ESC-{ids[0]}")
    assert first["Link"].startswith(f"https://crebot.slack.com/archives/{CHANNEL}/p")
    assert (first["End user"], first["Status"], first["On target"]) == ("u-1001", "Resolved", "no")


def test_running_again_posts_nothing_new(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=1)
    run_at(runtime, clock, FIRST_WORKING_DAY)
    messages, files = len(standin.channel_messages(CHANNEL)), len(standin.files)

    assert run_at(runtime, clock, FIRST_WORKING_DAY).startswith("period 2026-10 already done")
    assert run_at(runtime, clock, SECOND_WORKING_DAY).startswith("period 2026-10 already done")

    assert len(standin.channel_messages(CHANNEL)) == messages
    assert len(standin.files) == files


def test_an_operator_rerun_posts_the_month_again(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=1)
    run_at(runtime, clock, FIRST_WORKING_DAY)

    # crebot run-job monthly-digest --at 2026-11-02T10:00+09:00
    detail = run_at(runtime, clock, FIRST_WORKING_DAY, manual=True)

    assert detail.startswith("digest for 2026-10")
    _, second = digests(standin)
    assert len(standin.thread(CHANNEL, second.ts)) == 4  # the post, the prompt, two files
    assert len(standin.files) == 4
    assert run_at(runtime, clock, FIRST_WORKING_DAY, manual=True).startswith("digest for")
    assert len(digests(standin)) == 3


def test_a_month_without_slow_closes_is_celebrated_and_asks_for_no_look_back(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=0, fast=2)

    run_at(runtime, clock, FIRST_WORKING_DAY)

    [post] = digests(standin)
    assert post.blocks[-1]["text"]["text"] == (
        ":tada: Every escalation resolved in October 2026 met its SLO target and took no more "
        "than 5 business days."
    )
    replies = standin.thread(CHANNEL, post.ts)[1:]
    assert [r.text.startswith(":speech_balloon:") for r in replies] == [False, False]
    assert [f.name for f in standin.files] == ["digest-2026-10.png", "escalations-2026-10.csv"]


def test_an_empty_month_is_one_plain_post(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    run_at(runtime, clock, FIRST_WORKING_DAY)

    [post] = digests(standin)
    assert post.text == "Escalation digest for October 2026: nothing was filed or resolved."
    assert [b["type"] for b in post.blocks] == ["header", "section"]
    assert (
        post.blocks[1]["text"]["text"] == "No escalations were filed or resolved in October 2026."
    )
    assert ":tada:" not in str(post.blocks)
    assert standin.thread(CHANNEL, post.ts)[1:] == []  # no look-back prompt, no chart, no CSV
    assert standin.files == []


def test_a_japanese_teams_digest_and_csv(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, policy_text: str
) -> None:
    japanese = Runtime(
        settings=runtime.settings,
        policy=policy_variant(policy_text, ('language = "en"', 'language = "ja"')),
        db=runtime.db,
        client=runtime.client,
        clock=clock,
    )
    ids = add_october(japanese, slow=1, fast=1)

    run_at(japanese, clock, FIRST_WORKING_DAY)

    [post] = [
        m
        for m in standin.channel_messages(CHANNEL)
        if m.thread_ts is None and m.text.startswith("2026年10月のエスカレーション月次レポート")
    ]
    assert post.blocks[0]["text"]["text"] == "エスカレーション月次レポート: 2026年10月"
    assert "*解決に時間がかかったもの(1件)*" in post.blocks[-2]["text"]["text"]
    prompt = standin.thread(CHANNEL, post.ts)[1]
    assert prompt.text.startswith(":speech_balloon: 2026年10月に時間がかかったエスカレーション")
    chart, table = standin.files
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    slow = next(r for r in rows if r["エスカレーション"] == f"ESC-{ids[0]}")
    assert (slow["ステータス"], slow["目標内"], slow["原因"]) == ("解決済み", "いいえ", "不具合")
    assert slow["リンク"].startswith(f"https://crebot.slack.com/archives/{CHANNEL}/p")


def test_three_hundred_slow_closes_spill_into_thread_replies(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    ids = add_october(runtime, slow=300)

    run_at(runtime, clock, FIRST_WORKING_DAY)

    [post] = digests(standin)
    thread = standin.thread(CHANNEL, post.ts)
    prompt, *overflow, chart, table = thread[1:]
    assert prompt.text.startswith(":speech_balloon:")
    assert len(overflow) == 6
    assert [f["name"] for m in (chart, table) for f in m.files] == [
        "digest-2026-10.png",
        "escalations-2026-10.csv",
    ]
    listed = re.findall(r"\|(ESC-\d+)>\* · ", " ".join(str(m.blocks) for m in (post, *overflow)))
    assert listed == [f"ESC-{i}" for i in ids]  # every slow close once, slowest first
    assert all(len(m.blocks) <= 50 for m in (post, *overflow))
    # every call was checked against Slack's limits by the stand-in (the fixture fails otherwise)


def test_not_due_before_the_first_working_day(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=1)

    assert run_at(runtime, clock, datetime(2026, 11, 1, 10, tzinfo=TOKYO)) == (
        "not due at this instant"
    )  # a Sunday
    assert run_at(runtime, clock, datetime(2026, 11, 3, 10, tzinfo=TOKYO)) == (
        "not due at this instant"
    )  # Culture Day, after the first working day
    assert digests(standin) == []


def test_a_missed_first_working_day_is_made_up_on_the_next(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=1)

    assert run_at(runtime, clock, SECOND_WORKING_DAY).startswith("digest for 2026-10")
    assert len(digests(standin)) == 1


def test_catch_up_at_start_posts_a_missed_digest_once(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    add_october(runtime, slow=1)
    clock.set(datetime(2026, 11, 5, 9, 30, tzinfo=TOKYO))  # down since before the 2nd

    done = catch_up(runtime=runtime)

    assert any(line.startswith("monthly-digest: digest for 2026-10") for line in done)
    assert len(digests(standin)) == 1
    assert not any(line.startswith("monthly-digest") for line in catch_up(runtime=runtime))
    with runtime.db.session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "monthly-digest")).all()
    assert [(r.period_key, r.status) for r in runs] == [("2026-10", "done")]


def test_the_schedule_fires_daily_on_the_first_fifteen_days(runtime: Runtime) -> None:
    schedule = build_schedules(runtime.policy)["monthly-digest"]
    trigger = schedule.trigger(runtime.policy)
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 15, 10, 1, tzinfo=TOKYO))
    assert fire == datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO)
    assert schedule.period(runtime.policy, datetime(2027, 1, 4, 10, tzinfo=TOKYO)) == "2026-12"
    # the New Year closure (12-29..01-03) moves the first working day of January to the 4th
    assert not schedule.due(runtime.policy, datetime(2027, 1, 1, 10, tzinfo=TOKYO))
    assert schedule.due(runtime.policy, datetime(2027, 1, 4, 10, tzinfo=TOKYO))
    assert not schedule.due(runtime.policy, datetime(2027, 1, 18, 10, tzinfo=TOKYO))


# -- /cre report ------------------------------------------------------------------------------------


@pytest.fixture
def october_slow(runtime: Runtime) -> list[int]:
    return add_october(runtime, slow=60)


def test_report_shows_last_month_only_to_the_caller(
    slack: SlackDriver, october_slow: list[int]
) -> None:
    slack.command("/cre", "report", user="U0LEAD")  # the clock says 2026-11-25
    slack.executor.drain()

    [(_, payload)] = slack.standin.responses
    assert payload["response_type"] == "ephemeral"
    assert payload["text"].startswith("Escalation digest for October 2026: 63 filed")
    assert len(payload["blocks"]) == 50
    assert payload["blocks"][-1]["elements"][0]["text"] == "…and 17 more."
    assert slack.channel(CHANNEL) == []  # nothing posted to the channel


def test_report_of_a_chosen_month(slack: SlackDriver, october_slow: list[int]) -> None:
    slack.command("/cre", "report 2026-09", user="U0LEAD")
    slack.executor.drain()

    [text] = slack.responses_text()
    assert text == "Escalation digest for September 2026: nothing was filed or resolved."


def test_a_mid_month_report_with_breaches_and_nothing_resolved_does_not_celebrate(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.db.session() as session:
        for _ in range(3):
            file_one(
                session, runtime.policy, datetime(2026, 11, 16, 10, tzinfo=TOKYO), priority="P1"
            )
        session.commit()
    run_job(runtime=runtime, name="slo-sweep", at=clock.now())  # the clock says 2026-11-25

    slack.command("/cre", "report 2026-11", user="U0LEAD")
    slack.executor.drain()

    [(_, payload)] = [r for r in slack.standin.responses if "blocks" in r[1]]
    assert payload["blocks"][0]["text"]["text"] == "Escalation digest: November 2026 (so far)"
    assert payload["blocks"][-1]["text"]["text"] == (
        "No escalations have been resolved in November 2026 yet.\n"
        ":warning: 3 escalations breached their SLO target in November 2026."
    )
    assert ":tada:" not in str(payload["blocks"])


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("report 2026-13", "Usage: `/cre report [YYYY-MM]`"),
        ("report october", "Usage: `/cre report [YYYY-MM]`"),
        ("report 2027-01", "January 2027 has not begun yet."),
    ],
)
def test_report_refuses_a_bad_month(slack: SlackDriver, words: str, expected: str) -> None:
    slack.command("/cre", words, user="U0LEAD")
    slack.executor.drain()

    [text] = slack.responses_text()
    assert text.startswith(expected)


# -- a simulated month --------------------------------------------------------------------------------


def _jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


# October 2026 in Japan: Thu 1st; Mon 12th is Sports Day. Working hours 09:00-18:00 (9h days).
# (name, priority, category, filed, resolved or None, cause); business time to resolve by hand:
SIMULATED = [
    ("E8", "P2", "login", _jst(9, 30, 10), _jst(10, 1, 11), "bug"),  # 8h + 2h = 10h
    ("E1", "P2", "login", _jst(10, 1, 10), _jst(10, 2, 10), "bug"),  # 8h + 1h = 9h
    ("E2", "P1", "billing", _jst(10, 5, 10), _jst(10, 5, 16), "infra"),  # 6h > 4h: swept at 14:00
    ("E3", "P2", "login", _jst(10, 9, 15), _jst(10, 14, 12), "spec"),  # 3h + (12th off) 9h + 3h
    ("E4", "P2", "data", _jst(10, 15, 10), _jst(10, 20, 11), "bug"),  # 8+9+9+2 = 28h > 18h
    ("E5", "P1", "billing", _jst(10, 21, 10), _jst(10, 21, 14, 30), "user-operation"),  # 4.5h
    ("E6", "P3", "other", _jst(10, 26, 10), _jst(10, 30, 17), "third-party"),  # 8+9+9+9+8 = 43h
    ("E7", "P2", "login", _jst(10, 28, 10), None, None),  # still open: breached Fri 30th 10:00
    ("E9", "P2", "data", _jst(10, 30, 15), _jst(11, 2, 9, 30), "bug"),  # 3.5h, in November
]
MISSED_SWEEP = _jst(10, 21, 14)  # the sweep that would have caught E5's breach did not run


def _working_hours(calendar: Any, first: datetime, last: datetime) -> list[datetime]:
    """Every full hour from 09:00 to 18:00 on the working days between `first` and `last`."""
    hours, day = [], first.date()
    while day <= last.date():
        if calendar.is_working_day(day):
            hours += [datetime(day.year, day.month, day.day, h, tzinfo=TOKYO) for h in range(9, 19)]
        day += timedelta(days=1)
    return hours


def test_a_simulated_month_through_the_domain_with_real_sweeps(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    policy = runtime.policy
    ids: dict[str, int] = {}

    def file(name: str, priority: str, category: str) -> None:
        with runtime.db.session() as session:
            product = "game" if category == "billing" else "album"
            filed = file_one(
                session, policy, clock.now(), priority=priority, category=category, product=product
            )
            assert filed.id is not None
            ids[name] = filed.id

    def resolve(name: str, cause: str) -> None:
        with runtime.db.session() as session:
            row = session.get(Escalation, ids[name])
            assert row is not None
            escalations.resolve(
                session=session,
                policy=policy,
                escalation_id=ids[name],
                actor_id=row.assignee_id or "U0LEAD",
                cause=cause,
                note=f"{name} fixed",
                answer="Fixed, please try again.",
                now=clock.now(),
            )

    steps: list[tuple[datetime, int, Callable[[], object]]] = []
    for name, priority, category, filed_at, resolved_at, cause in SIMULATED:
        steps.append((filed_at, 0, functools.partial(file, name, priority, category)))
        if resolved_at is not None and cause is not None:
            steps.append((resolved_at, 0, functools.partial(resolve, name, cause)))
    for hour in _working_hours(policy.business_calendar, _jst(9, 30, 0), _jst(11, 2, 0)):
        if hour != MISSED_SWEEP:
            sweep = functools.partial(run_job, runtime=runtime, name="slo-sweep", at=hour)
            steps.append((hour, 1, sweep))  # at the same instant, the change happens first
    for when, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        clock.set(when)
        step()
        runtime.deliver()

    detail = run_at(runtime, clock, FIRST_WORKING_DAY)

    with runtime.db.session() as session:
        breach_events = session.exec(
            select(EscalationEvent.escalation_id).where(EscalationEvent.kind == "slo_breach")
        ).all()
        figures = month_figures(session=session, policy=policy, month=Month(2026, 10))
    # the sweeps recorded the breaches of E2, E4 and E7 (open), never E5's
    assert set(breach_events) == {ids["E2"], ids["E4"], ids["E7"]}
    hour = 3600
    assert detail.startswith("digest for 2026-10: 8 filed, 7 resolved, 3 slow")
    assert (figures.filed, figures.resolved, figures.open_at_end) == (8, 7, 2)  # open: E7, E9
    # ascending: E5 4.5h, E2 6h, E1 9h, E8 10h, E3 15h, E4 28h, E6 43h (n = 7)
    assert figures.median_s == 10 * hour  # rank ceil(3.5) = 4
    assert figures.p90_s == 43 * hour  # rank ceil(6.3) = 7
    assert (figures.within_target, figures.measured) == (4, 7)  # E8, E1, E3, E6
    assert figures.breaches == 4  # E2, E4, E7 (swept) and E5 (resolved over target, unswept)
    # filed before October: E8 (login, album). Billing is the game's; the rest the album's.
    assert figures.by_category == (
        Breakdown("login", filed=3, filed_before=1, resolved=3, measured=3, within_target=3),
        Breakdown("billing", filed=2, filed_before=0, resolved=2, measured=2, within_target=0),
        Breakdown("data", filed=2, filed_before=0, resolved=1, measured=1, within_target=0),
        Breakdown("other", filed=1, filed_before=0, resolved=1, measured=1, within_target=1),
    )
    assert figures.by_product == (
        Breakdown("album", filed=6, filed_before=1, resolved=5, measured=5, within_target=4),
        Breakdown("game", filed=2, filed_before=0, resolved=2, measured=2, within_target=0),
    )
    assert figures.by_cause == (
        ("bug", 3),
        ("infra", 1),
        ("spec", 1),
        ("third-party", 1),
        ("user-operation", 1),
    )
    assert [s.escalation_id for s in figures.slow] == [ids[n] for n in ("E4", "E2", "E5")]
    assert [s.business_s for s in figures.slow] == [28 * hour, 6 * hour, int(4.5 * hour)]

    [post] = digests(standin)
    text = str(post.blocks)
    # September: E8 filed and open at its end; nothing resolved, so no change in times
    for field, value in [
        ("Filed", "8 (+7)"),
        ("Resolved", "7 (+7)"),
        ("Still open at month end", "2 (+1)"),
        ("SLO breaches", "4 (+4)"),
        ("Median time to resolve", "10h"),
        ("90% were resolved within", "4 business days 7h"),
        ("SLO attainment", "57.1%\\n4 of 7 on target"),
    ]:
        assert f"*{field}*\\n{value}" in text, field
    listed = re.findall(r"\|(ESC-\d+)>\* · ", text)
    assert listed == [f"ESC-{ids[n]}" for n in ("E4", "E2", "E5")]
    chart, table = standin.files
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert sorted(r["Escalation"] for r in rows) == sorted(f"ESC-{i}" for i in ids.values())
    e2 = next(r for r in rows if r["Escalation"] == f"ESC-{ids['E2']}")
    assert (e2["Product"], e2["Category"], e2["On target"]) == (
        "Puzzle Game",
        "Purchases / billing",
        "no",
    )


def test_a_digest_channel_the_bot_is_not_in_fails_once_tells_the_lead_once_and_is_retried_on_demand(
    policy_text: str, runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    """A message goes in with chat:write.public; a file needs membership (not_in_channel)."""
    runtime.policy = policy_variant(
        policy_text, ("[calendar]", '[digest]\nchannel = "C0DIGEST"\n\n[calendar]')
    )
    standin.add_channel("C0DIGEST", "cre-digest", is_member=False)
    add_october(runtime, slow=2)

    run_at(runtime, clock, FIRST_WORKING_DAY)
    for hours in (1, 2, 5, 30):
        clock.set(FIRST_WORKING_DAY + timedelta(hours=hours))
        run_job(runtime=runtime, name="outbox-flush", at=clock.now())

    [post] = [m for m in standin.channel_messages("C0DIGEST") if m.thread_ts is None]
    assert standin.files == []
    refused = standin.calls_to("files.completeUploadExternal")
    assert [c.response["error"] for c in refused] == ["not_in_channel"] * 2  # chart, CSV: no retry
    [notice] = standin.dms("U0LEAD")
    assert notice.text == (
        ":warning: I could not post in <#C0DIGEST>: I am not a member of it. Invite me by typing"
        " `/invite @cre-bot` in <#C0DIGEST>.\nPosts Slack refuses this way are not retried."
        " Once it is fixed, `crebot outbox retry` sends them."
    )

    standin.channels["C0DIGEST"]["is_member"] = True  # someone typed /invite @cre-bot
    with runtime.db.session() as session:
        assert retry_refused(session=session) == 2
    run_job(runtime=runtime, name="outbox-flush", at=clock.now())

    assert [(f.name, f.channel, f.thread_ts) for f in standin.files] == [
        ("digest-2026-10.png", "C0DIGEST", post.ts),
        ("escalations-2026-10.csv", "C0DIGEST", post.ts),
    ]
    assert len(standin.dms("U0LEAD")) == 1
