"""The buttons on a /lookup answer: Escalate for this user, Add note, and the lead's Reveal."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import col, select

from bot.blocks.ids import ActionId
from bot.db import Database
from bot.models import LookupAudit, UserNote
from bot.workspace.webapi import Message
from handlers.payload import slack_response_url
from tests.support.db import table_missing
from tests.support.slack import SlackDriver


def _answer_for(slack: SlackDriver, user: str, text: str = "u-1001") -> Message:
    """Run /lookup as `user` and return the ephemeral answer they see."""
    slack.command("/lookup", text, user=user)
    return _ephemeral(slack, user)


def _ephemeral(slack: SlackDriver, user: str) -> Message:
    mine = [
        m
        for m in slack.standin.channel_messages("C0SUPPORT", visible_to=user)
        if m.ephemeral_for == user
    ]
    assert mine, f"{user} sees no ephemeral message"
    return mine[-1]


def _shown(message: Message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _audit(db: Database) -> list[tuple[str, str, bool]]:
    with db.session() as session:
        rows = session.exec(select(LookupAudit).order_by(col(LookupAudit.id))).all()
        return [(row.actor_id, row.outcome, row.revealed) for row in rows]


def test_escalate_for_this_user_opens_the_modal_prefilled_with_the_user(
    slack: SlackDriver,
) -> None:
    answer = _answer_for(slack, "U0HANAKO", "taro.yamada@example.jp")

    slack.click(answer, ActionId.LOOKUP_ESCALATE, user="U0HANAKO")

    view = slack.last_view()
    assert view["callback_id"] == "escalate"
    assert _input(view, "end_user_id")["element"]["initial_value"] == "u-1001"


def test_add_note_opens_the_modal_saves_the_note_and_shows_it(slack: SlackDriver) -> None:
    answer = _answer_for(slack, "U0HANAKO")

    slack.click(answer, ActionId.LOOKUP_ADD_NOTE, user="U0HANAKO")
    view = slack.last_view()
    assert view["callback_id"] == "lookup_note"
    response = slack.submit(
        view, {"note": "Two devices: the old iPad keeps the session alive."}, user="U0HANAKO"
    )

    assert response.status == 200
    confirmation = slack.standin.responses[-1][1]
    assert confirmation["response_type"] == "ephemeral"
    assert "Note saved to the chart of `u-1001`" in confirmation["text"]
    assert "the old iPad keeps the session alive" in json.dumps(confirmation["blocks"])
    again = _answer_for(slack, "U0KENJI")
    assert "the old iPad keeps the session alive" in _shown(again)
    assert "<@U0HANAKO>" in _shown(again)


def test_an_empty_note_is_refused_in_the_modal(slack: SlackDriver, db: Database) -> None:
    slack.click(_answer_for(slack, "U0HANAKO"), ActionId.LOOKUP_ADD_NOTE, user="U0HANAKO")

    response = slack.submit(slack.last_view(), {"note": "   "}, user="U0HANAKO")

    assert response.json() == {"response_action": "errors", "errors": {"note": "This is required."}}
    with db.session() as session:
        assert session.exec(select(UserNote)).all() == []


def test_a_note_with_a_nul_is_refused_in_the_modal_on_every_database(
    slack: SlackDriver, db: Database
) -> None:
    slack.click(_answer_for(slack, "U0HANAKO"), ActionId.LOOKUP_ADD_NOTE, user="U0HANAKO")

    response = slack.submit(slack.last_view(), {"note": "old iPad\x00"}, user="U0HANAKO")

    assert response.json()["errors"]["note"].startswith(
        "This text contains an invisible control character (U+0000)"
    )
    with db.session() as session:
        assert session.exec(select(UserNote)).all() == []


def test_a_note_by_someone_not_allowed_is_refused_and_the_refusal_audited(
    slack: SlackDriver, db: Database
) -> None:
    answer = _answer_for(slack, "U0HANAKO")
    slack.click(answer, ActionId.LOOKUP_ADD_NOTE, user="U0OTHER")

    response = slack.submit(slack.last_view(), {"note": "I should not"}, user="U0OTHER")

    assert response.status == 200
    [refusal] = [m.text for m in slack.standin.dms("U0OTHER")]
    assert refusal == (
        "You are not allowed to look up end users; ask the lead for access. "
        "This attempt was recorded."
    )
    assert _audit(db) == [("U0HANAKO", "shown", False), ("U0OTHER", "note_refused", False)]
    with db.session() as session:
        assert session.exec(select(UserNote)).all() == []
        [row] = session.exec(select(LookupAudit).where(LookupAudit.actor_id == "U0OTHER")).all()
    assert row.end_user_id == "u-1001"


@pytest.fixture
def catcher() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that records every request: somewhere the bot must not post."""
    received: list[str] = []

    class Record(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/steal", received
    server.shutdown()
    server.server_close()


def test_a_forged_confirmation_url_in_the_note_modal_is_never_posted_to(
    slack: SlackDriver, db: Database, catcher: tuple[str, list[str]]
) -> None:
    url, received = catcher
    slack.click(_answer_for(slack, "U0HANAKO"), ActionId.LOOKUP_ADD_NOTE, user="U0HANAKO")
    view = slack.last_view()
    view["private_metadata"] = json.dumps({"user": "u-1001", "response_url": url})
    responses_before = len(slack.standin.responses)

    response = slack.submit(view, {"note": "Secret reasoning about u-1001"}, user="U0HANAKO")

    assert response.status == 200
    assert received == []
    assert len(slack.standin.responses) == responses_before
    with db.session() as session:
        [note] = session.exec(select(UserNote)).all()
    assert note.text == "Secret reasoning about u-1001"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0/1/abc", True),
        ("https://hooks.slack-gov.com/actions/T0/1/abc", True),
        ("https://hooks.slack.com:443/actions/T0/1/abc", True),
        ("http://hooks.slack.com/actions/T0/1/abc", False),
        ("https://hooks.slack.com:8443/actions/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/hooks.slack.com/actions", False),
        ("https://user@hooks.slack.com/actions", False),
        ("https://hooks.slack.com:99999/x", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
        ("http://127.0.0.1:4000/response/x", True),  # the configured SLACK_API_URL's host
        ("http://127.0.0.1:4001/response/x", False),
    ],
)
def test_only_slacks_hooks_host_counts_as_a_response_url(url: str | None, allowed: bool) -> None:
    found = slack_response_url(url, api_url="http://127.0.0.1:4000/api/")

    assert (found == url) if allowed else found is None


def test_the_lead_reveals_personal_data_in_place_and_it_is_audited(
    slack: SlackDriver, db: Database
) -> None:
    answer = _answer_for(slack, "U0LEAD")
    assert "taro.yamada@example.jp" not in _shown(answer)

    slack.click(answer, ActionId.LOOKUP_REVEAL, user="U0LEAD")

    revealed = _ephemeral(slack, "U0LEAD")
    assert revealed.ts == answer.ts  # the answer was replaced, not added to
    assert revealed.updated_count == 1
    assert "taro.yamada@example.jp" in _shown(revealed)
    assert "090-1234-5678" in _shown(revealed)
    assert "shown for this look-up only" in _shown(revealed)
    assert _audit(db) == [("U0LEAD", "shown", False), ("U0LEAD", "revealed", True)]


def test_only_the_lead_is_offered_the_reveal(slack: SlackDriver) -> None:
    answer = _answer_for(slack, "U0HANAKO")

    action_ids = [
        element["action_id"]
        for block in answer.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert ActionId.LOOKUP_REVEAL not in action_ids


def test_a_forged_reveal_by_someone_else_is_refused_and_audited(
    slack: SlackDriver, db: Database
) -> None:
    lead_answer = _answer_for(slack, "U0LEAD")

    slack.click(lead_answer, ActionId.LOOKUP_REVEAL, user="U0HANAKO")

    refusal = _ephemeral(slack, "U0HANAKO")
    assert "Only the lead can reveal personal data" in refusal.text
    assert "taro.yamada@example.jp" not in "".join(slack.responses_text())
    assert _audit(db) == [("U0LEAD", "shown", False), ("U0HANAKO", "reveal_refused", False)]


def test_a_database_error_saving_a_note_logs_neither_the_note_nor_the_user(
    slack: SlackDriver, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # the default LOG_LEVEL
    slack.click(_answer_for(slack, "U0HANAKO"), ActionId.LOOKUP_ADD_NOTE, user="U0HANAKO")
    caplog.clear()

    with table_missing(db.engine, "user_note"):
        response = slack.submit(
            slack.last_view(), {"note": "Confided: divorce, two accounts."}, user="U0HANAKO"
        )

    assert response.status == 200
    logged = caplog.text  # with the tracebacks and the database's error text
    assert "user_note" in logged
    assert "OperationalError" in logged or "ProgrammingError" in logged
    for personal in ("u-1001", "Confided", "divorce"):
        assert personal not in logged
