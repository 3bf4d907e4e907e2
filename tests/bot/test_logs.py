"""Log lines: plain text by default, one scrubbed JSON object per line with LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot import scope
from bot.logs import configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_json_lines_carry_the_request_the_job_and_the_escalation(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", fmt="json")
    log = logging.getLogger("bot.example")

    with scope.scoped(scope.request("block_actions esc.claim")):
        scope.note_escalation(42)
        log.info("claimed", extra={"slack_method": "chat.update", "latency_ms": 12.5})
    with scope.scoped(scope.job("slo-sweep")):
        logging.getLogger("apscheduler.scheduler").warning("a library speaks")

    first, second = (json.loads(line) for line in _lines(capsys))
    assert first["message"] == "claimed"
    assert (first["level"], first["logger"]) == ("INFO", "bot.example")
    assert first["request_kind"] == "block_actions esc.claim"
    assert first["escalation"] == "ESC-42"
    assert (first["slack_method"], first["latency_ms"]) == ("chat.update", 12.5)
    assert first["timestamp"].startswith("20")
    assert (second["logger"], second["job"]) == ("apscheduler.scheduler", "slo-sweep")


def test_json_lines_are_scrubbed_like_text_lines(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", fmt="json")
    log = logging.getLogger("bot.example")

    try:
        raise ValueError("token xoxb-123-secret for taro.yamada@example.jp")
    except ValueError:
        log.exception("failed for %s", "hanako@example.com", extra={"who": "x@example.org"})

    [line] = _lines(capsys)
    record = json.loads(line)
    for secret in (
        "xoxb-123-secret",
        "taro.yamada@example.jp",
        "hanako@example.com",
        "x@example.org",
    ):
        assert secret not in line
    assert "[email]" in record["message"]


def test_plain_text_is_the_default(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")

    logging.getLogger("bot.example").info("hello")

    [line] = _lines(capsys)
    assert line.endswith("INFO bot.example: hello")
