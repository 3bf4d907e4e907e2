"""Parsing what follows `/lookup`: an end user's id or email address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.mrkdwn import unescape

MAX_EMAIL_LENGTH = 254
MAX_USER_ID_LENGTH = 64

QueryKind = Literal["user_id", "email"]
ErrorCode = Literal["empty", "too_long", "forbidden_characters", "invalid_email", "invalid_user_id"]

# Slack turns a typed address into `<mailto:a@b.com|a@b.com>` (sometimes without the label).
_SLACK_MAILTO = re.compile(r"<mailto:(?P<address>[^|<>]*)(?:\|(?P<label>[^<>]*))?>", re.IGNORECASE)
_SLACK_MENTION = re.compile(r"<[@!][^<>]*>")
_FORBIDDEN = re.compile(r"[/?#%\\\s\x00-\x1f\x7f]|\.\.")
_USER_ID = re.compile(r"[A-Za-z0-9_.:\-]+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!$&'*+=^_`{|}~\-]+(?:\.[A-Za-z0-9!$&'*+=^_`{|}~\-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")
_TOP_LEVEL = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59}")


@dataclass(frozen=True)
class LookupQuery:
    """Who to look up: by the product's user id or by email address (lower-cased)."""

    kind: QueryKind
    value: str

    @property
    def cache_key(self) -> tuple[str, str]:
        """A key under which answers to this query can be cached."""
        return (self.kind, self.value.casefold() if self.kind == "email" else self.value)


class LookupQueryError(ValueError):
    """The text is not a user id or email address; `reason` is short and safe to show."""

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(reason)
        self.code: ErrorCode = code
        self.reason = reason


def parse_lookup_query(text: str) -> LookupQuery:
    """Turn the text after `/lookup` into a query by email (if it has an @) or by user id."""
    candidate = _unwrap_slack_mailto(text.strip())
    if not candidate:
        raise LookupQueryError("empty", "give a user id or an email address")
    if _SLACK_MENTION.fullmatch(candidate):
        raise LookupQueryError(
            "invalid_user_id", "that is a Slack mention; give the product's user id or email"
        )
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise LookupQueryError("too_long", f"too long (at most {MAX_EMAIL_LENGTH} characters)")
    if _FORBIDDEN.search(candidate):
        raise LookupQueryError(
            "forbidden_characters", "must not contain spaces, '/', '..', '?', '#', '%' or '\\'"
        )
    if "@" in candidate:
        return LookupQuery(kind="email", value=_valid_email(candidate))
    return LookupQuery(kind="user_id", value=_valid_user_id(candidate))


def _unwrap_slack_mailto(text: str) -> str:
    match = _SLACK_MAILTO.fullmatch(text)
    if match is None:
        return text
    address = unescape(match["address"]).strip()
    label = match["label"]
    if label is not None and unescape(label).strip().casefold() != address.casefold():
        # A link whose visible text differs from its target is ambiguous: refuse rather than guess.
        raise LookupQueryError("invalid_email", "the link text and the address differ")
    return address


def _valid_email(candidate: str) -> str:
    local, _, domain = candidate.rpartition("@")
    if not candidate.isascii():
        raise LookupQueryError("invalid_email", "email addresses must be ASCII")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        raise LookupQueryError("invalid_email", "not a valid email address")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or not _TOP_LEVEL.fullmatch(labels[-1])
    ):
        raise LookupQueryError("invalid_email", "not a valid email address")
    return candidate.lower()


def _valid_user_id(candidate: str) -> str:
    if len(candidate) > MAX_USER_ID_LENGTH:
        raise LookupQueryError(
            "too_long", f"user ids are at most {MAX_USER_ID_LENGTH} characters long"
        )
    if not _USER_ID.fullmatch(candidate) or candidate == ".":
        raise LookupQueryError(
            "invalid_user_id", "user ids may only contain letters, digits, '-', '_', '.' and ':'"
        )
    return candidate
