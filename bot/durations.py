"""Business durations as people type and read them: "1d 2h 30m", "1日2時間", "2 business days".

Shown, anything under two business days is hours and minutes ("9h 30m", 「9時間30分」): an hour
of business time is still an hour. From two business days on, the days are named as business days
("2 business days 3h", 「2営業日3時間」), since a reader takes a bare "2日" for calendar days.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

__all__ = ["format_business_duration", "parse_business_duration"]

_ONE_US = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000
_MINUTE_US = 60_000_000
_SECOND_US = 1_000_000

_PART = re.compile(
    r"\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*"
    r"(?P<unit>営業日|営業時間|時間|日|分|秒|business\s+days?|business\s+hours?|[dhms])",
    re.IGNORECASE,
)
_UNIT_KEYS = {"d": "d", "日": "d", "h": "h", "時間": "h", "m": "m", "分": "m", "s": "s", "秒": "s"}
_UNIT_KEYS |= {"営業日": "d", "営業時間": "h"}
_EXAMPLES = "use e.g. 4h, 2d, 1d 2h 30m"


def parse_business_duration(text: str, *, day_length: timedelta) -> timedelta:
    """Parse "4h", "2d", "1d 2h 30m", "1.5d", "90m", "30s" (or 日/時間/分/秒); d = `day_length`."""
    unit_us = _unit_microseconds(day_length)
    total = Fraction(0)
    seen: set[str] = set()
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _PART.match(stripped, position)
        if match is None:
            raise ValueError(f"{text!r} is not a duration; {_EXAMPLES}")
        unit = _unit_key(match["unit"])
        if unit in seen:
            raise ValueError(f"{text!r} gives the unit {unit!r} twice; {_EXAMPLES}")
        seen.add(unit)
        total += Fraction(match["number"]) * unit_us[unit]
        position = match.end()
    if not seen:
        raise ValueError(f"{text!r} is not a duration; {_EXAMPLES}")
    return timedelta(microseconds=round(total))


def _unit_key(unit: str) -> str:
    word = unit.lower()
    if word.startswith("business"):
        return "d" if "day" in word else "h"
    return _UNIT_KEYS[word]


def format_business_duration(value: timedelta, *, day_length: timedelta, lang: str) -> str:
    """At most two adjacent units, rounded down to the minute: under two business days hours and
    minutes ("9h 30m", "45m" / 「9時間30分」「45分」), from then on business days and hours
    ("2 business days 3h" / 「2営業日3時間」).

    Negative values are formatted by their absolute value; `lang` starting with "ja" gives
    Japanese, anything else English.
    """
    day_us = _unit_microseconds(day_length)["d"]
    remaining = abs(value) // _ONE_US
    days, remaining = divmod(remaining, day_us) if remaining >= 2 * day_us else (0, remaining)
    hours, remaining = divmod(remaining, _HOUR_US)
    minutes = remaining // _MINUTE_US
    if days:
        parts = [(days, "d"), (hours, "h")]
    elif hours:
        parts = [(hours, "h"), (minutes, "m")]
    else:
        parts = [(minutes, "m")]
    (lead, lead_unit), *rest = [parts[0]] + [part for part in parts[1:] if part[0]]
    if lang.lower().startswith("ja"):
        names = {"d": "営業日", "h": "時間", "m": "分"}
        return f"{lead}{names[lead_unit]}" + "".join(f"{n}{names[unit]}" for n, unit in rest)
    first = f"{lead} business days" if lead_unit == "d" else f"{lead}{lead_unit}"
    return " ".join([first, *(f"{number}{unit}" for number, unit in rest)])


def _unit_microseconds(day_length: timedelta) -> dict[str, int]:
    day_us = day_length // _ONE_US
    if day_us <= 0:
        raise ValueError(f"day_length must be positive, not {day_length}")
    return {"d": day_us, "h": _HOUR_US, "m": _MINUTE_US, "s": _SECOND_US}
