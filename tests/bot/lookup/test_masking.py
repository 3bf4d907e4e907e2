"""Masking personal data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lookup.masking import mask_value


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("taro@example.com", "t***@example.com"),
        ("Hanako.Sato@example.jp", "H***@example.jp"),
        ("a@example.com", "a***@example.com"),
        ("  taro@example.com ", "t***@example.com"),
        ("090-1234-5678", "***-****-5678"),
        ("09012345678", "*******5678"),
        ("+81 90-1234-5678", "+** **-****-5678"),
        ("(03) 1234-5678", "(**) ****-5678"),
        ("+1 415-555-0134", "+* ***-***-0134"),
        ("090.1234.5678", "***.****.5678"),
        ("123456", "1***"),
        ("2026-03-02T08:41:27+09:00", "2***"),
        ("山田 太郎", "山***"),
        ("Taro Yamada", "T***"),
        ("premium", "p***"),
        ("abcd", "a***"),
        ("abc", "***"),
        ("JP", "***"),
        ("x", "***"),
        ("", "***"),
        ("   ", "***"),
        ("@", "***"),
        ("not@an-email", "n***"),
    ],
)
def test_masks_emails_phones_and_other_values(value: str, masked: str) -> None:
    assert mask_value(value) == masked


@given(st.text(max_size=80))
def test_never_raises_and_never_returns_the_whole_value(value: str) -> None:
    masked = mask_value(value)
    assert "*" in masked
    if len(value.strip()) >= 2 and "@" not in value and "*" not in value:
        assert masked != value.strip()


@given(st.from_regex(r"0[789]0-[0-9]{4}-[0-9]{4}", fullmatch=True))
def test_phone_keeps_only_the_last_four_digits(phone: str) -> None:
    masked = mask_value(phone)
    assert masked[-4:] == phone[-4:]
    assert sum(char.isdigit() for char in masked) == 4
    assert len(masked) == len(phone)
