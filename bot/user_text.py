"""What people type, checked the same way whatever the database: no character it cannot store.

PostgreSQL refuses NUL in text, and neither database (nor Slack's JSON) can take an unpaired
surrogate; other control characters are invisible in Slack and break what is copied out. They are
refused at validation, with a field error naming the first one, the same on SQLite and PostgreSQL.
Tabs and line breaks are text.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def first_unstorable(text: str | None) -> str | None:
    """The first control character or unpaired surrogate in `text`, as "U+0000" (None if clean)."""
    found = _UNSTORABLE.search(text or "")
    return f"U+{ord(found.group()):04X}" if found else None


def unstorable_error(text: str | None) -> tuple[str, dict[str, str]] | None:
    """A field error for `text` if it holds a character that must not be stored."""
    code_point = first_unstorable(text)
    return ("field.control_character", {"code_point": code_point}) if code_point else None


def without_unstorable(text: str) -> str:
    """`text` with those characters removed (for what the bot prefills, never for what it saves)."""
    return _UNSTORABLE.sub("", text)
