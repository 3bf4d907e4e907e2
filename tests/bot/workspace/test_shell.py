"""The local shell: scripted sessions against the real app, answered like Slack would."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.settings import Settings
from bot.workspace.render import WIDTH, display_width
from bot.workspace.shell import (
    LocalWorkspace,
    Shell,
    app_commands,
    job_note,
    run_local_shell,
    shell_policy,
    use_color,
    working_morning,
)
from tests.conftest import TOKYO

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
FILE_ONE = """\
/escalate Login fails after password reset
> end_user_id: u-1001
> product: album
> category: login
> priority: P1
> submit
"""


def _settings(tmp_path: Path) -> Settings:
    return Settings(crebot_config=tmp_path / "absent.toml", _env_file=None)  # type: ignore[call-arg]


def _run(
    tmp_path: Path, database_url: str, script: str, *, start: datetime | None = START
) -> tuple[int, str]:
    path = tmp_path / "session.crebot"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    status = run_local_shell(
        settings=_settings(tmp_path),
        script=path,
        interactive=False,
        database_url=database_url,
        start=start,
        out=out,
        files_dir=tmp_path / "files",
    )
    return status, out.getvalue()


@contextmanager
def _shell(
    tmp_path: Path, database_url: str, *, ask: Callable[[str], str] | None = None
) -> Iterator[tuple[Shell, io.StringIO]]:
    policy, _ = shell_policy(_settings(tmp_path))
    out = io.StringIO()
    with LocalWorkspace(
        policy=policy, database_url=database_url, start=START, files_dir=tmp_path / "files"
    ) as workspace:
        yield Shell(workspace, out=out, color=False, ask=ask), out


def _answers(*answers: str | BaseException) -> tuple[Callable[[str], str], list[str]]:
    """A person at the prompts: each answer in turn (an exception is raised, like Ctrl-C)."""
    queue = list(answers)
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return ask, prompts


# -- scripts ---------------------------------------------------------------------------------------


def test_filing_through_the_modal_posts_and_assigns(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(tmp_path, database_url, FILE_ONE + "expect Assigned to @hanako\n")
    assert status == 0
    assert "● #cre-escalations · cre-bot · Tue 11/24 09:00" in transcript
    assert "ESC-1 · Login fails after password reset" in transcript
    assert "SLO: 🟢 due Tue 11/24 13:00 · 4h left" in transcript
    assert "✓ saw “Assigned to @hanako”" in transcript
    assert transcript.rstrip().endswith("✓ All 7 checks passed (1 expectation among them).")


def test_buttons_by_label_and_the_clock_runs_the_sweep(tmp_path: Path, database_url: str) -> None:
    script = (
        FILE_ONE
        + "as @hanako\nclick ESC-1 acknowledge\ntime +2h\nexpect 50% of its SLO (4h) is used\n"
    )
    status, transcript = _run(tmp_path, database_url, script)
    assert status == 0
    assert "@hanako is investigating" in transcript
    assert "⏰ Tue 11/24 11:00 SLO sweep: 1 escalation crossed a threshold" in transcript
    assert "DM to @hanako" in transcript  # her assignment DM, redrawn with the warning


def test_bad_input_is_answered_each_refusal_fails_its_line_and_the_shell_keeps_going(
    tmp_path: Path, database_url: str
) -> None:
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
> submit
time 2020-01-01 10:00
time soon
"""
    status, transcript = _run(tmp_path, database_url, script)
    assert status == 1
    assert "Unknown command 'frobnicate'" in transcript
    assert "There is no [99] on screen." in transcript
    assert "No one called '@nobody' here." in transcript
    assert "summary: At most 150 characters (this is 200)." in transcript
    assert "end_user_id: Enter a user id" in transcript
    assert "The modal is still open" in transcript
    assert "ESC-1 · short and fine" in transcript
    assert "There is no “claim” control on screen for ESC-1." in transcript  # auto-assigned
    assert "There is no escalation ESC-404." in transcript
    assert "No modal is open." in transcript
    assert "Time only moves forward here" in transcript
    assert "Use `time +2d`" in transcript
    # The bot's own answers (a refused modal, an unknown key) are what Slack shows: not failures.
    assert transcript.rstrip().endswith("✗ 7 of 18 checks failed (lines 1, 2, 3, 14, 16, 17, 18).")


def test_a_failed_expectation_fails_the_script(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(
        tmp_path, database_url, "/cre help\nexpect something that never appears\n"
    )
    assert status == 1
    assert "✗ expected to see “something that never appears”" in transcript
    assert "✗ 1 of 2 checks failed (line 2)." in transcript


def test_a_script_sets_its_start_before_anything_happens(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(
        tmp_path,
        database_url,
        "help\nstart 2026-11-16 10:00\n" + FILE_ONE + "start 2026-11-17 10:00\n",
        start=None,
    )
    assert "It is Mon 2026-11-16 10:00 (Asia/Tokyo)." in transcript
    assert "Filed by: @miki · Mon 11/16 10:00" in transcript
    assert "`start` only works before anything happens" in transcript
    assert status == 1


@pytest.mark.parametrize(
    ("now", "starts"),
    [
        (datetime(2026, 11, 24, 5, 24, tzinfo=TOKYO), datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)),
        (
            datetime(2026, 11, 24, 14, 7, 31, tzinfo=TOKYO),
            datetime(2026, 11, 24, 14, 7, tzinfo=TOKYO),
        ),
        (datetime(2026, 11, 24, 18, 0, tzinfo=TOKYO), datetime(2026, 11, 25, 9, 0, tzinfo=TOKYO)),
        # Friday night → Tuesday: Monday 23 November is a public holiday.
        (datetime(2026, 11, 20, 22, 0, tzinfo=TOKYO), datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)),
    ],
)
def test_a_session_starts_at_the_next_working_morning(
    tmp_path: Path, now: datetime, starts: datetime
) -> None:
    policy, _ = shell_policy(_settings(tmp_path))

    assert working_morning(policy, now) == starts.astimezone(UTC)


def test_help_names_the_roles_and_never_suggests_a_past_date(
    tmp_path: Path, database_url: str
) -> None:
    with _shell(tmp_path, database_url) as (shell, out):
        shell.execute("help")
    text = out.getvalue()
    assert "People: CS @miki, @yuki · engineers @hanako, @taro, @kenji · lead @lead" in text
    assert "time 2026-11-25 10:00" in text  # the next working day after the clock's today
    assert "2026-12-01" not in text
    assert all(display_width(line) <= WIDTH for line in text.splitlines())


# -- the README's commands ---------------------------------------------------------------------------


def _readme_shell_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = next(b for b in quickstart.split("```")[1::2] if "@cs-support> " in b)
    prompt = re.compile(r"^[\w-]+@[\w-]+> ")
    return "".join(prompt.sub("", line) + "\n" for line in block.splitlines() if prompt.match(line))


@pytest.fixture
def in_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with no crebot.toml or .env, and no Slack credentials in the environment."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CREBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_quickstart_example_works_verbatim(
    in_empty_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _readme_shell_example()
    assert example.startswith("/escalate ")
    (in_empty_dir / "readme.crebot").write_text(example, encoding="utf-8")

    status = cli.main(["shell", "--script", "readme.crebot"])

    out = capsys.readouterr().out
    assert "@hanako is investigating." in out
    assert status == 0, out


def test_crebot_shell_at_a_pipe_prints_the_banner_and_reads_commands(
    in_empty_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("now\ndms\nquit\n"))

    status = cli.main(["shell"])

    out = capsys.readouterr().out
    assert status == 0
    assert "cre-bot · local workspace — no Slack credentials found" in out
    assert "To connect a real workspace" in out
    assert "People: CS @miki, @yuki · engineers @hanako, @taro, @kenji · lead @lead" in out
    assert "No DMs to @miki yet." in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_with_a_token_set_the_banner_does_not_claim_there_are_no_credentials(
    in_empty_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real-looking")
    monkeypatch.setattr("sys.stdin", io.StringIO("quit\n"))

    assert cli.main(["shell"]) == 0

    out = capsys.readouterr().out
    assert "no Slack credentials found" not in out
    assert "SLACK_BOT_TOKEN is set but not used here" in out
    assert "crebot serve" in out


# -- colour ------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("out", "environ", "colour"),
    [
        (_Terminal(), {"TERM": "xterm-256color"}, True),
        (_Terminal(), {}, True),
        (_Terminal(), {"TERM": "xterm", "NO_COLOR": ""}, False),
        (_Terminal(), {"TERM": "dumb"}, False),
        (io.StringIO(), {"TERM": "xterm"}, False),
    ],
)
def test_colour_only_for_a_terminal_that_wants_it(
    out: io.StringIO, environ: dict[str, str], colour: bool
) -> None:
    assert use_color(out, environ) is colour


# -- clicking ----------------------------------------------------------------------------------------


def test_numbers_of_a_rerendered_message_are_gone(tmp_path: Path, database_url: str) -> None:
    script = FILE_ONE + "as @hanako\nclick 2\nclick 2\nclick 9\n"  # [1 ⋯] is the card's menu
    status, transcript = _run(tmp_path, database_url, script)

    assert "[2 Acknowledge]" in transcript
    assert "@hanako is investigating." in transcript
    assert "[2] is no longer on screen" in transcript
    assert transcript.count("is investigating.") == 1  # the stale click sent nothing
    assert status == 1


def test_controls_only_their_viewer_sees_cannot_be_clicked_by_others(
    tmp_path: Path, database_url: str
) -> None:
    script = (
        FILE_ONE
        + 'as @hanako\n/lookup u-1001\nas @taro\nclick 9\nclick "Add note"\n'
        + "as @hanako\nhome\nas @taro\nclick 10\n"
    )
    status, transcript = _run(tmp_path, database_url, script)

    assert "[9 Add note]" in transcript  # after [6 Acknowledge] [7 Waiting on CS] of her DM
    assert "[9] is not on @taro's screen: it is in a reply only @hanako sees" in transcript
    assert "There is no “Add note” control on @taro's screen: there is one" in transcript
    assert "[10 File an escalation]" in transcript
    assert "[10] is not on @taro's screen: it is on @hanako's App Home" in transcript
    assert "modal: Add a note" not in transcript
    assert status == 1


def _number_of(transcript: str, label: str) -> int:
    """The number the shell last gave the control with this label."""
    numbers = re.findall(rf"\[(\d+) {re.escape(label)}\]", transcript)
    assert numbers, f"no control {label!r} on screen"
    return int(numbers[-1])


STALE = (
    FILE_ONE.replace("priority: P1", "priority: P3")
    + "as @hanako\nclick ESC-1 acknowledge\ntime 2026-11-26 10:00\n"
)


def test_a_menu_lists_its_options_and_refuses_an_unknown_one(
    tmp_path: Path, database_url: str
) -> None:
    script = STALE + "click ESC-1 snooze\nclick ESC-1 snooze banana\nclick ESC-1 snooze 1\n"
    status, transcript = _run(tmp_path, database_url, script)

    menu = _number_of(transcript, "Snooze… ▾")
    assert f"[{menu} Snooze… ▾] is a menu: `click {menu} N` with one of\n  1) " in transcript
    assert f"'banana' is not a choice of [{menu} Snooze… ▾]; choose one of\n  1) " in transcript
    assert "💤 Snoozed until" in transcript
    assert status == 1  # the two refused clicks


def test_a_label_after_an_emoji_matches_and_a_date_picker_says_how(
    tmp_path: Path, database_url: str
) -> None:
    script = STALE + 'click ESC-1 "snooze until"\nclick ESC-1 snooze until 2026-11-30\n'
    status, transcript = _run(tmp_path, database_url, script)

    picker = _number_of(transcript, "📅 Snooze until…")
    assert f"[{picker} 📅 Snooze until…] picks a date: `click {picker} 2026-11-27`." in transcript
    after = transcript.split("snooze until 2026-11-30", 1)[1]
    assert "💤 Snoozed until" in after  # the date picker (an emoji before its label) was used
    assert status == 1  # the click without a date


def test_a_person_picker_says_how_to_use_it(tmp_path: Path, database_url: str) -> None:
    script = FILE_ONE + "as @hanako\nclick 5\nclick ESC-1 reassign @taro\n"
    status, transcript = _run(tmp_path, database_url, script)

    assert "No one called ''" not in transcript
    assert "[5 Reassign… ▾] picks a person: `click 5 @name`. People: CS @miki" in transcript
    assert "Assignee: @taro" in transcript
    assert status == 1


def test_an_unknown_slash_command_is_answered_like_slack_and_bolt_stays_quiet(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, transcript = _run(tmp_path, database_url, "/frob\nas @hanako\n/lookup\n/cre help\n")

    assert "/frob is not a valid command." in transcript
    assert "This workspace has /escalate, /cre, /lookup." in transcript
    assert "HTTP 404" not in transcript
    assert capsys.readouterr().err == ""
    # The catalog's escaped `&lt;user id | email&gt;` reads as Slack shows it.
    assert "Usage: /lookup <user id | email>, e.g." in transcript
    assert "• /lookup <user id | email> — the end user's state" in transcript
    assert status == 1


def test_bolts_warnings_stay_out_of_the_shell(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = logging.getLogger("slack_bolt").level
    with _shell(tmp_path, database_url) as (shell, _):
        shell.ws.driver.event({"type": "pin_added", "user": "U0HANAKO", "channel_id": "C0X"})

    assert [r for r in caplog.records if r.name.startswith("slack_bolt")] == []
    assert logging.getLogger("slack_bolt").level == before


def test_the_commands_the_shell_accepts_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}

    assert set(app_commands()) == declared


# -- what Slack would reject -------------------------------------------------------------------------


def test_a_call_slack_would_reject_is_shown_and_fails_the_line(
    tmp_path: Path, database_url: str
) -> None:
    with _shell(tmp_path, database_url) as (shell, out):
        client = shell.ws.runtime.client
        with pytest.raises(Exception, match="invalid_blocks"):
            client.chat_postMessage(
                channel=shell.ws.policy.escalation_channel,
                text="x",
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
            )
        status = shell.run(["now"])

    assert "⚠ Slack would reject this call: chat.postMessage" in out.getvalue()
    assert status == 1


# -- modals at the prompt ----------------------------------------------------------------------------


def test_prompted_fields_show_choices_and_ask_again_after_a_bad_choice(
    tmp_path: Path, database_url: str
) -> None:
    ask, prompts = _answers("u-1001", "frob", "album", "login", "", "", "", "", "")
    with _shell(tmp_path, database_url, ask=ask) as (shell, out):
        shell.run(["/escalate Login fails after password reset"])

    assert prompts[0] == "  End user id or email: "
    assert prompts[1] == "  Product (album | game | market): "
    assert prompts[2] == prompts[1]  # asked again
    assert prompts[4] == "  Priority (P1 | P2 | P3) [P2]: "
    assert prompts[-1] == "  Submit? [Y/n] "
    assert "'frob' is not one of the choices for product: album | game | market" in out.getvalue()
    assert "ESC-1 · Login fails after password reset" in out.getvalue()


def test_after_a_refusal_only_the_refused_fields_are_asked(
    tmp_path: Path, database_url: str
) -> None:
    ask, prompts = _answers(
        "../x", "album", "login", "", "", "", "", "",  # first round: the id is refused
        "u-1001", "",  # only End user id again, then submit
    )  # fmt: skip
    with _shell(tmp_path, database_url, ask=ask) as (shell, out):
        shell.run(["/escalate Login fails after password reset"])

    assert "│ end_user_id:" in out.getvalue()
    assert prompts[8:] == ["  End user id or email [../x]: ", "  Submit? [Y/n] "]
    assert "ESC-1 · Login fails after password reset" in out.getvalue()


def test_ctrl_c_in_a_modal_closes_the_modal_not_the_shell(
    tmp_path: Path, database_url: str
) -> None:
    ask, _ = _answers("u-1001", KeyboardInterrupt())
    with _shell(tmp_path, database_url, ask=ask) as (shell, out):
        status = shell.run(["/escalate Login fails", "> submit", "now"])

    text = out.getvalue()
    assert "Modal closed." in text
    assert "No modal is open." in text  # the shell went on to the next line
    assert "It is Tue 2026-11-24 09:00" in text
    assert "#cre-escalations" not in text
    assert status == 0  # interactive: nothing to fail


def test_switching_user_with_a_modal_open_warns_that_it_closes(
    tmp_path: Path, database_url: str
) -> None:
    status, transcript = _run(tmp_path, database_url, "/escalate Login\nas @hanako\n> submit\n")

    assert "The modal “Escalate to CRE” of @miki is closed" in transcript
    assert "No modal is open." in transcript
    assert status == 1


# -- layout and notes --------------------------------------------------------------------------------


def test_files_show_under_the_message_that_carries_them(tmp_path: Path, database_url: str) -> None:
    status, transcript = _run(tmp_path, database_url, FILE_ONE + "time 2026-12-01 10:05\n")
    lines = transcript.splitlines()

    [chart] = [i for i, line in enumerate(lines) if "📎 digest-2026-11.png" in line]
    header = max(i for i in range(chart) if lines[i].startswith("● "))
    assert "thread of “Escalation digest: November 2026”" in lines[header]
    assert "November 2026 at a glance" in "\n".join(lines[header:chart])
    assert (tmp_path / "files" / "digest-2026-11.png").read_bytes()[:4] == b"\x89PNG"
    assert status == 0


def test_transcript_lines_fit_the_terminal(tmp_path: Path, database_url: str) -> None:
    _, transcript = _run(tmp_path, database_url, FILE_ONE + "as @hanako\n/lookup u-1001\n")
    echoed = re.compile(r"^[\w-]+@[\w-]+> ")
    for line in transcript.splitlines():
        if not echoed.match(line):
            assert display_width(line) <= WIDTH, line
        assert line == line.rstrip(), repr(line)


@pytest.mark.parametrize(
    ("name", "outcome", "note"),
    [
        (
            "slo-sweep",
            "3 due, 1 crossed a threshold",
            "SLO sweep: 1 escalation crossed a threshold",
        ),
        ("slo-sweep", "3 due, 0 crossed a threshold", None),
        (
            "stale-reminders",
            "2 stale escalations for 1 engineers; lead told of 0; 0 unclaimed",
            "stale reminders: 1 engineer reminded of 2 quiet escalations",
        ),
        (
            "stale-reminders",
            "0 stale escalations for 0 engineers; lead told of 0; 0 unclaimed",
            None,
        ),
        (
            "monthly-digest",
            "digest for 2026-11: 4 filed, 3 resolved, 2 slow; 4 posts promised",
            "monthly digest of 2026-11: 4 filed, 3 resolved, 2 slow",
        ),
        ("housekeeping", "forgot 2 event ids and 0 job runs", None),
        ("new-job", "did a thing", "new-job: did a thing"),
    ],
)
def test_job_notes_read_as_words(name: str, outcome: str, note: str | None) -> None:
    assert job_note(name, outcome) == note


def test_the_example_policy_is_bundled_verbatim() -> None:
    assert (ROOT / "bot" / "data" / "example_policy.toml").read_text() == (
        ROOT / "crebot.example.toml"
    ).read_text()


@pytest.mark.parametrize(
    ("command", "shown"),
    [("/cre queue", "In progress (1)"), ("home", "In progress with others (1)")],
)
def test_lists_and_home_render(tmp_path: Path, database_url: str, command: str, shown: str) -> None:
    status, transcript = _run(tmp_path, database_url, FILE_ONE + command + "\n")
    assert status == 0
    assert shown in transcript


def test_a_zendesk_delivery_files_the_ticket_and_shows_what_is_written_back(
    tmp_path: Path, database_url: str
) -> None:
    script = (
        'zendesk ticket 4711 "Login fails" external_id=u-1001 priority=urgent\n'
        "zendesk ticket abc\n"
        'zendesk ticket 4712 "Photos" colour=red\n'
    )
    status, transcript = _run(tmp_path, database_url, script)
    assert "Zendesk → cre-bot: ticket #4711 sent by its trigger (202 accepted)" in transcript
    assert "ESC-1 · Login fails" in transcript
    assert "End user: u-1001" in transcript
    assert "Zendesk: #4711" in transcript
    assert "━━ Zendesk #4711 · internal note ━━" in transcript
    assert "Escalated to CRE as ESC-1 (P1" in transcript  # Zendesk's Urgent, mapped
    assert "[cre-bot:ESC-1:assigned:" in transcript
    assert "+cre_escalated" in transcript
    assert 'Try: zendesk ticket 4711 "Title"' in transcript
    assert "Unknown field 'colour'" in transcript
    assert "#4712" not in transcript  # a refused line sends nothing
    assert status == 1
    assert "✗ 2 of 3 checks failed (lines 2, 3)." in transcript
