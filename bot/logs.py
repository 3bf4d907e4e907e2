"""Logging set-up: one line per record, with secrets and personal data scrubbed on the way out."""

from __future__ import annotations

import logging
import re
import sys

_SCRUBBERS = (
    (re.compile(r"xox[abpre]-[A-Za-z0-9-]+"), "xox?-[redacted]"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "xapp-[redacted]"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
)


def scrub(text: str) -> str:
    """Remove tokens and email addresses from a log line."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose output never carries a token or an email address."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _DropBoltTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when it is given a configured client: it is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr, scrubbed; keep chatty libraries (and their request URLs) quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "slack_sdk",
        "apscheduler",
        "urllib3",
        "matplotlib",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bolt = logging.getLogger("slack_bolt")
    bolt.setLevel(logging.WARNING)  # Bolt's debug output includes request bodies (personal data)
    bolt.addFilter(_DropBoltTokenNotice())
