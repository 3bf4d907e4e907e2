"""Slack's side of the conversation: requests shaped and signed like Slack's, sent into the real app.

The local shell and the tests both use this to act as Slack users (slash commands, clicks, modal
submissions, shortcuts, events) against the real Bolt app behind the real WSGI front. Payload shapes
follow Slack's (tests check them against Slack's published samples).
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.listener_pool import MAX_PENDING, ListenerPool
from bot.workspace.webapi import Message, RunningServer, SlackStandIn

TEAM_ID = "T0CREBOT"
TEAM_DOMAIN = "crebot"
APP_ID = "ACREBOT"

WsgiApp = Callable[[dict[str, Any], Callable[[str, list[tuple[str, str]]], Any]], Any]


class TrackingExecutor(ListenerPool):
    """The production listener pool, remembering its work so tests and the shell can wait for it."""

    def __init__(
        self,
        max_workers: int = 32,
        *,
        urgent_workers: int | None = None,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            workers=max_workers,
            urgent_workers=urgent_workers or max(4, max_workers // 4),
            max_pending=max_pending,
            clock=clock,
        )
        self._futures: set[Future[Any]] = set()
        self._work: dict[Future[Any], _Work] = {}
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` in its lane, and remember it (and, while it runs, its thread)."""
        work = _Work(fn)
        future = super().submit(work, *args, **kwargs)
        with self._lock:
            self._futures = {f for f in self._futures if not f.done()}
            self._futures.add(future)
            self._work = {f: w for f, w in self._work.items() if f in self._futures}
            self._work[future] = work
        return future

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every submitted listener (and what they submitted) has finished.

        Past `timeout` it raises `TimeoutError` naming what is still queued or running, with the
        stack of each thread still busy: where it waits (a lock, a socket, a retry's sleep).
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._futures = {f for f in self._futures if not f.done()}
                self._work = {f: w for f, w in self._work.items() if f in self._futures}
                pending = set(self._futures)
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._still_running(pending, timeout))
            wait_futures(pending, timeout=remaining)

    def _still_running(self, pending: set[Future[Any]], timeout: float) -> str:
        """What is still queued or running, with the stacks of the threads running it."""
        frames = sys._current_frames()
        with self._lock:
            works = [self._work[f] for f in pending if f in self._work]
        works.sort(key=lambda w: w.thread is None)  # the running first
        running = sum(w.thread is not None for w in works)
        lines = [
            f"listeners still running after {timeout:g} s: "
            f"{running} running, {len(works) - running} queued"
        ]
        for work in works:
            thread, started = work.thread, work.started
            if thread is None or started is None:
                lines.append(f"- queued: {work.name}")
                continue
            took = time.monotonic() - started
            lines.append(f"- running for {took:.1f} s on thread {work.thread_name}: {work.name}")
            frame = frames.get(thread)
            if frame is not None:
                lines += ["  " + line for line in "".join(_own_stack(frame)).splitlines()]
        return "\n".join(lines)


class _Work:
    """A submitted callable that remembers which thread runs it, and since when."""

    __slots__ = ("fn", "name", "started", "thread", "thread_name")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.name = _describe(fn)
        self.thread: int | None = None
        self.thread_name = ""
        self.started: float | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        current = threading.current_thread()
        self.thread_name, self.started, self.thread = current.name, time.monotonic(), current.ident
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.thread = None


def _own_stack(frame: Any) -> list[str]:
    """A busy thread's stack, from the submitted callable down (the pool's frames left out)."""
    stack = traceback.extract_stack(frame)
    for at, entry in enumerate(stack):
        if entry.filename == __file__ and entry.name == _Work.__call__.__name__:
            stack = traceback.StackSummary.from_list(stack[at + 1 :])
            break
    return stack.format()


def _describe(fn: Any) -> str:
    inner = getattr(fn, "func", fn)  # functools.partial
    module = getattr(inner, "__module__", None) or ""
    name = getattr(inner, "__qualname__", None) or repr(inner)
    return f"{module}.{name}" if module else name


@dataclass
class Response:
    """What the app answered Slack."""

    status: int
    body: str
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


def _team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


class SlackDriver:
    """Plays Slack's side: builds requests, signs them, calls the app, waits for its listeners."""

    def __init__(
        self,
        *,
        wsgi: WsgiApp,
        executor: TrackingExecutor,
        standin: SlackStandIn,
        server: RunningServer,
        signing_secret: str,
    ) -> None:
        self.wsgi = wsgi
        self.executor = executor
        self.standin = standin
        self.server = server
        self.verifier = SignatureVerifier(signing_secret)

    # -- raw requests ----------------------------------------------------------------------------

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        path: str = "/slack/events",
        method: str = "POST",
        drain: bool = True,
    ) -> Response:
        """Send one HTTP request to the app (signed like Slack unless told otherwise)."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers["X-Slack-Request-Timestamp"] = stamp
            all_headers["X-Slack-Signature"] = str(
                self.verifier.generate_signature(timestamp=stamp, body=body)
            )
        raw = body.encode("utf-8")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": content_type,
            "wsgi.input": io.BytesIO(raw),
            "wsgi.url_scheme": "http",
        }
        for name, value in all_headers.items():
            if name.lower() != "content-type":
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = {k.lower(): v for k, v in response_headers}

        started = time.perf_counter()
        chunks = self.wsgi(environ, start_response)
        seconds = time.perf_counter() - started
        text = b"".join(chunks).decode("utf-8")
        if drain:
            self.executor.drain()
        return Response(captured["status"], text, captured["headers"], seconds)

    def post_payload(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        """An interaction payload, form-encoded as `payload=<json>` like Slack sends it."""
        return self.post(urlencode({"payload": json.dumps(payload)}), **kwargs)

    # -- what users do -----------------------------------------------------------------------------

    def command_payload(
        self, command: str, text: str, *, user: str, channel: str
    ) -> dict[str, Any]:
        """A slash command's form fields, its response_url bound to the user and channel."""
        token = uuid.uuid4().hex
        self.standin.bind_response_url(token, channel=channel, user=user)
        return {
            "token": "",
            "api_app_id": APP_ID,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "response_url": self.server.response_url(token),
            "trigger_id": f"trigger-{token}",
            "is_enterprise_install": "false",
        }

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U0CS",
        channel: str = "C0SUPPORT",
        **kwargs: Any,
    ) -> Response:
        """A user types a slash command."""
        return self.post(
            urlencode(self.command_payload(command, text, user=user, channel=channel)), **kwargs
        )

    def click(
        self,
        message: Message,
        action_id: str,
        *,
        user: str,
        selected_user: str | None = None,
        selected_value: str | None = None,
        selected_date: str | None = None,
        **kwargs: Any,
    ) -> Response:
        """A user presses a button, or picks a user, an option or a date, in a message the app posted."""
        element, block_id = find_element(message.blocks, action_id)
        action = element_action(
            element,
            block_id,
            selected_user=selected_user,
            selected_value=selected_value,
            selected_date=selected_date,
        )
        return self.post_payload(self.block_actions_payload(message, action, user=user), **kwargs)

    def block_actions_payload(
        self, message: Message, action: dict[str, Any], *, user: str
    ) -> dict[str, Any]:
        """A block_actions payload for an action in a message."""
        token = uuid.uuid4().hex
        self.standin.bind_response_url(
            token, channel=message.channel, user=user, message_ts=message.ts
        )
        return {
            "type": "block_actions",
            "team": _team(),
            "user": _user(user),
            "api_app_id": APP_ID,
            "token": "",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.ephemeral_for is not None,
            },
            "trigger_id": f"trigger-{token}",
            "channel": {"id": message.channel, "name": "channel"},
            "message": {
                "type": "message",
                "user": message.user,
                "ts": message.ts,
                "text": message.text,
                "blocks": message.blocks,
            },
            "response_url": self.server.response_url(token),
            "actions": [action],
            "is_enterprise_install": False,
        }

    def home_actions_payload(
        self, view: dict[str, Any], action: dict[str, Any], *, user: str
    ) -> dict[str, Any]:
        """A block_actions payload for an action on the App Home tab (no response_url there)."""
        return {
            "type": "block_actions",
            "team": _team(),
            "user": _user(user),
            "api_app_id": APP_ID,
            "token": "",
            "container": {"type": "view", "view_id": view.get("id", "")},
            "trigger_id": f"trigger-{uuid.uuid4().hex}",
            "view": view,
            "actions": [action],
            "is_enterprise_install": False,
        }

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, str | None],
        *,
        user: str,
        view_id: str | None = None,
        **kwargs: Any,
    ) -> Response:
        """A user fills a modal's inputs (by block id) and presses submit."""
        submitted = {
            **{k: v for k, v in view.items() if k != "state"},
            "id": view_id or view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}",
            "team_id": TEAM_ID,
            "type": "modal",
            "state": {"values": state_values(view, values)},
            "hash": view.get("hash", "1.abc"),
            "app_id": APP_ID,
        }
        payload = {
            "type": "view_submission",
            "team": _team(),
            "user": _user(user),
            "api_app_id": APP_ID,
            "token": "",
            "trigger_id": f"trigger-{uuid.uuid4().hex}",
            "view": submitted,
            "is_enterprise_install": False,
        }
        return self.post_payload(payload, **kwargs)

    def message_shortcut(
        self, message: Message, *, user: str, callback_id: str = "escalate_message", **kwargs: Any
    ) -> Response:
        """A user runs a message shortcut on a message."""
        token = uuid.uuid4().hex
        self.standin.bind_response_url(token, channel=message.channel, user=user)
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": f"trigger-{token}",
            "message_ts": message.ts,
            "response_url": self.server.response_url(token),
            "message": {
                "type": "message",
                "user": message.user,
                "ts": message.ts,
                "text": message.text,
                **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
            },
            "team": _team(),
            "channel": {"id": message.channel, "name": "channel"},
            "user": {"id": user, "name": user.lower(), "team_id": TEAM_ID},
            "token": "",
            "is_enterprise_install": False,
        }
        return self.post_payload(payload, **kwargs)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> Response:
        """An Events API delivery (a retry carries X-Slack-Retry-Num)."""
        envelope = {
            "token": "",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": self.standin.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "event": event,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            json.dumps(envelope), content_type="application/json", headers=headers, **kwargs
        )

    # -- reading what users see ---------------------------------------------------------------------

    def channel(self, channel: str) -> list[Message]:
        """Top-level messages in a channel (not thread replies, not ephemeral)."""
        return [
            m
            for m in self.standin.channel_messages(channel)
            if (not m.thread_ts or m.thread_ts == m.ts) and m.ephemeral_for is None
        ]

    def last_view(self) -> dict[str, Any]:
        """The most recently opened modal."""
        calls = self.standin.calls_to("views.open")
        assert calls, "no modal was opened"
        view = calls[-1].args["view"]
        return json.loads(view) if isinstance(view, str) else dict(view)

    def responses_text(self) -> list[str]:
        """Texts of everything posted to response URLs (ephemeral replies), oldest first."""
        return [payload.get("text", "") for _, payload in self.standin.responses]


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    """The interactive element with `action_id` in a list of blocks, and its block id."""
    for block in blocks:
        elements = block.get("elements") or ([block["accessory"]] if block.get("accessory") else [])
        for element in elements:
            if element.get("action_id") == action_id:
                return element, block.get("block_id", "")
    raise LookupError(f"no element {action_id!r} in the message")


def element_action(
    element: dict[str, Any],
    block_id: str,
    *,
    selected_user: str | None = None,
    selected_value: str | None = None,
    selected_date: str | None = None,
) -> dict[str, Any]:
    """The `actions[0]` Slack sends when a user uses `element`."""
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    kind = element["type"]
    if kind == "button":
        action["value"] = element.get("value", "")
        action["text"] = element.get("text")
    elif kind == "users_select":
        action["selected_user"] = selected_user
    elif kind in ("static_select", "overflow"):
        options = [o for o in element.get("options", []) if o["value"] == selected_value]
        if not options:
            raise LookupError(f"no option {selected_value!r}")
        action["selected_option"] = options[0]
    elif kind == "datepicker":
        action["selected_date"] = selected_date
    return action


def state_values(view: dict[str, Any], values: dict[str, str | None]) -> dict[str, Any]:
    """A modal's `state.values` after a user filled it in (unset inputs keep their initial values)."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = block["block_id"]
        element = block["element"]
        value = values.get(block_id, element.get("initial_value") or _initial_option(element))
        kind = element["type"]
        if kind in ("static_select", "radio_buttons"):
            option = next((o for o in element.get("options", []) if o["value"] == value), None)
            if option is None and value is not None:
                option = {"text": {"type": "plain_text", "text": str(value)}, "value": value}
            state[block_id] = {element["action_id"]: {"type": kind, "selected_option": option}}
        elif kind == "users_select":
            state[block_id] = {element["action_id"]: {"type": kind, "selected_user": value}}
        elif kind == "datepicker":
            state[block_id] = {element["action_id"]: {"type": kind, "selected_date": value}}
        else:
            state[block_id] = {element["action_id"]: {"type": kind, "value": value}}
    return state


def _initial_option(element: dict[str, Any]) -> str | None:
    option = element.get("initial_option")
    return option.get("value") if isinstance(option, dict) else None
