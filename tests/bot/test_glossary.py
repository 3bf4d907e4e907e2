"""The catalog follows docs/glossary.md: the Japanese terms, none of the avoided ones, and the spacing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.i18n import CATALOG

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|`[^`]*`")  # what is not words: parameters, commands
# "{count} 件", "3 日": a space between a number and its unit
_SPACED_UNIT = re.compile(
    r"(?:\d|\{[a-z_]+\}) +(?:件|日|営業日|時間|営業時間|分|回|か月|文字|ポイント)"
)


@dataclass(frozen=True)
class Term:
    english: str
    japanese: str
    avoid: tuple[str, ...]
    checked: bool


def _terms() -> list[Term]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith("| English")
    ]
    return [
        Term(
            english=re.sub(r"\s*\(.*\)", "", english),
            japanese=japanese,
            avoid=tuple(word.strip() for word in avoid.split(",") if word.strip()),
            checked=checked == "yes",
        )
        for english, japanese, avoid, checked in rows
    ]


TERMS = _terms()


def test_the_glossary_is_read() -> None:
    assert len(TERMS) >= 20
    assert Term("Open", "担当者待ち", ("未割り当て",), checked=False) in TERMS


@pytest.mark.parametrize("term", [t for t in TERMS if t.avoid], ids=lambda t: t.english)
def test_no_japanese_message_uses_an_avoided_word(term: Term) -> None:
    offending = {
        key: japanese
        for key, (_, japanese) in CATALOG.items()
        if any(word in japanese for word in term.avoid)
    }
    assert offending == {}


@pytest.mark.parametrize("term", [t for t in TERMS if t.checked], ids=lambda t: t.english)
def test_a_message_that_says_a_checked_term_says_it_in_japanese_too(term: Term) -> None:
    word = re.compile(rf"\b{re.escape(term.english)}s?\b", re.IGNORECASE)
    missing = {
        key: japanese
        for key, (english, japanese) in CATALOG.items()
        if word.search(_PLACEHOLDER.sub("", english)) and term.japanese not in japanese
    }
    assert missing == {}


def test_no_space_between_a_number_and_its_unit_in_japanese() -> None:
    spaced = {key: ja for key, (_, ja) in CATALOG.items() if _SPACED_UNIT.search(ja)}
    assert spaced == {}


def test_a_person_is_called_san_after_their_name_in_japanese() -> None:
    # {actor}, {assignee}, {filer}, {user} name a person; {user} on /lookup is an end user's id
    people = re.compile(r"\{(actor|assignee|filer|to)\}(?! さん)")
    bare = {key: ja for key, (_, ja) in CATALOG.items() if people.search(ja)}
    assert bare == {}


def test_the_status_names_are_the_glossarys() -> None:
    japanese = {t.english: t.japanese for t in TERMS}
    for status in ("open", "assigned", "investigating", "waiting", "resolved"):
        english = CATALOG[f"status.{status}"][0]
        assert CATALOG[f"status.{status}"][1] == japanese[english]
