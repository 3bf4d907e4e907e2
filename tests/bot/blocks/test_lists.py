"""Block Kit for lists of escalations: `/cre mine`, `/cre queue`, `/cre show` and the App Home tab."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.blocks.common import MESSAGE_BLOCKS_MAX, VIEW_BLOCKS_MAX
from bot.blocks.lists import (
    Group,
    Row,
    build_groups,
    build_home_view,
    build_list_message,
    build_row,
    build_show_message,
    message_url,
)
from bot.models import Status
from bot.policy import Policy
from bot.workspace.checks import check_blocks, check_view
from tests.support.factories import make_escalation, policy_variant

WORKSPACE = "https://acme.slack.com/"
MORE = re.compile(r"^…(?:and (\d+) more\.|ほか(\d+)件)$")  # English or Japanese
SLO = ":large_green_circle: due Thu 11/26 10:00 · 9h left"


@pytest.fixture
def japanese(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


def many_rows(count: int, *, start: int = 1) -> list[Row]:
    statuses = list(Status)
    return [
        Row(
            make_escalation(
                id=number,
                summary=f"#{number} " + "&<>" * 49,  # near the limit, and it escapes long
                status=statuses[number % 4],
                assignee_id=None if number % 4 == 0 else "U0HANAKO",
                message_ts=f"1764032400.{number:06d}",
            ),
            extra=[SLO],
        )
        for number in range(start, start + count)
    ]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(element["text"] for element in block["elements"])
    return out


def row_count(blocks: list[dict[str, Any]]) -> int:
    return sum(1 for text in texts(blocks) if text.startswith("*<") or text.startswith("*ESC-"))


def more_counts(blocks: list[dict[str, Any]]) -> list[int]:
    return [int(m.group(1) or m.group(2)) for text in texts(blocks) if (m := MORE.match(text))]


def test_message_url() -> None:
    assert message_url(WORKSPACE, "C0ESCALATE", "1764032400.000100") == (
        "https://acme.slack.com/archives/C0ESCALATE/p1764032400000100"
    )
    assert message_url(None, "C0ESCALATE", "1764032400.000100") is None
    assert message_url(WORKSPACE, "C0ESCALATE", None) is None


def test_a_row_links_its_key_and_escapes_its_summary(policy: Policy) -> None:
    row = Row(make_escalation(summary="<!channel> help\nnow"), extra=[SLO])
    block = build_row(policy=policy, row=row, workspace_url=WORKSPACE)
    assert block["text"]["text"] == (
        "*<https://acme.slack.com/archives/C0ESCALATE/p1764032400000100|ESC-42>* · "
        "&lt;!channel&gt; help now\n"
        f":bust_in_silhouette: Assigned · <@U0HANAKO> · P2 · {SLO}"
    )


def test_a_row_without_a_posted_card_or_assignee(policy: Policy, japanese: Policy) -> None:
    row = Row(make_escalation(status=Status.OPEN, assignee_id=None, message_ts=None))
    english = build_row(policy=policy, row=row, workspace_url=WORKSPACE)["text"]["text"]
    assert english.startswith("*ESC-42* · ")
    assert english.endswith(":large_blue_circle: Open · P2")  # "Unassigned" would say it twice
    in_japanese = build_row(policy=japanese, row=row, workspace_url=None)["text"]["text"]
    assert in_japanese.endswith(":large_blue_circle: 担当者待ち · P2")


def test_one_group_of_300_rows_fits_in_a_message(policy: Policy) -> None:
    group = Group("Unassigned (300)", many_rows(300), total=300)
    blocks = build_groups(policy=policy, groups=[group], workspace_url=WORKSPACE, limit=50)
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    shown = row_count(blocks)
    assert shown > 0
    assert more_counts(blocks) == [300 - shown]
    assert texts(blocks)[-1] == f"…and {300 - shown} more."
    assert check_blocks(blocks, surface="message") == []


def test_three_groups_of_300_each_say_how_many_more(policy: Policy, japanese: Policy) -> None:
    groups = [
        Group(f"Group {index}", many_rows(300, start=index * 1000), total=300) for index in range(3)
    ]
    blocks = build_list_message(policy=policy, groups=groups, workspace_url=WORKSPACE, intro="Hi")
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    counts = more_counts(blocks)
    assert len(counts) == 3
    assert sum(counts) + row_count(blocks) == 900
    assert check_blocks(blocks, surface="message") == []
    in_japanese = build_list_message(policy=japanese, groups=groups, workspace_url=WORKSPACE)
    assert [t for t in texts(in_japanese) if MORE.match(t)] == [
        f"…ほか{count}件" for count in more_counts(in_japanese)
    ]
    assert len(more_counts(in_japanese)) == 3


def test_a_group_counts_rows_it_was_not_given(policy: Policy) -> None:
    group = Group("Yours", many_rows(5), total=250)
    blocks = build_groups(policy=policy, groups=[group], workspace_url=None, limit=50)
    assert row_count(blocks) == 5
    assert more_counts(blocks) == [245]


def test_a_group_that_fits_says_nothing_more(policy: Policy) -> None:
    blocks = build_groups(
        policy=policy, groups=[Group("Yours", many_rows(3), total=3)], workspace_url=None, limit=50
    )
    assert len(blocks) == 4
    assert more_counts(blocks) == []


def test_an_empty_group_says_so(policy: Policy) -> None:
    groups = [
        Group("Yours", [], total=0, empty_text="You have no open escalations. :tada:"),
        Group("Unassigned (0)", [], total=0),
    ]
    blocks = build_groups(policy=policy, groups=groups, workspace_url=None, limit=50)
    assert texts(blocks) == [
        "*Yours*",
        "You have no open escalations. :tada:",
        "*Unassigned (0)*",
        "Nothing here.",
    ]


def test_a_group_title_is_escaped(policy: Policy) -> None:
    blocks = build_groups(
        policy=policy, groups=[Group("<!here> list", [], total=0)], workspace_url=None, limit=50
    )
    assert texts(blocks)[0] == "*&lt;!here&gt; list*"


def test_the_home_view_stays_within_100_blocks(policy: Policy, japanese: Policy) -> None:
    groups = [
        Group("Your escalations", many_rows(300), total=300),
        Group("Unassigned (300)", many_rows(300, start=1000), total=300),
        Group("In progress (300)", many_rows(300, start=2000), total=300),
    ]
    for each in (policy, japanese):
        view = build_home_view(
            policy=each,
            groups=groups,
            workspace_url=WORKSPACE,
            away_text=":palm_tree: You are marked away through 2026-12-24.",
        )
        assert view["type"] == "home"
        assert len(view["blocks"]) <= VIEW_BLOCKS_MAX
        counts = more_counts(view["blocks"])
        assert len(counts) == 3
        assert sum(counts) + row_count(view["blocks"]) == 900
        assert check_view(view) == []
        actions = [b for b in view["blocks"] if b["type"] == "actions"]
        assert [e["action_id"] for a in actions for e in a["elements"]] == ["home.escalate"]


def test_the_home_view_shows_the_absence(policy: Policy) -> None:
    view = build_home_view(
        policy=policy, groups=[], workspace_url=None, away_text=":palm_tree: Away."
    )
    assert ":palm_tree: Away." in texts(view["blocks"])
    assert check_view(view) == []


def test_show_keeps_the_latest_timeline_lines_within_50_blocks(policy: Policy) -> None:
    card = [{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}] * 5
    timeline = [f"`Wed 11/25 10:{i % 60:02d}` line {i} " + "x" * 200 for i in range(2000)]
    blocks = build_show_message(
        policy=policy, card_blocks=card, timeline=timeline, extra_lines=["note"]
    )
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    shown = "\n".join(texts(blocks))
    assert "line 1999 " in shown  # the latest event is always there
    assert "line 0 " not in shown
    assert check_blocks(blocks, surface="message") == []


def test_show_with_a_short_timeline_keeps_every_line_in_order(policy: Policy) -> None:
    timeline = ["first", "second", "third"]
    blocks = build_show_message(policy=policy, card_blocks=[], timeline=timeline)
    assert texts(blocks)[-2:] == ["*Timeline*", "first\nsecond\nthird"]


def test_show_cuts_a_single_enormous_line(policy: Policy) -> None:
    blocks = build_show_message(policy=policy, card_blocks=[], timeline=["y" * 10_000])
    assert check_blocks(blocks, surface="message") == []
