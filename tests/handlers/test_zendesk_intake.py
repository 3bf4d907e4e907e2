"""A Zendesk ticket escalated by a trigger: signed delivery → stored → filed as a Slack card, once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db import Database
from bot.models import Escalation, ZendeskDelivery
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.workspace.zendesk import RunningZendesk
from bot.zendesk.payload import MAX_BODY_BYTES
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN
from tests.support.flows import (
    ESCALATION_CHANNEL,
    card_field,
    card_texts,
    escalation,
    escalation_count,
    resolve_via_modal,
    thread_lines,
)
from tests.support.slack import SlackDriver
from tests.support.zendesk import deliver, signed_headers, ticket_body, zendesk_settings


@pytest.fixture
def settings(settings: Settings, zendesk_server: RunningZendesk) -> Settings:
    return zendesk_settings(
        settings, api_url=zendesk_server.url, email=ZENDESK_EMAIL, token=ZENDESK_TOKEN
    )


def deliveries(db: Database) -> list[ZendeskDelivery]:
    with db.session() as session:
        return list(session.exec(select(ZendeskDelivery).order_by(ZendeskDelivery.id)).all())


def the_card(slack: SlackDriver, index: int = 0):  # type: ignore[no-untyped-def]
    cards = slack.channel(ESCALATION_CHANNEL)
    assert len(cards) > index, f"{len(cards)} cards"
    return cards[index]


def test_a_signed_delivery_files_an_escalation_with_its_card(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    response = deliver(slack, ticket_body(), at=clock.now())
    assert (response.status, response.body) == (202, "accepted\n")
    card = the_card(slack)
    assert card_field(card, "Zendesk") == "<https://acme.zendesk.com/agent/tickets/4711|#4711>"
    assert card_field(card, "End user") == "`u-1001`"
    assert card_field(card, "Product") == "Family Album"
    assert card_field(card, "Assignee") == "<@U0HANAKO>"
    assert card_field(card, "Filed by").startswith("<@U0CS>")  # the agent, matched by email
    filed = escalation(db)
    assert (filed.source, filed.filed_by, filed.zendesk_ticket_id) == ("zendesk", "U0CS", 4711)
    assert filed.summary == "Login fails after password reset"
    # The agent is told in Slack, privately.
    [notice] = slack.standin.dms("U0CS")
    assert "escalated Zendesk ticket" in notice.text
    assert "ESC-1" in notice.text
    assert [d.outcome for d in deliveries(db)] == ["filed"]


def test_a_repeated_delivery_is_acknowledged_and_ignored(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    body = ticket_body()
    first = deliver(slack, body, at=clock.now(), invocation_id="8350205582")
    again = deliver(slack, body, at=clock.now() + timedelta(seconds=30), invocation_id="8350205582")
    assert (first.status, again.status, again.body) == (202, 200, "already received\n")
    assert escalation_count(db) == 1
    assert len(deliveries(db)) == 1
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1


def test_another_delivery_for_an_open_escalation_links_to_it(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    deliver(slack, ticket_body(), at=clock.now())
    clock.advance(timedelta(minutes=20))
    response = deliver(slack, ticket_body(priority="Urgent"), at=clock.now())
    assert response.status == 202
    assert escalation_count(db) == 1
    card = the_card(slack)
    assert any("Updated in Zendesk (ticket #4711)" in line for line in thread_lines(slack, card))
    assert [d.outcome for d in deliveries(db)] == ["filed", "linked"]


def test_slack_is_asked_once_per_agent_address_found_or_not(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    for ticket_id in (4711, 4712):
        deliver(slack, ticket_body(ticket_id, agent_email="CS-Agent@example.com"), at=clock.now())
    for ticket_id in (4713, 4714):
        deliver(
            slack, ticket_body(ticket_id, agent_email="nobody@elsewhere.example"), at=clock.now()
        )
    asked = [c.args.get("email") for c in slack.standin.calls_to("users.lookupByEmail")]
    assert sorted(asked) == ["cs-agent@example.com", "nobody@elsewhere.example"]
    with db.session() as session:
        filers = session.exec(select(Escalation.filed_by).order_by(Escalation.id)).all()
    assert list(filers) == ["U0CS", "U0CS", "", ""]


def test_once_resolved_the_ticket_can_be_escalated_again(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    deliver(slack, ticket_body(), at=clock.now())
    resolve_via_modal(slack, the_card(slack), user="U0HANAKO")
    clock.advance(timedelta(days=1))
    deliver(slack, ticket_body(title="Login fails again"), at=clock.now())
    assert escalation_count(db) == 2
    assert escalation(db, 2).summary == "Login fails again"


def test_the_slo_starts_when_the_ticket_was_escalated(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    escalated = clock.now() - timedelta(minutes=40)
    deliver(slack, ticket_body(escalated_at=escalated), at=clock.now())
    filed = escalation(db)
    assert filed.filed_at == escalated.replace(second=0, microsecond=0)
    assert filed.slo_running_since == filed.filed_at


def test_what_does_not_map_is_filed_with_defaults_and_named_on_the_card(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    deliver(
        slack,
        ticket_body(product="spaceship", priority="Critical", category="", external_id=""),
        at=clock.now(),
    )
    filed = escalation(db)
    assert (filed.product, filed.priority, filed.end_user_id) == ("album", "P2", "taro@example.com")
    line = next(t for t in card_texts(the_card(slack)) if "not understood" in t)
    assert "Product “spaceship” (filed as Family Album)" in line
    assert "Priority “Critical” (filed as P2)" in line


def test_an_agent_slack_does_not_know_is_named_and_the_cs_channel_told(
    policy_text: str,
    settings: Settings,
    db: Database,
    clock: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    policy = parse_policy(policy_text + '\n[zendesk]\ncs_channel = "C0SUPPORT"\n', source="cs.toml")
    slack = _driver_with(request, policy)
    deliver(
        slack,
        ticket_body(agent_name="Yuki <Tanaka>", agent_email="yuki@elsewhere.example"),
        at=clock.now(),
    )
    filed = escalation(db)
    assert (filed.filed_by, filed.filer_name) == ("", "Yuki <Tanaka>")
    assert card_field(the_card(slack), "Filed by").startswith("Yuki &lt;Tanaka&gt; (Zendesk)")
    [told] = slack.channel("C0SUPPORT")
    assert "Yuki &lt;Tanaka&gt; (Zendesk) escalated Zendesk ticket" in told.text


def _driver_with(request: pytest.FixtureRequest, policy: Policy) -> SlackDriver:
    """The `slack` fixture, on another policy."""
    from bot.runtime import Runtime, make_web_client
    from tests.conftest import drive_app
    from tests.support.slack import TrackingExecutor

    settings: Settings = request.getfixturevalue("settings")
    runtime = Runtime(
        settings=settings,
        policy=policy,
        db=request.getfixturevalue("db"),
        client=make_web_client(settings.bot_token(), base_url=settings.slack_api_url),
        clock=request.getfixturevalue("clock"),
    )
    executor = TrackingExecutor()
    request.addfinalizer(lambda: executor.shutdown(wait=True))
    return drive_app(
        runtime,
        standin=request.getfixturevalue("standin"),
        server=request.getfixturevalue("slack_server"),
        executor=executor,
    )


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"headers": {"X-Zendesk-Webhook-Signature": "bm90IGl0"}}, 401, "does not match"),
        ({"headers": {"X-Zendesk-Webhook-Signature": ""}}, 401, "not signed"),
        ({"sign_at": timedelta(minutes=-6)}, 401, "more than 5 minutes"),
        ({"body": b"ticket=4711"}, 400, "not JSON"),
        ({"body": b'{"ticket": {"title": "no id"}}'}, 422, "not a ticket number"),
        ({"body": b'{"type": "zen:event-type:ticket.created"}'}, 422, "event webhooks"),
        ({"body": b"[]"}, 422, "not a JSON object"),
        ({"body": b" " * (MAX_BODY_BYTES + 1)}, 413, "larger than 256 KiB"),
    ],
)
def test_bad_deliveries_get_a_4xx_with_a_reason_and_write_nothing(
    slack: SlackDriver,
    db: Database,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, object],
    status: int,
    reason: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = change.get("body", ticket_body(email="private.person@example.com"))
    assert isinstance(body, bytes)
    sign_at = clock.now() + change.get("sign_at", timedelta(0))  # type: ignore[operator]
    response = deliver(slack, body, at=sign_at, headers=change.get("headers"))  # type: ignore[arg-type]
    assert response.status == status
    assert reason in response.body
    assert response.body.count("\n") == 1
    assert deliveries(db) == []
    assert escalation_count(db) == 0
    assert "private.person" not in caplog.text
    assert "Login fails" not in caplog.text


def test_only_post_is_accepted_and_an_unset_secret_means_no_route(
    slack: SlackDriver, clock: ManualClock
) -> None:
    body = ticket_body()
    response = slack.post(
        body.decode(),
        content_type="application/json",
        headers=signed_headers(body, at=clock.now()),
        sign=False,
        path="/zendesk/webhook",
        method="GET",
    )
    assert response.status == 405
    slack.wsgi.zendesk = None  # type: ignore[attr-defined]
    assert deliver(slack, body, at=clock.now()).status == 404


def test_in_socket_mode_the_http_front_still_serves_the_webhook(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    """Slack's requests come over the WebSocket; Zendesk's still come to $PORT."""
    http_front = slack.wsgi
    slack.wsgi = SlackWsgiApp(  # as `crebot serve` builds it in Socket Mode
        app=None,
        db=db,
        signing_secret=None,
        health_checks={"socket_mode": lambda: True},
        zendesk=http_front.zendesk,  # type: ignore[attr-defined]
    )
    assert slack.post("command=/cre", path="/slack/events").status == 404
    response = deliver(slack, ticket_body(), at=clock.now())
    assert (response.status, response.body) == (202, "accepted\n")
    assert escalation(db).zendesk_ticket_id == 4711
    assert card_field(the_card(slack), "Zendesk") is not None


def test_a_burst_for_one_ticket_files_it_once(
    slack: SlackDriver, db: Database, clock: ManualClock
) -> None:
    body = ticket_body()
    ids = [f"inv-{n % 15}" for n in range(20)]  # 15 distinct deliveries, 5 of them sent twice
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(
                lambda i: deliver(slack, body, at=clock.now(), invocation_id=i, drain=False), ids
            )
        )
    slack.executor.drain()
    assert sorted(a.status for a in answers) == [200] * 5 + [202] * 15
    assert escalation_count(db) == 1
    assert sorted(d.outcome for d in deliveries(db)) == ["filed"] + ["linked"] * 14
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1


def test_a_delivery_stored_but_not_processed_is_picked_up_by_the_job(
    slack: SlackDriver, runtime: Runtime, db: Database, clock: ManualClock
) -> None:
    webhook = runtime.zendesk.webhook
    assert webhook is not None
    webhook.on_stored = lambda _id: None  # the process died right after answering
    assert deliver(slack, ticket_body(), at=clock.now()).status == 202
    assert escalation_count(db) == 0
    assert [d.status for d in deliveries(db)] == ["pending"]
    outcome = run_job(runtime=runtime, name="zendesk", at=clock.now())
    assert outcome.startswith("1 filed, 0 linked")
    assert escalation_count(db) == 1
    assert [d.outcome for d in deliveries(db)] == ["filed"]
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1
