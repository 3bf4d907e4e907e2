"""Dates people type: "2026-12-24", "2026/12/24", "12/24", "12-24"."""

from __future__ import annotations

import re
from datetime import date

from bot.errors import DomainError
from bot.mrkdwn import escape

_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHORT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")


def parse_user_date(text: str, *, today: date, latest: bool = False) -> date:
    """A date from user text; month/day alone means the next such day from today on (or, with
    `latest`, the last one up to today)."""
    value = text.strip()
    try:
        if match := _FULL.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _SHORT.match(value):
            month, day = int(match.group(1)), int(match.group(2))
            return _occurrence(month, day, today=today, backwards=latest)
    except ValueError:
        pass
    raise DomainError("error.bad_date", text=escape(value[:40]))


def _occurrence(month: int, day: int, *, today: date, backwards: bool) -> date:
    """The first month/day on or after today, or the last on or before it (02-29: a leap year)."""
    step = -1 if backwards else 1
    for year in range(today.year, today.year + 9 * step, step):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate <= today) if backwards else (candidate >= today):
            return candidate
    raise ValueError(f"{month}-{day}")
