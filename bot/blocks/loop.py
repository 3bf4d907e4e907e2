"""What the escalation's filer reads: the confirmation DM, the reply in their message's thread,
the engineer's question with a button to answer, and the modal that answers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import slo
from bot.blocks.common import Block, actions, button, format_local, modal_view, section
from bot.blocks.escalation import ANSWER_SHOWN, _text_input, escalation_title, filer_text
from bot.blocks.ids import ViewId
from bot.blocks.slo import describe
from bot.i18n import t
from bot.lifecycle import Verb
from bot.limits import ANSWER_MAX
from bot.models import Escalation, Status
from bot.mrkdwn import channel_link, escape_truncated, link, mention, message_permalink
from bot.policy import Policy


def card_place(escalation: Escalation, workspace_url: str | None, lang: str) -> str:
    """The escalation's channel, with a link to its card when the card's address is known."""
    channel = channel_link(escalation.channel_id)
    if not workspace_url or not escalation.message_ts:
        return channel
    url = message_permalink(
        workspace_url, channel_id=escalation.channel_id, message_ts=escalation.message_ts
    )
    return t("loop.where", lang, channel=channel, card=link(url, t("loop.open_card", lang)))


def who_has_it(escalation: Escalation, lang: str) -> str:
    """ "assigned to @taro", or that it waits for an engineer to take it."""
    if escalation.assignee_id:
        return t("loop.assigned", lang, assignee=mention(escalation.assignee_id))
    return t("loop.queued", lang)


def build_filed_confirmation(
    *, policy: Policy, escalation: Escalation, now: datetime, workspace_url: str | None
) -> tuple[str, list[Block]]:
    """The filer's DM: the key, where the card is, who has it and when it is due."""
    lang = policy.language
    due = describe(
        policy=policy, current=slo.state(policy=policy, escalation=escalation, now=now), now=now
    )
    text = t(
        "loop.filed",
        lang,
        title=escalation_title(escalation, limit=150),
        where=card_place(escalation, workspace_url, lang),
        who=who_has_it(escalation, lang),
        due=due,
    )
    return text, []


def _quoted(text: str, limit: int) -> str:
    return "\n".join(f">{line}" for line in escape_truncated(text, limit).splitlines()) or ">"


def due_text(policy: Policy, escalation: Escalation, now: datetime) -> str:
    """When it is due, as an instant (the reply is not redrawn as time passes), or that it is paused."""
    lang = policy.language
    current = slo.state(policy=policy, escalation=escalation, now=now)
    if not current.running or current.due_at is None:
        return t("loop.paused", lang)
    when = format_local(current.due_at, policy.business_calendar.tz, lang)
    return t("loop.due", lang, when=when)


def build_source_reply(
    *,
    policy: Policy,
    escalation: Escalation,
    question: str,
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """The one reply in the thread of the message it was filed from, as the escalation is now."""
    lang = policy.language
    head = t(
        "loop.source",
        lang,
        title=escalation_title(escalation, limit=150),
        where=card_place(escalation, workspace_url, lang),
    )
    status = Status(escalation.status)
    assignee = mention(escalation.assignee_id)
    if status is Status.OPEN:
        state = t("loop.source.open", lang, due=due_text(policy, escalation, now))
    elif status in (Status.ASSIGNED, Status.INVESTIGATING):
        key = f"loop.source.{status}"
        state = t(key, lang, assignee=assignee, due=due_text(policy, escalation, now))
    elif status is Status.WAITING:
        state = t(
            "loop.source.waiting", lang, assignee=assignee, filer=filer_text(escalation, lang)
        )
        if question:
            state += "\n" + _quoted(question, ANSWER_SHOWN)
    else:
        state = t(
            "loop.source.resolved",
            lang,
            actor=mention(escalation.resolved_by),
            answer=_quoted(escalation.resolution_answer or "", ANSWER_SHOWN),
        )
    return f"{head}\n{state}", []


def build_question_dm(
    *, policy: Policy, escalation: Escalation, question: str, workspace_url: str | None
) -> tuple[str, list[Block]]:
    """The filer's DM when the engineer waits on CS: the question and a button to answer it."""
    lang = policy.language
    params = {
        "assignee": mention(escalation.assignee_id),
        "title": escalation_title(escalation, limit=150),
        "where": card_place(escalation, workspace_url, lang),
    }
    text = t("loop.asked" if question else "loop.asked.nothing", lang, **params)
    if question:
        text += "\n" + _quoted(question, ANSWER_SHOWN)
    answer = button(
        t("loop.answer.button", lang),
        Verb.ANSWER.action_id,
        str(escalation.id),
        style="primary",
    )
    return text, [section(text), actions(f"esc:{escalation.id}", [answer])]


def build_answer_modal(*, policy: Policy, escalation: Escalation, question: str) -> dict[str, Any]:
    """The filer's answer to the engineer's question (posted in the escalation's thread)."""
    lang = policy.language
    blocks: list[Block] = [section(escalation_title(escalation))]
    if question:
        blocks.append(
            section(t("event.wait.question", lang) + "\n" + _quoted(question, ANSWER_SHOWN))
        )
    blocks.append(
        _text_input(
            "answer",
            t("modal.answer.answer", lang),
            max_length=ANSWER_MAX,
            multiline=True,
            hint=t("modal.answer.hint", lang),
        )
    )
    return modal_view(
        callback_id=ViewId.ANSWER,
        title=t("modal.answer.title", lang),
        submit=t("modal.answer.submit", lang),
        lang=lang,
        metadata={"escalation_id": escalation.id},
        blocks=blocks,
    )
