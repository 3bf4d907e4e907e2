"""Dates people type: "2026-12-24", "2026/12/24", "12/24", "12-24"."""

from __future__ import annotations

import re
from datetime import date

from bot.errors import DomainError

_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHORT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")


def parse_user_date(text: str, *, today: date) -> date:
    """A date from user text; month/day alone means the next such day from today on."""
    value = text.strip()
    try:
        if match := _FULL.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _SHORT.match(value):
            month, day = int(match.group(1)), int(match.group(2))
            candidate = date(today.year, month, day)
            return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        pass
    raise DomainError("error.bad_date", text=value[:40])
