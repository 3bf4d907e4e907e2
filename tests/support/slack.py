"""Drive the real Bolt app the way Slack does: payloads shaped like Slack's samples, signed, over WSGI."""

from __future__ import annotations

import copy
import io
import json
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.web import SlackWsgiApp
from bot.workspace.webapi import Message, RunningServer, SlackStandIn

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "slack-payload-samples"
TEAM_ID = "T0CREBOT"
APP_ID = "ACREBOT"


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, remembering its work so tests can wait for it to finish."""

    def __init__(self) -> None:
        super().__init__(max_workers=32, thread_name_prefix="listener")
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.add(future)
        return future

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every submitted listener (and what they submitted) has finished."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = {f for f in self._futures if not f.done()}
                self._futures = pending
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("listeners still running")
            wait_futures(pending, timeout=remaining)


def sample(relative: str) -> dict[str, Any]:
    """One of Slack's payload samples (values blanked), as a starting shape."""
    return json.loads((SAMPLES / relative).read_text())


def overlay(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `values` into a copy of `base` (lists and scalars replace)."""
    merged = copy.deepcopy(base)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class Response:
    """What the app answered Slack."""

    status: int
    body: str
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackDriver:
    """Plays Slack's side: builds requests from the samples, signs them, waits for listeners."""

    def __init__(
        self,
        *,
        wsgi: SlackWsgiApp,
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
            signature = self.verifier.generate_signature(timestamp=stamp, body=body)
            assert signature is not None
            all_headers["X-Slack-Signature"] = signature
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
        token = uuid.uuid4().hex
        self.standin.bind_response_url(token, channel=channel, user=user)
        payload = overlay(
            sample("app-backend/slash-commands/SlashCommandPayload.json"),
            {
                "api_app_id": APP_ID,
                "team_id": TEAM_ID,
                "team_domain": "crebot",
                "channel_id": channel,
                "channel_name": "support",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "response_url": self.server.response_url(token),
                "trigger_id": f"trigger-{token}",
            },
        )
        payload = {k: v for k, v in payload.items() if v not in ("",) or k == "text"}
        payload.pop("enterprise_id", None)
        payload.pop("enterprise_name", None)
        return self.post(urlencode(payload), **kwargs)

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
        element, block_id = _find_element(message.blocks, action_id)
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] == "button":
            action["value"] = element.get("value", "")
            action["text"] = element.get("text")
        if element["type"] == "users_select":
            action["selected_user"] = selected_user
        if element["type"] == "static_select":
            options = [o for o in element.get("options", []) if o["value"] == selected_value]
            assert options, f"no option {selected_value!r} in {action_id}"
            action["selected_option"] = options[0]
        if element["type"] == "datepicker":
            action["selected_date"] = selected_date
        return self.post_payload(self.block_actions_payload(message, action, user=user), **kwargs)

    def block_actions_payload(
        self, message: Message, action: dict[str, Any], *, user: str
    ) -> dict[str, Any]:
        """A block_actions payload for an action in a message."""
        token = uuid.uuid4().hex
        self.standin.bind_response_url(
            token, channel=message.channel, user=user, message_ts=message.ts
        )
        base = sample("app-backend/interactive-components/BlockActionPayload.json")
        payload = overlay(
            _without_enterprise(base),
            {
                "team": {"id": TEAM_ID, "domain": "crebot"},
                "user": {
                    "id": user,
                    "username": user.lower(),
                    "name": user.lower(),
                    "team_id": TEAM_ID,
                },
                "api_app_id": APP_ID,
                "container": {
                    "type": "message",
                    "message_ts": message.ts,
                    "channel_id": message.channel,
                    "is_ephemeral": message.ephemeral_for is not None,
                },
                "trigger_id": f"trigger-{token}",
                "channel": {"id": message.channel, "name": "escalations"},
                "message": {
                    "type": "message",
                    "user": "UCREBOT",
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": message.blocks,
                },
                "response_url": self.server.response_url(token),
                "actions": [action],
            },
        )
        # Slack sends bot_access_token / function_data only to workflow functions; an empty token
        # left in would make Bolt call the Web API without one.
        dropped = (
            "enterprise",
            "state",
            "view",
            "bot_access_token",
            "function_data",
            "interactivity",
        )
        for key in dropped:
            payload.pop(key, None)
        payload["container"] = {k: v for k, v in payload["container"].items() if v != ""}
        return payload

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
        base = sample("app-backend/views/ViewSubmissionPayload.json")
        submitted = overlay(
            base["view"],
            {
                **{k: v for k, v in view.items() if k != "state"},
                "id": view_id or view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}",
                "team_id": TEAM_ID,
                "state": {"values": _state_values(view, values)},
                "hash": view.get("hash", "1.abc"),
                "app_id": APP_ID,
            },
        )
        payload = overlay(
            _without_enterprise(base),
            {
                "team": {"id": TEAM_ID, "domain": "crebot"},
                "user": {
                    "id": user,
                    "username": user.lower(),
                    "name": user.lower(),
                    "team_id": TEAM_ID,
                },
                "api_app_id": APP_ID,
                "trigger_id": f"trigger-{uuid.uuid4().hex}",
                "view": submitted,
            },
        )
        for key in ("enterprise", "function_data", "interactivity", "bot_access_token"):
            payload.pop(key, None)
        return self.post_payload(payload, **kwargs)

    def message_shortcut(
        self, message: Message, *, user: str, callback_id: str = "escalate_message", **kwargs: Any
    ) -> Response:
        """A user runs a message shortcut on a message."""
        token = uuid.uuid4().hex
        self.standin.bind_response_url(token, channel=message.channel, user=user)
        base = sample("app-backend/interactive-components/MessageShortcutPayload.json")
        payload = overlay(
            _without_enterprise(base),
            {
                "callback_id": callback_id,
                "trigger_id": f"trigger-{token}",
                "message_ts": message.ts,
                "response_url": self.server.response_url(token),
                "message": {
                    "type": "message",
                    "user": message.user,
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": [],
                },
                "team": {"id": TEAM_ID, "domain": "crebot"},
                "channel": {"id": message.channel, "name": "support"},
                "user": {"id": user, "name": user.lower(), "team_id": TEAM_ID},
            },
        )
        payload.pop("enterprise", None)
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
                    "user_id": "UCREBOT",
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
        return (
            json.loads(calls[-1].args["view"])
            if isinstance(calls[-1].args["view"], str)
            else calls[-1].args["view"]
        )

    def responses_text(self) -> list[str]:
        """Texts of everything posted to response URLs (ephemeral replies), oldest first."""
        return [payload.get("text", "") for _, payload in self.standin.responses]


def _without_enterprise(payload: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    payload.pop("enterprise", None)
    payload["is_enterprise_install"] = False
    return payload


def _find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        elements = block.get("elements") or ([block["accessory"]] if block.get("accessory") else [])
        for element in elements:
            if element.get("action_id") == action_id:
                return element, block.get("block_id", "")
    raise AssertionError(f"no element {action_id!r} in the message")


def _state_values(view: dict[str, Any], values: dict[str, str | None]) -> dict[str, Any]:
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
