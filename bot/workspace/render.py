"""Block Kit and mrkdwn rendered for a terminal: what a Slack user would see, with numbered controls."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WIDTH = 78
EMOJI = {
    ":warning:": "⚠️ ",
    ":rotating_light:": "🚨",
    ":white_check_mark:": "✅",
    ":mag:": "🔍",
    ":hourglass_flowing_sand:": "⏳",
    ":bust_in_silhouette:": "👤",
    ":large_blue_circle:": "🔵",
    ":large_green_circle:": "🟢",
    ":large_yellow_circle:": "🟡",
    ":red_circle:": "🔴",
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
    ":lock:": "🔒",
    ":bulb:": "💡",
    ":thinking_face:": "🤔",
    ":card_index:": "📇",
    ":speech_balloon:": "💬",
    ":chart_with_upwards_trend:": "📈",
    ":paperclip:": "📎",
}


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

        def entity(match: re.Match[str]) -> str:
            inner = match.group(1)
            target, _, label = inner.partition("|")
            if target.startswith("@"):
                return self.style.cyan("@" + self.user_name(target[1:]))
            if target.startswith("#"):
                return self.style.cyan("#" + self.channel_name(target[1:]))
            if target.startswith("!"):
                return self.style.yellow("@" + (label or target[1:].split("^")[0]))
            if target.startswith("mailto:"):
                return label or target[7:]
            return self.style.cyan(label) if label else target

        text = re.sub(r"<([^<>]+)>", entity, text)
        text = re.sub(
            r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", lambda m: self.style.bold(m.group(1)), text
        )
        text = re.sub(
            r"(?<![\w_])_([^_\n]+)_(?![\w_])", lambda m: self.style.italic(m.group(1)), text
        )
        text = re.sub(r"`([^`\n]+)`", lambda m: self.style.magenta(m.group(1)), text)
        for code, symbol in EMOJI.items():
            text = text.replace(code, symbol)
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        lines = []
        for line in text.split("\n"):
            lines.append(self.style.dim("│ ") + line[1:] if line.startswith(">") else line)
        return "\n".join(lines)

    def text_object(self, obj: dict[str, Any] | None) -> str:
        """A text object (plain or mrkdwn) as terminal text."""
        if not obj:
            return ""
        text = str(obj.get("text", ""))
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else text

    # -- blocks ------------------------------------------------------------------------------------

    def blocks(self, blocks: list[dict[str, Any]], *, indent: str = "  ") -> Rendering:
        """Render a list of blocks, numbering interactive elements."""
        out = Rendering()
        for block in blocks:
            kind = block.get("type")
            if kind == "section":
                self._section(block, indent, out)
            elif kind == "header":
                out.lines.append(indent + self.style.bold(self.text_object(block.get("text"))))
            elif kind == "context":
                parts = [
                    self.text_object(e) if e.get("type") != "image" else "🖼"
                    for e in block.get("elements", [])
                ]
                out.lines.extend(_wrap(self.style.dim("  ".join(parts)), indent))
            elif kind == "divider":
                out.lines.append(indent + self.style.dim("─" * (WIDTH - len(indent))))
            elif kind == "actions":
                self._controls(block.get("elements", []), block.get("block_id", ""), indent, out)
            elif kind == "image":
                out.lines.append(f"{indent}🖼  {block.get('alt_text', 'image')}")
            elif kind == "input":
                out.lines.append(indent + self.style.bold(self.text_object(block.get("label"))))
            elif kind == "file":
                out.lines.append(f"{indent}📎 {block.get('external_id', 'file')}")
        return out

    def _section(self, block: dict[str, Any], indent: str, out: Rendering) -> None:
        if block.get("text"):
            out.lines.extend(_wrap(self.text_object(block["text"]), indent))
        fields = [self.text_object(f).replace("\n", ": ", 1) for f in block.get("fields", [])]
        if any("\n" in f for f in fields):  # lists inside fields read better one under another
            for text in fields:
                out.lines.extend(_wrap(text.replace("\n", "\n  "), indent))
        else:
            for left, right in zip(fields[0::2], [*fields[1::2], ""], strict=False):
                out.lines.append(f"{indent}{_pad(left, 38)}{right}")
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
        if labels:
            out.lines.extend(_wrap(" ".join(labels), indent))

    def control_label(self, element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "button":
            return self.text_object(element.get("text"))
        if kind == "datepicker":
            return f"📅 {self.text_object(element.get('placeholder')) or 'date'}"
        placeholder = self.text_object(element.get("placeholder")) or "choose"
        return f"{placeholder} ▾"

    def options(self, element: dict[str, Any]) -> list[tuple[str, str]]:
        """The (value, label) options of a select."""
        return [
            (str(o["value"]), self.text_object(o.get("text"))) for o in element.get("options", [])
        ]


def _pad(text: str, width: int) -> str:
    visible = len(re.sub(r"\x1b\[[0-9;]*m", "", text))
    return text + " " * max(width - visible, 1)


def _wrap(text: str, indent: str) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        if len(re.sub(r"\x1b\[[0-9;]*m", "", raw)) <= WIDTH - len(indent):
            lines.append(indent + raw)
        else:
            lines.extend(
                textwrap.wrap(
                    raw, WIDTH - len(indent), initial_indent=indent, subsequent_indent=indent
                )
                or [indent]
            )
    return lines
