"""/cre <subcommand>: the team's everyday questions, answered ephemerally."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond

from bot import assignment, escalations, presenter
from bot.blocks.digest import build_report, month_label
from bot.blocks.lookup import build_audit_list
from bot.blocks.similar import build_search_answer
from bot.dates import parse_user_date
from bot.digest import Month, month_figures
from bot.i18n import t
from bot.lookup import audit as lookup_audit
from bot.lookup import service as lookup
from bot.mrkdwn import command_words, escape
from bot.runtime import Runtime
from bot.similarity import service as similarity
from handlers.payload import runtime_of, user_id
from handlers.request import Request, request_context


@dataclass(frozen=True)
class Invocation:
    """One /cre call: who, with which words, and how to answer."""

    runtime: Runtime
    user_id: str
    args: list[str]
    respond: Respond
    body: dict[str, Any]
    context: dict[str, Any]

    def request(self, *, read_only: bool = False) -> AbstractContextManager[Request]:
        """The request context (session, actor, now, policy) for the subcommand's domain call."""
        return request_context(self.context, self.body, read_only=read_only)


Subcommand = Callable[[Invocation], None]
SUBCOMMANDS: dict[str, Subcommand] = {}
# Subcommands that only read: when crebot is far behind, they are refused at the ack ("busy, try
# again") rather than answered late; everything else is queued and done (bot.app).
READ_ONLY = frozenset({"help", "ヘルプ", "mine", "me", "queue", "q", "show", "similar"})


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
    words = command_words(str(body.get("text") or ""))
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
    handler(Invocation(runtime, user_id(body), words[1:], respond, body, context))


@subcommand("help", "ヘルプ")
def help_(call: Invocation) -> None:
    """What /cre can do."""
    call.respond(text=t("help.text", call.runtime.lang), response_type="ephemeral")


@subcommand("mine", "me")
def mine(call: Invocation) -> None:
    """The caller's open escalations."""
    runtime = call.runtime
    with call.request(read_only=True) as request:
        blocks = presenter.mine_blocks(
            session=request.session,
            policy=runtime.policy,
            user_id=request.actor_id,
            now=request.now,
            workspace_url=runtime.workspace_url(),
        )
    call.respond(text=t("home.mine", runtime.lang), blocks=blocks, response_type="ephemeral")


@subcommand("queue", "q")
def queue(call: Invocation) -> None:
    """The unassigned queue and everything in progress."""
    runtime = call.runtime
    with call.request(read_only=True) as request:
        blocks = presenter.queue_blocks(
            session=request.session,
            policy=runtime.policy,
            now=request.now,
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
    with call.request(read_only=True) as request:
        text, blocks = presenter.show_blocks(
            session=request.session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            now=request.now,
            workspace_url=runtime.workspace_url(),
        )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("similar")
def similar(call: Invocation) -> None:
    """The escalations most similar to a text or to ESC-42, with scores, causes and answers."""
    runtime = call.runtime
    with call.request(read_only=True) as request:
        result = similarity.search(
            session=request.session,
            index=runtime.similarity,
            query=" ".join(call.args),
            audience=request.audience,
        )
    text, blocks = build_search_answer(
        policy=runtime.policy, result=result, workspace_url=runtime.workspace_url()
    )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("audit")
def audit(call: Invocation) -> None:
    """The lead reads who looked up whom: `/cre audit [@person | user id | email] [since DATE]`."""
    runtime = call.runtime
    lookup.check_may_read_audit(policy=runtime.policy, actor_id=call.user_id)
    with call.request() as request:
        asked = lookup_audit.parse_audit_request(
            args=call.args,
            policy=request.policy,
            now=request.now,
            find_person=lambda name: lookup_audit.slack_user_ids_by_name(runtime.client, name),
        )
        entries = lookup_audit.audit_entries(
            session=request.session, actor_or_subject=asked.subject, since=asked.since
        )
    text, blocks = build_audit_list(
        policy=runtime.policy, entries=entries, request=asked, limit=lookup_audit.AUDIT_LIST_LIMIT
    )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("away")
def away(call: Invocation) -> None:
    """Mark the caller away (optionally through a date)."""
    runtime = call.runtime
    words = [w for w in call.args if w.lower() not in {"until", "まで"}]
    with call.request() as request:
        today = request.now.astimezone(request.policy.business_calendar.tz).date()
        until = parse_user_date(words[0], today=today) if words else None
        result = assignment.set_away(
            session=request.session,
            policy=request.policy,
            user_id=request.actor_id,
            until=until,
            now=request.now,
        )
    call.respond(
        text=presenter.away_reply(policy=runtime.policy, availability=result),
        response_type="ephemeral",
    )


@subcommand("back")
def back(call: Invocation) -> None:
    """Mark the caller available again."""
    runtime = call.runtime
    with call.request() as request:
        result = assignment.set_back(
            session=request.session,
            policy=runtime.policy,
            user_id=request.actor_id,
            now=request.now,
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
    with call.request() as request:
        figures = month_figures(
            session=request.session, policy=request.policy, month=month, now=request.now
        )
    text, blocks = build_report(
        policy=runtime.policy, figures=figures, workspace_url=runtime.workspace_url()
    )
    call.respond(text=text, blocks=blocks, response_type="ephemeral")
