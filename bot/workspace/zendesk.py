"""A stand-in for Zendesk's Tickets API, served over real HTTP on loopback (tests, bench, local shell).

It keeps tickets (comments, tags, custom fields), records every request, and checks each one the
way Zendesk would: the path and method, the credentials, and the body (an internal note must be
private; Update Ticket must not carry `tags`, which would replace the ticket's others). What it
would refuse, and what real Zendesk would accept but cre-bot must never send, lands in `problems`.
It can be scripted to answer 429 with Retry-After, 5xx, or slowly (the change applied or not), and
can enforce Update Ticket's per-minute limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.workspace.loopback import LoopbackHandler, LoopbackServer, RunningLoopback

MAX_COMMENTS = 5000
UPDATE_TICKET = "update_ticket"
ADD_TAGS = "add_tags"
REMOVE_TAGS = "remove_tags"
LIST_COMMENTS = "list_comments"
SHOW_TICKET = "show_ticket"
ROUTES = {
    ("PUT", re.compile(r"^/api/v2/tickets/(\d+)\.json$")): UPDATE_TICKET,
    ("GET", re.compile(r"^/api/v2/tickets/(\d+)\.json$")): SHOW_TICKET,
    ("PUT", re.compile(r"^/api/v2/tickets/(\d+)/tags(?:\.json)?$")): ADD_TAGS,
    ("DELETE", re.compile(r"^/api/v2/tickets/(\d+)/tags(?:\.json)?$")): REMOVE_TAGS,
    ("GET", re.compile(r"^/api/v2/tickets/(\d+)/comments(?:\.json)?$")): LIST_COMMENTS,
}
WRITES = frozenset({UPDATE_TICKET, ADD_TAGS, REMOVE_TAGS})
_UPDATE_KEYS = frozenset({"comment", "custom_fields", "safe_update", "updated_stamp", "status"})


@dataclass
class Comment:
    """A comment on a ticket."""

    id: int
    body: str
    public: bool
    created_at: float


@dataclass
class Ticket:
    """A ticket as the stand-in keeps it."""

    id: int
    status: str = "open"
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    custom_fields: dict[int, Any] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """The bodies of its internal (private) comments, oldest first."""
        return [c.body for c in self.comments if not c.public]


@dataclass
class ZendeskCall:
    """One request the stand-in received, and what it answered."""

    route: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorized: bool
    status: int
    at: float


@dataclass(frozen=True)
class _Scripted:
    status: int
    retry_after: float | None
    delay: float
    applied: bool  # for a delay: whether the change is made before the late answer


class ZendeskStandIn:
    """Zendesk's Tickets API answered in-process, with its state, its checks and scripted trouble."""

    def __init__(
        self,
        *,
        email: str = "bot@example.com",
        api_token: str = "zendesk-api-token",  # noqa: S107 (a stand-in's own)
        oauth_token: str | None = None,
        clock: Callable[[], float] = time.time,
        update_limit: int | None = None,
        limit_period: float = 60.0,
        any_ticket: bool = False,
    ) -> None:
        self.email = email
        self.api_token = api_token
        self.oauth_token = oauth_token
        self.clock = clock
        self.tickets: dict[int, Ticket] = {}
        self.calls: list[ZendeskCall] = []
        self.problems: list[str] = []
        self.any_ticket = any_ticket  # every ticket number exists (the local shell's account)
        self.update_limit = update_limit
        self.limit_period = limit_period
        self._updates: deque[float] = deque()
        self._scripted: dict[str, deque[_Scripted]] = {}
        self._reject_until: dict[str, float] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._comment_id = 1000
        self.url = "http://127.0.0.1:0"

    # -- scripting and inspection ----------------------------------------------------------------

    def add_ticket(
        self, ticket_id: int, *, tags: list[str] | None = None, status: str = "open"
    ) -> Ticket:
        """Create (or replace) a ticket."""
        with self._lock:
            ticket = Ticket(ticket_id, status=status, tags=list(tags or []))
            self.tickets[ticket_id] = ticket
            return ticket

    def ticket(self, ticket_id: int) -> Ticket:
        """A ticket (KeyError if unknown)."""
        with self._lock:
            return self.tickets[ticket_id]

    def fail(
        self,
        route: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        delay: float = 0.0,
        applied: bool = False,
        times: int = 1,
    ) -> None:
        """Queue answers for a route: a status (429 with Retry-After, 5xx) or a delay (a timeout)."""
        if route not in set(ROUTES.values()):
            raise ValueError(f"unknown route {route!r}")
        if status == 200 and delay <= 0:
            raise ValueError("a scripted failure needs a non-200 status or a delay")
        with self._lock:
            self._scripted.setdefault(route, deque()).extend(
                [_Scripted(status, retry_after, delay, applied)] * times
            )

    def reject_for(self, route: str, seconds: float) -> None:
        """A 429 burst: for `seconds` from now every request to `route` is told to wait the rest."""
        with self._lock:
            self._reject_until[route] = self.clock() + seconds

    def calls_to(self, route: str) -> list[ZendeskCall]:
        """Recorded calls to one route, oldest first."""
        with self._lock:
            return [c for c in self.calls if c.route == route]

    def all_notes(self) -> list[tuple[int, str]]:
        """Every internal note on every ticket as (ticket id, body), in the order written."""
        with self._lock:
            notes = [
                (c.created_at, c.id, t.id, c.body)
                for t in self.tickets.values()
                for c in t.comments
                if not c.public
            ]
        return [(ticket_id, body) for _, _, ticket_id, body in sorted(notes)]

    # -- answering -------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request as Zendesk would."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        route, ticket_id = _route(method, parts.path)
        authorized = self._authorized(headers)
        body, body_problem = _body(raw, headers, method)
        status: int = HTTPStatus.OK
        out_headers: dict[str, str] = {}
        answer: dict[str, Any] = {}
        scripted = self._take(route) if route else None
        if scripted is None and route is not None:
            scripted = self._burst(route)
        if scripted is not None and scripted.status == 200 and not scripted.applied:
            self._wake.wait(scripted.delay)  # slow, and nothing done: a timeout before Zendesk
        if route is None:
            status, answer = HTTPStatus.NOT_FOUND, {"error": "InvalidEndpoint"}
            self._problem(f"{method} {parts.path}: no such endpoint")
        elif not authorized:
            status, answer = HTTPStatus.UNAUTHORIZED, {"error": "Couldn't authenticate you"}
            self._problem(f"{method} {parts.path}: bad or missing credentials")
        elif scripted is not None and scripted.status == 200 and not scripted.applied:
            status, answer = HTTPStatus.GATEWAY_TIMEOUT, {"error": "not applied"}
        elif scripted is not None and scripted.status != 200:
            status = scripted.status
            answer = {"error": HTTPStatus(status).phrase}
            if scripted.retry_after is not None:
                out_headers["Retry-After"] = str(int(scripted.retry_after))
        elif route in (UPDATE_TICKET, ADD_TAGS, REMOVE_TAGS) and self._over_limit():
            status, answer = HTTPStatus.TOO_MANY_REQUESTS, {"error": "TooManyRequests"}
            out_headers["Retry-After"] = str(max(1, int(self._limit_wait() + 0.999)))
            self._problem(f"{method} {parts.path}: over Update Ticket's {self.update_limit}/min")
        elif body_problem:
            status, answer = HTTPStatus.BAD_REQUEST, {"error": body_problem}
            self._problem(f"{method} {parts.path}: {body_problem}")
        else:
            assert ticket_id is not None
            status, answer = self._apply(route, ticket_id, body, query)
        if scripted is not None and scripted.status == 200 and scripted.applied:
            self._wake.wait(scripted.delay)  # done, but answered too late: the client timed out
        with self._lock:
            self.calls.append(
                ZendeskCall(
                    route or "unknown",
                    method,
                    parts.path,
                    query,
                    body,
                    authorized,
                    int(status),
                    self.clock(),
                )
            )
        data = json.dumps(answer).encode("utf-8")
        return int(status), {"Content-Type": "application/json; charset=utf-8", **out_headers}, data

    def _apply(
        self, route: str, ticket_id: int, body: Any, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            ticket = self.tickets.get(ticket_id)
            if ticket is None and self.any_ticket:
                ticket = self.tickets[ticket_id] = Ticket(ticket_id)
            if ticket is None:
                return HTTPStatus.NOT_FOUND, {"error": "RecordNotFound", "description": "Not found"}
            if route == LIST_COMMENTS:
                return HTTPStatus.OK, self._comments_page(ticket, query)
            if route == SHOW_TICKET:
                return HTTPStatus.OK, {"ticket": self._ticket_json(ticket)}
            if ticket.status == "closed":
                return HTTPStatus.UNPROCESSABLE_ENTITY, {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {
                        "status": [{"description": "Status: closed prevents ticket update"}]
                    },
                }
            if route == UPDATE_TICKET:
                return self._update(ticket, body["ticket"])
            tags = [str(t).lower() for t in body["tags"]]
            if route == ADD_TAGS:
                ticket.tags += [t for t in tags if t not in ticket.tags]
            else:
                ticket.tags = [t for t in ticket.tags if t not in tags]
            return HTTPStatus.OK, {"tags": list(ticket.tags)}

    def _update(self, ticket: Ticket, update: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        comment = update.get("comment")
        if comment is not None:
            if len(ticket.comments) >= MAX_COMMENTS:
                return HTTPStatus.UNPROCESSABLE_ENTITY, {
                    "error": "RecordInvalid",
                    "description": "too many comments",
                }
            self._comment_id += 1
            ticket.comments.append(
                Comment(
                    self._comment_id,
                    str(comment["body"]),
                    bool(comment.get("public", True)),
                    self.clock(),
                )
            )
        for item in update.get("custom_fields") or []:
            ticket.custom_fields[int(item["id"])] = item.get("value")
        if "status" in update:
            ticket.status = str(update["status"])
        return HTTPStatus.OK, {"ticket": self._ticket_json(ticket)}

    def _ticket_json(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "id": ticket.id,
            "status": ticket.status,
            "tags": list(ticket.tags),
            "custom_fields": [{"id": k, "value": v} for k, v in ticket.custom_fields.items()],
        }

    def _comments_page(self, ticket: Ticket, query: dict[str, str]) -> dict[str, Any]:
        order = query.get("sort_order", "asc")
        if order not in ("asc", "desc"):
            self._problem(f"list comments: sort_order {order!r} is not asc or desc")
        per_page = min(max(int(query.get("per_page") or 100), 1), 100)
        page = max(int(query.get("page") or 1), 1)
        comments = ticket.comments[::-1] if order == "desc" else list(ticket.comments)
        chunk = comments[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(comments)
        next_page = (
            f"{self.url}/api/v2/tickets/{ticket.id}/comments.json?sort_order={order}"
            f"&per_page={per_page}&page={page + 1}"
            if more
            else None
        )
        return {
            "comments": [
                {
                    "id": c.id,
                    "type": "Comment",
                    "body": c.body,
                    "plain_body": c.body,
                    "public": c.public,
                }
                for c in chunk
            ],
            "next_page": next_page,
            "previous_page": None,
            "count": len(comments),
        }

    def _authorized(self, headers: dict[str, str]) -> bool:
        given = _header(headers, "authorization")
        accepted = {
            "Basic " + base64.b64encode(f"{self.email}/token:{self.api_token}".encode()).decode()
        }
        if self.oauth_token:
            accepted.add(f"Bearer {self.oauth_token}")
        return given in accepted

    def _take(self, route: str) -> _Scripted | None:
        with self._lock:
            queue = self._scripted.get(route)
            return queue.popleft() if queue else None

    def _burst(self, route: str) -> _Scripted | None:
        with self._lock:
            left = self._reject_until.get(route, 0.0) - self.clock()
        if left <= 0:
            return None
        return _Scripted(HTTPStatus.TOO_MANY_REQUESTS, float(math.ceil(left)), 0.0, False)

    def _over_limit(self) -> bool:
        if self.update_limit is None:
            return False
        with self._lock:
            now = self.clock()
            while self._updates and self._updates[0] <= now - self.limit_period:
                self._updates.popleft()
            if len(self._updates) >= self.update_limit:
                return True
            self._updates.append(now)
            return False

    def _limit_wait(self) -> float:
        with self._lock:
            return self._updates[0] + self.limit_period - self.clock() if self._updates else 0.0

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def serve(self) -> RunningZendesk:
        """Start answering over HTTP on 127.0.0.1 (an ephemeral port) in a daemon thread."""
        httpd = LoopbackServer(_Handler, standin=self)
        self.url = httpd.url
        self._wake.clear()
        return RunningZendesk(self, httpd)


class RunningZendesk(RunningLoopback):
    """The stand-in served over HTTP; stop it (or leave its `with` block) when done."""

    def __init__(self, standin: ZendeskStandIn, httpd: LoopbackServer) -> None:
        super().__init__(httpd, name="zendesk-stand-in", wake=standin._wake.set)
        self.standin = standin


class _Handler(LoopbackHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        raw = self.read_body()
        self.answer(
            *self.server.standin.handle(self.command, self.path, dict(self.headers.items()), raw)
        )


def signature_headers(secret: str, body: bytes, *, at: float, invocation_id: str) -> dict[str, str]:
    """The headers Zendesk sends with a delivery: its signature over timestamp + body, and its ids."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode("ascii"),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Id": "01CREBOTLOCALSHELL",
        "X-Zendesk-Webhook-Invocation-Id": invocation_id,
    }


def _route(method: str, path: str) -> tuple[str | None, int | None]:
    for (verb, pattern), name in ROUTES.items():
        match = pattern.match(path)
        if match and verb == method:
            return name, int(match.group(1))
    return None, None


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _body(raw: bytes, headers: dict[str, str], method: str) -> tuple[Any, str | None]:
    """The JSON body and what is wrong with it for Zendesk (None if fine or not needed)."""
    if method == "GET":
        return None, None
    if not _header(headers, "content-type").startswith("application/json"):
        return None, "Content-Type must be application/json"
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "the body is not JSON"
    return body, _shape_problem(body)


def _shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if "tags" in body:
        tags = body["tags"]
        if (
            not isinstance(tags, list)
            or not tags
            or not all(isinstance(t, str) and t for t in tags)
        ):
            return '"tags" must be a non-empty list of strings'
        return None
    ticket = body.get("ticket")
    if not isinstance(ticket, dict):
        return 'Update Ticket needs {"ticket": {...}}'
    if "tags" in ticket:
        return "Update Ticket with tags replaces every tag on the ticket: use the tags endpoint"
    unknown = set(ticket) - _UPDATE_KEYS
    if unknown:
        return f"unexpected ticket keys: {', '.join(sorted(unknown))}"
    comment = ticket.get("comment")
    if comment is not None:
        if (
            not isinstance(comment, dict)
            or not isinstance(comment.get("body"), str)
            or not comment["body"].strip()
        ):
            return "a comment needs a non-empty body"
        if comment.get("public") is not False:
            return 'an internal note needs "public": false (a public comment emails the requester)'
    for item in ticket.get("custom_fields") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            return "custom_fields entries need a numeric id"
    if comment is None and "custom_fields" not in ticket:
        return "an update with nothing to change"
    return None
