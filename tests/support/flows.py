"""What users do in Slack, in a line each, and how to read what they then see (for handler tests)."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import col, select

from bot.db import Database
from bot.models import Escalation, EscalationEvent, Outbox
from bot.policy import Policy, parse_policy
from bot.workspace.webapi import Message, RecordedCall
from tests.support.slack import APP_ID, TEAM_ID, Response, SlackDriver, overlay, sample

ESCALATION_CHANNEL = "C0ESCALATE"
SUMMARY = "Login fails after password reset"
# What a CS agent picks in the modal unless a test says otherwise (covered by U0HANAKO and U0KENJI).
DEFAULT_VALUES: dict[str, str | None] = {
    "end_user_id": "u-1001",
    "product": "album",
    "category": "login",
    "priority": "P2",
}


# -- requests as they reach the app ----------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP request the app received (its decoded body) and what it answered."""

    path: str
    method: str
    body: dict[str, Any]
    status: int
    response_body: str


@dataclass
class RequestLog:
    """Every request that went through the driver's WSGI app, in order (safe across threads)."""

    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def last_body(self) -> dict[str, Any]:
        """The decoded body of the most recent request."""
        with self.lock:
            assert self.exchanges, "no request was sent"
            return self.exchanges[-1].body

    def server_errors(self) -> list[Exchange]:
        """Answers a 5xx or carrying a traceback: Slack must never see either."""
        with self.lock:
            return [
                e
                for e in self.exchanges
                if e.status >= 500 or "Traceback" in e.response_body or 'File "' in e.response_body
            ]


def record_requests(slack: SlackDriver) -> RequestLog:
    """Wrap the driver's WSGI app so every request body and answer is remembered."""
    log = RequestLog()
    inner = slack.wsgi

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(raw)
        captured: dict[str, int] = {}

        def capture(status: str, headers: list[tuple[str, str]]) -> Any:
            captured["status"] = int(status.split()[0])
            return start_response(status, headers)

        chunks = list(inner(environ, capture))
        exchange = Exchange(
            path=str(environ.get("PATH_INFO")),
            method=str(environ.get("REQUEST_METHOD")),
            body=_decode_body(raw, str(environ.get("CONTENT_TYPE") or "")),
            status=captured["status"],
            response_body=b"".join(chunks).decode("utf-8", "replace"),
        )
        with log.lock:
            log.exchanges.append(exchange)
        return chunks

    slack.wsgi = recording
    return log


def _decode_body(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    try:
        if content_type.startswith("application/json"):
            decoded = json.loads(text)
            return decoded if isinstance(decoded, dict) else {"_raw": text}
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        if "payload" in form:
            decoded = json.loads(form["payload"])
            return decoded if isinstance(decoded, dict) else {"_raw": text}
        return form
    except ValueError:
        return {"_raw": text}


def assert_acked(response: Response) -> None:
    """Slack got a plain 200 ack (an empty body closes a modal / shows nothing)."""
    assert response.status == 200, (response.status, response.body)
    assert response.body == "", response.body


# -- policies ----------------------------------------------------------------------------------------


def policy_from(
    policy_text: str, *, strategy: str | None = None, engineers: Sequence[str] = ()
) -> Policy:
    """The test policy with the assignment strategy replaced and extra all-round engineers added."""
    text = policy_text
    if strategy is not None:
        text, replaced = re.subn(r'strategy = "[^"]*"', f'strategy = "{strategy}"', text)
        assert replaced == 1, "the test policy has no assignment strategy to replace"
    for user in engineers:
        text += f'\n[[roster.engineers]]\nuser = "{user}"\nname = "{user.lower()}"\n'
    return parse_policy(text, source="tests/fixtures/policy.toml (edited)")


# -- filing ----------------------------------------------------------------------------------------


def opened_view(slack: SlackDriver) -> tuple[dict[str, Any], str]:
    """The most recently opened modal and the view id Slack gave it."""
    calls = slack.standin.calls_to("views.open")
    assert calls, "no modal was opened"
    answer = calls[-1].response
    assert isinstance(answer, dict), answer
    assert answer.get("ok"), answer
    return slack.last_view(), str(answer["view"]["id"])


def submit_escalation(
    slack: SlackDriver,
    *,
    summary: str | None = None,
    user: str = "U0CS",
    values: Mapping[str, str | None] | None = None,
    **kwargs: Any,
) -> Response:
    """Submit the most recently opened escalation modal with the default choices (and overrides)."""
    view, view_id = opened_view(slack)
    filled: dict[str, str | None] = {**DEFAULT_VALUES, **(values or {})}
    if summary is not None:
        filled["summary"] = summary
    return slack.submit(view, filled, user=user, view_id=view_id, **kwargs)


def file_via_modal(
    slack: SlackDriver,
    *,
    summary: str = SUMMARY,
    user: str = "U0CS",
    values: Mapping[str, str | None] | None = None,
) -> Message:
    """`/escalate <summary>`, fill the modal, submit: returns the card posted to the channel."""
    before = {m.ts for m in slack.channel(ESCALATION_CHANNEL)}
    assert_acked(slack.command("/escalate", summary, user=user))
    assert_acked(submit_escalation(slack, user=user, values=values))
    new = [m for m in slack.channel(ESCALATION_CHANNEL) if m.ts not in before]
    assert len(new) == 1, f"expected one new card, got {len(new)}"
    return new[0]


def resolve_via_modal(
    slack: SlackDriver,
    card: Message,
    *,
    user: str,
    cause: str = "bug",
    answer: str = "Fixed: the reset token expired too early.",
    note: str = "Token TTL was 1 minute.",
    **kwargs: Any,
) -> Response:
    """Press Resolve on the card and submit the resolution modal."""
    assert_acked(slack.click(card, "esc.resolve", user=user))
    view, view_id = opened_view(slack)
    assert view["callback_id"] == "resolve"
    return slack.submit(
        view, {"cause": cause, "answer": answer, "note": note}, user=user, view_id=view_id, **kwargs
    )


def wait_on_cs(
    slack: SlackDriver, card: Message, *, user: str, question: str = "", **kwargs: Any
) -> Response:
    """Press Waiting on CS on the card and submit its question modal (the question may be empty)."""
    assert_acked(slack.click(card, "esc.wait_question", user=user))
    view, view_id = opened_view(slack)
    assert view["callback_id"] == "wait_question"
    return slack.submit(view, {"question": question}, user=user, view_id=view_id, **kwargs)


# -- interactions the driver has no verb for -----------------------------------------------------


def block_action(
    slack: SlackDriver, card: Message, action: Mapping[str, Any], *, user: str, **kwargs: Any
) -> Response:
    """A hand-made block action (forged or stale ids and values) on a message."""
    full = {"action_ts": f"{time.time():.6f}", **action}
    return slack.post_payload(slack.block_actions_payload(card, full, user=user), **kwargs)


def click_in_home(
    slack: SlackDriver, view: Mapping[str, Any], action_id: str, *, user: str, **kwargs: Any
) -> Response:
    """A user presses a button on their App Home tab or in a modal (a view container: no
    channel, no response_url)."""
    element, block_id = _element(view.get("blocks") or [], action_id)
    base = sample("app-backend/interactive-components/BlockActionPayload.json")
    payload = overlay(
        {k: v for k, v in base.items() if k not in ("enterprise", "message", "channel", "state")},
        {
            "team": {"id": TEAM_ID, "domain": "crebot"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "container": {"type": "view", "view_id": view.get("id", "")},
            "trigger_id": f"trigger-{uuid.uuid4().hex}",
            "view": {k: v for k, v in view.items() if k != "state"} | {"state": {"values": {}}},
            "actions": [
                {
                    "type": element["type"],
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": element.get("value", ""),
                    "text": element.get("text"),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
            "is_enterprise_install": False,
        },
    )
    payload["container"] = {"type": "view", "view_id": view.get("id", "")}
    for key in ("response_url", "bot_access_token", "function_data", "interactivity", "app_unfurl"):
        payload.pop(key, None)
    return slack.post_payload(payload, **kwargs)


def _element(blocks: Sequence[Mapping[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        accessory = [block["accessory"]] if block.get("accessory") else []
        for element in block.get("elements") or accessory:
            if element.get("action_id") == action_id:
                return dict(element), str(block.get("block_id", ""))
    raise AssertionError(f"no element {action_id!r} in the view")


# -- reading what people see -----------------------------------------------------------------------


def card_texts(card: Message) -> list[str]:
    """Every text in a message's blocks (sections, fields, context), in order."""
    return texts_in(card.blocks)


def texts_in(blocks: Any) -> list[str]:
    """Every text object's text in some Block Kit JSON, in order."""
    return list(_texts(blocks))


def _texts(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def card_field(card: Message, label: str) -> str:
    """The value of a labelled field on the card ("*Status*\\n…" → "…")."""
    for text in card_texts(card):
        if text.startswith(f"*{label}*\n"):
            return text.split("\n", 1)[1]
    raise AssertionError(f"no field {label!r} on the card: {card_texts(card)}")


def card_actions(card: Message) -> list[str]:
    """The action ids of the card's buttons and selects."""
    return [
        element["action_id"]
        for block in card.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def thread_lines(slack: SlackDriver, card: Message) -> list[str]:
    """The texts of the replies in a card's thread, oldest first."""
    return [m.text for m in slack.standin.thread(card.channel, card.ts) if m.ts != card.ts]


def card_updates(slack: SlackDriver, card: Message) -> list[RecordedCall]:
    """Successful chat.update calls on this card."""
    return [
        call
        for call in slack.standin.calls_to("chat.update")
        if call.args.get("ts") == card.ts
        and call.args.get("channel") == card.channel
        and isinstance(call.response, dict)
        and call.response.get("ok")
    ]


def card_posts(slack: SlackDriver) -> list[RecordedCall]:
    """Successful top-level chat.postMessage calls to the escalation channel (the cards)."""
    return [
        call
        for call in slack.standin.calls_to("chat.postMessage")
        if call.args.get("channel") == ESCALATION_CHANNEL
        and not call.args.get("thread_ts")
        and isinstance(call.response, dict)
        and call.response.get("ok")
    ]


def ephemeral_replies(slack: SlackDriver) -> list[str]:
    """Texts posted to response URLs as ephemeral replies, oldest first."""
    return [
        str(payload.get("text", ""))
        for _, payload in slack.standin.responses
        if payload.get("response_type", "ephemeral") == "ephemeral"
        and not payload.get("replace_original")
    ]


def everything_posted(slack: SlackDriver) -> str:
    """All text and blocks the bot showed anyone: messages, updates, replies, home tabs, DMs."""
    shown: list[Any] = []
    for call in slack.standin.calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            shown.append({"text": call.args.get("text"), "blocks": call.args.get("blocks")})
        elif call.method == "views.publish":
            shown.append(call.args.get("view"))
    shown.extend(payload for _, payload in slack.standin.responses)
    return json.dumps(shown, ensure_ascii=False)


# -- the database --------------------------------------------------------------------------------


def escalation(db: Database, escalation_id: int = 1) -> Escalation:
    """An escalation as the database has it now."""
    with db.session() as session:
        found = session.get(Escalation, escalation_id)
        assert found is not None, f"no escalation {escalation_id}"
        return found


def escalation_count(db: Database) -> int:
    """How many escalations exist."""
    with db.session() as session:
        return len(session.exec(select(Escalation.id)).all())


def event_kinds(db: Database, escalation_id: int = 1) -> list[str]:
    """The kinds of an escalation's timeline events, in order."""
    with db.session() as session:
        events = session.exec(
            select(EscalationEvent)
            .where(EscalationEvent.escalation_id == escalation_id)
            .order_by(col(EscalationEvent.id))
        ).all()
        return [e.kind for e in events]


def outbox_rows(db: Database, escalation_id: int = 1) -> list[Outbox]:
    """An escalation's promised Slack posts, in order."""
    with db.session() as session:
        return list(
            session.exec(
                select(Outbox).where(Outbox.escalation_id == escalation_id).order_by(col(Outbox.id))
            ).all()
        )


# -- watching one card change ----------------------------------------------------------------------


@dataclass(frozen=True)
class CardState:
    """How many times a card was updated and how long its thread was, at one moment."""

    updates: int
    lines: int
    cards: int


def watch(slack: SlackDriver, card: Message) -> CardState:
    """Remember the card's update count and thread length now."""
    return CardState(
        updates=len(card_updates(slack, card)),
        lines=len(thread_lines(slack, card)),
        cards=len(slack.channel(ESCALATION_CHANNEL)),
    )


def new_thread_lines(slack: SlackDriver, card: Message, since: CardState) -> list[str]:
    """Thread replies added since `since`."""
    return thread_lines(slack, card)[since.lines :]


def assert_updated_in_place_once(slack: SlackDriver, card: Message, since: CardState) -> str:
    """One chat.update of this very card, one new thread line, no new message: returns the line."""
    assert len(card_updates(slack, card)) == since.updates + 1, "expected one chat.update"
    assert len(slack.channel(ESCALATION_CHANNEL)) == since.cards, "a new message was posted"
    added = new_thread_lines(slack, card, since)
    assert len(added) == 1, f"expected one thread line, got {added}"
    return added[0]


def assert_unchanged(slack: SlackDriver, card: Message, since: CardState) -> None:
    """No chat.update, no thread line, no new message since `since`."""
    assert watch(slack, card) == since


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0) -> bool:
    """Wait until another thread makes `condition` true (or the deadline passes); its last value."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() >= deadline:
            return condition()
        pause.wait(0.005)
    return True
