"""The digest's Block Kit, built without Slack: figures, the slow list, overflow, limits, escaping."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from bot.blocks.digest import (
    MESSAGE_BLOCKS_MAX,
    build_digest_post,
    build_report,
    month_label,
    slow_close_block,
    thread_prompt,
)
from bot.digest import Breakdown, Month, MonthFigures, MonthTotals, SlowClose, WeekCount
from bot.i18n import CATALOG, placeholders
from bot.policy import Policy, parse_policy
from bot.workspace.checks import check_blocks

OCTOBER = Month(2026, 10)
WORKSPACE = "https://acme.slack.com/"
KEY = re.compile(r"ESC-\d+")


def slow_close(number: int, **overrides: Any) -> SlowClose:
    values: dict[str, Any] = {
        "escalation_id": number,
        "summary": f"Slow one number {number}",
        "assignee_id": "U0HANAKO",
        "category": "login",
        "priority": "P2",
        "channel_id": "C0ESCALATE",
        "message_ts": f"1790000000.{number:06d}",
        "business_s": 200_000 - number,
        "target_s": 64_800,
        "cause": "bug",
        "note": "Fixed the token refresh.",
    }
    values.update(overrides)
    return SlowClose(**values)


SEPTEMBER = MonthTotals(
    month=Month(2026, 9),
    filed=37,
    resolved=42,
    measured=42,
    within_target=35,
    open_at_end=3,
    median_s=6 * 3600,
    p90_s=2 * 32_400 + 3 * 3600,
    breaches=4,
)


def figures(slow: list[SlowClose], **overrides: Any) -> MonthFigures:
    values: dict[str, Any] = {
        "month": OCTOBER,
        "filed": 42,
        "resolved": 40,
        "open_at_end": 5,
        "measured": 40,
        "within_target": 35,
        "median_s": 5 * 3600,
        "p90_s": 2 * 32_400 + 3 * 3600,
        "breaches": 4,
        "previous": SEPTEMBER,
        "by_product": (
            Breakdown(
                "album", filed=30, filed_before=25, resolved=28, measured=28, within_target=25
            ),
            Breakdown(
                "game", filed=12, filed_before=12, resolved=12, measured=12, within_target=10
            ),
            Breakdown("market", filed=0, filed_before=1, resolved=0, measured=0, within_target=0),
        ),
        "by_category": (
            Breakdown(
                "login", filed=20, filed_before=15, resolved=18, measured=18, within_target=17
            ),
            Breakdown(
                "billing", filed=12, filed_before=14, resolved=12, measured=12, within_target=9
            ),
            Breakdown("data", filed=10, filed_before=8, resolved=10, measured=10, within_target=9),
        ),
        "by_cause": (("bug", 25), ("spec", 15)),
        "weeks": (WeekCount(date(2026, 10, 1), date(2026, 10, 4), 4, 3),),
        "slow": tuple(slow),
        "slow_after_s": 5 * 32_400,
    }
    values.update(overrides)
    return MonthFigures(**values)


def keys_in(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        key
        for block in blocks
        if block["type"] == "section" and "text" in block
        for key in KEY.findall(block["text"]["text"].split("\n", 1)[0])
    ]


def all_text(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


def fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Every field of the post's sections, title -> value."""
    found = {}
    for block in blocks:
        for field in block.get("fields", []):
            title, value = field["text"].split("\n", 1)
            found[title.strip("*")] = value
    return found


def test_the_figures_are_in_the_post_with_their_change_from_last_month(policy: Policy) -> None:
    post = build_digest_post(policy=policy, figures=figures([]), workspace_url=WORKSPACE)
    assert post.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Escalation digest: October 2026", "emoji": True},
    }
    assert fields(post.blocks) == {
        "Filed": "42 (+5)",
        "Resolved": "40 (\u22122)",
        "Still open at month end": "5 (+2)",
        "SLO breaches": "4 (±0)",
        "SLO attainment": "87.5% (+4.2 pts)\n35 of 40 on target",
        "Median time to resolve": "5h (\u22121h)",
        "90% were resolved within": "2 business days 3h (±0)",
        "By product": (
            "Family Album: 30 filed (+5) · 25/28 on target\n"
            "Puzzle Game: 12 filed (±0) · 10/12 on target\n"
            "Handmade Market: 0 filed (\u22121) · none resolved"
        ),
        "By category": (
            "Login / account: 20 filed (+5) · 17/18 on target\n"
            "Purchases / billing: 12 filed (\u22122) · 9/12 on target\n"
            "Data restore: 10 filed (+2) · 9/10 on target"
        ),
        "Resolved by cause": "Bug: 25\nWorking as designed: 15",
    }
    notes = post.blocks[3]["elements"][0]["text"]
    assert notes == (
        "Times are business time: working hours only, not counting time spent waiting on CS. "
        "In brackets: the change from September 2026."
    )
    assert "nearest-rank" not in str(post.blocks)
    assert post.text == "Escalation digest for October 2026: 42 filed, 40 resolved, 0 slow closes."


def test_a_first_month_shows_no_changes(policy: Policy) -> None:
    first = figures([], previous=None)
    post = build_digest_post(policy=policy, figures=first, workspace_url=None)
    found = fields(post.blocks)
    assert (found["Filed"], found["Resolved"]) == ("42", "40")
    assert found["SLO attainment"] == "87.5%\n35 of 40 on target"
    assert found["Median time to resolve"] == "5h"
    assert found["By product"].startswith("Family Album: 30 filed · 25/28 on target\n")
    assert "In brackets" not in str(post.blocks)


def test_a_month_without_slow_closes_or_breaches_is_celebrated(policy: Policy) -> None:
    calm = figures([], breaches=0, within_target=40)
    post = build_digest_post(policy=policy, figures=calm, workspace_url=WORKSPACE)
    assert post.replies == []
    assert post.blocks[-1]["text"]["text"] == (
        ":tada: Every escalation resolved in October 2026 met its SLO target and took no more "
        "than 5 business days."
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # resolved, none slow, but some breached and were not resolved in the month
        (
            {"breaches": 3, "within_target": 40},
            "None of the 40 escalations resolved in October 2026 was slow.\n"
            ":warning: 3 escalations breached their SLO target in October 2026.",
        ),
        # nothing resolved at all, three breached (the mid-month /cre report of the issue)
        (
            {
                "resolved": 0,
                "measured": 0,
                "within_target": 0,
                "median_s": None,
                "p90_s": None,
                "breaches": 3,
            },
            "No escalations were resolved in October 2026.\n"
            ":warning: 3 escalations breached their SLO target in October 2026.",
        ),
        (
            {
                "resolved": 0,
                "measured": 0,
                "within_target": 0,
                "median_s": None,
                "p90_s": None,
                "breaches": 1,
                "in_progress": True,
            },
            "No escalations have been resolved in October 2026 yet.\n"
            ":warning: 1 escalation breached its SLO target in October 2026.",
        ),
        # one resolved without an SLO target: not celebrated as "met its target"
        (
            {"resolved": 1, "measured": 1, "within_target": 0, "breaches": 0},
            "The one escalation resolved in October 2026 was not slow.",
        ),
    ],
)
def test_a_month_is_celebrated_only_when_it_earned_it(
    policy: Policy, overrides: dict[str, Any], expected: str
) -> None:
    post = build_digest_post(policy=policy, figures=figures([], **overrides), workspace_url=None)
    verdict = post.blocks[-1]["text"]["text"]
    assert verdict == expected
    assert ":tada:" not in str(post.blocks)


def test_an_empty_month_says_so_plainly(policy: Policy) -> None:
    empty = figures(
        [],
        filed=0,
        resolved=0,
        measured=0,
        within_target=0,
        median_s=None,
        p90_s=None,
        breaches=1,
        open_at_end=2,
        by_product=(),
        by_category=(),
        by_cause=(),
    )
    post = build_digest_post(policy=policy, figures=empty, workspace_url=None)
    assert post.text == "Escalation digest for October 2026: nothing was filed or resolved."
    assert [b["type"] for b in post.blocks] == ["header", "section", "context"]
    assert (
        post.blocks[1]["text"]["text"] == "No escalations were filed or resolved in October 2026."
    )
    assert post.blocks[2]["elements"][0]["text"] == "Still open at month end: 2 · SLO breaches: 1"
    assert ":tada:" not in str(post.blocks)


def test_a_month_in_progress_says_so_so_far(policy: Policy) -> None:
    during = figures([], in_progress=True)
    _, blocks = build_report(policy=policy, figures=during, workspace_url=None)
    assert blocks[0]["text"]["text"] == "Escalation digest: October 2026 (so far)"
    assert fields(blocks)["Open now"] == "5 (+2)"


def test_a_month_with_nothing_resolved_shows_dashes(policy: Policy) -> None:
    empty = figures([], resolved=0, measured=0, within_target=0, median_s=None, p90_s=None)
    found = fields(build_digest_post(policy=policy, figures=empty, workspace_url=None).blocks)
    assert found["Median time to resolve"] == "—"
    assert found["SLO attainment"] == "—"


def test_a_slow_close_shows_who_what_how_long_and_why(policy: Policy) -> None:
    block = slow_close_block(
        policy=policy,
        slow=slow_close(7, business_s=3 * 32_400 + 2 * 3600, target_s=64_800),
        workspace_url=WORKSPACE,
    )
    text = block["text"]["text"]
    head, meta, why = text.split("\n")
    assert head == (
        "*<https://acme.slack.com/archives/C0ESCALATE/p1790000000000007|ESC-7>* · Slow one number 7"
    )
    assert meta == (
        "<@U0HANAKO> · Login / account · P2 · :rotating_light:"
        " *took 3 business days 2h (target 2 business days)*"
    )
    assert why == "*Cause:* Bug · Fixed the token refresh."


def test_user_text_is_escaped_and_cut(policy: Policy) -> None:
    nasty = slow_close(
        1,
        summary="<!channel> & <@U0LEAD> look",
        note="<https://evil|click> " + "long " * 200,
        assignee_id=None,
        message_ts=None,
    )
    text = slow_close_block(policy=policy, slow=nasty, workspace_url=WORKSPACE)["text"]["text"]
    assert "<!channel>" not in text
    assert "<@U0LEAD>" not in text
    assert "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U0LEAD&gt; look" in text
    assert text.startswith("*ESC-1* · ")  # no thread yet: no link
    assert "Unassigned" in text
    note = text.split("\n")[2].split(" · ", 1)[1]
    assert len(note) <= 300
    assert note.endswith("…")


def test_a_close_slower_than_slow_after_but_within_target_is_not_flagged(policy: Policy) -> None:
    slow = slow_close(2, business_s=180_000, target_s=200_000)
    text = slow_close_block(policy=policy, slow=slow, workspace_url=None)["text"]["text"]
    assert ":rotating_light:" not in text


def test_few_slow_closes_fit_in_the_post(policy: Policy) -> None:
    slow = [slow_close(n) for n in range(1, 4)]
    post = build_digest_post(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    assert post.replies == []
    assert keys_in(post.blocks) == ["ESC-1", "ESC-2", "ESC-3"]
    assert "*Slow closes (3)*" in all_text(post.blocks)


@pytest.mark.parametrize("count", [42, 43, 44, 300])
def test_slow_closes_overflow_into_thread_replies_within_limits(policy: Policy, count: int) -> None:
    slow = [slow_close(n) for n in range(1, count + 1)]
    post = build_digest_post(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    messages = [post.blocks, *(blocks for _, blocks in post.replies)]
    for blocks in messages:
        assert len(blocks) <= MESSAGE_BLOCKS_MAX
        assert check_blocks(blocks, surface="message") == []
    listed = [key for blocks in messages for key in keys_in(blocks)]
    assert listed == [f"ESC-{n}" for n in range(1, count + 1)]  # each once, slowest first
    if post.replies:
        shown = len(keys_in(post.blocks))
        assert post.blocks[-1]["elements"][0]["text"] == (
            f"…and {count - shown} more in the thread."
        )
        first_line, first_blocks = post.replies[0]
        assert first_line.startswith(f"Slow closes {shown + 1}–")
        assert first_blocks[0]["elements"][0]["text"] == first_line


def test_three_hundred_slow_closes_take_a_post_and_six_replies(policy: Policy) -> None:
    slow = [slow_close(n) for n in range(1, 301)]
    post = build_digest_post(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    # 6 blocks of figures and headings + 43 rows + the "more" line; then 257 rows, 49 a reply
    assert len(keys_in(post.blocks)) == 43
    assert [len(keys_in(blocks)) for _, blocks in post.replies] == [49, 49, 49, 49, 49, 12]


def test_the_report_is_one_message_with_the_rest_summarised(policy: Policy) -> None:
    slow = [slow_close(n) for n in range(1, 301)]
    text, blocks = build_report(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    assert len(blocks) == MESSAGE_BLOCKS_MAX
    assert check_blocks(blocks, surface="message") == []
    shown = len(keys_in(blocks))
    assert blocks[-1]["elements"][0]["text"] == f"…and {300 - shown} more."
    assert text.startswith("Escalation digest for October 2026")


def test_a_short_report_is_the_whole_digest(policy: Policy) -> None:
    slow = [slow_close(n) for n in range(1, 4)]
    _, blocks = build_report(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    post = build_digest_post(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    assert blocks == post.blocks


def test_in_japanese(policy_text: str) -> None:
    japanese = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    slow = [slow_close(1, cause="bug")]
    post = build_digest_post(policy=japanese, figures=figures(slow), workspace_url=None)
    assert post.blocks[0]["text"]["text"] == "エスカレーション月次レポート: 2026年10月"
    found = fields(post.blocks)
    assert found["SLO達成率"] == "87.5%(+4.2ポイント)\n目標内 35/40件"
    assert found["起票"] == "42(+5)"
    assert found["9割が解決するまでの時間"] == "2営業日3時間(±0)"
    assert found["カテゴリ別"].startswith("Login / account: 起票 20件(+5) · 目標内 17/18件")
    notes = post.blocks[3]["elements"][0]["text"]
    assert notes == (
        "時間は営業時間で数えています(CS回答待ちの時間は含みません)。"
        "括弧内は2026年9月からの増減です。"
    )
    assert "最近順位法" not in str(post.blocks)
    text = all_text(post.blocks)
    assert "解決まで 6営業日1時間(目標 2営業日)" in text
    assert "不具合" in text  # the Japanese default label of the cause "bug"
    assert month_label(Month(2027, 1), "ja") == "2027年1月"
    assert "2026年10月" in thread_prompt(policy=japanese, month=OCTOBER)


def test_in_japanese_only_a_month_that_earned_it_is_celebrated(policy_text: str) -> None:
    japanese = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    nothing = figures(
        [],
        resolved=0,
        measured=0,
        within_target=0,
        median_s=None,
        p90_s=None,
        breaches=3,
        in_progress=True,
    )
    _, blocks = build_report(policy=japanese, figures=nothing, workspace_url=None)
    assert blocks[0]["text"]["text"] == "エスカレーション月次レポート: 2026年10月(途中経過)"
    assert blocks[-1]["text"]["text"] == (
        "2026年10月に解決したエスカレーションは、まだありません。\n"
        ":warning: 2026年10月は3件がSLO目標を超過しました。"
    )
    calm = figures([], breaches=0, within_target=40)
    post = build_digest_post(policy=japanese, figures=calm, workspace_url=None)
    assert post.blocks[-1]["text"]["text"] == (
        ":tada: 2026年10月に解決したエスカレーションは、すべてSLO目標内、かつ5営業日以内でした。"
    )
    empty = figures(
        [],
        filed=0,
        resolved=0,
        measured=0,
        within_target=0,
        median_s=None,
        p90_s=None,
        breaches=0,
        open_at_end=0,
    )
    post = build_digest_post(policy=japanese, figures=empty, workspace_url=None)
    assert [b["type"] for b in post.blocks] == ["header", "section"]
    assert (
        post.blocks[1]["text"]["text"]
        == "2026年10月に起票・解決されたエスカレーションはありません。"
    )


def test_the_prompt_invites_root_cause_discussion(policy: Policy) -> None:
    prompt = thread_prompt(policy=policy, month=OCTOBER)
    assert "October 2026" in prompt
    assert "at the root" in prompt
    assert "what caused them" in prompt


def test_the_digest_messages_have_the_same_placeholders_in_both_languages() -> None:
    keys = [k for k in CATALOG if k.startswith(("digest.", "month."))]
    assert len(keys) > 30
    for key in keys:
        english, japanese = CATALOG[key]
        assert placeholders(english) == placeholders(japanese), key


def test_a_huge_list_stops_after_ten_replies_and_points_at_the_csv(policy: Policy) -> None:
    slow = [slow_close(n) for n in range(1, 1001)]
    post = build_digest_post(policy=policy, figures=figures(slow), workspace_url=WORKSPACE)
    assert len(post.replies) == 10
    assert all(len(blocks) <= MESSAGE_BLOCKS_MAX for _, blocks in post.replies)
    listed = keys_in(post.blocks) + [k for _, blocks in post.replies for k in keys_in(blocks)]
    assert listed == [f"ESC-{n}" for n in range(1, len(listed) + 1)]  # the slowest ones
    assert post.blocks[-1]["elements"][0]["text"] == f"…and {len(listed) - 43} more in the thread."
    last = post.replies[-1][1][-1]["elements"][0]["text"]
    assert last.startswith(f"…and {1000 - len(listed)} more: every escalation of the month is")
