"""Escaping user text for mrkdwn and fitting it into Slack's limits."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.mrkdwn import (
    ELLIPSIS,
    channel_link,
    command_words,
    escape,
    escape_truncated,
    is_channel_id,
    is_user_id,
    link,
    mention,
    message_permalink,
    single_line,
    to_plain,
    truncate,
)

HOSTILE = "<!channel> <@U123> <https://evil.example|click> <#C0SECRET> <!subteam^S1> & more"
# Text leaning on the characters that escape into entities.
risky_text = st.text(alphabet=st.sampled_from(list("&<>ab …日")), max_size=80)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
        ("plain *bold* _it_", "plain *bold* _it_"),
    ],
)
def test_escape_makes_control_sequences_inert(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_escaped_hostile_text_has_no_angle_brackets_left() -> None:
    escaped = escape(HOSTILE)
    assert "<" not in escaped
    assert ">" not in escaped
    assert html.unescape(escaped) == HOSTILE


@given(risky_text)
def test_escape_round_trips(text: str) -> None:
    assert html.unescape(escape(text)) == text


@pytest.mark.parametrize(
    ("text", "limit", "cut"), [("abc", 3, "abc"), ("abcd", 3, "ab…"), ("", 5, "")]
)
def test_truncate(text: str, limit: int, cut: str) -> None:
    assert truncate(text, limit) == cut


@given(st.text(max_size=200), st.integers(min_value=1, max_value=150))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(ELLIPSIS)
        assert text.startswith(cut[:-1])


def test_escape_truncated_counts_the_escaped_length() -> None:
    assert escape_truncated("a&b", 7) == "a&amp;b"
    assert escape_truncated("a&b", 6) == "a…"  # "a&amp;…" would be 7; the entity is never split
    assert escape_truncated("<<<", 12) == "&lt;&lt;&lt;"
    assert escape_truncated("<<<", 11) == "&lt;&lt;…"


@given(risky_text, st.integers(min_value=1, max_value=60))
def test_escape_truncated_fits_and_never_splits_an_entity(text: str, limit: int) -> None:
    cut = escape_truncated(text, limit)
    assert len(cut) <= limit
    if len(escape(text)) <= limit:
        assert cut == escape(text)
        return
    assert cut.endswith(ELLIPSIS)
    kept = cut[: -len(ELLIPSIS)]
    original = html.unescape(kept)
    assert text.startswith(original)
    assert escape(original) == kept  # only whole entities: unescaping and escaping agree


def test_single_line() -> None:
    assert single_line("  one\ntwo\r\n\tthree  ") == "one two three"


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        ("U0123ABCD", "<@U0123ABCD>"),
        ("W0123ABCD", "<@W0123ABCD>"),
        ("u0123abcd", "u0123abcd"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("U0123>|<!here", "U0123&gt;|&lt;!here"),
        ("C0123ABCD", "C0123ABCD"),
        ("", ""),
        (None, ""),
    ],
)
def test_mention_only_for_real_user_ids(user: str | None, shown: str) -> None:
    assert mention(user) == shown


def test_channel_link() -> None:
    assert channel_link("C0ESCALATE") == "<#C0ESCALATE>"
    assert channel_link("<!channel>") == "&lt;!channel&gt;"


@pytest.mark.parametrize(
    ("url", "label", "shown"),
    [
        (
            "https://acme.zendesk.com/agent/tickets/1",
            "#1",
            "<https://acme.zendesk.com/agent/tickets/1|#1>",
        ),
        ("https://x.example/a", "<!channel>", "<https://x.example/a|&lt;!channel&gt;>"),
        ("javascript:alert(1)", "click", "click"),
        ("https://x.example/a|<!channel>", "label", "label"),
        ("https://x.example/a b", "label", "label"),
    ],
)
def test_link_escapes_the_label_and_refuses_unsafe_urls(url: str, label: str, shown: str) -> None:
    assert link(url, label) == shown


def test_id_shapes() -> None:
    assert is_user_id("U0LEAD")
    assert not is_user_id("C0LEAD")
    assert is_channel_id("C0ESCALATE")
    assert is_channel_id("G0PRIVATE")
    assert is_channel_id("D0DIRECT")
    assert not is_channel_id("#general")


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("<@U0LEAD> can you look", "@U0LEAD can you look"),
        ("<@U0LEAD|lead> hi", "@lead hi"),
        ("see <#C0SUPPORT|cs-support>", "see #cs-support"),
        ("<!channel> <!here>", "@channel @here"),
        ("<!subteam^S0CS|@cs-team> ping", "@cs-team ping"),
        (
            "<https://ex.example/a|the doc> and <https://ex.example/b>",
            "the doc (https://ex.example/a) and https://ex.example/b",
        ),
        ("<mailto:taro@example.jp|taro@example.jp>", "taro@example.jp"),
        ("a &amp; b &lt;3 &gt; c", "a & b <3 > c"),
        ("&amp;lt; stays one level", "&lt; stays one level"),
        ("no markup", "no markup"),
    ],
)
def test_to_plain_reads_a_message_like_a_person(mrkdwn: str, plain: str) -> None:
    assert to_plain(mrkdwn) == plain


def test_message_permalink_is_built_like_slacks() -> None:
    url = message_permalink(
        "https://crebot.slack.com/", channel_id="C0SUPPORT", message_ts="1700000000.000100"
    )
    assert url == "https://crebot.slack.com/archives/C0SUPPORT/p1700000000000100"
    in_thread = message_permalink(
        "https://crebot.slack.com",
        channel_id="C0SUPPORT",
        message_ts="1700000001.000200",
        thread_ts="1700000000.000100",
    )
    assert in_thread == (
        "https://crebot.slack.com/archives/C0SUPPORT/p1700000001000200"
        "?thread_ts=1700000000.000100&cid=C0SUPPORT"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", []),
        ("  audit   since 12/24 ", ["audit", "since", "12/24"]),
        (
            "audit <@U0Y|Hanako Yamada> since 12/24",
            ["audit", "<@U0Y|Hanako Yamada>", "since", "12/24"],
        ),
        ("audit <mailto:a@b.jp|a@b.jp>", ["audit", "<mailto:a@b.jp|a@b.jp>"]),
        ("show ESC-1&amp;2 &lt;x", ["show", "ESC-1&2", "<x"]),
        ("away <#C1|a b>,<@U1|c d>", ["away", "<#C1|a b>,<@U1|c d>"]),
        ("half <@U1 open", ["half", "<@U1", "open"]),
    ],
)
def test_command_words_keep_a_mention_with_spaces_whole(text: str, words: list[str]) -> None:
    assert command_words(text) == words
