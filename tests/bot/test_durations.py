"""Parsing and formatting business durations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import format_business_duration, parse_business_duration

NINE_HOURS = timedelta(hours=9)


def parse(text: str, day_length: timedelta = NINE_HOURS) -> timedelta:
    return parse_business_duration(text, day_length=day_length)


def fmt(value: timedelta, lang: str = "en", day_length: timedelta = NINE_HOURS) -> str:
    return format_business_duration(value, day_length=day_length, lang=lang)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(hours=18)),
        ("1d 2h 30m", timedelta(hours=11, minutes=30)),
        ("1d2h", timedelta(hours=11)),
        ("90m", timedelta(minutes=90)),
        ("1.5d", timedelta(hours=13, minutes=30)),
        ("30s", timedelta(seconds=30)),
        ("0.25h", timedelta(minutes=15)),
        (".5h", timedelta(minutes=30)),
        ("  2H 5M ", timedelta(hours=2, minutes=5)),
        ("2 h", timedelta(hours=2)),
        ("0m", timedelta(0)),
        ("1日2時間30分", timedelta(hours=11, minutes=30)),
        ("45秒", timedelta(seconds=45)),
        ("２時間", timedelta(hours=2)),  # full-width digits as typed with a Japanese IME
        ("2営業日", timedelta(hours=18)),
        ("1営業日3時間", timedelta(hours=12)),
        ("3営業時間10分", timedelta(hours=3, minutes=10)),
        ("2 business days", timedelta(hours=18)),
        ("1 Business Day 2h", timedelta(hours=11)),
        ("1 business hour 5m", timedelta(minutes=65)),
    ],
)
def test_parse_examples(text: str, expected: timedelta) -> None:
    assert parse(text) == expected


def test_a_day_is_the_working_day_length() -> None:
    assert parse("2d", day_length=timedelta(hours=8)) == timedelta(hours=16)
    assert parse("1.5d", day_length=timedelta(hours=7, minutes=30)) == timedelta(
        hours=11, minutes=15
    )


@pytest.mark.parametrize(
    "text", ["2x", "", "   ", "h", "4", "-1h", "1h x", "1h,2m", "d2", "1..5h", "4 hours"]
)
def test_parse_rejects_non_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration; use e\.g\. 4h, 2d, 1d 2h 30m"):
        parse(text)


def test_parse_error_names_the_input() -> None:
    with pytest.raises(ValueError, match=r"^'2x' is not a duration"):
        parse("2x")


def test_parse_rejects_a_repeated_unit() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse("1h 2h")


def test_day_length_must_be_positive() -> None:
    with pytest.raises(ValueError, match="day_length"):
        parse("1h", day_length=timedelta(0))
    with pytest.raises(ValueError, match="day_length"):
        fmt(timedelta(hours=1), day_length=timedelta(0))


@pytest.mark.parametrize(
    ("value", "english", "japanese"),
    [
        (timedelta(hours=11), "11h", "11時間"),  # under two business days: hours
        (timedelta(hours=9, minutes=30), "9h 30m", "9時間30分"),
        (timedelta(hours=17, minutes=59), "17h 59m", "17時間59分"),
        (timedelta(hours=3, minutes=10), "3h 10m", "3時間10分"),
        (timedelta(minutes=45), "45m", "45分"),
        (timedelta(0), "0m", "0分"),
        (timedelta(seconds=59), "0m", "0分"),
        (timedelta(hours=18), "2 business days", "2営業日"),
        (timedelta(hours=20, minutes=30), "2 business days 2h", "2営業日2時間"),
        (timedelta(hours=2), "2h", "2時間"),
        (timedelta(hours=1, minutes=5), "1h 5m", "1時間5分"),
        (timedelta(hours=27, minutes=59), "3 business days", "3営業日"),  # two units, rounded down
        (timedelta(hours=3, minutes=10, seconds=59), "3h 10m", "3時間10分"),
        (-timedelta(hours=3, minutes=10), "3h 10m", "3時間10分"),
        (timedelta(hours=9 * 200), "200 business days", "200営業日"),
    ],
)
def test_format_examples(value: timedelta, english: str, japanese: str) -> None:
    assert fmt(value, "en") == english
    assert fmt(value, "ja") == japanese


def test_format_language_tags() -> None:
    assert fmt(timedelta(minutes=5), "ja-JP") == "5分"
    assert fmt(timedelta(minutes=5), "en-US") == "5m"


MINUTES = st.integers(0, 500 * 9 * 60)


def two_unit_values(minutes: int) -> timedelta:
    """Drop what a two-unit display cannot show: minutes once there are whole days."""
    value = timedelta(minutes=minutes)
    return value - value % timedelta(hours=1) if value >= NINE_HOURS else value


@given(MINUTES, st.sampled_from(["en", "ja"]))
def test_format_then_parse_round_trips(minutes: int, lang: str) -> None:
    value = two_unit_values(minutes)
    assert parse(fmt(value, lang)) == value


@given(st.integers(0, 10**12))
def test_format_rounds_down_by_less_than_an_hour(microseconds: int) -> None:
    value = timedelta(microseconds=microseconds)
    shown = parse(fmt(value))
    assert shown <= value
    assert value - shown < timedelta(hours=1)
    if value < NINE_HOURS:
        assert value - shown < timedelta(minutes=1)


@given(
    st.integers(0, 1000),
    st.integers(0, 8),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["", " ", "  "]),
)
def test_parse_of_composed_parts(
    days: int, hours: int, minutes: int, seconds: int, gap: str
) -> None:
    text = gap.join(f"{days}d {hours}h {minutes}m {seconds}s".split(" "))
    assert parse(text) == days * NINE_HOURS + timedelta(
        hours=hours, minutes=minutes, seconds=seconds
    )


@given(st.text(alphabet="0123456789dhms .x-", max_size=12))
def test_parse_either_succeeds_or_raises_value_error(text: str) -> None:
    try:
        value = parse(text)
    except ValueError:
        return
    assert value >= timedelta(0)
