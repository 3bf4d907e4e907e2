"""The local shell: scripted sessions against the real app, answered like Slack would."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.workspace.shell import run_local_shell
from tests.conftest import TOKYO

START = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
FILE_ONE = """\
/escalate Login fails after password reset
> end_user_id: u-1001
> product: album
> category: login
> priority: P1
> submit
"""


def _run(tmp_path: Path, database_url: str, script: str) -> tuple[int, str]:
    path = tmp_path / "session.crebot"
    path.write_text(script, encoding="utf-8")
    settings = Settings(crebot_config=tmp_path / "absent.toml", _env_file=None)  # type: ignore[call-arg]
    out = io.StringIO()
    status = run_local_shell(
        settings=settings,
        script=path,
        interactive=False,
        database_url=database_url,
        start=START,
        out=out,
        files_dir=tmp_path / "files",
    )
    return status, out.getvalue()


def test_filing_through_the_modal_posts_and_assigns(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(tmp_path, database_url, FILE_ONE + "expect Assigned to @hanako\n")
    assert status == 0
    assert "● #cre-escalations · cre-bot · Tue 11/24 09:00" in transcript
    assert "ESC-1 · Login fails after password reset" in transcript
    assert "SLO: 🟢 due Tue 11/24 13:00 · 4h left" in transcript
    assert "✓ saw “Assigned to @hanako”" in transcript


def test_buttons_by_label_and_the_clock_runs_the_sweep(tmp_path: Path, database_url: str) -> None:
    script = (
        FILE_ONE
        + "as @hanako\nclick ESC-1 acknowledge\ntime +2h\nexpect has used 50% of its 4h SLO\n"
    )
    status, transcript = _run(tmp_path, database_url, script)
    assert status == 0
    assert "@hanako is investigating" in transcript
    assert "⏰ Tue 11/24 11:00 slo-sweep: 1 due, 1 crossed a threshold" in transcript
    assert "DM to @hanako" in transcript


def test_bad_input_is_answered_and_the_shell_keeps_going(tmp_path: Path, database_url: str) -> None:
    long_summary = "x" * 200
    script = f"""\
frobnicate
click 99
as @nobody
/escalate
> summary: {long_summary}
> end_user_id: ../etc/passwd
> submit
> summary: short and fine
> end_user_id: u-1001
> product: game
> category: billing
> submit
as @taro
click ESC-1 claim
/cre show ESC-404
"""
    status, transcript = _run(tmp_path, database_url, script)
    assert status == 0
    assert "Unknown command 'frobnicate'" in transcript
    assert "There is no [99] on screen." in transcript
    assert "No one called '@nobody' here." in transcript
    assert "summary: At most 150 characters (this is 200)." in transcript
    assert "end_user_id: Enter a user id" in transcript
    assert "The modal is still open" in transcript
    assert "ESC-1 · short and fine" in transcript
    assert (
        "There is no “claim” control on screen for ESC-1." in transcript
    )  # auto-assigned: no Claim button
    assert "There is no escalation ESC-404." in transcript


def test_a_failed_expectation_fails_the_script(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(
        tmp_path, database_url, "/cre help\nexpect something that never appears\n"
    )
    assert status == 1
    assert "✗ expected to see “something that never appears”" in transcript


def test_time_only_moves_forward(tmp_path: Path, database_url: str) -> None:
    _, transcript = _run(tmp_path, database_url, "time 2020-01-01 10:00\ntime soon\n")
    assert "Time only moves forward here." in transcript
    assert "Use `time +2d`" in transcript


def test_the_example_policy_is_bundled_verbatim() -> None:
    root = Path(__file__).resolve().parents[3]
    assert (root / "bot" / "data" / "example_policy.toml").read_text() == (
        root / "crebot.example.toml"
    ).read_text()


@pytest.mark.parametrize("command", ["/cre queue", "home"])
def test_lists_and_home_render(tmp_path: Path, database_url: str, command: str) -> None:
    status, transcript = _run(tmp_path, database_url, FILE_ONE + command + "\n")
    assert status == 0
    assert "In progress (1)" in transcript
