"""Webhook authenticity: base64 HMAC-SHA256 over timestamp + raw body, a 5-minute window."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from bot.zendesk.signature import SignatureError, verify

SECRET = "dGhpcyBpcyBhIHNlY3JldA=="
STAMP = "2026-11-25T01:00:00Z"
SIGNED_AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
BODY = b'{"ticket":{"id":"4711"}}'
# Computed outside Python with: printf '%s' "$STAMP$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
OPENSSL_SIGNATURE = "JCIx83k4TXIYnk315//6L7P0o7VWbar5YabaZaspFl4="
JAPANESE_BODY = '{"ticket":{"id":"4711","title":"ログインできない"}}'.encode()
OPENSSL_JAPANESE_SIGNATURE = "lePe21wkToAg2pxZ97PQbtCax297F0igpRwfnRSJwAE="


def sign(secret: str, stamp: str, body: bytes) -> str:
    """Zendesk's signature, written out here rather than taken from the product."""
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    ("body", "signature"),
    [(BODY, OPENSSL_SIGNATURE), (JAPANESE_BODY, OPENSSL_JAPANESE_SIGNATURE)],
)
def test_a_delivery_signed_as_zendesk_signs_is_accepted(body: bytes, signature: str) -> None:
    verify(
        secret=SECRET, timestamp=STAMP, signature=signature, body=body, now=SIGNED_AT
    )  # no error
    assert sign(SECRET, STAMP, body) == signature  # the test's own signer agrees with openssl


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": BODY + b" "}, "does not match"),
        ({"body": BODY.replace(b"4711", b"4712")}, "does not match"),
        ({"secret": "another secret"}, "does not match"),
        ({"signature": OPENSSL_SIGNATURE[:-2] + "A="}, "does not match"),
        ({"signature": hashlib.sha256(b"x").hexdigest()}, "does not match"),  # hex, not base64
        ({"signature": "not base64!"}, "not base64"),
        ({"signature": ""}, "not signed"),
        ({"signature": None}, "not signed"),
        ({"timestamp": None}, "not signed"),
        ({"timestamp": "yesterday"}, "not a time"),
        ({"timestamp": "2026-11-25T01:00:00"}, "no time zone"),
    ],
)
def test_anything_else_is_refused_with_a_reason(change: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {
        "secret": SECRET,
        "timestamp": STAMP,
        "signature": OPENSSL_SIGNATURE,
        "body": BODY,
        "now": SIGNED_AT,
    }
    args.update(change)
    with pytest.raises(SignatureError, match=reason):
        verify(**args)  # type: ignore[arg-type]


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    other = "2026-11-25T01:00:01Z"
    with pytest.raises(SignatureError, match="does not match"):
        verify(
            secret=SECRET,
            timestamp=other,
            signature=OPENSSL_SIGNATURE,
            body=BODY,
            now=SIGNED_AT,
        )
    verify(
        secret=SECRET,
        timestamp=other,
        signature=sign(SECRET, other, BODY),
        body=BODY,
        now=SIGNED_AT,
    )


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(0), True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=-5), True),
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(minutes=-5, seconds=-1), False),
        (timedelta(days=1), False),
    ],
)
def test_only_a_recent_signature_counts(offset: timedelta, accepted: bool) -> None:
    def attempt() -> None:
        verify(
            secret=SECRET,
            timestamp=STAMP,
            signature=OPENSSL_SIGNATURE,
            body=BODY,
            now=SIGNED_AT + offset,
        )

    if accepted:
        attempt()
    else:
        with pytest.raises(SignatureError, match="more than 5 minutes"):
            attempt()


def test_unix_seconds_are_read_as_a_timestamp_too() -> None:
    stamp = str(int(SIGNED_AT.timestamp()))
    verify(
        secret=SECRET,
        timestamp=stamp,
        signature=sign(SECRET, stamp, BODY),
        body=BODY,
        now=SIGNED_AT,
    )


def test_an_empty_body_can_be_signed() -> None:
    verify(
        secret=SECRET, timestamp=STAMP, signature=sign(SECRET, STAMP, b""), body=b"", now=SIGNED_AT
    )
