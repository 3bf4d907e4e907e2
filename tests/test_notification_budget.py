"""The notification budget (README, "Notification budget"), held over a simulated month.

`tests/support/month.py` plays November 2026 (24 escalations: prompt, late, P1 breaches, unclaimed
for days, ignored reminders, waiting on CS; Japanese holidays) through the real app, jobs and
outbox; these tests read every message the bot posted, as it was posted, and check it against
the budget: who may be sent what, when, and what it must say and offer.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.support import db as test_db
from tests.support.month import (
    CASES,
    DM,
    LEAD,
    THREAD,
    TOP,
    Month,
    Notification,
    run_month,
)

# The kinds of post (by the outbox key each carries) the budget allows, per place.
DM_KEYS = {
    "assignment": re.compile(r"^esc:(\d+):dm:(U\w+):\d{8}T\d{6}$"),
    "reminder": re.compile(r"^remind:\d{4}-\d\d-\d\d:(U\w+):\w+$"),
    "lead": re.compile(r"^remind-lead:\d{4}-\d\d-\d\d:\w+$"),
    "filer confirmation": re.compile(r"^esc:(\d+):filer:filed$"),
    "filer question": re.compile(r"^esc:(\d+):filer:wait:\d+$"),
}
TOP_KEYS = {
    "card": re.compile(r"^esc:(\d+):post$"),
    "unclaimed": re.compile(r"^unassigned:(\d{4}-\d\d-\d\d)$"),
    "p1 breach": re.compile(r"^slo:(\d+):\d+:channel$"),
    "digest": re.compile(r"^digest:\d{4}-\d\d:\w+$"),
}


@pytest.fixture(scope="module")
def month(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path | None,
    postgres_schema: str | None,
) -> Month:
    """The month, played once for every test here (on PostgreSQL when the suite runs there)."""
    scratch = tmp_path_factory.mktemp("month")
    if postgres_schema is not None:
        test_db.truncate_postgres(postgres_schema)
        url = postgres_schema
    else:
        assert sqlite_template is not None
        url = test_db.sqlite_copy(sqlite_template, scratch)
    return run_month(database_url=url, files_dir=scratch / "files")


def _kind(key: str, kinds: dict[str, re.Pattern[str]]) -> str | None:
    return next((name for name, pattern in kinds.items() if pattern.match(key)), None)


def _day(month: Month, n: Notification) -> date:
    return n.at.astimezone(month.policy.business_calendar.tz).date()


def test_every_dm_is_an_assignment_a_daily_reminder_the_leads_list_or_for_the_filer(
    month: Month,
) -> None:
    kinds = Counter(_kind(n.key, DM_KEYS) for n in month.of_kind(DM))
    assert None not in kinds, [n.key for n in month.of_kind(DM) if not _kind(n.key, DM_KEYS)]
    assert kinds["assignment"] >= len(CASES) - 1  # every assignment (one is never claimed)
    assert kinds["filer confirmation"] == len(CASES)  # one per escalation filed


def test_one_assignment_dm_per_assignment_with_priority_due_time_and_buttons(
    month: Month,
) -> None:
    assigned = [n for n in month.of_kind(DM) if DM_KEYS["assignment"].match(n.key)]
    per_assignment = Counter(n.key for n in assigned)
    assert set(per_assignment.values()) == {1}
    for n in assigned:
        match = DM_KEYS["assignment"].match(n.key)
        assert match is not None
        escalation_id, user = int(match.group(1)), match.group(2)
        assert n.to == user
        assert n.escalations == {escalation_id}
        priority = month.priorities[escalation_id]
        assert n.text.startswith(f"ESC-{escalation_id} [{priority}] is yours: ")
        assert f"*Priority*\\n{priority}" in n.everything
        assert re.search(r"\*Due\*\\n(due |breached)", n.everything)
        assert n.buttons() == ["esc.acknowledge", "esc.wait_question"]
    # Each assignee got exactly one for each escalation they were given.
    for escalation_id, people in month.assignees.items():
        for person in people:
            mine = [n for n in assigned if n.to == person and escalation_id in n.escalations]
            assert len(mine) == 1, (escalation_id, person)


def test_slo_warnings_redraw_the_dm_instead_of_posting(month: Month) -> None:
    # every assignee already had their DM: no SLO stage had to post one
    assert [n.key for n in month.notifications if re.match(r"^slo:\d+:\d+:direct$", n.key)] == []
    warnings_in_threads = [
        n for n in month.of_kind(THREAD) if n.key.startswith("slo:") and ":warning:" in n.text
    ]
    assert warnings_in_threads == []
    # the warnings reached the DMs, redrawn in place (the SLOW cases pass 50% and 80%)
    assert month.dm_redraws_mentioning("of its SLO") > 0


def test_at_most_one_reminder_dm_a_day_per_person(month: Month) -> None:
    reminders = Counter(
        (n.to, _day(month, n)) for n in month.of_kind(DM) if DM_KEYS["reminder"].match(n.key)
    )
    assert reminders
    assert max(reminders.values()) == 1
    calendar = month.policy.business_calendar
    assert all(calendar.is_working_day(day) for _, day in reminders)  # no holiday, no weekend


def test_the_lead_hears_privately_with_slo_state_and_a_reassign_picker(month: Month) -> None:
    told = [n for n in month.of_kind(DM) if DM_KEYS["lead"].match(n.key)]
    assert told, "the ignored cases reach the lead"
    for n in told:
        assert n.to == LEAD
        assert set(n.buttons()) == {"esc.reassign"}
        assert len(n.buttons()) == len(n.escalations)  # a picker per escalation
        assert re.search(r"due |breached|paused", n.everything)
    # never named in the channel for it, and mentioned only by a P1 breach
    for n in month.notifications:
        if n.kind != DM and LEAD in n.mentions:
            assert TOP_KEYS["p1 breach"].match(n.key), n.key


def test_the_channel_gets_top_level_posts_only_for_new_escalations_p1_breaches_the_list_and_the_digest(
    month: Month,
) -> None:
    kinds = Counter(_kind(n.key, TOP_KEYS) for n in month.of_kind(TOP))
    assert None not in kinds, [n.key for n in month.of_kind(TOP) if not _kind(n.key, TOP_KEYS)]
    assert kinds["card"] == len(CASES)
    assert kinds["p1 breach"] >= 1
    for n in month.of_kind(TOP):
        match = TOP_KEYS["p1 breach"].match(n.key)
        if match:
            assert month.priorities[int(match.group(1))] == "P1"


def test_the_unclaimed_list_is_one_post_a_day_with_a_claim_button_per_item(month: Month) -> None:
    lists = [n for n in month.of_kind(TOP) if TOP_KEYS["unclaimed"].match(n.key)]
    assert lists
    days = Counter(_day(month, n) for n in lists)
    assert max(days.values()) == 1
    for n in lists:
        assert n.buttons() == ["esc.claim"] * len(n.escalations)
    assert month.list_redraws() > 0  # claimed items were struck through in place


def test_per_escalation_figures_stay_within_the_budget(month: Month) -> None:
    figures = month.figures()
    # One assignment DM each, plus at most one reminder a working day while left alone.
    assert figures["assignee dm"]["mean"] <= 2.5
    # Outside the lead's DM and P1 breaches, nobody is pulled into the channel.
    assert figures["assignee channel"]["max"] <= 1
    assert figures["lead channel"]["max"] <= 1
    # Its own message, then the daily list while nobody claims it, and a P1 breach.
    for escalation_id in month.ids:
        posts = month.channel_posts(escalation_id)
        lists = [n for n in posts if TOP_KEYS["unclaimed"].match(n.key)]
        others = [n for n in posts if not TOP_KEYS["unclaimed"].match(n.key)]
        assert len(others) <= 2, [n.key for n in others]
        assert len(lists) <= 6
