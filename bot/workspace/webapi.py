"""A stand-in for Slack's Web API, served over real HTTP on loopback for tests and `crebot shell`.

It records every call, answers with Slack's response shapes, keeps the workspace state a person
would see (messages, threads, DMs, modals, home tabs, files), checks each call against Slack's
reference (`bot.workspace.checks`) and can be scripted to answer 429 / 5xx / `ok: false` / slowly.
"""

from __future__ import annotations

import base64
import binascii
import copy
import email.parser
import email.policy
import json
import mimetypes
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.workspace import checks
from bot.workspace.loopback import LoopbackHandler, LoopbackServer, RunningLoopback

Response = tuple[int, dict[str, str], bytes]

UPLOAD = "upload"  # pseudo-method: the raw POST of a file's bytes to its upload_url
RESPONSE_URL = "response_url"  # pseudo-method: a POST to a response_url
PSEUDO_METHODS = frozenset({UPLOAD, RESPONSE_URL})
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # the only ones taking an xapp- token
# Page sizes of conversations.history and .replies (Slack's method reference: default, maximum).
HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX = 100, 999
REPLIES_LIMIT_DEFAULT, REPLIES_LIMIT_MAX = 1000, 1000
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
TEXT_HEADERS = {"Content-Type": "text/plain; charset=utf-8"}


@dataclass
class RecordedCall:
    """One request the stand-in received, with what it answered."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int
    response: dict[str, Any] | str
    path: str = ""  # for a response_url POST: which one (/response/<token>)
    answered_at: float | None = None  # when the answer went back (later than `at` when slow)


@dataclass
class Message:
    """A message as the workspace shows it (ephemeral ones carry the one user who sees them)."""

    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    updated_count: int = 0
    ephemeral_for: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited_ts: str | None = None
    reply_broadcast: bool = False
    metadata: dict[str, Any] | None = None


@dataclass
class UploadedFile:
    """A file uploaded through files.getUploadURLExternal → upload_url → completeUploadExternal."""

    id: str
    name: str
    title: str
    content: bytes
    length: int
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None


@dataclass(frozen=True)
class ScriptedFailure:
    """One scripted answer queued by `SlackStandIn.fail`."""

    status: int
    error: str | None
    retry_after: int | None
    delay: float

    @property
    def answers_instead(self) -> bool:
        """Whether this replaces the normal answer (otherwise it only delays it)."""
        return self.status != HTTPStatus.OK or self.error is not None

    def response(self) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        """The status, headers and body this failure answers with."""
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            headers = {**JSON_HEADERS, "Retry-After": str(self.retry_after or 0)}
            return self.status, headers, {"ok": False, "error": self.error or "ratelimited"}
        if self.status == HTTPStatus.OK:
            return self.status, dict(JSON_HEADERS), {"ok": False, "error": self.error}
        return self.status, dict(TEXT_HEADERS), self.error or HTTPStatus(self.status).phrase


class SlackError(Exception):
    """An `ok: false` answer with Slack's error code."""

    def __init__(self, error: str, *, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


@dataclass
class _ResponseUrlBinding:
    channel: str
    user: str
    message_ts: str | None


class SlackStandIn:
    """Slack's Web API answered in-process: records calls, keeps workspace state, checks each call."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        bot_user_id: str = "UCREBOT",
        team_id: str = "T0CREBOT",
        team_domain: str = "crebot",
    ) -> None:
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = "A" + bot_user_id[1:]
        self.team_id = team_id
        self.team_domain = team_domain
        self.calls: list[RecordedCall] = []
        self.problems: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[Message]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self.trigger_views: dict[str, str] = {}
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.files: list[UploadedFile] = []
        # The bot token's scopes; None grants every scope a method needs (a test narrows it).
        self.granted_scopes: frozenset[str] | None = None
        self._pending_uploads: dict[str, UploadedFile] = {}
        self._uploaded: set[str] = set()
        self._response_urls: dict[str, _ResponseUrlBinding] = {}
        self._failures: dict[str, deque[ScriptedFailure]] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._last_ts = (0, 0)
        self._counter = 0
        self._public_url = "http://127.0.0.1:0"
        # Slack caps both at 15 for commercially distributed apps outside the Marketplace.
        self.page_limit_cap: int | None = None
        # Where apps.connections.open sends the app (a running Socket Mode stand-in's URLs).
        self.socket_mode_urls: Callable[[], str] | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
        }

    # --- scripting and inspection ------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Queue scripted answers for `method`: 429 (+Retry-After), 5xx, `ok: false`, or a delay."""
        if method not in PSEUDO_METHODS and method not in checks.method_reference():
            raise ValueError(f"{method!r} is not a Slack Web API method")
        failure = ScriptedFailure(status=status, error=error, retry_after=retry_after, delay=delay)
        if not failure.answers_instead and delay <= 0:
            raise ValueError("a scripted failure needs a non-200 status, an error, or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def scripted_left(self, method: str) -> int:
        """How many scripted answers for `method` no call has taken yet."""
        with self._lock:
            return len(self._failures.get(method) or ())

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Every recorded call to one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def channel_messages(self, channel: str, *, visible_to: str | None = None) -> list[Message]:
        """A channel's messages in order; with `visible_to`, hides others' ephemeral messages."""
        with self._lock:
            return [
                message
                for message in self.messages.get(self._lookup_channel(channel), [])
                if visible_to is None or message.ephemeral_for in (None, visible_to)
            ]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """A thread's parent followed by its replies."""
        with self._lock:
            return [
                message
                for message in self.messages.get(self._lookup_channel(channel), [])
                if message.ts == ts or message.thread_ts == ts
            ]

    def dms(self, user_id: str) -> list[Message]:
        """The messages in the bot's DM with one user."""
        return self.channel_messages(dm_channel_id(user_id))

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "Asia/Tokyo",
        locale: str = "ja-JP",
        is_admin: bool = False,
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Add (or replace) a workspace member; returns the user object users.info answers."""
        real = real_name or name
        shown = name if display_name is None else display_name
        tz_label, tz_offset = _zone_label_and_offset(tz, self.clock())
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "locale": locale,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(self.clock()),
            "profile": {
                "real_name": real,
                "real_name_normalized": real,
                "display_name": shown,
                "display_name_normalized": shown,
                "email": email or f"{name}@example.com",
                "image_72": f"https://avatars.example.com/{user_id}_72.png",
                "team": self.team_id,
            },
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def add_usergroup(
        self, handle: str, user_ids: list[str], group_id: str | None = None
    ) -> dict[str, Any]:
        """Add (or replace) a user group (`@handle`); returns the usergroup object."""
        with self._lock:
            group_id = group_id or f"S{self._next_number():08d}"
            group = {
                "id": group_id,
                "team_id": self.team_id,
                "is_usergroup": True,
                "name": handle,
                "handle": handle,
                "description": "",
                "date_create": int(self.clock()),
                "date_delete": 0,
                "users": list(user_ids),
                "user_count": len(user_ids),
            }
            self.usergroups[group_id] = group
            return group

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
    ) -> dict[str, Any]:
        """Add (or replace) a channel (by default one the bot is in); returns the conversation."""
        conversation = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": is_archived,
            "is_member": is_member,
            "created": int(self.clock()),
            "context_team_id": self.team_id,
        }
        with self._lock:
            self.channels[channel_id] = conversation
        return conversation

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Post a message as a person (the shell's typing), without going through the Web API."""
        with self._lock:
            return self._store_message(
                self._resolve_channel(channel),
                user=user,
                text=text,
                blocks=blocks or [],
                thread_ts=thread_ts,
            )

    def bind_response_url(
        self, token: str, *, channel: str, user: str, message_ts: str | None = None
    ) -> None:
        """Tie a response_url to the message/user it came from, so posts to it change the workspace."""
        with self._lock:
            self._response_urls[token] = _ResponseUrlBinding(
                channel=self._resolve_channel(channel), user=user, message_ts=message_ts
            )

    # --- the Web API -------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        args: dict[str, Any],
        headers: dict[str, str],
        *,
        json_body: bool | None = None,
    ) -> Response:
        """Answer one Web API call as Slack would (JSON body unless told: from Content-Type)."""
        at = self.clock()
        failure = self._take_failure(method)
        # A scripted error is slow before answering (nothing happened); a delay alone means Slack
        # did the work and answered late, as when a client times out on a post that landed.
        if failure is not None and failure.delay > 0 and failure.answers_instead:
            self._wake.wait(failure.delay)
        if json_body is None:
            json_body = _header(headers, "content-type").startswith("application/json")
        bearer = _bearer_token(headers)
        # A token inside a JSON body is ignored by Slack: only the Authorization header counts.
        checked_args = {k: v for k, v in args.items() if not (json_body and k == "token")}
        call_problems = checks.check_call(
            method, checked_args, has_auth_header=bool(bearer), json_body=json_body
        )
        payload_error, payload_problems = self._payload_problems(method, args)
        with self._lock:
            self.problems.extend(call_problems)
            self.problems.extend(f"{method}: {problem}" for problem in payload_problems)
            if failure is not None and failure.answers_instead:
                status, out_headers, body = failure.response()
            else:
                token = bearer or checked_args.get("token")
                status, out_headers = HTTPStatus.OK, dict(JSON_HEADERS)
                body = self._answer(
                    method, args, token, call_problems, payload_error, payload_problems
                )
            record = RecordedCall(method, dict(args), dict(headers), at, int(status), body)
        if failure is not None and failure.delay > 0 and not failure.answers_instead:
            self._wake.wait(failure.delay)
        record.answered_at = self.clock()
        with self._lock:
            self.calls.append(record)
        return int(status), out_headers, _encode(body)

    def handle_http(
        self, method: str, query: str, body: bytes, headers: dict[str, str]
    ) -> Response:
        """Parse a raw request (query string + JSON, form or multipart body) and answer it."""
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        content_type = _header(headers, "content-type")
        try:
            args.update(_parse_body(body, content_type))
        except ValueError as exc:
            return self._reject(method, headers, problem=f"{method}: {exc}", error="invalid_json")
        # slack_sdk labels even body-less requests application/json: only a real body counts.
        json_body = bool(body) and content_type.startswith("application/json")
        return self.handle(method, args, headers, json_body=json_body)

    def handle_upload(self, file_id: str, body: bytes, headers: dict[str, str]) -> Response:
        """The POST of a file's bytes to the upload_url files.getUploadURLExternal handed out."""
        at = self.clock()
        failure = self._take_failure(UPLOAD)
        if failure is not None and failure.delay > 0:
            self._wake.wait(failure.delay)
        content = _uploaded_bytes(body, _header(headers, "content-type"))
        with self._lock:
            pending = self._pending_uploads.get(file_id)
            if failure is not None and failure.answers_instead:
                status, out_headers, answer = failure.response()
            elif pending is None:
                status, out_headers, answer = HTTPStatus.NOT_FOUND, dict(TEXT_HEADERS), "not_found"
            else:
                pending.content = content
                self._uploaded.add(file_id)
                status, out_headers, answer = (
                    HTTPStatus.OK,
                    dict(TEXT_HEADERS),
                    f"OK - {len(content)}",
                )
            args = {"file_id": file_id, "bytes": len(content)}
            self.calls.append(RecordedCall(UPLOAD, args, dict(headers), at, int(status), answer))
        return int(status), out_headers, _encode(answer)

    def handle_response_url(self, token: str, body: bytes, headers: dict[str, str]) -> Response:
        """A POST to a response_url (Bolt's `respond()`): record, check, apply to the workspace."""
        at = self.clock()
        path = f"/response/{token}"
        failure = self._take_failure(RESPONSE_URL)
        if failure is not None and failure.delay > 0:
            self._wake.wait(failure.delay)
        try:
            payload = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        problems = checks.check_message(payload) if isinstance(payload, dict) else []
        with self._lock:
            self.problems.extend(f"{RESPONSE_URL} {path}: {problem}" for problem in problems)
            status: int
            answer: dict[str, Any] | str
            if failure is not None and failure.answers_instead:
                status, out_headers, answer = failure.response()
            elif not isinstance(payload, dict):
                status, out_headers, answer = (
                    HTTPStatus.BAD_REQUEST,
                    dict(TEXT_HEADERS),
                    "invalid_payload",
                )
            elif problems:
                status, out_headers, answer = (
                    HTTPStatus.BAD_REQUEST,
                    dict(TEXT_HEADERS),
                    "invalid_blocks",
                )
            elif not _has_content(payload) and not _truthy(payload.get("delete_original")):
                status, out_headers, answer = HTTPStatus.BAD_REQUEST, dict(TEXT_HEADERS), "no_text"
            else:
                self.responses.append((path, payload))
                self._apply_response(token, payload)
                status, out_headers, answer = HTTPStatus.OK, dict(TEXT_HEADERS), "ok"
            args = (
                payload if isinstance(payload, dict) else {"raw": body.decode("utf-8", "replace")}
            )
            self.calls.append(
                RecordedCall(
                    RESPONSE_URL, dict(args), dict(headers), at, int(status), answer, path=path
                )
            )
        return int(status), out_headers, _encode(answer)

    def file_download(self, file_id: str) -> Response:
        """The bytes of a completed upload, as its `url_private` serves them."""
        with self._lock:
            found = next((f for f in self.files if f.id == file_id), None)
        if found is None:
            return HTTPStatus.NOT_FOUND, dict(TEXT_HEADERS), b"file_not_found"
        return HTTPStatus.OK, {"Content-Type": _mimetype(found.name)}, found.content

    def serve(self) -> RunningServer:
        """Start answering over HTTP on 127.0.0.1 (ephemeral port) in a daemon thread."""
        httpd = LoopbackServer(_StandInRequestHandler, standin=self)
        with self._lock:
            self._public_url = httpd.url
            self._wake.clear()
        return RunningServer(standin=self, httpd=httpd)

    def wake_sleepers(self) -> None:
        """Cut every scripted delay short (used when the server stops)."""
        self._wake.set()

    # --- internals: dispatch -----------------------------------------------------------------

    def _take_failure(self, method: str) -> ScriptedFailure | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def _reject(
        self, method: str, headers: dict[str, str], *, problem: str, error: str
    ) -> Response:
        body = {"ok": False, "error": error}
        with self._lock:
            self.problems.append(problem)
            self.calls.append(RecordedCall(method, {}, dict(headers), self.clock(), 200, body))
        return 200, dict(JSON_HEADERS), _encode(body)

    def _payload_problems(self, method: str, args: Mapping[str, Any]) -> tuple[str, list[str]]:
        """Problems with what a call carries (text, blocks, views) and the error Slack gives."""
        if method in MESSAGE_METHODS:
            problems = checks.check_message(args)
            too_long = any(problem.startswith("text:") for problem in problems)
            return ("msg_too_long" if too_long else "invalid_blocks"), problems
        if method == "files.completeUploadExternal" and args.get("blocks"):
            return "invalid_blocks", checks.check_blocks(args["blocks"], surface="message")
        if method not in VIEW_METHODS or args.get("view") in (None, ""):
            return "invalid_arguments", []
        problems = checks.check_view(args["view"])
        view = _json_arg(args.get("view"))
        kind = view.get("type") if isinstance(view, dict) else None
        if method == "views.publish" and kind != "home":
            problems.append(f"view.type: views.publish needs a home view, not {kind!r}")
        if method in ("views.open", "views.push") and kind != "modal":
            problems.append(f"view.type: {method} needs a modal view, not {kind!r}")
        if method in ("views.open", "views.push") and not (
            args.get("trigger_id") or args.get("interactivity_pointer")
        ):
            problems.append("missing trigger_id")
        if method == "views.update" and not (args.get("view_id") or args.get("external_id")):
            problems.append("missing view_id or external_id")
        return "invalid_arguments", problems

    def _answer(
        self,
        method: str,
        args: dict[str, Any],
        token: Any,
        call_problems: list[str],
        payload_error: str,
        payload_problems: list[str],
    ) -> dict[str, Any]:
        ref = checks.method_reference().get(method)
        if ref is None:
            return {"ok": False, "error": "unknown_method"}
        if "token" in ref.required and not token:
            return {"ok": False, "error": "not_authed"}
        app_level = method in APP_TOKEN_METHODS
        if token and not str(token).startswith(("xox", "xapp-")):
            return {"ok": False, "error": "invalid_auth"}
        if token and str(token).startswith("xapp-") != app_level:
            return {"ok": False, "error": "not_allowed_token_type"}
        if call_problems:
            return _error("invalid_arguments", call_problems)
        missing = self._missing_scope(ref.bot_scopes) if token and not app_level else None
        if missing is not None:
            return missing
        if payload_problems:
            return _error(payload_error, payload_problems)
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": True}
        try:
            return {"ok": True, **handler(args)}
        except SlackError as exc:
            return _error(exc.error, exc.messages)

    def _missing_scope(self, needed: tuple[str, ...]) -> dict[str, Any] | None:
        """Slack's answer when the token has none of the scopes the method accepts."""
        granted = self.granted_scopes
        if granted is None or not needed or set(needed) & granted:
            return None
        return {
            "ok": False,
            "error": "missing_scope",
            "needed": ",".join(needed),
            "provided": ",".join(sorted(granted)),
        }

    def _check_may_post(self, channel: str, *, upload: bool) -> None:
        """Slack's refusals for a channel: archived, private and not a member, or (a file, or a
        message without chat:write.public) a public channel the bot is not in."""
        conversation = self.channels.get(channel)
        if conversation is None or conversation.get("is_im"):
            return
        if conversation.get("is_archived"):
            raise SlackError("is_archived")
        if conversation.get("is_member", True):
            return
        if conversation.get("is_private"):
            raise SlackError("channel_not_found")
        public_posts = self.granted_scopes is None or "chat:write.public" in self.granted_scopes
        if upload or not public_posts:
            raise SlackError("not_in_channel")

    # --- internals: workspace state ----------------------------------------------------------

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        """A unique, increasing message ts: the clock's second plus a counter, like Slack's."""
        seconds = int(self.clock())
        last_seconds, last_sequence = self._last_ts
        if seconds > last_seconds:
            sequence = 100
        else:
            seconds, sequence = last_seconds, last_sequence + 100
            if sequence > 999_999:
                seconds, sequence = seconds + 1, 100
        self._last_ts = (seconds, sequence)
        return f"{seconds}.{sequence:06d}"

    def _resolve_channel(self, channel: str) -> str:
        """A channel id for a user id (the bot's DM with them) or a #name; ids pass through."""
        if channel[:1] in ("U", "W"):
            return dm_channel_id(channel)
        if channel.startswith("#"):
            for conversation in self.channels.values():
                if conversation.get("name") == channel[1:]:
                    return str(conversation["id"])
            raise SlackError("channel_not_found")
        return channel

    def _lookup_channel(self, channel: str) -> str:
        try:
            return self._resolve_channel(channel)
        except SlackError:
            return channel

    def _ensure_conversation(self, channel: str) -> dict[str, Any]:
        if channel not in self.channels:
            if channel.startswith("D"):
                self.channels[channel] = self._dm_conversation(channel, "U" + channel[1:])
            else:
                self.add_channel(channel, channel.lower())
        return self.channels[channel]

    def _dm_conversation(self, channel: str, user_id: str) -> dict[str, Any]:
        return {
            "id": channel,
            "is_im": True,
            "is_org_shared": False,
            "user": user_id,
            "created": int(self.clock()),
            "is_open": True,
            "is_user_deleted": False,
            "priority": 0,
            "context_team_id": self.team_id,
        }

    def _store_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        ephemeral_for: str | None = None,
        reply_broadcast: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        self._ensure_conversation(channel)
        if thread_ts:
            parent = self._find_message(channel, thread_ts)
            if parent is not None and parent.thread_ts:  # replying to a reply joins its thread
                thread_ts = parent.thread_ts
        message = Message(
            ts=self._next_ts(),
            channel=channel,
            user=user,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts or None,
            files=files or [],
            ephemeral_for=ephemeral_for,
            reply_broadcast=reply_broadcast,
            metadata=metadata,
        )
        self.messages.setdefault(channel, []).append(message)
        return message

    def _find_message(self, channel: str, ts: Any) -> Message | None:
        for message in self.messages.get(channel, []):
            if message.ts == ts and message.ephemeral_for is None:
                return message
        return None

    def _existing_message(self, args: Mapping[str, Any], ts_arg: str) -> Message:
        channel = str(args["channel"])
        if channel[:1] in ("U", "W"):  # update/delete/permalink need the DM's D… id
            raise SlackError("channel_not_found")
        message = self._find_message(self._resolve_channel(channel), args.get(ts_arg))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _replies(self, message: Message) -> list[Message]:
        return [
            other
            for other in self.messages.get(message.channel, [])
            if other.thread_ts == message.ts
            and other.ts != message.ts
            and other.ephemeral_for is None
        ]

    def _message_json(self, message: Message, *, metadata: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
        }
        if message.user == self.bot_user_id:
            out |= {"bot_id": self.bot_id, "app_id": self.app_id}
        if message.blocks:
            out["blocks"] = message.blocks
        if metadata and message.metadata:
            out["metadata"] = message.metadata
        replies = self._replies(message)
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
            out["parent_user_id"] = self._parent_user(message)
        elif replies:
            out |= {
                "thread_ts": message.ts,
                "reply_count": len(replies),
                "reply_users": sorted({reply.user for reply in replies}),
                "reply_users_count": len({reply.user for reply in replies}),
                "latest_reply": replies[-1].ts,
            }
        if message.files:
            out |= {"files": message.files, "upload": True}
        if message.edited_ts:
            out["edited"] = {"user": message.user, "ts": message.edited_ts}
        if message.reactions:
            out["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in message.reactions.items()
            ]
        return out

    def _parent_user(self, message: Message) -> str | None:
        parent = self._find_message(message.channel, message.thread_ts)
        return parent.user if parent else None

    def _view_json(
        self, view: Mapping[str, Any], *, view_id: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        number = self._next_number()
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks") or [],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self.clock())}.{number:08x}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": (previous or {}).get("root_view_id") or view_id,
            "previous_view_id": (previous or {}).get("previous_view_id"),
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return stored

    def _file_json(self, uploaded: UploadedFile) -> dict[str, Any]:
        now = int(self.clock())
        return {
            "id": uploaded.id,
            "created": now,
            "timestamp": now,
            "name": uploaded.name,
            "title": uploaded.title,
            "mimetype": _mimetype(uploaded.name),
            "filetype": uploaded.name.rsplit(".", 1)[-1] if "." in uploaded.name else "binary",
            "user": self.bot_user_id,
            "size": len(uploaded.content),
            "url_private": f"{self._public_url}/files/{uploaded.id}/{uploaded.name}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{uploaded.id}",
        }

    def _apply_response(self, token: str, payload: Mapping[str, Any]) -> None:
        binding = self._response_urls.get(token)
        if binding is None:
            return
        original = (
            next(
                (m for m in self.messages.get(binding.channel, []) if m.ts == binding.message_ts),
                None,
            )
            if binding.message_ts
            else None
        )
        blocks = _json_arg(payload.get("blocks")) or []
        if _truthy(payload.get("delete_original")):
            if original is not None:
                self.messages[binding.channel].remove(original)
            return
        if _truthy(payload.get("replace_original")) and original is not None:
            original.text = str(payload.get("text") or "")
            original.blocks = blocks
            original.updated_count += 1
            original.edited_ts = self._next_ts()
            return
        in_channel = payload.get("response_type") == "in_channel"
        self._store_message(
            binding.channel,
            user=self.bot_user_id,
            text=str(payload.get("text") or ""),
            blocks=blocks,
            thread_ts=payload.get("thread_ts"),
            ephemeral_for=None if in_channel else binding.user,
        )

    # --- method handlers (called with the lock held) -----------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "cre-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode_urls is None:
            self.problems.append("apps.connections.open: no Socket Mode stand-in is attached")
            raise SlackError("internal_error")
        return {"url": self.socket_mode_urls()}

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(args["channel"]))
        self._check_may_post(channel, upload=False)
        if not _has_content(args):
            raise SlackError("no_text")
        message = self._store_message(
            channel,
            user=self.bot_user_id,
            text=str(args.get("text") or ""),
            blocks=_json_arg(args.get("blocks")) or [],
            thread_ts=args.get("thread_ts") or None,
            reply_broadcast=_truthy(args.get("reply_broadcast")),
            metadata=_json_arg(args.get("metadata")) or None,
        )
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._existing_message(args, "ts")
        if message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        if not _has_content(args) and not args.get("file_ids"):
            raise SlackError("no_text")
        if "text" in args:
            message.text = str(args.get("text") or "")
        if "blocks" in args:  # omitted blocks are kept; an empty list removes them
            message.blocks = _json_arg(args.get("blocks")) or []
        message.updated_count += 1
        message.edited_ts = self._next_ts()
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(args["channel"]))
        if not _has_content(args):
            raise SlackError("no_text")
        message = self._store_message(
            channel,
            user=self.bot_user_id,
            text=str(args.get("text") or ""),
            blocks=_json_arg(args.get("blocks")) or [],
            thread_ts=args.get("thread_ts") or None,
            ephemeral_for=str(args["user"]),
        )
        return {"message_ts": message.ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._existing_message(args, "message_ts")
        link = (
            f"https://{self.team_domain}.slack.com/archives/{message.channel}/"
            f"p{message.ts.replace('.', '')}"
        )
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return {"channel": message.channel, "permalink": link}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._existing_message(args, "ts")
        if message.user != self.bot_user_id:
            raise SlackError("cant_delete_message")
        self.messages[message.channel].remove(message)
        return {"channel": message.channel, "ts": message.ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = str(args["channel"])
            if channel not in self.channels:
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": self.channels[channel]}
        users = _id_list(args.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        if len(users) == 1:
            channel = dm_channel_id(users[0])
            conversation = self._dm_conversation(channel, users[0])
        else:
            channel = "G" + "".join(user[1:4] for user in sorted(users)).upper()
            conversation = {
                "id": channel,
                "is_mpim": True,
                "is_private": True,
                "created": int(self.clock()),
            }
        existed = channel in self.channels
        conversation = self.channels.setdefault(channel, conversation)
        answer: dict[str, Any] = {
            "channel": conversation if _truthy(args.get("return_im")) else {"id": channel}
        }
        if existed:
            answer |= {"no_op": True, "already_open": True}
        return answer

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self.channels.get(str(args["channel"]))
        if conversation is None:
            raise SlackError("channel_not_found")
        return {"channel": conversation}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A channel's top-level messages between `oldest` and `latest`, newest first, a page at a time."""
        channel = str(args["channel"])
        if channel not in self.channels:
            raise SlackError("channel_not_found")
        window = _TimeWindow.of(args)
        newest_first = [
            message
            for message in reversed(self.messages.get(channel, []))
            if message.ephemeral_for is None
            and (message.thread_ts in (None, message.ts) or message.reply_broadcast)
            and window.holds(message.ts)
        ]
        limit = self._page_limit(args, default=HISTORY_LIMIT_DEFAULT, most=HISTORY_LIMIT_MAX)
        return self._page(newest_first, args, limit=limit, newest_first=True)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread oldest first, a page at a time; the first page starts with the parent."""
        channel = str(args["channel"])
        parent = self._find_message(channel, args.get("ts"))
        if parent is None:
            raise SlackError("thread_not_found")
        window = _TimeWindow.of(args)
        replies = [reply for reply in self._replies(parent) if window.holds(reply.ts)]
        limit = self._page_limit(args, default=REPLIES_LIMIT_DEFAULT, most=REPLIES_LIMIT_MAX)
        return self._page([parent, *replies], args, limit=limit, newest_first=False)

    def _page_limit(self, args: Mapping[str, Any], *, default: int, most: int) -> int:
        """Slack's page size: `limit` if given (0 or none: the default), never above the maximum."""
        if self.page_limit_cap is not None:
            default, most = min(default, self.page_limit_cap), min(most, self.page_limit_cap)
        wanted = _int_arg(args.get("limit"), default=default)
        return min(wanted if wanted > 0 else default, most)

    def _page(
        self, messages: list[Message], args: Mapping[str, Any], *, limit: int, newest_first: bool
    ) -> dict[str, Any]:
        """One page of `messages` from `cursor` (a message's ts), with the cursor of the next."""
        stamps = [Decimal(message.ts) for message in messages]
        start = _decode_ts_cursor(args.get("cursor"), stamps, newest_first=newest_first)
        page = messages[start : start + limit]
        rest = messages[start + limit :]
        metadata = _truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._message_json(message, metadata=metadata) for message in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _encode_ts_cursor(rest[0].ts) if rest else ""},
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer"))
        if trigger in self.trigger_views:
            raise SlackError("exchanged_trigger_id")
        view_id = f"V{self._next_number():08d}"
        view = self._view_json(_json_arg(args["view"]), view_id=view_id, previous=None)
        self.views[view_id] = view
        self.trigger_views[trigger] = view_id
        return {"view": copy.deepcopy(view)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        current = self.views.get(str(args.get("view_id") or ""))
        if current is None and args.get("external_id"):
            current = next(
                (v for v in self.views.values() if v.get("external_id") == args["external_id"]),
                None,
            )
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._view_json(_json_arg(args["view"]), view_id=current["id"], previous=current)
        self.views[current["id"]] = view
        return {"view": copy.deepcopy(view)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args["user_id"])
        current = self.home.get(user_id)
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else f"V{self._next_number():08d}"
        view = self._view_json(_json_arg(args["view"]), view_id=view_id, previous=current)
        self.home[user_id] = view
        return {"view": copy.deepcopy(view)}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user_json(str(args["user"]), with_locale=_truthy(args.get("include_locale")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args["email"]).strip().lower()
        for user_id, user in self.users.items():
            if str(user.get("profile", {}).get("email", "")).lower() == wanted:
                found = self._user_json(user_id, with_locale=False)
                if found is not None:
                    return {"user": found}
        raise SlackError("users_not_found")

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        ids = [self.bot_user_id, *(uid for uid in self.users if uid != self.bot_user_id)]
        start = _decode_cursor(args.get("cursor"), ids)
        limit = _int_arg(args.get("limit"), default=0) or len(ids) or 1
        page = ids[start : start + limit]
        next_cursor = _encode_cursor(ids[start + limit]) if start + limit < len(ids) else ""
        with_locale = _truthy(args.get("include_locale"))
        members = [self._user_json(uid, with_locale=with_locale) for uid in page]
        return {
            "members": members,
            "cache_ts": int(self.clock()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _user_json(self, user_id: str, *, with_locale: bool) -> dict[str, Any] | None:
        if user_id == self.bot_user_id and user_id not in self.users:
            return {
                "id": user_id,
                "team_id": self.team_id,
                "name": "cre-bot",
                "real_name": "cre-bot",
                "deleted": False,
                "is_bot": True,
                "is_app_user": False,
                "profile": {
                    "real_name": "cre-bot",
                    "display_name": "cre-bot",
                    "bot_id": self.bot_id,
                },
            }
        user = self.users.get(user_id)
        if user is None:
            return None
        out = copy.deepcopy(user)
        if not with_locale:
            out.pop("locale", None)  # Slack only includes locale when asked (include_locale)
        return out

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        groups = []
        for group in self.usergroups.values():
            out = {k: v for k, v in group.items() if k != "users"}
            if _truthy(args.get("include_users")):
                out["users"] = list(group["users"])
            groups.append(out)
        return {"usergroups": groups}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(args["usergroup"]))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{self._next_number():08d}"
        name = str(args["filename"])
        self._pending_uploads[file_id] = UploadedFile(
            id=file_id,
            name=name,
            title=name,
            content=b"",
            length=_int_arg(args.get("length"), default=0),
            alt_txt=args.get("alt_txt"),
        )
        return {"upload_url": f"{self._public_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = _json_arg(args["files"])
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments", messages=["files must be a non-empty list"])
        completed: list[UploadedFile] = []
        for entry in entries:
            file_id = entry.get("id") if isinstance(entry, dict) else None
            if file_id not in self._uploaded:
                raise SlackError("file_not_found")
            uploaded = self._pending_uploads[file_id]
            uploaded.title = entry.get("title") or uploaded.name
            completed.append(uploaded)
        channels = _id_list(args.get("channel_id")) + _id_list(args.get("channels"))
        for channel in channels:
            self._check_may_post(self._resolve_channel(channel), upload=True)
        thread_ts = args.get("thread_ts") or None
        comment = args.get("initial_comment") or None
        file_jsons = [self._file_json(uploaded) for uploaded in completed]
        for uploaded in completed:
            uploaded.channel = channels[0] if channels else None
            uploaded.thread_ts = thread_ts
            uploaded.initial_comment = comment
            self._uploaded.discard(uploaded.id)
            del self._pending_uploads[uploaded.id]
            self.files.append(uploaded)
        for channel in channels:
            self._store_message(
                self._resolve_channel(channel),
                user=self.bot_user_id,
                text=str(comment or ""),
                blocks=_json_arg(args.get("blocks")) or [],
                thread_ts=thread_ts,
                files=copy.deepcopy(file_jsons),
            )
        return {"files": file_jsons}

    def _reacted_message(self, args: dict[str, Any]) -> Message:
        message = self._find_message(
            self._resolve_channel(str(args["channel"])), args.get("timestamp")
        )
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._reacted_message(args)
        users = message.reactions.setdefault(str(args["name"]), [])
        if self.bot_user_id in users:
            raise SlackError("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._reacted_message(args)
        users = message.reactions.get(str(args.get("name")), [])
        if self.bot_user_id not in users:
            raise SlackError("no_reaction")
        users.remove(self.bot_user_id)
        if not users:
            del message.reactions[str(args["name"])]
        return {}


class RunningServer(RunningLoopback):
    """The stand-in served over HTTP; stop it (or leave its `with` block) when done."""

    def __init__(self, *, standin: SlackStandIn, httpd: LoopbackServer) -> None:
        super().__init__(httpd, name="slack-stand-in", wake=standin.wake_sleepers)
        self.standin = standin
        self.base_url = f"{self.url}/api/"  # WebClient wants the trailing slash

    def response_url(self, token: str) -> str:
        """A response_url pointing at this server (Bolt's `respond()` posts to it)."""
        return f"{self.url}/response/{token}"


class _StandInRequestHandler(LoopbackHandler):
    protocol_version = (
        "HTTP/1.1"  # keeps connections open for clients that reuse them, as Slack does
    )

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        body = self.read_body()
        headers = dict(self.headers.items())
        standin = self.server.standin
        route, _, rest = split.path.lstrip("/").partition("/")
        rest = unquote(rest)
        if route == "api" and rest:
            status, out_headers, out = standin.handle_http(rest, split.query, body, headers)
        elif route == "upload" and rest:
            status, out_headers, out = standin.handle_upload(rest, body, headers)
        elif route == "files" and rest and self.command == "GET":
            status, out_headers, out = standin.file_download(rest.partition("/")[0])
        elif route == "response" and rest and self.command == "POST":
            status, out_headers, out = standin.handle_response_url(rest, body, headers)
        else:
            status, out_headers, out = 404, dict(TEXT_HEADERS), b"not_found"
        self.answer(status, out_headers, out)


# --- helpers -------------------------------------------------------------------------------------


def dm_channel_id(user_id: str) -> str:
    """The id of the bot's DM with a user: "D" + the user id without its U/W prefix."""
    return "D" + user_id[1:]


def _error(error: str, messages: list[str]) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        answer["response_metadata"] = {"messages": [f"[ERROR] {message}" for message in messages]}
    return answer


def _encode(body: dict[str, Any] | str) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return ""


def _bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = _header(headers, "authorization").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Arguments from a request body, the three ways Slack accepts them."""
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"body is not valid JSON ({exc})") from exc
        if not isinstance(parsed, dict):
            raise ValueError("JSON body must be an object")
        return parsed
    if kind == "multipart/form-data":
        return _parse_multipart(body, content_type)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _multipart_parts(body: bytes, content_type: str) -> Iterator[tuple[str, str | None, bytes]]:
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(envelope)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            yield name, part.get_filename(), payload


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    return {
        name: payload if filename else payload.decode("utf-8")
        for name, filename, payload in _multipart_parts(body, content_type)
    }


def _uploaded_bytes(body: bytes, content_type: str) -> bytes:
    """A file's bytes: the raw body, or the file part of a multipart body."""
    if content_type.lower().startswith("multipart/form-data"):
        for _name, filename, payload in _multipart_parts(body, content_type):
            if filename is not None:
                return payload
    return body


def _json_arg(value: Any) -> Any:
    """An argument form-encoded calls send as a JSON string (blocks, view, files), decoded."""
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _int_arg(value: Any, *, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _id_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value if item]
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return []


def _has_content(args: Mapping[str, Any]) -> bool:
    return any(
        args.get(name) not in (None, "", "[]", []) for name in ("text", "blocks", "attachments")
    )


@dataclass(frozen=True)
class _TimeWindow:
    """`oldest`/`latest`/`inclusive` of a history call: the ends are left out unless inclusive."""

    oldest: Decimal
    latest: Decimal | None
    inclusive: bool

    @classmethod
    def of(cls, args: Mapping[str, Any]) -> _TimeWindow:
        """The window a call asks for (Slack's defaults: from 0 to now)."""
        latest = args.get("latest")
        return cls(
            oldest=_ts_arg(args.get("oldest") or "0", error="invalid_ts_oldest"),
            latest=_ts_arg(latest, error="invalid_ts_latest") if latest else None,
            inclusive=_truthy(args.get("inclusive")),
        )

    def holds(self, ts: str) -> bool:
        """Whether a message of this ts is in the window."""
        at = Decimal(ts)
        if self.inclusive:
            return at >= self.oldest and (self.latest is None or at <= self.latest)
        return at > self.oldest and (self.latest is None or at < self.latest)


def _ts_arg(value: Any, *, error: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise SlackError(error) from exc


def _encode_ts_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _decode_ts_cursor(cursor: Any, stamps: list[Decimal], *, newest_first: bool) -> int:
    """Where the page a cursor names starts (the message it names may have gone: the next one)."""
    if not cursor:
        return 0
    try:
        digits = base64.b64decode(str(cursor), validate=True).decode().removeprefix("next_ts:")
        wanted = Decimal(f"{digits[:-6]}.{digits[-6:]}")
    except (binascii.Error, UnicodeDecodeError, InvalidOperation) as exc:
        raise SlackError("invalid_cursor") from exc
    for index, ts in enumerate(stamps):
        if (ts <= wanted) if newest_first else (ts >= wanted):
            return index
    return len(stamps)


def _encode_cursor(user_id: str) -> str:
    return base64.b64encode(f"user:{user_id}".encode()).decode()


def _decode_cursor(cursor: Any, ids: list[str]) -> int:
    if not cursor:
        return 0
    try:
        user_id = base64.b64decode(str(cursor), validate=True).decode().removeprefix("user:")
        return ids.index(user_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise SlackError("invalid_cursor") from exc


def _zone_label_and_offset(tz: str, at: float) -> tuple[str, int]:
    try:
        moment = datetime.fromtimestamp(at, tz=UTC).astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC", 0
    offset = moment.utcoffset()
    return moment.tzname() or tz, int(offset.total_seconds()) if offset else 0


def _mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
