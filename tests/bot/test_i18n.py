"""The message catalog: both languages for every key, the same placeholders, safe fallbacks."""

from __future__ import annotations

import re

import pytest

from bot.i18n import CATALOG, LANGUAGES, placeholders, t
from bot.lifecycle import Verb
from bot.models import Status


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_key_has_both_languages_with_the_same_placeholders(key: str) -> None:
    english, japanese = CATALOG[key]
    assert english.strip()
    assert japanese.strip()
    assert placeholders(english) == placeholders(japanese)


def test_the_catalog_speaks_english_and_japanese() -> None:
    assert LANGUAGES == ("en", "ja")


def test_t_picks_the_language() -> None:
    assert t("status.investigating", "en") == "Investigating"
    assert t("status.investigating", "ja") == "調査中"


def test_t_falls_back_to_english_for_an_unknown_language() -> None:
    assert t("status.resolved", "fr") == "Resolved"
    assert t("status.resolved", "") == "Resolved"


def test_t_shows_an_unknown_key_as_itself() -> None:
    assert t("no.such.key", "ja") == "no.such.key"


def test_t_substitutes_parameters() -> None:
    assert t("field.too_long", "en", max=150, length=151) == "At most 150 characters (this is 151)."


def test_t_leaves_unknown_placeholders_as_they_are() -> None:
    assert t("field.too_long", "en", max=150) == "At most 150 characters (this is {length})."
    assert t("error.not_found", "ja") == "{key} というエスカレーションはありません。"


def test_t_ignores_extra_parameters() -> None:
    assert t("status.open", "en", key="ESC-1") == "Open"


def test_parameters_are_not_formatted_twice() -> None:
    # A user's text containing braces stays literal and cannot reach other parameters.
    assert t("error.bad_date", "en", text="{0} {text!r} {__class__}") == (
        "“{0} {text!r} {__class__}” is not a date; use 2026-12-24 or 12/24."
    )


def test_placeholders() -> None:
    assert placeholders("{a} and {b} but not {{c}}") == {"a", "b"}
    assert placeholders("none") == set()


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_name(status: Status) -> None:
    assert f"status.{status}" in CATALOG


@pytest.mark.parametrize("action", list(Verb))
def test_every_verb_has_its_refusals(action: Verb) -> None:
    """`check_may` and `_change` build these keys from the action's name."""
    assert f"error.not_allowed.{action}" in CATALOG
    assert f"error.transition.{action}" in CATALOG


# Slack reads `<…>` as a control sequence (mention, channel, special mention, link) and `&` as the
# start of an entity; anything else must be escaped, or Slack drops it (`/lookup <user id | email>`
# shows as `/lookup  email`).
CONTROL_SEQUENCE = r"<(?:[@#!]|https?://|mailto:|\{)[^<>\s]*(?:\|[^<>]*)?>"
ENTITY = r"&(?:lt|gt|amp);"


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_no_message_has_a_raw_angle_bracket_or_ampersand(key: str) -> None:
    for text in CATALOG[key]:
        rest = re.sub(ENTITY, "", re.sub(CONTROL_SEQUENCE, "", text))
        body = "\n".join(line.removeprefix(">") for line in rest.split("\n"))  # `>` opens a quote
        assert not re.search(r"[<>&]", body), text
