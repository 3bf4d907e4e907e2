"""Dates people type after `/cre away until`."""

from __future__ import annotations

from datetime import date

import pytest

from bot.blocks.errors import error_text
from bot.dates import parse_user_date
from bot.errors import DomainError

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24", date(2026, 12, 24)),
        ("2026/12/24", date(2026, 12, 24)),
        ("2026.12.24", date(2026, 12, 24)),
        ("2026-1-5", date(2026, 1, 5)),  # a full date is taken as written, even if past
        ("  2027-02-28 ", date(2027, 2, 28)),
        ("12/24", date(2026, 12, 24)),
        ("12-24", date(2026, 12, 24)),
        ("11/25", TODAY),  # today is still this year
        ("11/24", date(2027, 11, 24)),  # yesterday means next year
        ("1/3", date(2027, 1, 3)),
        ("１２/２４", date(2026, 12, 24)),  # full-width digits, as a Japanese IME types them
    ],
)
def test_parse_user_date(text: str, expected: date) -> None:
    assert parse_user_date(text, today=TODAY) == expected


def test_a_month_day_that_exists_only_in_leap_years_is_read_in_one() -> None:
    assert parse_user_date("2/29", today=date(2027, 11, 25)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "2026-13-01", "2026-02-30", "12/32", "0/10", "24/12/2026", "2026-12", "12"],
)
def test_anything_else_is_a_clear_refusal(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_user_date(text, today=TODAY)
    assert caught.value.key == "error.bad_date"
    assert caught.value.params == {"text": text.strip()[:40]}
    assert "is not a date" in error_text(caught.value, "en")


def test_the_refusal_quotes_at_most_40_characters() -> None:
    with pytest.raises(DomainError) as caught:
        parse_user_date("x" * 100, today=TODAY)
    assert caught.value.params == {"text": "x" * 40}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/01", date(2026, 12, 1)),  # today counts
        ("12/24", date(2025, 12, 24)),
        ("2/29", date(2024, 2, 29)),  # the last leap day
        ("2027-01-05", date(2027, 1, 5)),  # a full date is as written, future or not
    ],
)
def test_latest_means_the_last_such_day_up_to_today(text: str, expected: date) -> None:
    assert parse_user_date(text, today=date(2026, 12, 1), latest=True) == expected
