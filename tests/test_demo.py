"""examples/demo.crebot plays the whole story end to end in the local shell."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.workspace.shell import run_local_shell
from tests.conftest import TOKYO

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.crebot"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    work = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    settings = Settings(crebot_config=work / "absent.toml", _env_file=None)  # type: ignore[call-arg]
    status = run_local_shell(
        settings=settings,
        script=DEMO,
        interactive=False,
        database_url=f"sqlite:///{work / 'demo.db'}",
        start=datetime(2026, 11, 16, 9, 0, tzinfo=TOKYO),
        out=out,
        files_dir=work / "files",
    )
    return status, out.getvalue(), work / "files"


def test_every_expectation_in_the_story_holds(transcript: tuple[int, str, Path]) -> None:
    status, text, _ = transcript
    assert "✗" not in text
    assert "Something went wrong" not in text
    assert status == 0
    expectations = [line for line in DEMO.read_text().splitlines() if line.startswith("expect ")]
    assert len(re.findall("✓ saw", text)) == len(expectations)


@pytest.mark.parametrize(
    "line",
    [
        "ESC-2 · Login fails after password reset",  # CS files three escalations …
        "Assigned to @hanako (fewest open escalations among those who cover this).",  # … auto-assignment
        "Nobody who covers this is available; it waits in the queue for Claim.",
        "@taro claimed this.",  # a claim
        "1 earlier escalation for this user · last cause: User operation",  # the history on the card
        "Chart",  # a look-up with history
        "The SLO clock is paused.",  # waiting …
        "@taro resumed the investigation.",  # … and resumed
        "ESC-2 has used 50% of its 4h SLO",  # a warning
        "breached its 4h SLO",  # a breach, to the lead
        "has had no activity for 2d of business time",  # a stale reminder
        "💤 Snoozed.",  # a snooze
        "was resolved by @taro (cause: Data fix).",  # a resolution with its cause
        "Escalation digest: November 2026",  # the monthly digest
        "Slow closes",
    ],
)
def test_the_story_shows(transcript: tuple[int, str, Path], line: str) -> None:
    assert line in transcript[1]


def test_the_digest_chart_is_written_to_a_file(transcript: tuple[int, str, Path]) -> None:
    files = transcript[2]
    chart = files / "digest-2026-11.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (files / "escalations-2026-11.csv").read_text(encoding="utf-8-sig").startswith("key,")
    assert f"written to {chart}" in transcript[1]
