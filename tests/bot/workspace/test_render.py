"""The terminal renderer: Block Kit as a Slack user would read it, numbered, within 78 columns."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.common import button, context, divider, fields_section, header, section
from bot.workspace.render import (
    EMOJI,
    WIDTH,
    Renderer,
    Style,
    display_width,
    for_readline,
    label_key,
    plain_text,
    wrap,
)

ROOT = Path(__file__).resolve().parents[3]
NAMES = {"U0HANAKO": "hanako", "C0ESC": "cre-escalations"}


def _renderer(*, color: bool = False) -> Renderer:
    numbers = itertools.count(1)
    return Renderer(
        style=Style(color=color),
        user_name=lambda user: NAMES.get(user, user),
        channel_name=lambda channel: NAMES.get(channel, channel),
        next_number=lambda: next(numbers),
    )


def _lines(blocks: list[dict[str, Any]], *, color: bool = False) -> list[str]:
    return _renderer(color=color).blocks(blocks).lines


def _fits(lines: list[str]) -> None:
    for line in lines:
        assert display_width(line) <= WIDTH, line
        assert line == line.rstrip(), repr(line)


def test_a_section_is_wrapped_at_the_width_with_mentions_links_and_entities() -> None:
    text = (
        "*ESC-1* for <@U0HANAKO> in <#C0ESC>: see <https://example.com/x|the runbook> &lt;now&gt; "
        + "word " * 30
    )
    lines = _lines([section(text)])

    assert lines[0].startswith(
        "  ESC-1 for @hanako in #cre-escalations: see the runbook <now> word"
    )
    assert len(lines) > 1
    _fits(lines)


def test_short_fields_sit_in_two_columns_without_trailing_spaces() -> None:
    lines = _lines([fields_section(["*Status*\n:mag: Investigating", "*Assignee*\n<@U0HANAKO>"])])

    assert lines == ["  Status: 🔍 Investigating              Assignee: @hanako"]
    # The emoji takes two columns: the second field starts at the same column as without it.
    assert display_width(lines[0].split("Assignee")[0]) == 2 + 38


def test_an_odd_last_field_has_no_trailing_padding() -> None:
    lines = _lines([fields_section(["*SLO*\n:large_green_circle: due Tue 11/24 13:00 · 4h left"])])

    assert lines == ["  SLO: 🟢 due Tue 11/24 13:00 · 4h left"]


def test_a_long_field_value_gets_its_own_lines_instead_of_joining_the_next_field() -> None:
    reason = "too many failed sign-ins right after a password reset, twice in one hour"
    lines = _lines(
        [fields_section(["*Status*\nlocked", f"*Status reason*\n{reason}", "*Plan*\nfamily"])]
    )

    assert lines[0] == "  Status: locked"
    assert lines[1].startswith("  Status reason: too many failed sign-ins")
    assert lines[2].startswith("    ")  # the rest of the value, hanging under the field
    assert lines[-1] == "  Plan: family"
    _fits(lines)


def test_a_field_holding_a_list_puts_its_items_under_its_title() -> None:
    lines = _lines([fields_section(["*By category*\nLogin: 2\nBilling: 1", "*Filed*\n3"])])

    assert lines == ["  By category:", "    Login: 2", "    Billing: 1", "  Filed: 3"]


def test_header_context_and_divider() -> None:
    lines = _lines([header("Escalation digest: November 2026"), context("one", "*two*"), divider()])

    assert lines == ["  Escalation digest: November 2026", "  one  two", "  " + "─" * (WIDTH - 2)]


def test_buttons_are_numbered_and_a_label_is_never_split_across_lines() -> None:
    labels = ["Still on it", "Snooze until tomorrow", "Resolve", "Hand back", "Reassign to someone"]
    blocks = [
        {
            "type": "actions",
            "block_id": "esc:4",
            "elements": [button(label, f"a{i}", "4") for i, label in enumerate(labels)],
        }
    ]
    rendering = _renderer().blocks(blocks)

    assert [c.number for c in rendering.controls] == [1, 2, 3, 4, 5]
    joined = " ".join(rendering.lines)
    for number, label in enumerate(labels, start=1):
        assert any(f"[{number} {label}]" in line for line in rendering.lines), joined
    assert len(rendering.lines) == 2
    _fits(rendering.lines)


def test_pickers_show_their_placeholders() -> None:
    renderer = _renderer()
    menu = {
        "type": "static_select",
        "action_id": "s",
        "placeholder": {"type": "plain_text", "text": "Snooze…"},
    }
    date = {
        "type": "datepicker",
        "action_id": "d",
        "placeholder": {"type": "plain_text", "text": "Snooze until…"},
    }

    assert renderer.control_label(menu) == "Snooze… ▾"
    assert renderer.control_label(date) == "📅 Snooze until…"
    assert label_key(renderer.control_label(menu)) == "snooze"
    assert label_key(renderer.control_label(date)) == "snooze until"


def test_a_file_is_shown_by_name_size_and_where_it_was_written() -> None:
    renderer = _renderer()

    assert renderer.file_line(title="chart.png", size=49222, path="crebot-files/chart.png") == [
        "  📎 chart.png (49,222 bytes) → written to crebot-files/chart.png"
    ]
    long_path = "/srv/" + "x" * 90 + "/chart.png"
    lines = renderer.file_line(title="chart.png", size=1, path=long_path)
    assert lines == ["  📎 chart.png (1 byte)", f"     → written to {long_path}"]  # never cut


def test_a_quote_keeps_its_bar_when_it_wraps() -> None:
    lines = _renderer().text("Answer for CS:\n>" + "Please delete the saved password. " * 4)

    assert lines[0] == "  Answer for CS:"
    assert all(line.startswith("  │ ") for line in lines[1:])
    assert len(lines) > 2
    _fits(lines)


def test_wide_characters_count_two_columns() -> None:
    assert display_width("山田") == 4
    assert display_width("🔍 x") == 4
    assert display_width("⚠️ x") == 3
    text = "山田さんのログインができません。" * 8
    _fits(wrap(text, "  "))


def test_colour_codes_take_no_room_and_are_absent_without_colour() -> None:
    coloured = _lines([section("*bold* and `code` " + "word " * 20)], color=True)
    plain = _lines([section("*bold* and `code` " + "word " * 20)])

    assert "\x1b[" in coloured[0]
    assert [plain_text(line) for line in coloured] == plain
    assert not any("\x1b" in line for line in plain)


def test_readline_prompts_mark_colour_codes_as_invisible() -> None:
    prompt = Style(color=True).bold("miki@cs-support> ")

    assert for_readline(prompt) == "\001\x1b[1m\002miki@cs-support> \001\x1b[0m\002"
    assert for_readline("plain> ") == "plain> "


def test_label_keys_ignore_leading_emoji_and_trailing_marks() -> None:
    assert label_key("📅 Snooze until…") == "snooze until"
    assert label_key("✅ Resolve") == "resolve"
    assert label_key("Reassign… ▾") == "reassign"


def _emoji_codes_in(paths: list[Path]) -> set[str]:
    codes: set[str] = set()
    for path in paths:
        codes.update(
            re.findall(r"(?<![\w:/]):[a-z0-9][a-z0-9_+\-]*:(?![\w/])", path.read_text("utf-8"))
        )
    return codes


def test_every_emoji_code_the_bot_uses_has_a_symbol() -> None:
    paths = [ROOT / "bot" / "i18n.py", *sorted((ROOT / "bot" / "blocks").glob("*.py"))]
    codes = _emoji_codes_in(paths)

    assert ":warning:" in codes  # the pattern finds them
    assert sorted(codes - EMOJI.keys()) == []


@pytest.mark.parametrize("code", [":grey_question:", ":no_entry:", ":unlock:"])
def test_codes_once_missing_render_as_symbols(code: str) -> None:
    assert code not in _renderer().mrkdwn(f"{code} text")


def test_an_unknown_code_and_times_stay_as_typed() -> None:
    assert _renderer().mrkdwn(":not_an_emoji: at 10:00:30") == ":not_an_emoji: at 10:00:30"
