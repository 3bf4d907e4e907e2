"""The monthly digest's recurring problems: groups of similar escalations resolved in the month."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.clock import ManualClock
from bot.models import Escalation
from bot.policy import Policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import SlackStandIn
from tests.conftest import TOKYO
from tests.jobs.test_monthly_digest import CHANNEL, FIRST_WORKING_DAY, P2, digests, resolved
from tests.support.factories import policy_variant
from tests.support.flows import texts_in

RESTORE = [
    (3, "Photos disappear from the album after restoring a backup"),
    (9, "After restoring the backup, photos disappeared from the album (hana@example.com)"),
    (20, "Album photos gone after restoring from a backup"),
]
INVOICE = [
    (5, "Invoice PDF shows the wrong consumption tax rate"),
    (14, "The invoice PDF has the wrong consumption tax rate"),
]
ALONE = [(7, "Push notifications arrive twice on tablets")]
NOTES = {
    id(RESTORE): "Restore job skipped shared albums",
    id(INVOICE): "Tax table not updated for October",
    id(ALONE): "Device registered two push tokens",
}


def _october(runtime: Runtime) -> dict[str, int]:
    ids = {}
    with runtime.db.session() as session:
        for cases in (RESTORE, INVOICE, ALONE):
            for day, summary in cases:
                ids[summary] = resolved(session, day=day, took_s=P2 // 2, summary=summary)
                escalation = session.get(Escalation, ids[summary])
                assert escalation is not None
                escalation.resolution_note = NOTES[id(cases)]
        session.commit()
    return ids


def _recurring(standin: SlackStandIn) -> str | None:
    [post] = digests(standin)
    found = [text for text in texts_in(post.blocks) if "Recurring problems" in text]
    return found[0] if found else None


def _index_then_digest(runtime: Runtime, clock: ManualClock) -> str:
    clock.set(datetime(2026, 11, 1, 12, 0, tzinfo=TOKYO))
    run_job(runtime=runtime, name="similarity-index", at=clock.now())
    clock.set(FIRST_WORKING_DAY)
    return run_job(runtime=runtime, name="monthly-digest", at=FIRST_WORKING_DAY)


def test_groups_of_similar_resolutions_are_named_with_their_count_and_earliest(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    ids = _october(runtime)

    detail = _index_then_digest(runtime, clock)

    assert detail.startswith("digest for 2026-10: 6 filed, 6 resolved, 0 slow, 2 recurring;")
    block = _recurring(standin)
    assert block is not None
    lines = block.split("\n")
    assert lines[0] == "*:repeat: Recurring problems*"
    restore, invoice = lines[2], lines[3]
    first_restore = ids[RESTORE[0][1]]
    assert restore.startswith("• *3×* ")
    assert restore.endswith(f"|ESC-{first_restore}> (filed 2026-10-03)")
    assert re.search(rf"earliest <https://crebot\.slack\.com/archives/{CHANNEL}/p\d+\|", restore)
    assert invoice.startswith("• *2×* ")
    assert invoice.endswith(f"|ESC-{ids[INVOICE[0][1]]}> (filed 2026-10-05)")
    assert "Push notifications" not in block
    assert "hana@example.com" not in block


def test_no_group_before_the_index_exists(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    _october(runtime)
    clock.set(FIRST_WORKING_DAY)
    detail = run_job(runtime=runtime, name="monthly-digest", at=FIRST_WORKING_DAY)
    assert ", 0 slow; " in detail
    assert _recurring(standin) is None


class TestJapanese:
    @pytest.fixture
    def policy(self, policy_text: str) -> Policy:
        return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))

    def test_the_groups_read_in_japanese(
        self, runtime: Runtime, clock: ManualClock, standin: SlackStandIn
    ) -> None:
        _october(runtime)
        _index_then_digest(runtime, clock)
        [post] = [m for m in standin.channel_messages(CHANNEL) if m.thread_ts is None]
        [block] = [t for t in texts_in(post.blocks) if "くり返し起きている問題" in t]
        assert "2026年10月に解決した、似た内容のエスカレーションです。" in block
        assert "• *3件* " in block
        assert "(2026-10-03 起票)" in block
