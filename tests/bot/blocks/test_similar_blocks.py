"""The similar escalations' words: the card line in English and Japanese."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.blocks.similar import card_line, match_facts
from bot.policy import Policy
from bot.similarity.service import Match
from tests.conftest import TOKYO
from tests.support.factories import policy_variant

FILED = datetime(2026, 11, 10, 10, 0, tzinfo=TOKYO)
RESOLVED = datetime(2026, 11, 12, 10, 0, tzinfo=TOKYO)
NINE_HOURS = 9 * 3600  # the test policy's working day is 09:00-18:00

BEST = Match(
    escalation_id=812,
    score=0.61,
    status="resolved",
    product="album",
    category="login",
    summary="Sync <stops>",
    filed_at=FILED,
    resolved_at=RESOLVED,
    business_seconds=2 * NINE_HOURS,
    cause="bug",
    answer="Fixed.",
    end_user_id=None,
    channel_id="C0ESCALATE",
    message_ts="1795568400.000100",
)
OTHERS = [replace(BEST, escalation_id=640, score=0.4), replace(BEST, escalation_id=97, score=0.3)]


def test_the_line_names_the_best_with_its_facts_and_the_rest_by_key(policy: Policy) -> None:
    line = card_line(policy=policy, matches=[BEST, *OTHERS], workspace_url=None)
    assert (
        line
        == ":mag: Similar: ESC-812 (resolved 12 Nov · Bug · 2 business days) · ESC-640 · ESC-97"
    )


def test_keys_link_to_their_messages_when_the_workspace_is_known(policy: Policy) -> None:
    line = card_line(policy=policy, matches=[BEST], workspace_url="https://team.slack.com/")
    assert line is not None
    assert line.startswith(
        ":mag: Similar: <https://team.slack.com/archives/C0ESCALATE/p1795568400000100|ESC-812>"
    )


@pytest.mark.parametrize("status", ["open", "assigned", "investigating", "waiting"])
def test_an_open_best_match_says_open_and_when_it_was_filed_whatever_its_status(
    policy: Policy, policy_text: str, status: str
) -> None:
    """Not its status: that one's clicks do not redraw the cards naming it (resolving does)."""
    open_one = replace(BEST, status=status, resolved_at=None, business_seconds=None)
    line = card_line(policy=policy, matches=[open_one], workspace_url=None)
    assert line == ":mag: Similar: ESC-812 (open, filed 10 Nov)"
    ja = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    line = card_line(policy=ja, matches=[open_one], workspace_url=None)
    assert line == ":mag: 類似: ESC-812(未解決 · 11月10日起票)"


def test_cre_similar_drawn_when_asked_says_an_open_match_s_status(policy: Policy) -> None:
    waiting = replace(BEST, status="waiting", resolved_at=None, business_seconds=None)
    assert match_facts(waiting, policy, live=True) == "Waiting on CS, filed 10 Nov"
    assert match_facts(waiting, policy) == "open, filed 10 Nov"


def test_no_matches_no_line(policy: Policy) -> None:
    assert card_line(policy=policy, matches=[], workspace_url=None) is None


def test_japanese(policy_text: str) -> None:
    ja = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    line = card_line(policy=ja, matches=[BEST, *OTHERS], workspace_url=None)
    cause = ja.label("causes", "bug")
    assert line == f":mag: 類似: ESC-812(11月12日に解決 · {cause} · 2営業日) · ESC-640 · ESC-97"
