"""Dates people type: "2026-12-24", "2026/12/24", "12/24", "12-24"."""

from __future__ import annotations

import re
from datetime import date

from bot.errors import DomainError
from bot.mrkdwn import escape

_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHORT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")


def parse_user_date(text: str, *, today: date) -> date:
    """A date from user text; month/day alone means the next such day from today on."""
    value = text.strip()
    try:
        if match := _FULL.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _SHORT.match(value):
            return _next_occurrence(int(match.group(1)), int(match.group(2)), today=today)
    except ValueError:
        pass
    raise DomainError("error.bad_date", text=escape(value[:40]))


def _next_occurrence(month: int, day: int, *, today: date) -> date:
    """The first month/day on or after today (02-29 waits for a leap year)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ValueError(f"{month}-{day}")
