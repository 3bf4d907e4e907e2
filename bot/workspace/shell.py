"""`crebot shell`: a terminal that plays a Slack workspace for the real bot.

The same Bolt app, handlers, database and jobs run here; Slack's Web API is answered in-process by
the stand-in (over loopback HTTP, checked against Slack's reference), and Slack's requests are built
and signed as Slack would send them. Time is a manual clock: `time +2d` moves it and runs the jobs
that fall due on the way. Bad input is answered the way Slack would show it; in a script every
line is a check, and the exit status says whether all of them passed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shlex
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, cast

from slack_bolt import App
from sqlmodel import select

import handlers.commands
from bot import migrate
from bot.app import create_app
from bot.clock import Clock, ManualClock, SystemClock
from bot.db import Database
from bot.errors import ConfigError
from bot.models import Escalation
from bot.policy import Policy, load_policy, parse_policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import build_schedules, run_job
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.workspace.driver import SlackDriver, TrackingExecutor, element_action
from bot.workspace.render import (
    Control,
    Renderer,
    Style,
    for_readline,
    label_key,
    plain_text,
    wrap,
)
from bot.workspace.webapi import Message, RunningServer, SlackStandIn, UploadedFile, dm_channel_id
from bot.workspace.zendesk import ZendeskStandIn, signature_headers
from bot.workspace.zendesk_shell import CommandError, parse_ticket_command, ticket_changes

EXAMPLE_POLICY = Path(__file__).resolve().parent.parent / "data" / "example_policy.toml"
CS_AGENTS = {"U0CSMIKI": "miki", "U0CSYUKI": "yuki"}
SUPPORT_CHANNEL = ("C0CSSUPPORT", "cs-support")
BOLT_LOGGER = logging.getLogger("slack_bolt")
DURATION = re.compile(r"^\+(\d+)([dhm])$")
# Commands that act in the workspace (besides slash commands and `>` lines): `start` must come first.
ACTS = frozenset({"click", "time", "say", "reply", "shortcut", "home", "zendesk"})
HELP = """\
What you can type (as the current user, in the current channel):
  /escalate [summary]     file an escalation (a modal opens)
  /cre mine | queue | show ESC-1 | away | back | report | audit | help
  /lookup <user id | email>
  click N [choice]        press control [N]; a menu takes an option (a number
                          or name), a person picker @name, a date YYYY-MM-DD
  click ESC-1 resolve     ... or a control by its label, on ESC-1's messages
  > field: value          fill a field of the open modal;  > submit  > cancel
  say TEXT                post a message in the current channel
  reply ESC-1 TEXT        reply in an escalation's thread
  shortcut                "Escalate to CRE" on the channel's last message
  home                    open the App Home tab
  zendesk ticket 4711 "Title" external_id=u-1001 priority=high
                          Zendesk escalates a ticket (you are the agent);
                          the notes written back to it are shown
  as @name                switch user          in #channel   switch channel
  time +2d | +3h | +30m   move the clock, running the jobs that fall due
  time {example}   ... or to a local time ({tz})
  now                     what time it is      channel | dms   show them
  start {example}  (scripts, first) start the clock here
  expect TEXT             (scripts) fail unless the last command showed TEXT
  help | quit"""


def working_morning(policy: Policy, now: datetime) -> datetime:
    """`now` if it is within working hours, else the start of the next working day (team time)."""
    calendar = policy.business_calendar
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    today = now.astimezone(calendar.tz).date()
    hours = calendar.working_hours(today)
    if hours is not None and now < hours[1]:
        return max(now, hours[0])
    day = calendar.next_working_day(today)
    while (hours := calendar.working_hours(day)) is None:  # pragma: no cover (a zero-length day)
        day = calendar.next_working_day(day)
    return hours[0]


def app_commands() -> tuple[str, ...]:
    """The slash commands the app registers (what Slack would accept from this app's manifest)."""

    class Recorder:
        def __init__(self) -> None:
            self.names: list[str] = []

        def command(self, name: str) -> Callable[[Any], Any]:
            self.names.append(name)
            return lambda listener: listener

    recorder = Recorder()
    handlers.commands.register(cast(App, recorder))
    return tuple(recorder.names)


@dataclass
class Seen:
    """What has already been shown, so each command prints only what changed."""

    messages: dict[tuple[str, str], int] = field(default_factory=dict)
    views_opened: int = 0
    home_published: int = 0
    files: int = 0
    problems: int = 0
    zendesk_calls: int = 0
    zendesk_problems: int = 0


@dataclass
class Shown:
    """A numbered control on screen: where it is and who can see it."""

    control: Control
    channel: str
    ts: str | None  # None: an App Home tab
    viewer: str | None  # the one user who sees it (a DM, an ephemeral reply, a Home); None: all


class LocalWorkspace:
    """The real app, database and jobs, wired to an in-process Slack and a manual clock."""

    def __init__(
        self, *, policy: Policy, database_url: str, start: datetime, files_dir: Path
    ) -> None:
        self.policy = policy
        self.clock = ManualClock(start)
        self.files_dir = files_dir
        self.standin = SlackStandIn(clock=lambda: self.clock.now().timestamp())
        self.server: RunningServer = self.standin.serve()
        self._add_people()
        secret = secrets.token_hex(16)
        # Zendesk is played here too: deliveries signed with this secret, notes written to a stand-in.
        self.zendesk_secret = secrets.token_hex(16)
        self.zendesk = ZendeskStandIn(clock=lambda: self.clock.now().timestamp(), any_ticket=True)
        self.zendesk_server = self.zendesk.serve()
        settings = Settings(
            slack_bot_token="xoxb-local-shell",  # type: ignore[arg-type]  # noqa: S106 (a stand-in)
            slack_signing_secret=secret,  # type: ignore[arg-type]
            slack_api_url=self.server.base_url,
            database_url=database_url,
            zendesk_webhook_secret=self.zendesk_secret,  # type: ignore[arg-type]
            zendesk_email=self.zendesk.email,
            zendesk_api_token=self.zendesk.api_token,  # type: ignore[arg-type]
            zendesk_api_url=self.zendesk_server.url,
            _env_file=None,  # type: ignore[call-arg]
        )
        migrate.upgrade(database_url)
        self.runtime = Runtime(
            settings=settings,
            policy=policy,
            db=Database(database_url),
            client=make_web_client(settings.bot_token(), base_url=settings.slack_api_url),
            clock=self.clock,
            owner="local-shell",
        )
        self.executor = TrackingExecutor()
        self.runtime.background = self.executor
        app = create_app(self.runtime, listener_executor=self.executor)
        wsgi = SlackWsgiApp(
            app=app,
            db=self.runtime.db,
            signing_secret=secret,
            zendesk=self.runtime.zendesk.webhook,
        )
        self.driver = SlackDriver(
            wsgi=wsgi,
            executor=self.executor,
            standin=self.standin,
            server=self.server,
            signing_secret=secret,
        )

    def _add_people(self) -> None:
        for engineer in self.policy.roster.engineers:
            self.standin.add_user(engineer.user, (engineer.name or engineer.user).lower())
        if self.policy.roster.lead not in self.standin.users:
            self.standin.add_user(self.policy.roster.lead, "lead", is_admin=True)
        for user_id, name in CS_AGENTS.items():
            self.standin.add_user(user_id, name)
        self.standin.add_channel(self.policy.escalation_channel, "cre-escalations")
        if self.policy.digest_channel != self.policy.escalation_channel:
            self.standin.add_channel(self.policy.digest_channel, "cre-digest")
        self.standin.add_channel(*SUPPORT_CHANNEL)

    def advance(self, until: datetime, *, only: Collection[str] | None = None) -> list[str]:
        """Move the clock to `until`, running every job whose trigger fires on the way, in order.

        `only` limits the jobs run to those named (a long simulation skips the ones that post nothing).
        """
        now = self.clock.now()
        if until <= now:
            return []
        schedules = build_schedules(self.policy)
        fires: list[tuple[datetime, str]] = []
        for name, schedule in schedules.items():
            if name in ("outbox-flush", "zendesk") or (only is not None and name not in only):
                continue  # every minute: delivery and write-back run after each step instead
            trigger = schedule.trigger(self.policy)
            fire = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
            while fire is not None and fire <= until:
                fires.append((fire, name))
                fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        notes = []
        # Jobs that only act at a stored instant are skipped while nothing is due yet.
        waits_for = {"slo-sweep": "slo_next_alert_at", "card-refresh": "card_refresh_at"}
        next_due = {name: self._earliest(column) for name, column in waits_for.items()}
        for at, name in sorted(fires):
            if name in waits_for and ((due := next_due[name]) is None or at < due):
                continue
            self.clock.set(at)
            outcome = run_job(runtime=self.runtime, name=name, at=at)
            if name in waits_for:
                next_due = {job: self._earliest(column) for job, column in waits_for.items()}
            note = job_note(name, outcome)
            if note:
                notes.append(
                    f"{at.astimezone(self.policy.business_calendar.tz):%a %m/%d %H:%M} {note}"
                )
        self.clock.set(until)
        self.runtime.deliver()
        return notes

    def _earliest(self, column_name: str) -> datetime | None:
        """The earliest instant stored in an escalation column (None when none is set)."""
        column = getattr(Escalation, column_name)
        with self.runtime.db.session() as session:
            row = session.exec(
                select(column).where(column.is_not(None)).order_by(column).limit(1)
            ).first()
        return row

    def escalation_of_thread(self, channel: str, ts: str) -> str | None:
        """The key of the escalation whose message is (channel, ts)."""
        with self.runtime.db.session() as session:
            row = session.exec(
                select(Escalation).where(
                    Escalation.channel_id == channel, Escalation.message_ts == ts
                )
            ).first()
            return row.key if row else None

    def message_of(self, key: str) -> tuple[str, str] | None:
        """(channel, ts) of an escalation's message."""
        match = re.fullmatch(r"(?i)(?:ESC-?)?(\d+)", key.strip())
        if not match:
            return None
        with self.runtime.db.session() as session:
            row = session.get(Escalation, int(match.group(1)))
            if row is None or row.message_ts is None:
                return None
            return row.channel_id, row.message_ts

    def close(self) -> None:
        """Stop the in-process Slack and the listener threads."""
        self.executor.drain()
        self.executor.shutdown(wait=True)
        self.runtime.db.dispose()
        self.server.stop()
        self.zendesk_server.stop()

    def __enter__(self) -> LocalWorkspace:
        # Bolt's warnings (e.g. its suggestions for an unhandled request) are not for the person
        # at the shell: the shell answers bad input itself, as Slack would.
        self._bolt_level = BOLT_LOGGER.level
        BOLT_LOGGER.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc_info: object) -> None:
        BOLT_LOGGER.setLevel(self._bolt_level)
        self.close()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def job_note(name: str, outcome: str) -> str | None:
    """What a job run did, in words for the person at the shell; None when it did nothing to see."""
    if name == "slo-sweep":
        sweep = re.fullmatch(r"(\d+) due, (\d+) crossed a threshold", outcome)
        if sweep:
            crossed = int(sweep.group(2))
            if not crossed:
                return None
            return f"SLO sweep: {_count(crossed, 'escalation')} crossed a threshold"
    if name == "stale-reminders":
        stale = re.fullmatch(
            r"(\d+) stale escalations for (\d+) engineers; lead told of (\d+); (\d+) unclaimed",
            outcome,
        )
        if stale:
            quiet, engineers, ignored, unclaimed = (int(g) for g in stale.groups())
            parts = []
            if quiet:
                parts.append(
                    f"{_count(engineers, 'engineer')} reminded of {_count(quiet, 'quiet escalation')}"
                )
            if ignored:
                parts.append(f"the lead told of {_count(ignored, 'ignored reminder')}")
            if unclaimed:
                parts.append(f"{_count(unclaimed, 'overdue unclaimed escalation')} posted")
            return "stale reminders: " + "; ".join(parts) if parts else None
    if name == "monthly-digest":
        digest = re.fullmatch(r"digest for (\S+): (.*?)(?:; \d+ posts? promised)?", outcome)
        if digest:
            return f"monthly digest of {digest.group(1)}: {digest.group(2)}"
    if name in ("housekeeping", "card-refresh"):
        return None  # bookkeeping, or messages re-drawn (which the shell shows as they change)
    nothing = ("0 due", "not due", "period ")
    return None if outcome.startswith(nothing) else f"{name}: {outcome}"


@dataclass
class OpenModal:
    """The modal a user has open."""

    view: dict[str, Any]
    user: str
    values: dict[str, str | None] = field(default_factory=dict)


class Shell:
    """Reads commands, acts as Slack users, and prints what changed in the workspace."""

    def __init__(
        self,
        workspace: LocalWorkspace,
        *,
        out: TextIO,
        color: bool,
        ask: Callable[[str], str] | None,
    ) -> None:
        self.ws = workspace
        self.out = out
        self.style = Style(color=color)
        self.ask = ask  # None: a script, no prompts
        self.user = next(iter(CS_AGENTS))
        self.channel = SUPPORT_CHANNEL[0]
        self.commands = app_commands()
        self.controls: dict[int, Shown] = {}
        self.places: dict[tuple[str, str], list[int]] = {}  # a message or a Home → its numbers
        self.gone: set[int] = set()  # numbers of controls that were re-rendered away
        self._number = 0
        self._zendesk_number = 0
        self.seen = Seen()
        self.written: dict[str, Path] = {}  # file id → where it was written
        self.modal: OpenModal | None = None
        self.happened = False  # anything done in the workspace yet (`start` must come first)
        self.checks = 0
        self.expectations = 0
        self.failed_lines: list[int] = []
        self._step_failed = False
        self.last_output: list[str] = []
        self.renderer = Renderer(
            style=self.style,
            user_name=self._user_name,
            channel_name=self._channel_name,
            next_number=self._next,
        )
        self._mark_all_seen()

    # -- plumbing -----------------------------------------------------------------------------------

    def _next(self) -> int:
        self._number += 1
        return self._number

    def _user_name(self, user_id: str) -> str:
        return str(self.ws.standin.users.get(user_id, {}).get("name") or user_id)

    def _channel_name(self, channel_id: str) -> str:
        return str(self.ws.standin.channels.get(channel_id, {}).get("name") or channel_id)

    def _user_id(self, name: str) -> str | None:
        wanted = name.strip().lstrip("@").lower()
        if not wanted:
            return None
        for user_id, user in self.ws.standin.users.items():
            if wanted in (user_id.lower(), str(user.get("name", "")).lower()):
                return user_id
        return None

    def _dm_owner(self, channel: str) -> str | None:
        return next((u for u in self.ws.standin.users if dm_channel_id(u) == channel), None)

    def people(self) -> str:
        """Who is here, by role: CS agents, the roster's engineers, its lead."""
        roster = self.ws.policy.roster
        groups = [
            ("CS", list(CS_AGENTS)),
            ("engineers", [e.user for e in roster.engineers]),
            ("lead", [roster.lead]),
        ]
        return " · ".join(
            f"{role} " + ", ".join("@" + self._user_name(u) for u in users)
            for role, users in groups
        )

    def prompt(self) -> str:
        """The prompt: who you are and where."""
        return f"{self._user_name(self.user)}@{self._channel_name(self.channel)}> "

    def say(self, text: str = "") -> None:
        """Print a line (and remember it for `expect`)."""
        self.last_output.append(text)
        print(text, file=self.out)

    def say_wrapped(self, text: str, *, indent: str = "", hang: str = "  ") -> None:
        """Print text wrapped to the terminal width (continuation lines indented by `hang`)."""
        for line in wrap(text, indent, hang=hang):
            self.say(line)

    def error(self, text: str) -> None:
        """Refuse a step, as Slack would show it; in a script the step counts as failed."""
        self._step_failed = True
        self.say_wrapped(self.style.red(text))

    def warn(self, text: str) -> None:
        """A note about what just happened that fails nothing."""
        self.say_wrapped(self.style.yellow(text))

    def _mark_all_seen(self) -> None:
        for channel, messages in self.ws.standin.messages.items():
            for message in messages:
                self.seen.messages[(channel, message.ts)] = message.updated_count
        self.seen.views_opened = len(self.ws.standin.calls_to("views.open"))
        self.seen.home_published = len(self.ws.standin.calls_to("views.publish"))
        self.seen.files = len(self.ws.standin.files)
        self.seen.problems = len(self.ws.standin.problems)

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.ws.policy.business_calendar.tz)

    def _example_day(self) -> str:
        """A working day after today on the shell's clock, at 10:00: never in the past."""
        calendar = self.ws.policy.business_calendar
        day = calendar.next_working_day(self._local(self.ws.clock.now()).date())
        return f"{day:%Y-%m-%d} 10:00"

    # -- the loop ----------------------------------------------------------------------------------

    def run(self, lines: Iterable[str]) -> int:
        """Execute lines until `quit` or the end. In a script (no prompts) every line is a check:
        an `expect` that did not see its text, a step the shell refused, or a call Slack would
        reject fails it; the status is 1 if any check failed."""
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if self.ask is None:  # echo the line (not recorded: `expect` must not see itself)
                print(self.style.bold(self.prompt()) + line, file=self.out)
            self.checks += 1
            self._step_failed = False
            keep_going = self.execute(line)
            if self._step_failed:
                self.failed_lines.append(number)
            if not keep_going:
                break
        if self.ask is not None:
            return 0
        self._summary()
        return 1 if self.failed_lines else 0

    def _summary(self) -> None:
        if not self.failed_lines:
            among = f" ({_count(self.expectations, 'expectation')} among them)"
            self.say(
                self.style.green(
                    f"✓ All {self.checks} checks passed{among if self.expectations else ''}."
                )
            )
            return
        shown = ", ".join(str(n) for n in self.failed_lines[:12])
        more = ", …" if len(self.failed_lines) > 12 else ""
        word = "line" if len(self.failed_lines) == 1 else "lines"
        self.say(
            self.style.red(
                f"✗ {len(self.failed_lines)} of {self.checks} checks failed ({word} {shown}{more})."
            )
        )

    def execute(self, line: str) -> bool:
        """Run one command; False means quit."""
        if not line.startswith("expect "):
            self.last_output = []
        try:
            return self._dispatch(line)
        except KeyboardInterrupt:
            if self.ask is None:
                raise
            self.say(self.style.dim("(interrupted)"))
            return True
        except Exception as exc:  # the shell keeps running, as Slack would
            self.error(f"Something went wrong: {exc.__class__.__name__}: {exc}")
            return True
        finally:
            self._report_problems()

    def _report_problems(self) -> None:
        """Calls the bot made that real Slack would reject (checked against Slack's reference)."""
        problems = self.ws.standin.problems
        for problem in problems[self.seen.problems :]:
            self.error(f"⚠ Slack would reject this call: {problem}")
        self.seen.problems = len(problems)
        refused = self.ws.zendesk.problems
        for problem in refused[self.seen.zendesk_problems :]:
            self.error(f"⚠ Zendesk would refuse this request: {problem}")
        self.seen.zendesk_problems = len(refused)

    def _zendesk(self, rest: str) -> None:
        """A Zendesk trigger sends a ticket to cre-bot, with the current user as the agent."""
        me = self.ws.standin.users.get(self.user, {})
        try:
            delivery = parse_ticket_command(
                rest,
                now=self.ws.clock.now(),
                account_url=self.ws.policy.zendesk.url or "https://example.zendesk.com",
                agent_name=str(me.get("real_name") or self._user_name(self.user)),
                agent_email=str(me.get("profile", {}).get("email") or ""),
            )
        except CommandError as exc:
            self.error(str(exc))
            return
        if delivery.ticket_id not in self.ws.zendesk.tickets:
            self.ws.zendesk.add_ticket(delivery.ticket_id)
        self._zendesk_number += 1
        headers = signature_headers(
            self.ws.zendesk_secret,
            delivery.body,
            at=self.ws.clock.now().timestamp(),
            invocation_id=f"shell-{self._zendesk_number}",
        )
        response = self.ws.driver.post(
            delivery.body.decode("utf-8"),
            content_type="application/json",
            headers=headers,
            sign=False,
            path="/zendesk/webhook",
        )
        answer = f"{response.status} {response.body.strip()}"
        line = f"Zendesk → cre-bot: ticket #{delivery.ticket_id} sent by its trigger ({answer})"
        if response.status >= 400:
            self.error(line)
        else:
            self.say(self.style.dim(line))
        self._show_changes()

    def _show_ticket_changes(self) -> None:
        """Notes and tags cre-bot wrote to Zendesk since the last command."""
        calls = self.ws.zendesk.calls
        for ticket, heading, lines in ticket_changes(calls[self.seen.zendesk_calls :]):
            self.say(self.style.bold(f"━━ Zendesk #{ticket} · {heading} ━━"))
            for text in lines:
                self.say_wrapped(text, indent="  ", hang="  ")
        self.seen.zendesk_calls = len(calls)

    def _dispatch(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if line.startswith((">", "/")) or word in ACTS:
            self.happened = True
        if line.startswith(">"):
            self._modal_line(line[1:].strip())
        elif word.startswith("/"):
            self._command(word, rest)
        elif word == "click":
            self._click(rest)
        elif word in ("quit", "exit"):
            return False
        elif word == "help":
            self.say(self._help())
        else:
            handler = self._simple_commands().get(word)
            if handler is None:
                self.error(f"Unknown command {word!r}. Type `help` for what you can do.")
            else:
                handler(rest)
        return True

    def _simple_commands(self) -> dict[str, Callable[[str], None]]:
        return {
            "as": self._as,
            "in": self._in,
            "time": self._time,
            "start": self._start,
            "now": lambda _rest: self.say(self._now_text()),
            "say": self._say,
            "reply": self._reply,
            "shortcut": lambda _rest: self._shortcut(),
            "home": lambda _rest: self._home(),
            "zendesk": self._zendesk,
            "channel": lambda _rest: self._show_channel(),
            "dms": lambda _rest: self._show_dms(),
            "expect": self._expect,
        }

    def _help(self) -> str:
        channels = ", ".join("#" + str(c["name"]) for c in self.ws.standin.channels.values())
        text = HELP.format(example=self._example_day(), tz=self.ws.policy.calendar.timezone)
        more = wrap(f"People: {self.people()}\nChannels: {channels}", "", hang="  ")
        return "\n".join([text, *more])

    # -- commands ------------------------------------------------------------------------------------

    def _command(self, command: str, text: str) -> None:
        if command.lower() not in self.commands:
            self.error(
                f"{command} is not a valid command. In Slack, all messages that start with “/” "
                f"are read as commands. This workspace has {', '.join(self.commands)}."
            )
            return
        response = self.ws.driver.command(
            command.lower(), text, user=self.user, channel=self.channel
        )
        if response.status != 200:
            self.error(f"{command} failed with HTTP {response.status}")
        self._show_changes()

    def _as(self, rest: str) -> None:
        user_id = self._user_id(rest)
        if user_id is None:
            self.error(f"No one called {rest!r} here. People: {self.people()}")
            return
        if self.modal is not None and user_id != self.modal.user:
            title = self.renderer.text_object(self.modal.view.get("title"))
            self.warn(
                f"The modal “{title}” of @{self._user_name(self.modal.user)} is closed "
                "(a modal belongs to the person who opened it)."
            )
            self.modal = None
        self.user = user_id
        self.say(self.style.dim(f"You are now @{self._user_name(user_id)}."))

    def _in(self, rest: str) -> None:
        name = rest.lstrip("#")
        for channel_id, channel in self.ws.standin.channels.items():
            if name in (channel_id, channel.get("name")):
                self.channel = channel_id
                self.say(self.style.dim(f"You are now in #{channel['name']}."))
                return
        channels = ", ".join("#" + str(c["name"]) for c in self.ws.standin.channels.values())
        self.error(f"No channel {rest!r}. Channels: {channels}")

    def _now_text(self) -> str:
        local = self._local(self.ws.clock.now())
        return f"It is {local:%a %Y-%m-%d %H:%M} ({self.ws.policy.calendar.timezone})."

    def _local_time(self, text: str) -> datetime | None:
        """`2026-12-01 10:00` (team time, or with an offset) as a UTC instant."""
        try:
            when = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.ws.policy.business_calendar.tz)
        return when.astimezone(UTC)

    def _start(self, rest: str) -> None:
        when = self._local_time(rest)
        if when is None:
            self.error(f"Use `start {self._example_day()}` (team time).")
            return
        if self.happened:
            self.error(
                "`start` only works before anything happens; use `time` to move the clock forward."
            )
            return
        self.ws.clock.set(when)
        self.say(self.style.dim(self._now_text()))

    def _time(self, rest: str) -> None:
        now = self.ws.clock.now()
        match = DURATION.match(rest.replace(" ", ""))
        if match:
            amount, unit = int(match.group(1)), match.group(2)
            until = now + {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
                unit, timedelta(minutes=amount)
            )
        else:
            found = self._local_time(rest)
            if found is None:
                self.error(
                    f"Use `time +2d`, `time +3h`, `time +30m` or `time {self._example_day()}`."
                )
                return
            until = found
        if until < now:
            self.error(
                f"Time only moves forward here ({self._now_text()[:-1]}). A script sets where "
                "the clock starts with `start 2026-11-16 09:00` before anything happens."
            )
            return
        for note in self.ws.advance(until):
            self.say_wrapped(self.style.dim(f"⏰ {note}"), hang="   ")
        self.say(self.style.dim(self._now_text()))
        self._show_changes()

    def _say(self, text: str) -> None:
        if not text:
            self.error("Say what? `say TEXT`")
            return
        message = self.ws.standin.add_message(self.channel, user=self.user, text=text)
        self.seen.messages[(message.channel, message.ts)] = message.updated_count
        self._event_for(message)
        self.say(self.style.dim(f"(posted in #{self._channel_name(self.channel)})"))
        self._show_changes()

    def _reply(self, rest: str) -> None:
        key, _, text = rest.partition(" ")
        where = self.ws.message_of(key)
        if where is None or not text:
            self.error("Use `reply ESC-1 TEXT` for an escalation whose message is posted.")
            return
        channel, ts = where
        message = self.ws.standin.add_message(channel, user=self.user, text=text, thread_ts=ts)
        self.seen.messages[(message.channel, message.ts)] = message.updated_count
        self._event_for(message)
        self.say(self.style.dim(f"(replied in the thread of {key.upper()})"))
        self._show_changes()

    def _event_for(self, message: Message) -> None:
        event = {
            "type": "message",
            "channel": message.channel,
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        self.ws.driver.event(event)

    def _shortcut(self) -> None:
        humans = [
            m
            for m in self.ws.standin.channel_messages(self.channel)
            if m.user != self.ws.standin.bot_user_id and m.ephemeral_for is None
        ]
        if not humans:
            self.error("There is no message here to escalate; `say` one first.")
            return
        self.ws.driver.message_shortcut(humans[-1], user=self.user)
        self._show_changes()

    def _home(self) -> None:
        self.ws.driver.event(
            {
                "type": "app_home_opened",
                "user": self.user,
                "channel": dm_channel_id(self.user),
                "tab": "home",
            }
        )
        self._show_changes(force_home=True)

    def _show_channel(self) -> None:
        messages = [
            m
            for m in self.ws.standin.channel_messages(self.channel, visible_to=self.user)
            if not m.thread_ts or m.thread_ts == m.ts
        ]
        name = self._channel_name(self.channel)
        if not messages:
            self.say(self.style.dim(f"#{name}: no messages yet."))
            return
        self.say(self.style.bold(f"#{name}: the last {min(len(messages), 8)} messages"))
        for message in messages[-8:]:
            self._render_message(message, label=self._where(message))

    def _show_dms(self) -> None:
        messages = self.ws.standin.dms(self.user)
        if not messages:
            self.say(self.style.dim(f"No DMs to @{self._user_name(self.user)} yet."))
            return
        for message in messages[-8:]:
            self._render_message(message, label=self._where(message))

    def _expect(self, text: str) -> None:
        wanted = text.strip().strip('"')
        self.expectations += 1
        seen = "\n".join(plain_text(line) for line in self.last_output)
        if wanted in seen:
            self.out.write(self.style.green(f"  ✓ saw “{wanted}”\n"))
        else:
            self._step_failed = True
            self.out.write(self.style.red(f"  ✗ expected to see “{wanted}”\n"))

    # -- clicking ------------------------------------------------------------------------------------

    def _sees(self, shown: Shown) -> bool:
        return shown.viewer is None or shown.viewer == self.user

    def _whose(self, shown: Shown) -> str:
        viewer = "@" + self._user_name(shown.viewer or "")
        if shown.ts is None:
            return f"on {viewer}'s App Home"
        if shown.channel.startswith("D"):
            return f"in {viewer}'s DM"
        return f"in a reply only {viewer} sees"

    def _click(self, rest: str) -> None:
        found = self._find_control(rest)
        if found is None:
            return
        number, choice = found
        shown = self.controls[number]
        try:
            action = self._action_for(number, shown.control, choice.strip())
        except LookupError as exc:
            self.error(str(exc.args[0]))
            return
        if shown.ts is None:
            view = self.ws.standin.home.get(self.user) or {}
            payload = self.ws.driver.home_actions_payload(view, action, user=self.user)
        else:
            message = next(
                (m for m in self.ws.standin.channel_messages(shown.channel) if m.ts == shown.ts),
                None,
            )
            if message is None:
                self.error("That message is gone.")
                return
            payload = self.ws.driver.block_actions_payload(message, action, user=self.user)
        self.ws.driver.post_payload(payload)
        self._show_changes()

    def _find_control(self, rest: str) -> tuple[int, str] | None:
        """`N [choice]`, or `[ESC-n] label [choice]`: the most recent matching control the current
        user can see (an exact label beats a prefix; leading emoji and a trailing … are ignored)."""
        try:
            words = shlex.split(rest) if rest else []
        except ValueError:
            self.error('Unbalanced quotes: use `click "Add note"`.')
            return None
        me = "@" + self._user_name(self.user)
        if words and words[0].isdigit():
            number = int(words[0])
            if number in self.gone:
                self.error(
                    f"[{number}] is no longer on screen: its message changed since. "
                    "Use the numbers shown last."
                )
                return None
            if number not in self.controls:
                self.error(f"There is no [{number}] on screen.")
                return None
            shown = self.controls[number]
            if not self._sees(shown):
                self.error(
                    f"[{number}] is not on {me}'s screen: it is {self._whose(shown)} "
                    f"(`as @{self._user_name(shown.viewer or '')}` to be them)."
                )
                return None
            return number, " ".join(words[1:])
        escalation = None
        if words and re.fullmatch(r"(?i)ESC-?\d+", words[0]):
            escalation, words = re.sub(r"\D", "", words[0]), words[1:]
        if not words:
            self.error('Use `click N`, or `click ESC-3 claim`, or `click "Add note"`.')
            return None
        candidates = [
            (number, shown)
            for number, shown in sorted(self.controls.items(), reverse=True)
            if escalation is None or _is_about(shown.control, escalation)
        ]
        visible = [(n, s) for n, s in candidates if self._sees(s)]
        for taken in range(len(words), 0, -1):
            wanted = label_key(" ".join(words[:taken]))
            for number, shown in visible:
                if wanted and label_key(self._label(shown)) == wanted:
                    return number, " ".join(words[taken:])
        wanted = label_key(words[0])
        for number, shown in visible:
            if wanted and label_key(self._label(shown)).startswith(wanted):
                return number, " ".join(words[1:])
        where = f" for ESC-{escalation}" if escalation else ""
        hidden = next(
            (s for _, s in candidates if wanted and label_key(self._label(s)).startswith(wanted)),
            None,
        )
        if hidden is not None:
            self.error(
                f"There is no “{words[0]}” control on {me}'s screen{where}: there is one "
                f"{self._whose(hidden)}."
            )
        else:
            self.error(f"There is no “{words[0]}” control on screen{where}.")
        return None

    def _label(self, shown: Shown) -> str:
        return self.renderer.control_label(shown.control.element)

    def _action_for(self, number: int, control: Control, choice: str) -> dict[str, Any]:
        """The action Slack would send for this use of the control; LookupError if it cannot be."""
        element = control.element
        kind = element.get("type")
        name = f"[{number} {plain_text(self.renderer.control_label(element))}]"
        if kind in ("static_select", "overflow", "radio_buttons"):
            value = self._pick_option(number, name, element, choice)
            return element_action(element, control.block_id, selected_value=value)
        if kind == "users_select":
            who = choice or (self.ask("  Who? @") if self.ask else "")
            if not who.strip().lstrip("@"):
                raise LookupError(
                    f"{name} picks a person: `click {number} @name`. People: {self.people()}"
                )
            user_id = self._user_id(who)
            if user_id is None:
                raise LookupError(f"No one called {who!r} here. People: {self.people()}")
            return element_action(element, control.block_id, selected_user=user_id)
        if kind == "datepicker":
            example = self._example_day().split()[0]
            day = choice or (self.ask(f"  Date (e.g. {example}): ") if self.ask else "")
            if not day:
                raise LookupError(f"{name} picks a date: `click {number} {example}`.")
            if _parse_date(day) is None:
                raise LookupError(f"Give a date as YYYY-MM-DD, e.g. `click {number} {example}`.")
            return element_action(element, control.block_id, selected_date=day)
        return element_action(element, control.block_id)

    def _pick_option(self, number: int, name: str, element: dict[str, Any], choice: str) -> str:
        options = self.renderer.options(element)
        listing = "\n".join(f"  {i}) {label}" for i, (_, label) in enumerate(options, start=1))
        if not choice and self.ask is not None:
            self.say(listing)
            while True:
                choice = self.ask("  Choose (number or name, Enter to cancel): ").strip()
                if not choice:
                    raise LookupError("Nothing chosen.")
                value = _match_option(options, choice)
                if value is not None:
                    return value
                self.say(self.style.red(f"  {choice!r} is not one of the choices."))
        if not choice:
            raise LookupError(f"{name} is a menu: `click {number} N` with one of\n{listing}")
        value = _match_option(options, choice)
        if value is None:
            raise LookupError(f"{choice!r} is not a choice of {name}; choose one of\n{listing}")
        return value

    # -- modals --------------------------------------------------------------------------------------

    def _inputs(self) -> list[dict[str, Any]]:
        assert self.modal is not None
        return [b for b in self.modal.view.get("blocks", []) if b.get("type") == "input"]

    def _open_modal(self, view: dict[str, Any]) -> None:
        self.modal = OpenModal(view=view, user=self.user)
        title = self.renderer.text_object(view.get("title"))
        self.say(self.style.bold(f"┌─ modal: {title} " + "─" * max(40 - len(title), 4)))
        for block in view.get("blocks", []):
            if block.get("type") == "input":
                self.say_wrapped(self._input_line(block), indent="│ ", hang="    ")
            else:
                for line in self.renderer.blocks([block], indent="│ ").lines:
                    self.say(line)
        submit = self.renderer.text_object(view.get("submit")) or "Submit"
        self.say(
            self.style.bold(
                f"└─ fill with `> field: value`, then `> submit` ({submit}) or `> cancel`"
            )
        )
        if self.ask is not None:
            self._prompt_modal()

    def _input_line(self, block: dict[str, Any]) -> str:
        label = self.renderer.text_object(block.get("label"))
        optional = "" if not block.get("optional") else self.style.dim(" (optional)")
        current = self._current_value(block)
        shown = f" = {current!r}" if current else ""
        hint = self._choices_hint(block["element"])
        return f"{self.style.bold(block['block_id'])} — {label}{optional}{shown}" + (
            self.style.dim(f"  [{hint}]") if hint else ""
        )

    def _choices_hint(self, element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "users_select":
            return "@name"
        if kind == "datepicker":
            return "YYYY-MM-DD"
        return " | ".join(value for value, _ in self.renderer.options(element))

    def _current_value(self, block: dict[str, Any]) -> str | None:
        assert self.modal is not None
        if block["block_id"] in self.modal.values:
            return self.modal.values[block["block_id"]]
        element = block["element"]
        initial = element.get("initial_option")
        return element.get("initial_value") or (
            initial.get("value") if isinstance(initial, dict) else None
        )

    def _field_prompt(self, block: dict[str, Any]) -> str:
        label = self.renderer.text_object(block.get("label"))
        optional = " (optional)" if block.get("optional") else ""
        hint = self._choices_hint(block["element"])
        current = self._current_value(block)
        return (
            f"  {label}{optional}"
            + (f" ({hint})" if hint else "")
            + (f" [{current}]" if current else "")
            + ": "
        )

    def _prompt_modal(self, only: set[str] | None = None) -> None:
        """Ask for each field (or only those named) in turn: Enter keeps a value, a refused value is
        asked again, a `>` line switches to typed commands, Ctrl-C or Ctrl-D closes the modal."""
        assert self.modal is not None
        assert self.ask is not None
        self.say(
            self.style.dim(
                "  Enter keeps a value; Ctrl-C closes the modal; `> field: value` lines work too."
            )
        )
        try:
            for block in self._inputs():
                if only is not None and block["block_id"] not in only:
                    continue
                while True:
                    answer = self.ask(self._field_prompt(block)).strip()
                    if answer.startswith(">"):
                        self._modal_line(answer[1:].strip())
                        return  # the rest is typed as `>` lines, ending with `> submit`
                    if not answer or self._set_field(block, answer):
                        break
            confirm = self.ask("  Submit? [Y/n] ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            self.say("")
            self._close_modal()
            return
        if confirm in ("", "y", "yes"):
            self._submit_modal()
        else:
            self._close_modal()

    def _close_modal(self) -> None:
        self.modal = None
        self.say(self.style.dim("Modal closed."))

    def _modal_line(self, text: str) -> None:
        if self.modal is None:
            self.error("No modal is open.")
            return
        if text == "submit":
            self._submit_modal()
            return
        if text == "cancel":
            self._close_modal()
            return
        name, sep, value = text.partition(":")
        block = next((b for b in self._inputs() if b.get("block_id") == name.strip()), None)
        if not sep or block is None:
            fields = ", ".join(b["block_id"] for b in self._inputs())
            self.error(f"Use `> field: value` with one of: {fields}")
            return
        self._set_field(block, value.strip())

    def _set_field(self, block: dict[str, Any], answer: str) -> bool:
        """Fill one field as its element allows (a menu takes only its options); False if refused."""
        assert self.modal is not None
        element = block["element"]
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            value = _match_option(self.renderer.options(element), answer)
            if value is None:
                self.error(
                    f"{answer!r} is not one of the choices for {block['block_id']}: "
                    + self._choices_hint(element)
                )
                return False
            answer = value
        elif kind == "users_select":
            user_id = self._user_id(answer)
            if user_id is None:
                self.error(f"No one called {answer!r} here. People: {self.people()}")
                return False
            answer = user_id
        elif kind == "datepicker" and _parse_date(answer) is None:
            self.error(f"Give {block['block_id']} as a date, YYYY-MM-DD.")
            return False
        self.modal.values[block["block_id"]] = answer
        return True

    def _submit_modal(self) -> None:
        assert self.modal is not None
        response = self.ws.driver.submit(self.modal.view, self.modal.values, user=self.modal.user)
        answer = response.json() if response.body.startswith("{") else None
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            errors = answer.get("errors", {})
            for name, error in errors.items():
                self.say(self.style.red(f"│ {name}: {error}"))
            self.say(
                self.style.dim("The modal is still open: fix the fields and `> submit` again.")
            )
            if self.ask is not None:
                self._prompt_modal(only=set(errors))
            return
        self.modal = None
        self._show_changes()

    # -- showing what changed --------------------------------------------------------------------------

    def _show_changes(self, *, force_home: bool = False) -> None:
        self.ws.runtime.deliver()
        self.ws.executor.drain()
        standin = self.ws.standin
        updated: list[Message] = []
        new: list[Message] = []
        for channel, messages in list(standin.messages.items()):
            for message in list(messages):
                key = (channel, message.ts)
                previous = self.seen.messages.get(key)
                if previous is None or previous != message.updated_count:
                    self.seen.messages[key] = message.updated_count
                    (new if previous is None else updated).append(message)
        # Messages that changed first (as they look now), then new ones in the order they were posted.
        for message in sorted(updated, key=lambda m: float(m.ts)):
            self._render_message(message, label=self._where(message), updated=True)
        for message in sorted(new, key=lambda m: float(m.ts)):
            self._render_message(message, label=self._where(message))
        for file in standin.files[self.seen.files :]:
            if file.channel is None:  # uploaded but shared nowhere
                self._file_lines(file, indent="")
        self.seen.files = len(standin.files)
        self._show_ticket_changes()
        opened = standin.calls_to("views.open")
        if len(opened) > self.seen.views_opened:
            self.seen.views_opened = len(opened)
            self._open_modal(self.ws.driver.last_view())
        published = standin.calls_to("views.publish")
        if force_home or len(published) > self.seen.home_published:
            self.seen.home_published = len(published)
            home = standin.home.get(self.user)
            if home:
                self.say(self.style.bold(f"━━ App Home of @{self._user_name(self.user)} ━━"))
                rendering = self.renderer.blocks(home.get("blocks", []))
                self._remember(rendering.controls, ("home", self.user), "", None, self.user)
                for line in rendering.lines:
                    self.say(line)

    def _where(self, message: Message) -> str:
        if message.channel.startswith("D"):
            place = f"DM to @{self._user_name(self._dm_owner(message.channel) or message.channel)}"
        else:
            place = f"#{self._channel_name(message.channel)}"
        if message.thread_ts and message.thread_ts != message.ts:
            key = self.ws.escalation_of_thread(message.channel, message.thread_ts)
            place += f" › thread of {key or self._parent_title(message)}"
        if message.ephemeral_for:
            place += f" · only @{self._user_name(message.ephemeral_for)} sees this"
        return place

    def _parent_title(self, reply: Message) -> str:
        thread = self.ws.standin.thread(reply.channel, reply.thread_ts or "")
        parent = next((m for m in thread if m.ts == reply.thread_ts), None)
        if parent is None:
            return "a message"
        header = next((b for b in parent.blocks if b.get("type") == "header"), None)
        title = self.renderer.text_object(header["text"]) if header else parent.text
        first = plain_text(self.renderer.mrkdwn(title)).split("\n")[0]
        return f"“{first[:40]}{'…' if len(first) > 40 else ''}”"

    def _render_message(self, message: Message, *, label: str, updated: bool = False) -> None:
        author = (
            self._user_name(message.user)
            if message.user != self.ws.standin.bot_user_id
            else "cre-bot"
        )
        when = self._local(datetime.fromtimestamp(float(message.ts), UTC))
        marker = "↻ updated" if updated else "●"
        header = f"{marker} {label} · {author} · {when:%a %m/%d %H:%M}"
        self.say_wrapped(
            self.style.yellow(header) if message.ephemeral_for else self.style.green(header)
        )
        viewer = message.ephemeral_for or (
            self._dm_owner(message.channel) if message.channel.startswith("D") else None
        )
        if message.blocks:
            rendering = self.renderer.blocks(message.blocks)
            self._remember(
                rendering.controls,
                (message.channel, message.ts),
                message.channel,
                message.ts,
                viewer,
            )
            lines = rendering.lines
        else:
            lines = self.renderer.text(message.text) if message.text.strip() else []
        for line in lines:
            self.say(line)
        by_id = {f.id: f for f in self.ws.standin.files}
        for carried in message.files:
            uploaded = by_id.get(str(carried.get("id")))
            if uploaded is not None:
                self._file_lines(uploaded)

    def _remember(
        self,
        controls: list[Control],
        place: tuple[str, str],
        channel: str,
        ts: str | None,
        viewer: str | None,
    ) -> None:
        """Number a message's (or a Home's) controls; the numbers it showed before are gone."""
        for number in self.places.pop(place, []):
            self.controls.pop(number, None)
            self.gone.add(number)
        for control in controls:
            self.controls[control.number] = Shown(control, channel, ts, viewer)
        self.places[place] = [control.number for control in controls]

    def _file_lines(self, uploaded: UploadedFile, *, indent: str = "  ") -> None:
        path = self.written.get(uploaded.id)
        if path is None:
            self.ws.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.ws.files_dir / (Path(uploaded.name).name or uploaded.id)
            path.write_bytes(uploaded.content)
            self.written[uploaded.id] = path
        for line in self.renderer.file_line(
            title=uploaded.title or uploaded.name,
            size=len(uploaded.content),
            path=str(path),
            indent=indent,
        ):
            self.say(line)


def _is_about(control: Control, escalation: str) -> bool:
    """Whether a control acts on escalation number `escalation` (by block id or value)."""
    value = str(control.element.get("value", ""))
    return bool(
        re.search(rf"(?:^|:|-){escalation}$", control.block_id)
        or value == escalation
        or value.startswith(f"{escalation}:")
    )


def _parse_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _match_option(options: list[tuple[str, str]], choice: str) -> str | None:
    wanted = choice.strip().lower()
    if not wanted:
        return None
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1][0]
    for value, label in options:
        if wanted in (value.lower(), label.lower(), label_key(label)):
            return value
    prefixed = [
        value
        for value, label in options
        if label_key(label).startswith(wanted) or value.lower().startswith(wanted)
    ]
    return prefixed[0] if len(prefixed) == 1 else None


# -- entry points -----------------------------------------------------------------------------------


def shell_policy(settings: Settings) -> tuple[Policy, str]:
    """The team's policy file if there is one, else the bundled example with its demo roster."""
    if settings.crebot_config.exists():
        return load_policy(settings.crebot_config), str(settings.crebot_config)
    return parse_policy(
        EXAMPLE_POLICY.read_text(encoding="utf-8"), source="crebot.example.toml"
    ), "crebot.example.toml (demo roster)"


def use_color(out: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only for a terminal that shows it: not piped, no NO_COLOR, not TERM=dumb."""
    env = os.environ if environ is None else environ
    return out.isatty() and "NO_COLOR" not in env and env.get("TERM", "") != "dumb"


def run_local_shell(
    *,
    settings: Settings,
    script: Path | None,
    interactive: bool,
    database_url: str | None = None,
    start: datetime | None = None,
    out: TextIO | None = None,
    files_dir: Path | None = None,
    clock: Clock | None = None,
) -> int:
    """Start the local workspace and run a script or an interactive session; returns the exit status.

    The clock starts at `start`, else at the next working morning (now, if within working hours);
    a script may set its own start with a `start` line."""
    out = out or sys.stdout
    policy, policy_source = shell_policy(settings)
    lines: list[str] | None = None
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{script}: cannot read the script ({exc.strerror})") from None
    with tempfile.TemporaryDirectory(prefix="crebot-shell-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'shell.db'}"
        begin = start or working_morning(policy, (clock or SystemClock()).now())
        with LocalWorkspace(
            policy=policy,
            database_url=url,
            start=begin,
            files_dir=files_dir or Path("crebot-files"),
        ) as workspace:
            # Prompts only for a person at a terminal; piped input is read like a script.
            prompting = interactive and script is None and sys.stdin.isatty()
            ask = _interactive_input() if prompting else None
            shell = Shell(workspace, out=out, color=use_color(out), ask=ask)
            if lines is not None:
                return shell.run(lines)
            banner(
                shell,
                policy_source=policy_source,
                database=url if database_url else "a temporary SQLite database",
                has_token=settings.slack_bot_token is not None,
            )
            return shell.run(_prompt_lines(shell))


def banner(shell: Shell, *, policy_source: str, database: str, has_token: bool) -> None:
    """What an interactive session says first: where you are, what to try, how to reach Slack."""
    style = shell.style
    if has_token:
        why = " — this terminal plays Slack (SLACK_BOT_TOKEN is set but not used here)."
    else:
        why = " — no Slack credentials found, so this terminal plays Slack."
    shell.say(style.bold("cre-bot · local workspace") + why)
    shell.say(
        style.dim(
            f"Policy: {policy_source} · database: {database} · look-ups: {shell.ws.policy.lookup.source}"
        )
    )
    shell.say(
        f"You are @{shell._user_name(shell.user)} (CS) in #{shell._channel_name(shell.channel)}. "
        f"{shell._now_text()}"
    )
    shell.say(style.dim(f"People: {shell.people()}"))
    shell.say(
        "Try: "
        + style.cyan("/escalate Login fails after password reset")
        + "  ·  "
        + style.cyan("help")
    )
    if has_token:
        shell.say(style.dim("To use your Slack workspace instead, run `crebot serve`."))
        return
    shell.say(
        style.dim(
            "To connect a real workspace: create the app from manifest.yml, then set SLACK_BOT_TOKEN"
        )
    )
    shell.say(
        style.dim(
            "and SLACK_SIGNING_SECRET (README, “Connect to Slack”) and run the same command again."
        )
    )


def _interactive_input() -> Callable[[str], str]:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    return input


def _prompt_lines(shell: Shell) -> Iterable[str]:
    """Lines typed at the prompt (Ctrl-C drops the line, Ctrl-D ends the session)."""
    at_terminal = sys.stdin.isatty()
    while True:
        prompt = shell.style.bold(shell.prompt())
        if "readline" in sys.modules:  # readline must know which characters take no room
            prompt = for_readline(prompt)
        try:
            # At a terminal the prompt is shown; piped lines are echoed by Shell.run instead.
            yield input(prompt if at_terminal else "")
        except KeyboardInterrupt:
            shell.say(shell.style.dim("\n(Ctrl-D or `quit` leaves the shell)"))
        except EOFError:
            shell.say("")
            return
