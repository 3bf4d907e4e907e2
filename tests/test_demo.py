"""examples/demo.crebot plays the whole story end to end, the way the README runs it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli
from bot.settings import Settings
from bot.workspace.shell import LocalWorkspace, Shell, shell_policy, working_morning

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.crebot"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """`crebot shell --script examples/demo.crebot` in an empty directory, on today's date."""
    work = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CREBOT_CONFIG", "DATABASE_URL"):
            patch.delenv(name, raising=False)
        patch.chdir(work)
        out = io.StringIO()
        patch.setattr("sys.stdout", out)
        status = cli.main(["shell", "--script", str(DEMO)])
    return status, out.getvalue(), work / "crebot-files"


def test_every_check_in_the_story_passes(transcript: tuple[int, str, Path]) -> None:
    status, text, _ = transcript
    assert "✗" not in text
    assert "Something went wrong" not in text
    assert "Slack would reject" not in text
    expectations = [line for line in DEMO.read_text().splitlines() if line.startswith("expect ")]
    assert len(re.findall("✓ saw", text)) == len(expectations)
    assert re.search(
        rf"✓ All \d+ checks passed \({len(expectations)} expectations among them\)\.\n$", text
    )
    assert status == 0


def test_no_call_in_the_story_is_one_slack_would_reject(tmp_path: Path, database_url: str) -> None:
    settings = Settings(crebot_config=tmp_path / "absent.toml", _env_file=None)  # type: ignore[call-arg]
    policy, _ = shell_policy(settings)
    out = io.StringIO()
    with LocalWorkspace(
        policy=policy,
        database_url=database_url,
        start=working_morning(policy, datetime.now(UTC)),
        files_dir=tmp_path / "files",
    ) as workspace:
        status = Shell(workspace, out=out, color=False, ask=None).run(DEMO.read_text().splitlines())
        problems = list(workspace.standin.problems)

    assert problems == []
    assert status == 0


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
        "@hanako resumed the investigation.",  # … and resumed
        "📥 You filed ESC-1 · Can't sign in on the new phone",  # CS hears it was filed …
        "📥 Escalated to CRE: ESC-4",  # … and the message filed from hears it in its thread
        "needs your answer on ESC-3",  # the engineer's question reaches the filer …
        "💬 @miki answered. The SLO clock is running again.",  # … whose answer resumes the clock
        "Filed by you (3)",  # /cre mine for CS
        "👤 Assigned to @taro · due",  # the reply in CS's thread, updated in place …
        "✅ Resolved by @taro.",  # … until it carries the answer for CS
        "50% of its SLO (4h) is used.",  # a warning, in the assignee's DM
        "breached its SLO",  # a breach, to the lead
        "has had no activity for 2 business days",  # a stale reminder
        "💤 Snoozed until",  # a snooze, and until when
        "was resolved by @taro (cause: Data fix).",  # a resolution with its cause
        "Escalation digest: November 2026",  # the monthly digest
        "Slow closes",
        "monthly digest of 2026-11: 6 filed, 5 resolved, 2 slow",  # the job, in words
        "Zendesk → cre-bot: ticket #48250 sent by its trigger (202 accepted)",  # from Zendesk …
        "Escalated to CRE as ESC-5",  # … and written back to the ticket
        "[cre-bot:ESC-5:resolved:",
    ],
)
def test_the_story_shows(transcript: tuple[int, str, Path], line: str) -> None:
    assert line in transcript[1]


def test_the_digest_chart_is_written_to_a_file_under_its_message(
    transcript: tuple[int, str, Path],
) -> None:
    files = transcript[2]
    chart = files / "digest-2026-11.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (files / "escalations-2026-11.csv").read_text(encoding="utf-8-sig")
    assert table.startswith("Escalation,Link,Filed,Resolved,")
    lines = transcript[1].splitlines()
    [at] = [i for i, line in enumerate(lines) if "📎 digest-2026-11.png" in line]
    assert "crebot-files/digest-2026-11.png" in "\n".join(lines[at : at + 2])
    assert "November 2026 at a glance" in "\n".join(lines[at - 3 : at])
