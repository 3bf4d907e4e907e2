"""Logging set-up: one line per record, with secrets and personal data scrubbed on the way out.

`LOG_FORMAT=json` makes each line one JSON object (timestamp, level, logger, message, and when known
the request kind, escalation key, job, Slack method and latency), for the project's logs and its
libraries' (gunicorn's included). Plain text is the default.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import pythonjsonlogger.json

from bot import scope

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


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per record, with the current request or job (`bot.scope`), scrubbed."""

    def __init__(self) -> None:
        super().__init__("%(message)s", timestamp=True, rename_fields={"levelname": "level"})

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        current = scope.current()
        if current is not None:
            for name, value in (
                ("request_kind", current.kind),
                ("job", current.job),
                ("escalation", current.escalation),
            ):
                if value and name not in log_data:
                    log_data[name] = value
        for name, value in list(log_data.items()):
            if isinstance(value, str):
                log_data[name] = scrub(value)

    def formatException(self, ei: Any) -> Any:
        formatted = super().formatException(ei)
        return scrub(formatted) if isinstance(formatted, str) else [scrub(x) for x in formatted]


class _DropBoltTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when it is given a configured client: it is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def configure_logging(level: str = "INFO", *, fmt: str = "text") -> None:
    """Log to stderr, scrubbed, as text or JSON; keep chatty libraries (and their URLs) quiet."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
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
