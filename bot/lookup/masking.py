"""Masking personal data for people who may look a user up but not see their contact details."""

from __future__ import annotations

import re

MASK = "***"
_EMAIL = re.compile(r"(?P<local>[^@\s]+)@(?P<domain>[^@\s]+\.[^@\s]+)")
_PHONE = re.compile(r"\+?[0-9 ()\-.]+")
_DIGIT = re.compile(r"[0-9]")
_MIN_PHONE_DIGITS = 7
_VISIBLE_PHONE_DIGITS = 4
_MIN_PARTLY_SHOWN_LENGTH = 4


def mask_value(value: str) -> str:
    """Hide most of a personal value: `t***@example.com`, `***-****-5678`, `山***`, or `***`."""
    text = value.strip() if isinstance(value, str) else str(value).strip()
    email = _EMAIL.fullmatch(text)
    if email is not None:
        return f"{email['local'][0]}{MASK}@{email['domain']}"
    if _PHONE.fullmatch(text) and len(_DIGIT.findall(text)) >= _MIN_PHONE_DIGITS:
        return _mask_phone(text)
    if len(text) < _MIN_PARTLY_SHOWN_LENGTH:
        return MASK
    return text[0] + MASK


def _mask_phone(text: str) -> str:
    digits_to_hide = len(_DIGIT.findall(text)) - _VISIBLE_PHONE_DIGITS
    masked: list[str] = []
    for char in text:
        if char.isdigit() and char.isascii() and digits_to_hide > 0:
            masked.append("*")
            digits_to_hide -= 1
        else:
            masked.append(char)
    return "".join(masked)
