"""Safe text for Slack: escape user input for mrkdwn and cut to Slack's limits with an ellipsis."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ELLIPSIS = "…"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so user text can never form a mention, link or @channel."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def truncate(text: str, limit: int) -> str:
    """Cut plain text to `limit` characters, ending with "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def escape_truncated(text: str, limit: int) -> str:
    """Escape user text for mrkdwn and fit the result into `limit` characters without splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + ELLIPSIS


def single_line(text: str) -> str:
    """Collapse whitespace and newlines into single spaces (for list rows and titles)."""
    return " ".join(text.split())


def mention(user_id: str | None) -> str:
    """A user mention for a known Slack user id; anything else is shown escaped, pinging no one."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "")


def channel_link(channel_id: str) -> str:
    """A channel reference for a Slack channel id."""
    if _CHANNEL_ID.match(channel_id):
        return f"<#{channel_id}>"
    return escape(channel_id)


def is_safe_url(url: str) -> bool:
    """An http(s) URL that cannot break out of a mrkdwn link."""
    return bool(re.match(r"^https?://[^\s<>|]+$", url))


def link(url: str, label: str) -> str:
    """A mrkdwn link whose label is escaped; unsafe URLs degrade to the escaped label alone."""
    if not is_safe_url(url):
        return escape(label)
    return f"<{url}|{escape(label)}>"


def is_user_id(value: str) -> bool:
    """True for strings shaped like Slack user ids (U… or W…)."""
    return bool(_USER_ID.match(value))


def is_channel_id(value: str) -> bool:
    """True for strings shaped like Slack conversation ids (C…, G…, D…)."""
    return bool(_CHANNEL_ID.match(value))


_CONTROL = re.compile(r"<([^<>]+)>")
_ENTITY = re.compile(r"&(lt|gt|amp);")
_UNESCAPES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


@dataclass(frozen=True)
class ControlSequence:
    """A Slack control sequence: `<@U1>`, `<#C1|name>`, `<!here>`, `<https://…|label>`."""

    target: str  # "@U1", "#C1", "!here", "!subteam^S1", "https://…", "mailto:…"
    label: str  # what follows "|", or ""

    @property
    def special(self) -> str:
        """For `<!…>`: the name without Slack's parameters ("here", "subteam")."""
        return self.target[1:].split("^", 1)[0]


def replace_controls(text: str, readable: Callable[[ControlSequence], str]) -> str:
    """Replace every control sequence in mrkdwn text with what `readable` makes of it."""

    def one(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        return readable(ControlSequence(target, label))

    return _CONTROL.sub(one, text)


_COMMAND_WORD = re.compile(r"(?:<[^<>]*>|\S)+")


def command_words(text: str) -> list[str]:
    """The words of an escaped slash command: `<@U1|Hanako Yamada>` stays one word, `&amp;` is `&`."""
    return [
        word if _CONTROL.fullmatch(word) else unescape(word) for word in _COMMAND_WORD.findall(text)
    ]


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` (in one pass: `&amp;lt;` stays `&lt;`)."""
    return _ENTITY.sub(lambda m: _UNESCAPES[m.group(0)], text)


def to_plain(text: str) -> str:
    """A Slack message's mrkdwn as a person reads it: `<@U1>` → @U1, `<url|label>` → label (url)."""
    return unescape(replace_controls(text, _plain))


def _plain(control: ControlSequence) -> str:
    target, label = control.target, control.label
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + control.special
    address = target.removeprefix("mailto:")
    if label and label not in (target, address):
        return f"{label} ({address})"
    return address


def message_permalink(
    workspace_url: str, *, channel_id: str, message_ts: str, thread_ts: str | None = None
) -> str:
    """The permalink of a message, built the way Slack builds them (no API call)."""
    url = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{message_ts.replace('.', '')}"
    if thread_ts and thread_ts != message_ts:
        url += f"?thread_ts={thread_ts}&cid={channel_id}"
    return url
