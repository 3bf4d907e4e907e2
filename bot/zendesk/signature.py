"""Is a webhook delivery really from Zendesk? Checked over the raw bytes, before anything parses them.

Zendesk signs each delivery with the webhook's secret: the header `X-Zendesk-Webhook-Signature` is
base64(HMAC-SHA256(secret, timestamp + body)), the timestamp being the exact text of
`X-Zendesk-Webhook-Signature-Timestamp`. Zendesk defines no replay window, so one is enforced here
(a captured delivery cannot be played again later); repeats within it are de-duplicated by the inbox.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
TOLERANCE = timedelta(minutes=5)
_MAX_TIMESTAMP_LENGTH = 40


class SignatureError(Exception):
    """The delivery is not provably from Zendesk; the message says why in a few words (no secrets)."""


def parse_timestamp(text: str) -> datetime:
    """The signing instant: Zendesk sends ISO 8601 (2021-03-25T05:09:27Z); Unix seconds are read too."""
    value = text.strip()
    if not value or len(value) > _MAX_TIMESTAMP_LENGTH:
        raise SignatureError("the signature timestamp is missing")
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SignatureError("the signature timestamp is not a time") from None
    if parsed.tzinfo is None:
        raise SignatureError("the signature timestamp has no time zone")
    return parsed.astimezone(UTC)


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> None:
    """Raise SignatureError unless `signature` signs `timestamp + body` and the timestamp is recent."""
    if not signature or not timestamp:
        raise SignatureError("the delivery is not signed")
    signed_at = parse_timestamp(timestamp)
    if abs(now - signed_at) > tolerance:
        raise SignatureError("the signature timestamp is more than 5 minutes from now")
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature is not base64") from None
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256
    ).digest()
    if not hmac.compare_digest(given, expected):
        raise SignatureError("the signature does not match")
