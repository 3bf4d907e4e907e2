"""`crebot shell`: a terminal that plays a Slack workspace for the real bot.

The same Bolt app, handlers, database and jobs run here; Slack's Web API is answered in-process by
the stand-in (over loopback HTTP, checked against Slack's reference), and Slack's requests are built
and signed as Slack would send them. Time is a manual clock: `time +2d` moves it and runs the jobs
that fall due on the way.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import select

from bot import migrate
from bot.app import create_app
from bot.clock import ManualClock
from bot.db import Database
from bot.errors import ConfigError
from bot.models import Escalation
from bot.policy import Policy, load_policy, parse_policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import build_schedules, run_job
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.workspace.driver import SlackDriver, TrackingExecutor, element_action
from bot.workspace.render import Control, Renderer, Style
from bot.workspace.webapi import Message, RunningServer, SlackStandIn

EXAMPLE_POLICY = Path(__file__).resolve().parent.parent / "data" / "example_policy.toml"
CS_AGENTS = {"U0CSMIKI": "miki", "U0CSYUKI": "yuki"}
SUPPORT_CHANNEL = ("C0CSSUPPORT", "cs-support")
DURATION = re.compile(r"^\+(\d+)([dhm])$")
HELP = """\
What you can type (as the current user, in the current channel):
  /escalate [summary]       /cre mine | queue | show ESC-1 | away | back | report | audit | help
  /lookup <user id | email>
  click N [choice]          press control [N]; for a select give the option (number or name),
                            for a user picker @name, for a date picker YYYY-MM-DD
  > field: value            fill a field of the open modal (or answer its prompts);  > submit  > cancel
  say TEXT                  post a message in the current channel
  reply ESC-1 TEXT          reply in an escalation's thread
  shortcut                  "Escalate to CRE" on the last message in the current channel
  home                      open the App Home tab
  as @name                  switch user (people: {people})
  in #channel               switch channel (channels: {channels})
  time +2d | +3h | +30m     move the clock, running the jobs that fall due;  time 2026-12-01 10:00
  channel | dms             show the current channel, or your DMs;   now   what time it is
  expect TEXT               (scripts) fail unless TEXT appeared in the last command's output
  help | quit"""


@dataclass
class Seen:
    """What has already been shown, so each command prints only what changed."""

    messages: dict[tuple[str, str], int] = field(default_factory=dict)
    views_opened: int = 0
    home_published: int = 0
    files: int = 0


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
        settings = Settings(
            slack_bot_token="xoxb-local-shell",  # type: ignore[arg-type]  # noqa: S106 (a stand-in)
            slack_signing_secret=secret,  # type: ignore[arg-type]
            slack_api_url=self.server.base_url,
            database_url=database_url,
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
        app = create_app(self.runtime, listener_executor=self.executor)
        wsgi = SlackWsgiApp(app=app, db=self.runtime.db, signing_secret=secret)
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

    def advance(self, until: datetime) -> list[str]:
        """Move the clock to `until`, running every job whose trigger fires on the way, in order."""
        now = self.clock.now()
        if until <= now:
            return []
        schedules = build_schedules(self.policy)
        fires: list[tuple[datetime, str]] = []
        for name, schedule in schedules.items():
            if name == "outbox-flush":
                continue
            trigger = schedule.trigger(self.policy)
            fire = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
            while fire is not None and fire <= until:
                fires.append((fire, name))
                fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        notes = []
        next_alert = self._next_slo_alert()
        for at, name in sorted(fires):
            if name == "slo-sweep" and (next_alert is None or at < next_alert):
                continue  # nothing can cross a threshold yet: skip the empty sweep
            self.clock.set(at)
            outcome = run_job(runtime=self.runtime, name=name, at=at)
            if name == "slo-sweep":
                next_alert = self._next_slo_alert()
            if _worth_telling(outcome):
                notes.append(
                    f"{at.astimezone(self.policy.business_calendar.tz):%a %m/%d %H:%M} {name}: {outcome}"
                )
        self.clock.set(until)
        self.runtime.deliver()
        return notes

    def _next_slo_alert(self) -> datetime | None:
        with self.runtime.db.session() as session:
            row = session.exec(
                select(Escalation.slo_next_alert_at)
                .where(Escalation.slo_next_alert_at.is_not(None))  # type: ignore[union-attr]
                .order_by(Escalation.slo_next_alert_at)  # type: ignore[arg-type]
                .limit(1)
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


def _worth_telling(outcome: str) -> bool:
    quiet = (
        "0 due",
        "not due",
        "period ",
        "0 stale escalations for 0 engineers; lead told of 0; 0 unclaimed",
        "forgot 0",
    )
    return not outcome.startswith(quiet)


@dataclass
class OpenModal:
    """The modal the current user has open."""

    view: dict[str, Any]
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
        self.controls: dict[
            int, tuple[Control, str, str | None]
        ] = {}  # number → (control, channel, ts|None=home)
        self._number = 0
        self.seen = Seen()
        self.modal: OpenModal | None = None
        self.failures = 0
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
        wanted = name.lstrip("@").lower()
        for user_id, user in self.ws.standin.users.items():
            if wanted in (user_id.lower(), str(user.get("name", "")).lower()):
                return user_id
        return None

    def say(self, text: str = "") -> None:
        """Print a line (and remember it for `expect`)."""
        self.last_output.append(text)
        print(text, file=self.out)

    def _mark_all_seen(self) -> None:
        for channel, messages in self.ws.standin.messages.items():
            for message in messages:
                self.seen.messages[(channel, message.ts)] = message.updated_count
        self.seen.views_opened = len(self.ws.standin.calls_to("views.open"))
        self.seen.home_published = len(self.ws.standin.calls_to("views.publish"))
        self.seen.files = len(self.ws.standin.files)

    # -- the loop ----------------------------------------------------------------------------------

    def run(self, lines: Iterable[str]) -> int:
        """Execute lines until `quit` or the end; the exit status counts failed expectations."""
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if (
                self.ask is None
            ):  # echo the script line (not recorded: `expect` must not see itself)
                prompt = f"{self._user_name(self.user)}@{self._channel_name(self.channel)}> "
                print(self.style.bold(prompt) + line, file=self.out)
            if not self.execute(line):
                break
        return 1 if self.failures else 0

    def execute(self, line: str) -> bool:
        """Run one command; False means quit."""
        if not line.startswith("expect "):
            self.last_output = []
        try:
            return self._dispatch(line)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # the shell keeps running, as Slack would
            self.say(self.style.red(f"Something went wrong: {exc.__class__.__name__}: {exc}"))
            return True

    def _dispatch(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
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
                self.say(
                    self.style.red(f"Unknown command {word!r}. Type `help` for what you can do.")
                )
            else:
                handler(rest)
        return True

    def _simple_commands(self) -> dict[str, Callable[[str], None]]:
        return {
            "as": self._as,
            "in": self._in,
            "time": self._time,
            "now": lambda _rest: self.say(self._now_text()),
            "say": self._say,
            "reply": self._reply,
            "shortcut": lambda _rest: self._shortcut(),
            "home": lambda _rest: self._home(),
            "channel": lambda _rest: self._show_channel(),
            "dms": lambda _rest: self._show_dms(),
            "expect": self._expect,
        }

    def _help(self) -> str:
        people = ", ".join("@" + str(u["name"]) for u in self.ws.standin.users.values())
        channels = ", ".join("#" + str(c["name"]) for c in self.ws.standin.channels.values())
        return HELP.format(people=people, channels=channels)

    # -- commands ------------------------------------------------------------------------------------

    def _command(self, command: str, text: str) -> None:
        response = self.ws.driver.command(command, text, user=self.user, channel=self.channel)
        if response.status != 200:
            self.say(self.style.red(f"/{command.lstrip('/')} failed with HTTP {response.status}"))
        self._show_changes()

    def _as(self, rest: str) -> None:
        user_id = self._user_id(rest)
        if user_id is None:
            self.say(
                self.style.red(
                    f"No one called {rest!r} here. People: "
                    + self._help().split("people: ")[1].split(")")[0]
                )
            )
            return
        self.user = user_id
        self.modal = None
        self.say(self.style.dim(f"You are now @{self._user_name(user_id)}."))

    def _in(self, rest: str) -> None:
        name = rest.lstrip("#")
        for channel_id, channel in self.ws.standin.channels.items():
            if name in (channel_id, channel.get("name")):
                self.channel = channel_id
                self.say(self.style.dim(f"You are now in #{channel['name']}."))
                return
        self.say(self.style.red(f"No channel {rest!r}."))

    def _now_text(self) -> str:
        local = self.ws.clock.now().astimezone(self.ws.policy.business_calendar.tz)
        return f"It is {local:%a %Y-%m-%d %H:%M} ({self.ws.policy.calendar.timezone})."

    def _time(self, rest: str) -> None:
        now = self.ws.clock.now()
        tz = self.ws.policy.business_calendar.tz
        match = DURATION.match(rest.replace(" ", ""))
        if match:
            amount, unit = int(match.group(1)), match.group(2)
            until = (
                now
                + {
                    "d": timedelta(days=amount),
                    "h": timedelta(hours=amount),
                    "m": timedelta(minutes=amount),
                }[unit]
            )
        else:
            try:
                until = (
                    datetime.fromisoformat(rest.replace(" ", "T"))
                    .replace(tzinfo=tz)
                    .astimezone(UTC)
                )
            except ValueError:
                self.say(
                    self.style.red(
                        "Use `time +2d`, `time +3h`, `time +30m` or `time 2026-12-01 10:00`."
                    )
                )
                return
        if until < now:
            self.say(self.style.red("Time only moves forward here."))
            return
        for note in self.ws.advance(until):
            self.say(self.style.dim(f"⏰ {note}"))
        self.say(self.style.dim(self._now_text()))
        self._show_changes()

    def _say(self, text: str) -> None:
        if not text:
            self.say(self.style.red("Say what? `say TEXT`"))
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
            self.say(
                self.style.red("Use `reply ESC-1 TEXT` for an escalation whose message is posted.")
            )
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
            self.say(self.style.red("There is no message here to escalate; `say` one first."))
            return
        self.ws.driver.message_shortcut(humans[-1], user=self.user)
        self._show_changes()

    def _home(self) -> None:
        self.ws.driver.event(
            {
                "type": "app_home_opened",
                "user": self.user,
                "channel": "D" + self.user[1:],
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
        self.say(
            self.style.bold(
                f"#{self._channel_name(self.channel)}: the last {min(len(messages), 8)} messages"
            )
        )
        for message in messages[-8:]:
            self._render_message(message, label=self._where(message))

    def _show_dms(self) -> None:
        for message in self.ws.standin.dms(self.user)[-8:]:
            self._render_message(message, label=self._where(message))

    def _expect(self, text: str) -> None:
        wanted = text.strip().strip('"')
        plain = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in self.last_output)
        if wanted in plain:
            self.out.write(self.style.green(f"  ✓ saw “{wanted}”\n"))
        else:
            self.failures += 1
            self.out.write(self.style.red(f"  ✗ expected to see “{wanted}”\n"))

    # -- clicking ------------------------------------------------------------------------------------

    def _click(self, rest: str) -> None:
        found = self._find_control(rest)
        if found is None:
            return
        number, choice = found
        control, channel, ts = self.controls[number]
        try:
            action = self._action_for(control, choice.strip())
        except LookupError as exc:
            self.say(self.style.red(str(exc)))
            return
        if action is None:
            return
        if ts is None:
            view = self.ws.standin.home.get(self.user) or {}
            payload = self.ws.driver.home_actions_payload(view, action, user=self.user)
        else:
            message = next(
                (m for m in self.ws.standin.channel_messages(channel) if m.ts == ts), None
            )
            if message is None:
                self.say(self.style.red("That message is gone."))
                return
            payload = self.ws.driver.block_actions_payload(message, action, user=self.user)
        self.ws.driver.post_payload(payload)
        self._show_changes()

    def _find_control(self, rest: str) -> tuple[int, str] | None:
        """`N [choice]`, or `[ESC-n] label [choice]` (the most recently shown matching control)."""
        words = shlex.split(rest) if rest else []
        if words and words[0].isdigit():
            if int(words[0]) in self.controls:
                return int(words[0]), " ".join(words[1:])
            self.say(self.style.red(f"There is no [{words[0]}] on screen."))
            return None
        escalation = None
        if words and re.fullmatch(r"(?i)ESC-\d+", words[0]):
            escalation, words = words[0].split("-")[1], words[1:]
        if not words:
            self.say(
                self.style.red('Use `click N`, or `click ESC-3 claim`, or `click "Add note"`.')
            )
            return None
        label, choice = words[0].lower(), " ".join(words[1:])
        for number in sorted(self.controls, reverse=True):
            control = self.controls[number][0]
            if (
                escalation is not None
                and not re.search(rf"(?:^|:|-){escalation}$", control.block_id)
                and control.element.get("value") != escalation
                and not str(control.element.get("value", "")).startswith(f"{escalation}:")
            ):
                continue
            if self.renderer.control_label(control.element).lower().startswith(label):
                return number, choice
        where = f" for ESC-{escalation}" if escalation else ""
        self.say(self.style.red(f"There is no “{words[0]}” control on screen{where}."))
        return None

    def _action_for(self, control: Control, choice: str) -> dict[str, Any] | None:
        element = control.element
        kind = element.get("type")
        if kind in ("static_select", "overflow"):
            value = self._pick_option(element, choice)
            return (
                None
                if value is None
                else element_action(element, control.block_id, selected_value=value)
            )
        if kind == "users_select":
            who = choice or (self.ask("Which user? @") if self.ask else "")
            user_id = self._user_id(who)
            if user_id is None:
                raise LookupError(f"No one called {who!r} here.")
            return element_action(element, control.block_id, selected_user=user_id)
        if kind == "datepicker":
            day = choice or (self.ask("Date (YYYY-MM-DD): ") if self.ask else "")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise LookupError("Give a date as YYYY-MM-DD.")
            return element_action(element, control.block_id, selected_date=day)
        return element_action(element, control.block_id)

    def _pick_option(self, element: dict[str, Any], choice: str) -> str | None:
        options = self.renderer.options(element)
        if not choice and self.ask:
            for index, (_, label) in enumerate(options, start=1):
                self.say(f"    {index}) {label}")
            choice = self.ask("Choose: ")
        return _match_option(options, choice)

    # -- modals --------------------------------------------------------------------------------------

    def _open_modal(self, view: dict[str, Any]) -> None:
        self.modal = OpenModal(view=view)
        title = self.renderer.text_object(view.get("title"))
        self.say(self.style.bold(f"┌─ modal: {title} " + "─" * max(40 - len(title), 4)))
        for block in view.get("blocks", []):
            if block.get("type") == "input":
                self.say("│ " + self._input_line(block))
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
        element = block["element"]
        label = self.renderer.text_object(block.get("label"))
        optional = "" if not block.get("optional") else self.style.dim(" (optional)")
        current = self._current_value(block)
        shown = f" = {current!r}" if current else ""
        return (
            f"{self.style.bold(block['block_id'])} — {label}{optional}{shown}"
            + self._choices_hint(element)
        )

    def _choices_hint(self, element: dict[str, Any]) -> str:
        options = self.renderer.options(element)
        if not options:
            return ""
        return self.style.dim("  [" + " | ".join(value for value, _ in options) + "]")

    def _current_value(self, block: dict[str, Any]) -> str | None:
        assert self.modal is not None
        if block["block_id"] in self.modal.values:
            return self.modal.values[block["block_id"]]
        element = block["element"]
        initial = element.get("initial_option")
        return element.get("initial_value") or (
            initial.get("value") if isinstance(initial, dict) else None
        )

    def _prompt_modal(self) -> None:
        """Ask for each field in turn (Enter keeps the value); a `>` line switches to typed commands."""
        assert self.modal is not None
        assert self.ask is not None
        self.say(
            self.style.dim(
                "  Enter keeps a value; type `> field: value` lines instead if you prefer."
            )
        )
        try:
            for block in self.modal.view.get("blocks", []):
                if block.get("type") != "input":
                    continue
                label = self.renderer.text_object(block.get("label"))
                current = self._current_value(block)
                answer = self.ask(
                    f"  {label}" + (f" [{current}]" if current else "") + ": "
                ).strip()
                if answer.startswith(">"):
                    self._modal_line(answer[1:].strip())
                    return  # the user fills the rest with `>` lines and submits with `> submit`
                if answer:
                    self._set_field(block, answer)
            confirm = self.ask("  Submit? [Y/n] ").strip().lower()
        except EOFError:
            self.modal = None
            self.say(self.style.dim("Modal closed."))
            return
        if confirm in ("", "y", "yes"):
            self._submit_modal()
        else:
            self.modal = None
            self.say(self.style.dim("Modal closed."))

    def _modal_line(self, text: str) -> None:
        if self.modal is None:
            self.say(self.style.red("No modal is open."))
            return
        if text == "submit":
            self._submit_modal()
            return
        if text == "cancel":
            self.modal = None
            self.say(self.style.dim("Modal closed."))
            return
        name, sep, value = text.partition(":")
        block = next(
            (b for b in self.modal.view.get("blocks", []) if b.get("block_id") == name.strip()),
            None,
        )
        if not sep or block is None or block.get("type") != "input":
            fields = ", ".join(
                b["block_id"] for b in self.modal.view.get("blocks", []) if b.get("type") == "input"
            )
            self.say(self.style.red(f"Use `> field: value` with one of: {fields}"))
            return
        self._set_field(block, value.strip())

    def _set_field(self, block: dict[str, Any], answer: str) -> None:
        assert self.modal is not None
        element = block["element"]
        if element.get("type") in ("static_select", "radio_buttons"):
            value = _match_option(self.renderer.options(element), answer)
            if value is None:
                self.say(
                    self.style.red(f"{answer!r} is not one of the choices for {block['block_id']}.")
                )
                return
            answer = value
        elif element.get("type") == "users_select":
            answer = self._user_id(answer) or answer
        self.modal.values[block["block_id"]] = answer

    def _submit_modal(self) -> None:
        assert self.modal is not None
        response = self.ws.driver.submit(self.modal.view, self.modal.values, user=self.user)
        answer = response.json() if response.body.startswith("{") else None
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            for name, error in answer.get("errors", {}).items():
                self.say(self.style.red(f"│ {name}: {error}"))
            self.say(
                self.style.dim("The modal is still open: fix the fields and `> submit` again.")
            )
            if self.ask is not None:
                self._prompt_modal()
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
            self._show_file(file.name, file.content, file.title)
        self.seen.files = len(standin.files)
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
                self._remember(rendering.controls, "", None)
                for line in rendering.lines:
                    self.say(line)

    def _where(self, message: Message) -> str:
        name = self._channel_name(message.channel)
        if message.channel.startswith("D"):
            place = f"DM to @{self._user_name('U' + message.channel[1:])}"
        else:
            place = f"#{name}"
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
        first = self.renderer.mrkdwn(parent.text).split("\n")[0]
        return f"“{first[:40]}{'…' if len(first) > 40 else ''}”"

    def _render_message(self, message: Message, *, label: str, updated: bool = False) -> None:
        author = (
            self._user_name(message.user)
            if message.user != self.ws.standin.bot_user_id
            else "cre-bot"
        )
        when = datetime.fromtimestamp(float(message.ts), UTC).astimezone(
            self.ws.policy.business_calendar.tz
        )
        marker = "↻ updated" if updated else "●"
        header = f"{marker} {label} · {author} · {when:%a %m/%d %H:%M}"
        self.say(self.style.yellow(header) if message.ephemeral_for else self.style.green(header))
        if message.blocks:
            rendering = self.renderer.blocks(message.blocks)
            self._remember(rendering.controls, message.channel, message.ts)
            for line in rendering.lines:
                self.say(line)
        else:
            for line in self.renderer.mrkdwn(message.text).split("\n"):
                self.say("  " + line)

    def _remember(self, controls: list[Control], channel: str, ts: str | None) -> None:
        for control in controls:
            self.controls[control.number] = (control, channel, ts)

    def _show_file(self, name: str, content: bytes, title: str) -> None:
        self.ws.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.ws.files_dir / name
        path.write_bytes(content)
        self.say(
            self.style.magenta(f"  📎 {title or name} ({len(content):,} bytes) → written to {path}")
        )


def _match_option(options: list[tuple[str, str]], choice: str) -> str | None:
    wanted = choice.strip().lower()
    if not wanted:
        return None
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1][0]
    for value, label in options:
        if wanted in (value.lower(), label.lower()):
            return value
    prefixed = [
        value
        for value, label in options
        if label.lower().startswith(wanted) or value.lower().startswith(wanted)
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


def run_local_shell(
    *,
    settings: Settings,
    script: Path | None,
    interactive: bool,
    database_url: str | None = None,
    start: datetime | None = None,
    out: TextIO | None = None,
    files_dir: Path | None = None,
) -> int:
    """Start the local workspace and run a script or an interactive session; returns the exit status."""
    out = out or sys.stdout
    policy, policy_source = shell_policy(settings)
    with tempfile.TemporaryDirectory(prefix="crebot-shell-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'shell.db'}"
        begin = (start or datetime.now(UTC)).replace(second=0, microsecond=0)
        workspace = LocalWorkspace(
            policy=policy,
            database_url=url,
            start=begin,
            files_dir=files_dir or Path("crebot-files"),
        )
        color = out.isatty() and "NO_COLOR" not in os.environ
        # Prompts only for a person at a terminal; piped input is read like a script.
        prompting = interactive and script is None and sys.stdin.isatty()
        ask = _interactive_input() if prompting else None
        shell = Shell(workspace, out=out, color=color, ask=ask)
        try:
            if script is not None:
                try:
                    lines = script.read_text(encoding="utf-8").splitlines()
                except OSError as exc:
                    raise ConfigError(
                        f"{script}: cannot read the script ({exc.strerror})"
                    ) from None
                return shell.run(lines)
            _banner(shell, policy_source, url if database_url else "a temporary SQLite database")
            return shell.run(_prompt_lines(shell))
        finally:
            workspace.close()


def _banner(shell: Shell, policy_source: str, database: str) -> None:
    style = shell.style
    shell.say(
        style.bold("cre-bot · local workspace")
        + " — no Slack credentials found, so this terminal plays Slack."
    )
    shell.say(
        style.dim(
            f"Policy: {policy_source} · database: {database} · look-ups: {shell.ws.policy.lookup.source}"
        )
    )
    shell.say(
        f"You are @{shell._user_name(shell.user)} (CS) in #{shell._channel_name(shell.channel)}. {shell._now_text()}"
    )
    shell.say(
        "Try: "
        + style.cyan("/escalate Login fails after password reset")
        + "  ·  "
        + style.cyan("help")
    )
    shell.say(
        style.dim(
            "To connect a real workspace: create the app from manifest.yml, then set SLACK_BOT_TOKEN and"
        )
    )
    shell.say(
        style.dim(
            "SLACK_SIGNING_SECRET (see the README, “Connect to Slack”) and run the same command again."
        )
    )


def _interactive_input() -> Callable[[str], str]:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    return input


def _prompt_lines(shell: Shell) -> Iterable[str]:
    at_terminal = sys.stdin.isatty()
    while True:
        try:
            prompt = f"{shell._user_name(shell.user)}@{shell._channel_name(shell.channel)}> "
            # At a terminal the prompt is shown; piped lines are echoed by Shell.run instead.
            yield input(shell.style.bold(prompt) if at_terminal else "")
        except EOFError:
            shell.say("")
            return
