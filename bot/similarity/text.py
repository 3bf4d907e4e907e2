"""What the similarity index reads of an escalation, normalised so that writing styles compare equal.

NFKC folds full-width Latin and digits to half-width and half-width katakana to full-width
(`ＰＡＳＳＷＯＲＤ`, `ﾛｸﾞｲﾝ` → `password`, `ログイン`), case folding removes case, and every run of white
space becomes one space. A resolved escalation also carries its resolution note, so a new inquiry
can match the words its engineer used to explain the cause.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Long pasted logs would dominate a document and cost memory; the opening says what it is about.
MAX_CHARS = 600
_EMAIL = re.compile(r"[^\s@<>()\[\]]+@[^\s@<>()\[\]]+\.[^\s@<>()\[\]]+")
# Starts at a digit or "+" (a leading look-behind would be tried at every position).
_PHONE = re.compile(r"\+?\d[\d ()\-]{8,}\d(?![\w.-])")
_PHONE_DIGITS = range(10, 16)  # Japanese numbers have 10 or 11 digits, E.164 at most 15
REDACTED = "***"


def normalise(text: str) -> str:
    """NFKC, case-folded, white space collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def document_text(
    *,
    summary: str,
    details: str,
    resolution_note: str | None = None,
    end_user_ids: Iterable[str] = (),
) -> str:
    """The normalised text the index compares: summary, details, and the resolution note if any.

    Email addresses, phone numbers and the escalation's own end-user id are left out, so nobody
    can find whose escalations these are by searching for them.
    """
    parts = [summary, details, resolution_note or ""]
    text = normalise(" ".join(part for part in parts if part))
    scrubbed = text
    for user_id in end_user_ids:
        user_id = normalise(user_id)
        if user_id:
            scrubbed = scrubbed.replace(user_id, " ")
    scrubbed = _scrub(scrubbed, " ")
    if scrubbed != text:
        text = " ".join(scrubbed.split())
    return text[:MAX_CHARS]


def fingerprint(text: str, *labels: str) -> str:
    """A short hash of a document's text and labels: unchanged means nothing to re-encode."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (text, *labels):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def redact(text: str, *, end_user_ids: Iterable[str] = (), replacement: str = REDACTED) -> str:
    """`text` without email addresses, phone numbers or the given end-user ids (for people who may
    not look those users up)."""
    for user_id in sorted({u for u in end_user_ids if u and u.strip()}, key=len, reverse=True):
        if user_id.casefold() in text.casefold():  # compiling a pattern per id costs more
            text = re.sub(re.escape(user_id), replacement, text, flags=re.IGNORECASE)
    return _scrub(text, replacement)


def _scrub(text: str, replacement: str) -> str:
    """Email addresses and phone numbers replaced."""
    if "@" in text:  # the pattern is slow on long runs without spaces (Japanese)
        text = _EMAIL.sub(replacement, text)

    def phone_or_not(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else " "
        if before.isalnum() or before in "_.-+":  # part of a longer token (an id, a version)
            return match[0]
        digits = sum(c.isdigit() for c in match[0])
        return replacement if digits in _PHONE_DIGITS else match[0]

    return _PHONE.sub(phone_or_not, text)
