"""Outbox keys: each builder makes the key its documentation shows, and keys differ where posts do."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot import outbox_keys

DAY = date(2026, 11, 25)

# Every example in the module's documentation, with the call that builds it.
DOCUMENTED = [
    ("esc:42:post", outbox_keys.card_post(42)),
    ("esc:42:card:7", outbox_keys.card_update(42, 7)),
    ("esc:42:event:7", outbox_keys.thread_line(42, 7)),
    (
        "esc:42:card:left:20261125T050000",
        outbox_keys.card_refresh(42, datetime(2026, 11, 25, 5, tzinfo=UTC)),
    ),
    ("slo:42:2:thread", outbox_keys.slo_alert(42, 2, "thread")),
    ("unassigned:2026-11-25", outbox_keys.unassigned_reminder(DAY)),
    ("digest:2026-10:post", outbox_keys.digest_part("2026-10", "post")),
    ("digest:2026-10:post:rerun-ab12", outbox_keys.digest_part("2026-10", "post", "ab12")),
    ("esc:42:filer:filed", outbox_keys.filer_told(42)),
    ("esc:42:filer:wait:7", outbox_keys.filer_asked(42, 7)),
    ("esc:42:source", outbox_keys.source_reply(42)),
    ("esc:42:source:7", outbox_keys.source_update(42, 7)),
]


@pytest.mark.parametrize(("documented", "built"), DOCUMENTED)
def test_each_builder_makes_the_documented_key(documented: str, built: str) -> None:
    assert built == documented
    assert documented in (outbox_keys.__doc__ or "")


def test_a_reminder_key_names_the_day_the_person_and_the_set_of_escalations() -> None:
    key = outbox_keys.reminder_dm(DAY, "U0HANAKO", [1, 2])
    assert key.startswith("remind:2026-11-25:U0HANAKO:")
    assert key == outbox_keys.reminder_dm(DAY, "U0HANAKO", [1, 2])  # promised again: same key
    assert key != outbox_keys.reminder_dm(DAY, "U0HANAKO", [1, 3])  # another set: another post
    assert key != outbox_keys.reminder_dm(date(2026, 11, 26), "U0HANAKO", [1, 2])
    lead = outbox_keys.lead_reminder(DAY, [1, 2])
    assert lead.startswith("remind-lead:2026-11-25:")
    assert lead != outbox_keys.lead_reminder(DAY, [2])


def test_an_slo_post_must_be_one_of_a_stages_posts() -> None:
    with pytest.raises(ValueError, match="unknown SLO post"):
        outbox_keys.slo_alert(42, 1, "carrier-pigeon")


@pytest.mark.parametrize(
    ("escalation_id", "thread_of", "expected"),
    [
        (42, None, "esc:42"),
        (42, "digest:2026-10:post", "esc:42"),
        (None, "p", "thread:p"),
        (None, None, "own:k"),
    ],
)
def test_the_group_keeps_an_escalation_or_a_thread_in_order(
    escalation_id: int | None, thread_of: str | None, expected: str
) -> None:
    assert outbox_keys.group(key="k", escalation_id=escalation_id, thread_of=thread_of) == expected
