"""Small Block Kit pieces shared by every builder, each fitted to Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.mrkdwn import truncate

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
HEADER_MAX = 150
VIEW_TITLE_MAX = 24
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
CONTEXT_ELEMENTS_MAX = 10
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
}


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A plain_text object, cut to `limit`."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def md(text: str) -> dict[str, Any]:
    """A mrkdwn text object (text must already be escaped and fitted)."""
    return {"type": "mrkdwn", "text": text or " "}


def section(text: str, **extra: Any) -> Block:
    """A section block with mrkdwn text cut to the section limit."""
    return {"type": "section", "text": md(truncate(text, SECTION_TEXT_MAX)), **extra}


def fields_section(fields: list[str]) -> Block:
    """A section of up to ten mrkdwn fields."""
    return {"type": "section", "fields": [md(truncate(f, FIELD_MAX)) for f in fields[:10]]}


def header(text: str) -> Block:
    """A header block."""
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def context(*texts: str) -> Block:
    """A context block of mrkdwn snippets."""
    return {
        "type": "context",
        "elements": [md(truncate(t, SECTION_TEXT_MAX)) for t in texts[:CONTEXT_ELEMENTS_MAX]],
    }


def modal_view(
    *,
    callback_id: str,
    title: str,
    submit: str,
    lang: str,
    metadata: dict[str, Any],
    blocks: Sequence[Block],
) -> dict[str, Any]:
    """A modal view: its title and submit label (already translated) cut to Slack's view limit,
    the usual Cancel, and `metadata` carried as JSON in `private_metadata`."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, VIEW_TITLE_MAX),
        "submit": plain(submit, VIEW_TITLE_MAX),
        "close": plain(t("modal.cancel", lang), VIEW_TITLE_MAX),
        "private_metadata": json.dumps(metadata),
        "blocks": list(blocks),
    }


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button element."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def option(text: str, value: str) -> dict[str, Any]:
    """A select option."""
    return {"text": plain(text, OPTION_TEXT_MAX), "value": value[:150]}


def actions(block_id: str, elements: list[dict[str, Any]]) -> Block:
    """An actions block (at most 25 elements)."""
    return {"type": "actions", "block_id": block_id[:255], "elements": elements[:25]}


def format_local(instant: datetime, tz: ZoneInfo, lang: str, *, with_date: bool = True) -> str:
    """An instant in the team's time zone: "Tue 11/24 14:00" / "11/24(火) 14:00"."""
    local = instant.astimezone(tz)
    day = _WEEKDAYS["ja" if lang == "ja" else "en"][local.weekday()]
    clock = local.strftime("%H:%M")
    if not with_date:
        return clock
    if lang == "ja":
        return f"{local.month}/{local.day}({day}) {clock}"
    return f"{day} {local.month}/{local.day} {clock}"


def format_day(instant: datetime, tz: ZoneInfo, lang: str) -> str:
    """The day of an instant in the team's time zone: "Tue 11/24" / "11/24(火)"."""
    local = instant.astimezone(tz)
    day = _WEEKDAYS["ja" if lang == "ja" else "en"][local.weekday()]
    if lang == "ja":
        return f"{local.month}/{local.day}({day})"
    return f"{day} {local.month}/{local.day}"


def format_date(instant: datetime, tz: ZoneInfo, lang: str) -> str:
    """A date in the team's time zone: "2026-11-24"."""
    return instant.astimezone(tz).date().isoformat()


def fit_blocks(blocks: list[Block], limit: int, overflow: Block | None = None) -> list[Block]:
    """Keep at most `limit` blocks; when cutting, end with `overflow` (e.g. "…and 12 more")."""
    if len(blocks) <= limit:
        return blocks
    if overflow is None:
        return blocks[:limit]
    return [*blocks[: limit - 1], overflow]
