"""Parsing the text after `/lookup`."""

from __future__ import annotations

import pytest

from bot.lookup.query import LookupQuery, LookupQueryError, parse_lookup_query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("u-1001", LookupQuery("user_id", "u-1001")),
        ("  u-1001\n", LookupQuery("user_id", "u-1001")),
        ("12345", LookupQuery("user_id", "12345")),
        ("org:team_7.user-9", LookupQuery("user_id", "org:team_7.user-9")),
        ("CaseMatters", LookupQuery("user_id", "CaseMatters")),
        ("x" * 64, LookupQuery("user_id", "x" * 64)),
        ("taro.yamada@example.jp", LookupQuery("email", "taro.yamada@example.jp")),
        ("Taro.Yamada@Example.JP", LookupQuery("email", "taro.yamada@example.jp")),
        ("a+tag@sub.example.com", LookupQuery("email", "a+tag@sub.example.com")),
        ("o'brien@example.com", LookupQuery("email", "o'brien@example.com")),
        ("<mailto:a@b.com|a@b.com>", LookupQuery("email", "a@b.com")),
        (
            " <mailto:Hanako@Example.jp|hanako@example.jp> ",
            LookupQuery("email", "hanako@example.jp"),
        ),
        ("<mailto:a@b.com>", LookupQuery("email", "a@b.com")),
        (
            "<mailto:t&amp;j@example.com|t&amp;j@example.com>",
            LookupQuery("email", "t&j@example.com"),
        ),
        ("user@xn--eckwd4c7c.xn--zckzah", LookupQuery("email", "user@xn--eckwd4c7c.xn--zckzah")),
    ],
)
def test_accepts_user_ids_and_emails(text: str, expected: LookupQuery) -> None:
    assert parse_lookup_query(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("<mailto:|>", "empty"),
        ("x" * 65, "too_long"),
        ("a" * 250 + "@example.com", "too_long"),
        ("../etc/passwd", "forbidden_characters"),
        ("u-1001/../admin", "forbidden_characters"),
        ("a..b", "forbidden_characters"),
        ("u-1001?debug=1", "forbidden_characters"),
        ("u-1001#x", "forbidden_characters"),
        ("u%2F1001", "forbidden_characters"),
        ("u 1001", "forbidden_characters"),
        ("u\t1001", "forbidden_characters"),
        ("u\\1001", "forbidden_characters"),
        ("u-1001\x00", "forbidden_characters"),
        ("u-1001\x1b[31m", "forbidden_characters"),
        ("a@b.com/x", "forbidden_characters"),
        ("a b@example.com", "forbidden_characters"),
        (".", "invalid_user_id"),
        ("u*1001", "invalid_user_id"),
        ("ユーザー1", "invalid_user_id"),
        ("<@U012ABC>", "invalid_user_id"),
        ("@example.com", "invalid_email"),
        ("taro@", "invalid_email"),
        ("taro@localhost", "invalid_email"),
        ("taro@example.c", "invalid_email"),
        ("taro@-example.com", "invalid_email"),
        ("taro@exa_mple.com", "invalid_email"),
        (".taro@example.com", "invalid_email"),
        ("taro.@example.com", "invalid_email"),
        ("a@b@example.com", "invalid_email"),
        ("x" * 65 + "@example.com", "invalid_email"),
        ("山田@example.jp", "invalid_email"),
        ("<mailto:a@b.com|c@d.com>", "invalid_email"),
    ],
)
def test_refuses_empty_oversized_malformed_and_path_like_input(text: str, code: str) -> None:
    with pytest.raises(LookupQueryError) as caught:
        parse_lookup_query(text)
    assert caught.value.code == code
    assert caught.value.reason == str(caught.value)
    assert 0 < len(caught.value.reason) <= 80


def test_reason_does_not_echo_the_input() -> None:
    with pytest.raises(LookupQueryError) as caught:
        parse_lookup_query("secret-person@example.c")
    assert "secret-person" not in caught.value.reason


def test_cache_key_ignores_email_case_but_not_user_id_case() -> None:
    assert LookupQuery("email", "A@B.com").cache_key == LookupQuery("email", "a@b.com").cache_key
    assert LookupQuery("user_id", "Ab").cache_key != LookupQuery("user_id", "ab").cache_key
    assert LookupQuery("user_id", "a@b.com").cache_key != LookupQuery("email", "a@b.com").cache_key
