"""Block Kit and mrkdwn rendered for a terminal: what a Slack user would see, with numbered controls.

Lines never pass WIDTH columns (wide characters such as emoji and Japanese count two), carry no
trailing spaces, and keep a control's label on one line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.mrkdwn import ControlSequence, replace_controls, unescape

WIDTH = 78
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EMOJI_CODE = re.compile(r":([a-z0-9][a-z0-9_+\-]*):")
EMOJI = {
    ":warning:": "⚠️ ",
    ":rotating_light:": "🚨",
    ":white_check_mark:": "✅",
    ":heavy_check_mark:": "✔️ ",
    ":x:": "❌",
    ":mag:": "🔍",
    ":hourglass_flowing_sand:": "⏳",
    ":hourglass:": "⌛",
    ":bust_in_silhouette:": "👤",
    ":busts_in_silhouette:": "👥",
    ":large_blue_circle:": "🔵",
    ":large_green_circle:": "🟢",
    ":large_yellow_circle:": "🟡",
    ":large_orange_circle:": "🟠",
    ":red_circle:": "🔴",
    ":white_circle:": "⚪",
    ":raised_hand:": "✋",
    ":alarm_clock:": "⏰",
    ":bell:": "🔔",
    ":zzz:": "💤",
    ":ok_hand:": "👌",
    ":tada:": "🎉",
    ":palm_tree:": "🌴",
    ":wave:": "👋",
    ":inbox_tray:": "📥",
    ":arrow_forward:": "▶️ ",
    ":leftwards_arrow_with_hook:": "↩️ ",
    ":bar_chart:": "📊",
    ":memo:": "📝",
    ":arrows_counterclockwise:": "🔄",
    ":repeat:": "🔁",
    ":pencil:": "📝",
    ":lock:": "🔒",
    ":unlock:": "🔓",
    ":no_entry:": "⛔",
    ":grey_question:": "❔",
    ":question:": "❓",
    ":information_source:": "ℹ️ ",
    ":bulb:": "💡",
    ":thinking_face:": "🤔",
    ":card_index:": "📇",
    ":speech_balloon:": "💬",
    ":chart_with_upwards_trend:": "📈",
    ":paperclip:": "📎",
    ":calendar:": "📅",
    ":date:": "📅",
    ":eyes:": "👀",
    ":pushpin:": "📌",
    ":link:": "🔗",
    ":clipboard:": "📋",
    ":fire:": "🔥",
}
QUOTE = "│ "


@dataclass
class Style:
    """ANSI styles, or none when colour is off."""

    color: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def italic(self, text: str) -> str:
        return self._wrap("3", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def magenta(self, text: str) -> str:
        return self._wrap("35", text)


def for_readline(prompt: str) -> str:
    """A coloured prompt for input() under readline: escapes marked invisible (\\001…\\002)."""
    return ANSI.sub(lambda m: f"\001{m.group(0)}\002", prompt)


def plain_text(text: str) -> str:
    """Text without its colour codes."""
    return ANSI.sub("", text)


def display_width(text: str) -> int:
    """Terminal columns `text` takes: colour codes take none, wide characters (emoji, CJK) two."""
    width = 0
    for char in ANSI.sub("", text):
        if char in "\u200d\ufe0e\ufe0f" or unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


@dataclass
class Control:
    """A numbered interactive element on screen."""

    number: int
    element: dict[str, Any]
    block_id: str


@dataclass
class Rendering:
    """Rendered lines plus the controls they number."""

    lines: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)


NameOf = Callable[[str], str]


class Renderer:
    """Turns Slack payloads into terminal lines; numbers every button, select and date picker."""

    def __init__(
        self,
        *,
        style: Style,
        user_name: NameOf,
        channel_name: NameOf,
        next_number: Callable[[], int],
    ) -> None:
        self.style = style
        self.user_name = user_name
        self.channel_name = channel_name
        self.next_number = next_number

    # -- mrkdwn -------------------------------------------------------------------------------------

    def mrkdwn(self, text: str) -> str:
        """Slack mrkdwn as terminal text: mentions by name, links by label, entities decoded, styles."""

        def control(found: ControlSequence) -> str:
            target, label = found.target, found.label
            if target.startswith("@"):
                return self.style.cyan("@" + self.user_name(target[1:]))
            if target.startswith("#"):
                return self.style.cyan("#" + self.channel_name(target[1:]))
            if target.startswith("!"):
                return self.style.yellow("@" + (label or found.special))
            if target.startswith("mailto:"):
                return label or target[7:]
            return self.style.cyan(label) if label else target

        text = replace_controls(text, control)
        text = re.sub(
            r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", lambda m: self.style.bold(m.group(1)), text
        )
        text = re.sub(
            r"(?<![\w_])_([^_\n]+)_(?![\w_])", lambda m: self.style.italic(m.group(1)), text
        )
        text = re.sub(r"`([^`\n]+)`", lambda m: self.style.magenta(m.group(1)), text)
        text = EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), text)
        text = unescape(text)
        lines = []
        for line in text.split("\n"):
            if line.startswith(">"):
                line = self.style.dim(QUOTE) + line[1:].lstrip(" ")
            lines.append(line)
        return "\n".join(lines)

    def text_object(self, obj: dict[str, Any] | None) -> str:
        """A text object (plain or mrkdwn) as terminal text."""
        if not obj:
            return ""
        text = str(obj.get("text", ""))
        if obj.get("type") == "mrkdwn":
            return self.mrkdwn(text)
        return EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), text)

    # -- blocks ------------------------------------------------------------------------------------

    def blocks(self, blocks: list[dict[str, Any]], *, indent: str = "  ") -> Rendering:
        """Render a list of blocks, numbering interactive elements."""
        out = Rendering()
        for block in blocks:
            kind = block.get("type")
            if kind == "section":
                self._section(block, indent, out)
            elif kind == "header":
                out.lines.extend(wrap(self.style.bold(self.text_object(block.get("text"))), indent))
            elif kind == "context":
                parts = [
                    self.text_object(e) if e.get("type") != "image" else "🖼"
                    for e in block.get("elements", [])
                ]
                out.lines.extend(wrap(self.style.dim("  ".join(parts)), indent))
            elif kind == "divider":
                out.lines.append(indent + self.style.dim("─" * (WIDTH - display_width(indent))))
            elif kind == "actions":
                self._controls(block.get("elements", []), block.get("block_id", ""), indent, out)
            elif kind == "image":
                out.lines.extend(wrap(f"🖼  {block.get('alt_text', 'image')}", indent))
            elif kind == "input":
                out.lines.extend(
                    wrap(self.style.bold(self.text_object(block.get("label"))), indent)
                )
            elif kind == "file":
                out.lines.append(f"{indent}📎 {block.get('external_id', 'file')}")
        return out

    def text(self, text: str, *, indent: str = "  ") -> list[str]:
        """A message's plain mrkdwn text (no blocks), wrapped."""
        return wrap(self.mrkdwn(text), indent)

    def file_line(
        self, *, title: str, size: int, path: str | None, indent: str = "  "
    ) -> list[str]:
        """An uploaded file, by name, under the message that carries it (a path is never cut)."""
        line = f"{indent}📎 {title} ({size:,} byte{'' if size == 1 else 's'})"
        where = f"→ written to {path}" if path else ""
        if where and display_width(f"{line} {where}") <= WIDTH:
            return [self.style.magenta(f"{line} {where}")]
        lines = [self.style.magenta(line)]
        if where:
            lines.append(self.style.magenta(f"{indent}   {where}"))
        return lines

    def _section(self, block: dict[str, Any], indent: str, out: Rendering) -> None:
        if block.get("text"):
            out.lines.extend(wrap(self.text_object(block["text"]), indent))
        fields = [self.text_object(f) for f in block.get("fields", [])]
        available = WIDTH - display_width(indent)
        column = available // 2
        for pair in (fields[i : i + 2] for i in range(0, len(fields), 2)):
            flat = [text.replace("\n", ": ", 1) for text in pair]
            if (
                len(pair) == 2
                and all("\n" not in text for text in flat)
                and display_width(flat[0]) <= column - 2
                and display_width(flat[1]) <= available - column
            ):
                out.lines.append(f"{indent}{_pad(flat[0], column)}{flat[1]}".rstrip())
                continue
            for text in pair:  # one under another: too long for a column, or a list
                title, _, value = text.partition("\n")
                if "\n" in value:
                    out.lines.extend(wrap(title + ":", indent))
                    out.lines.extend(wrap(value, indent + "  "))
                else:
                    out.lines.extend(
                        wrap(title + (": " + value if value else ""), indent, hang="  ")
                    )
        if block.get("accessory"):
            self._controls([block["accessory"]], block.get("block_id", ""), indent, out)

    def _controls(
        self, elements: list[dict[str, Any]], block_id: str, indent: str, out: Rendering
    ) -> None:
        labels = []
        for element in elements:
            if "action_id" not in element:
                continue
            number = self.next_number()
            out.controls.append(Control(number, element, block_id))
            labels.append(self.style.cyan(f"[{number} {self.control_label(element)}]"))
        out.lines.extend(pack(labels, indent))

    def control_label(self, element: dict[str, Any]) -> str:
        """What a control shows: a button's text, a picker's placeholder."""
        kind = element.get("type")
        if kind == "button":
            return self.text_object(element.get("text"))
        if kind == "datepicker":
            return f"📅 {self.text_object(element.get('placeholder')) or 'date'}"
        if kind == "overflow":
            return "⋯"
        placeholder = self.text_object(element.get("placeholder")) or "choose"
        return f"{placeholder} ▾"

    def options(self, element: dict[str, Any]) -> list[tuple[str, str]]:
        """The (value, label) options of a select, overflow menu or radio group."""
        options = list(element.get("options", []))
        for group in element.get("option_groups", []):
            options.extend(group.get("options", []))
        return [(str(o["value"]), self.text_object(o.get("text"))) for o in options]


def label_key(label: str) -> str:
    """A control label as typed: no colour, no leading emoji or symbols, no trailing … or ▾."""
    text = plain_text(label).strip().lower()
    text = re.sub(r"^[^\w]+", "", text)
    return re.sub(r"[\s…▾.]+$", "", text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 1)


def wrap(text: str, indent: str, *, hang: str = "", width: int = WIDTH) -> list[str]:
    """`text` in lines of at most `width` columns, each starting with `indent`, without trailing
    spaces. Continuation lines keep a quote bar or a bullet's indent, plus `hang`."""
    lines: list[str] = []
    for raw in text.split("\n"):
        lead = re.match(r"^((?:\x1b\[[0-9;]*m)*(?:│ |• |\s+)?(?:\x1b\[[0-9;]*m)*)", raw)
        prefix = lead.group(1) if lead else ""
        body = raw[len(prefix) :]
        visible_prefix = plain_text(prefix)
        follow = (prefix if visible_prefix == QUOTE else " " * display_width(visible_prefix)) + hang
        first_room = width - display_width(indent) - display_width(prefix)
        rest_room = width - display_width(indent) - display_width(follow)
        pieces = _fill(body, first_room, rest_room)
        lines.append((indent + prefix + pieces[0]).rstrip())
        lines.extend((indent + follow + piece).rstrip() for piece in pieces[1:])
    return lines


def pack(tokens: list[str], indent: str, *, width: int = WIDTH) -> list[str]:
    """Tokens (e.g. `[3 Resolve]`) joined by spaces into lines; a token is never split."""
    lines: list[str] = []
    current = ""
    room = width - display_width(indent)
    for token in tokens:
        candidate = f"{current} {token}" if current else token
        if current and display_width(candidate) > room:
            lines.append(indent + current)
            current = token
        else:
            current = candidate
    if current:
        lines.append(indent + current)
    return lines


def _fill(text: str, first_room: int, rest_room: int) -> list[str]:
    """Greedy word wrap, colour-aware; a word longer than a line is cut."""
    pieces: list[str] = []
    current = ""
    room = max(first_room, 8)
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= room:
            current = candidate
            continue
        if current:
            pieces.append(current)
            room = max(rest_room, 8)
        current = word
        while display_width(current) > room:
            head, current = _cut(current, room)
            pieces.append(head)
            room = max(rest_room, 8)
    pieces.append(current)
    return pieces


def _cut(text: str, columns: int) -> tuple[str, str]:
    """Split `text` after at most `columns` visible columns (colour codes stay whole)."""
    used = 0
    index = 0
    while index < len(text):
        escape = ANSI.match(text, index)
        if escape:
            index = escape.end()
            continue
        char_width = display_width(text[index])
        if used + char_width > columns:
            break
        used += char_width
        index += 1
    return text[:index], text[index:]
