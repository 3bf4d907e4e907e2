"""/cre <subcommand>: the team's everyday questions, answered ephemerally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond

from bot import assignment, escalations, presenter
from bot.blocks.digest import build_report, month_label
from bot.blocks.lookup import build_audit_list
from bot.dates import parse_user_date
from bot.digest import Month, month_figures
from bot.i18n import t
from bot.lookup import service as lookup
from bot.mrkdwn import escape
from bot.runtime import Runtime
from handlers.payload import runtime_of, user_id


@dataclass(frozen=True)
class Invocation:
    """One /cre call: who, with which words, and how to answer."""

    runtime: Runtime
    user_id: str
    args: list[str]
    respond: Respond
    body: dict[str, Any]


Subcommand = Callable[[Invocation], None]
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(*names: str) -> Callable[[Subcommand], Subcommand]:
    """Register a /cre subcommand under one or more names."""

    def register(func: Subcommand) -> Subcommand:
        for name in names:
            SUBCOMMANDS[name] = func
        return func

    return register


def cre_command(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
    """Route `/cre <subcommand> …` to its domain call and answer only the caller."""
    ack()
    runtime = runtime_of(context)
    words = str(body.get("text") or "").split()
    name = words[0].lower() if words else "help"
    handler = SUBCOMMANDS.get(name)
    if handler is None:
        lang = runtime.lang
        text = (
            t("error.unknown_command", lang, command=escape(name[:30]))
            + "\n\n"
            + t("help.text", lang)
        )
        respond(text=text, response_type="ephemeral")
        return
    handler(Invocation(runtime, user_id(body), words[1:], respond, body))


@subcommand("help", "ヘルプ")
def help_(call: Invocation) -> None:
    """What /cre can do."""
    call.respond(text=t("help.text", call.runtime.lang), response_type="ephemeral")


@subcommand("mine", "me")
def mine(call: Invocation) -> None:
    """The caller's open escalations."""
    runtime = call.runtime
    with runtime.db.session() as session:
        blocks = presenter.mine_blocks(
            session=session,
            policy=runtime.policy,
            user_id=call.user_id,
            now=runtime.now(),
            workspace_url=runtime.workspace_url(),
        )
    call.respond(text=t("home.mine", runtime.lang), blocks=blocks, response_type="ephemeral")


@subcommand("queue", "q")
def queue(call: Invocation) -> None:
    """The unassigned queue and everything in progress."""
    runtime = call.runtime
    with runtime.db.session() as session:
        blocks = presenter.queue_blocks(
            session=session,
            policy=runtime.policy,
            now=runtime.now(),
            workspace_url=runtime.workspace_url(),
        )
    call.respond(
        text=t("reply.queue.title", runtime.lang), blocks=blocks, response_type="ephemeral"
    )


@subcommand("show")
def show(call: Invocation) -> None:
    """One escalation with its timeline."""
    runtime = call.runtime
    escalation_id = escalations.parse_key(call.args[0] if call.args else "")
    with runtime.db.session() as session:
        text, blocks = presenter.show_blocks(
            session=session, policy=runtime.policy, escalation_id=escalation_id, now=runtime.now()
        )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("audit")
def audit(call: Invocation) -> None:
    """The lead reads who looked up whom: `/cre audit [@person | user id | email] [since DATE]`."""
    runtime = call.runtime
    lookup.check_may_read_audit(policy=runtime.policy, actor_id=call.user_id)
    request = lookup.parse_audit_request(
        args=call.args,
        policy=runtime.policy,
        now=runtime.now(),
        find_person=lambda name: lookup.slack_user_id_by_name(runtime.client, name),
    )
    with runtime.db.session() as session:
        entries = lookup.audit_entries(
            session=session, actor_or_subject=request.subject, since=request.since
        )
    text, blocks = build_audit_list(
        policy=runtime.policy, entries=entries, request=request, limit=lookup.AUDIT_LIST_LIMIT
    )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("away")
def away(call: Invocation) -> None:
    """Mark the caller away (optionally through a date)."""
    runtime = call.runtime
    words = [w for w in call.args if w.lower() not in {"until", "まで"}]
    now = runtime.now()
    today = now.astimezone(runtime.policy.business_calendar.tz).date()
    until = parse_user_date(words[0], today=today) if words else None
    with runtime.db.session() as session:
        result = assignment.set_away(
            session=session, policy=runtime.policy, user_id=call.user_id, until=until, now=now
        )
    call.respond(
        text=presenter.away_reply(policy=runtime.policy, availability=result),
        response_type="ephemeral",
    )


@subcommand("back")
def back(call: Invocation) -> None:
    """Mark the caller available again."""
    runtime = call.runtime
    with runtime.db.session() as session:
        result = assignment.set_back(
            session=session, policy=runtime.policy, user_id=call.user_id, now=runtime.now()
        )
    call.respond(
        text=presenter.away_reply(policy=runtime.policy, availability=result),
        response_type="ephemeral",
    )


@subcommand("report")
def report(call: Invocation) -> None:
    """A month's digest (default: last month), shown only to the caller."""
    runtime = call.runtime
    lang = runtime.lang
    this_month = Month.of(runtime.now().astimezone(runtime.policy.business_calendar.tz).date())
    try:
        month = Month.parse(call.args[0]) if call.args else this_month.previous()
    except ValueError:
        call.respond(text=t("digest.report.usage", lang), response_type="ephemeral")
        return
    if month > this_month:
        text = t("digest.report.future", lang, month=month_label(month, lang))
        call.respond(text=text, response_type="ephemeral")
        return
    with runtime.db.session() as session:
        figures = month_figures(
            session=session, policy=runtime.policy, month=month, now=runtime.now()
        )
    text, blocks = build_report(
        policy=runtime.policy, figures=figures, workspace_url=runtime.workspace_url()
    )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")
