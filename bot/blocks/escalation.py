"""Block Kit for one escalation: its channel message, its thread lines, and its modals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot import lifecycle
from bot.blocks.common import (
    Block,
    actions,
    button,
    context,
    fields_section,
    format_local,
    md,
    modal_view,
    option,
    plain,
    section,
)
from bot.blocks.ids import INPUT_ACTION, ActionId, ViewId
from bot.blocks.similar import ANSWER_FROM, answer_block_id, answer_hint, answer_offer
from bot.i18n import t
from bot.lifecycle import Control, Verb
from bot.limits import (
    ANSWER_MAX,
    DETAILS_MAX,
    END_USER_MAX,
    RESOLUTION_NOTE_MAX,
    SUMMARY_MAX,
    WAIT_QUESTION_MAX,
    ZENDESK_INPUT_MAX,
)
from bot.models import Escalation, EscalationEvent, Status
from bot.mrkdwn import (
    escape,
    escape_truncated,
    is_safe_url,
    link,
    mention,
    message_permalink,
    single_line,
    to_plain,
    truncate,
)
from bot.policy import Policy
from bot.similarity.service import Match, Suggestion
from bot.user_text import without_unstorable

STATUS_EMOJI = {
    Status.OPEN: ":large_blue_circle:",
    Status.ASSIGNED: ":bust_in_silhouette:",
    Status.INVESTIGATING: ":mag:",
    Status.WAITING: ":hourglass_flowing_sand:",
    Status.RESOLVED: ":white_check_mark:",
}
DETAILS_SHOWN = 1500
# The labels a person may change after filing, and the policy's lists of choices for them.
_LABEL_KINDS: dict[str, Literal["products", "categories"]] = {
    "product": "products",
    "category": "categories",
}
ANSWER_SHOWN = 2500


def status_text(status: str, lang: str) -> str:
    """A status with its emoji, e.g. ":mag: Investigating"."""
    return f"{STATUS_EMOJI.get(Status(status), '')} {t(f'status.{status}', lang)}".strip()


def escalation_title(escalation: Escalation, *, limit: int = 200) -> str:
    """ "*ESC-42* · summary" with the summary escaped (for lists and cards)."""
    return f"*{escalation.key}* · {escape_truncated(single_line(escalation.summary), limit)}"


def zendesk_text(escalation: Escalation, lang: str) -> str:
    """The Zendesk ticket as a link (or its number when no URL is known)."""
    if escalation.zendesk_ticket_id is None:
        return t("label.none", lang)
    label = f"#{escalation.zendesk_ticket_id}"
    return link(escalation.zendesk_url, label) if escalation.zendesk_url else escape(label)


def filer_text(escalation: Escalation, lang: str) -> str:
    """Who filed it: a mention, or the Zendesk agent's name when Slack does not know them."""
    if escalation.filed_by:
        return mention(escalation.filed_by)
    return t("zendesk.filed_by", lang, name=escape(escalation.filer_name or "Zendesk"))


def build_escalation_card(
    *,
    policy: Policy,
    escalation: Escalation,
    extra_fields: Sequence[str] = (),
    context_lines: Sequence[str] = (),
) -> tuple[str, list[Block]]:
    """The escalation's channel message: what it is, who has it, and the buttons for what comes next."""
    lang = policy.language
    tz = policy.business_calendar.tz
    fields = [
        f"*{t('label.user', lang)}*\n`{escape(escalation.end_user_id)}`",
        f"*{t('label.priority', lang)}*\n{escape(policy.label('priorities', escalation.priority))}",
        f"*{t('label.product', lang)}*\n{escape(policy.label('products', escalation.product))}",
        f"*{t('label.category', lang)}*\n{escape(policy.label('categories', escalation.category))}",
        f"*{t('label.status', lang)}*\n{status_text(escalation.status, lang)}",
        f"*{t('label.assignee', lang)}*\n{mention(escalation.assignee_id) or t('label.unassigned', lang)}",
        f"*{t('label.filed_by', lang)}*\n"
        + t(
            "card.filed_on",
            lang,
            user=filer_text(escalation, lang),
            when=format_local(escalation.filed_at, tz, lang),
        ),
        f"*{t('label.zendesk', lang)}*\n{zendesk_text(escalation, lang)}",
        *extra_fields,
    ]
    blocks: list[Block] = [
        section(escalation_title(escalation, limit=400)),
        {
            **fields_section(fields[:10]),
            "accessory": card_menu(policy=policy, escalation=escalation),
        },
    ]
    if escalation.details:
        blocks.append(
            section(
                f"*{t('label.details', lang)}*\n{escape_truncated(escalation.details, DETAILS_SHOWN)}"
            )
        )
    if escalation.status == Status.RESOLVED and escalation.resolution_cause:
        cause = escape(policy.label("causes", escalation.resolution_cause))
        blocks.append(context(f"*{t('label.cause', lang)}:* {cause}"))
    extras = list(context_lines)
    if escalation.source_permalink:
        extras.append(link(escalation.source_permalink, t("label.source", lang)))
    if extras:
        blocks.append(context(*extras))
    blocks.append(build_card_actions(policy=policy, escalation=escalation))
    fallback = t(
        "card.fallback",
        lang,
        key=escalation.key,
        priority=escape(escalation.priority),
        summary=escape_truncated(single_line(escalation.summary), 150),
        status=t(f"status.{escalation.status}", lang),
    )
    return fallback, blocks


def build_card_actions(*, policy: Policy, escalation: Escalation) -> Block:
    """The controls the lifecycle offers in the escalation's current status (`bot.lifecycle`)."""
    lang = policy.language
    value = str(escalation.id)
    elements: list[dict[str, Any]] = []
    for move in lifecycle.card_moves(escalation.status):
        label = t(f"button.{move.verb}", lang)
        if move.card is Control.PICK_USER:
            elements.append(
                {
                    "type": "users_select",
                    "action_id": move.verb.action_id,
                    "placeholder": plain(label, 150),
                }
            )
        else:
            style = "primary" if move.card is Control.PRIMARY else None
            action_id = move.verb.action_id
            if move.verb is Verb.WAIT and asks_question(policy, escalation):
                action_id = ActionId.WAIT_WITH_QUESTION
            elements.append(button(label, action_id, value, style=style))
    return actions(f"esc:{escalation.id}", elements)


def card_menu(*, policy: Policy, escalation: Escalation) -> dict[str, Any]:
    """The "⋯" menu beside the card's fields: changing the product or category."""
    return {
        "type": "overflow",
        "action_id": ActionId.RELABEL,
        "options": [option(t("menu.relabel", policy.language), str(escalation.id))],
    }


def asks_question(policy: Policy, escalation: Escalation) -> bool:
    """Whether Waiting on CS asks the engineer's question first: for the filer, or the ticket."""
    return bool(escalation.filed_by) or writes_question(policy, escalation)


def writes_question(policy: Policy, escalation: Escalation) -> bool:
    """Whether the question goes to the escalation's Zendesk ticket as a note."""
    return escalation.zendesk_ticket_id is not None and policy.zendesk.write_back


def escalation_id_from_action(action: dict[str, Any]) -> int | None:
    """The escalation an action belongs to: a button's or a chosen option's value, or its block
    id "esc:<id>"."""
    chosen = action.get("selected_option")
    picked = chosen.get("value") if isinstance(chosen, dict) else None
    block_id = str(action.get("block_id", "")).removeprefix("esc:")
    for candidate in (action.get("value"), picked, block_id):
        if (
            isinstance(candidate, str)
            and candidate.isascii()
            and candidate.isdigit()
            and len(candidate) <= 9
        ):
            return int(candidate)
    return None


def build_thread_line(*, policy: Policy, escalation: Escalation, event: EscalationEvent) -> str:
    """One timeline event as a thread reply."""
    lang = policy.language
    actor = mention(event.actor_id) if event.actor_id else t("actor.system", lang)
    data = event.data or {}
    kind = event.kind
    if kind == "auto_assigned":
        return t("event.auto_assigned", lang, assignee=mention(data.get("assignee")))
    if kind == "unassigned":
        return t(f"event.unassigned.{data.get('reason', 'manual')}", lang)
    if kind == "reassigned":
        return t("event.reassigned", lang, actor=actor, to=mention(data.get("to")))
    if kind == "relabeled":
        return _relabeled_line(policy, actor, data)
    if kind == "answered":
        answer = escape_truncated(str(data.get("answer") or ""), ANSWER_SHOWN)
        quoted = "\n".join(f">{line}" for line in answer.splitlines()) or ">"
        return t("event.answered", lang, actor=actor, answer=quoted)
    if kind == "resolved":
        answer = escape_truncated(escalation.resolution_answer or "", ANSWER_SHOWN)
        quoted = "\n".join(f">{line}" for line in answer.splitlines()) or ">"
        return t(
            "event.resolved",
            lang,
            filer=filer_text(escalation, lang),
            key=escalation.key,
            actor=actor,
            cause=escape(policy.label("causes", escalation.resolution_cause or "")),
            answer=quoted,
        )
    extra = {
        k: v for k, v in data.items() if isinstance(v, (int, str)) and k not in ("actor", "key")
    }
    line = t(f"event.{kind}", lang, actor=actor, key=escalation.key, **extra)
    if kind == "wait" and data.get("question"):
        question = escape_truncated(str(data["question"]), ANSWER_SHOWN)
        quoted = "\n".join(f">{part}" for part in question.splitlines()) or ">"
        line += "\n" + t("event.wait.question", lang) + "\n" + quoted
    return line


def _relabeled_line(policy: Policy, actor: str, data: dict[str, Any]) -> str:
    """ "<@U> changed category: Login → Billing." (or the suggested labels confirmed as they were)."""
    lang = policy.language
    kinds = _LABEL_KINDS
    changed = data.get("changed")
    changed = changed if isinstance(changed, dict) else {}
    names = {}
    for field, pair in changed.items():
        if field in kinds and isinstance(pair, list) and len(pair) == 2:
            old, new = (escape(policy.label(kinds[field], str(v))) for v in pair)
            names[f"{field}_old"], names[f"{field}_new"] = old, new
    fields = [f for f in kinds if f"{f}_old" in names]
    if len(fields) == 2:
        return t("event.relabeled.both", lang, actor=actor, **names)
    if len(fields) == 1:
        field = fields[0]
        what = t(f"relabel.field.{field}", lang)
        old, new = names[f"{field}_old"], names[f"{field}_new"]
        return t("event.relabeled", lang, actor=actor, what=what, old=old, new=new)
    confirmed = [f for f in kinds if f in (data.get("confirmed") or [])]
    what = t(f"relabel.field.{confirmed[0] if len(confirmed) == 1 else 'both'}", lang)
    return t("event.relabeled.confirmed", lang, actor=actor, what=what)


def timeline_line(*, policy: Policy, escalation: Escalation, event: EscalationEvent) -> str:
    """A timeline event with its local time, for `/cre show`."""
    when = format_local(event.at, policy.business_calendar.tz, policy.language)
    text = build_thread_line(policy=policy, escalation=escalation, event=event)
    if event.kind == "filed":
        text = t("event.filed", policy.language, actor=mention(event.actor_id), key=escalation.key)
    first_line = text.split("\n", 1)[0]
    return f"`{when}` {first_line}"


# -- modals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationPrefill:
    """What the escalation modal starts with (from the command text, a message, or a look-up)."""

    summary: str = ""
    details: str = ""
    end_user_id: str = ""
    source_channel_id: str | None = None
    source_message_ts: str | None = None
    source_permalink: str | None = None
    # Suggested from the text by similar resolved escalations (pre-selected, marked, changeable).
    product: str | None = None
    category: str | None = None

    @property
    def text(self) -> str:
        """What the modal starts with, summary and details together (what suggestions read)."""
        return "\n".join(part for part in (self.summary, self.details) if part)

    def suggested(self, suggestion: Suggestion | None) -> EscalationPrefill:
        """The same start with the suggested product and category (never a priority)."""
        if suggestion is None:
            return self
        return replace(
            self,
            product=suggestion.product.value if suggestion.product else None,
            category=suggestion.category.value if suggestion.category else None,
        )

    @classmethod
    def from_message(
        cls, message: dict[str, Any], *, channel_id: str, workspace_url: str | None
    ) -> EscalationPrefill:
        """The modal's start from a Slack message: its text as a person reads it, and its link."""
        ts = str(message.get("ts") or "")
        thread_ts = message.get("thread_ts")
        text = to_plain(str(message.get("text") or ""))
        permalink = (
            message_permalink(
                workspace_url,
                channel_id=channel_id,
                message_ts=ts,
                thread_ts=thread_ts if isinstance(thread_ts, str) else None,
            )
            if workspace_url and ts
            else None
        )
        summary, details = _summary_and_details(text)
        return cls(
            summary=summary,
            details=details,
            source_channel_id=channel_id,
            source_message_ts=ts or None,
            source_permalink=permalink,
        )


def _summary_and_details(text: str) -> tuple[str, str]:
    """A message's first line as the summary and the rest as details, so the card says it once.

    A first line too long for the summary is cut there, and the details keep the whole message.
    """
    first, _, rest = text.strip().partition("\n")
    first = " ".join(first.split())
    if len(first) <= SUMMARY_MAX:
        return first, rest.strip()
    return truncate(first, SUMMARY_MAX), text.strip()


def build_escalation_modal(*, policy: Policy, prefill: EscalationPrefill) -> dict[str, Any]:
    """The modal CS fills in to escalate."""
    lang = policy.language
    metadata: dict[str, Any] = (
        {"src": [prefill.source_channel_id, prefill.source_message_ts]}
        if prefill.source_channel_id
        else {}
    )
    blocks: list[dict[str, Any]] = []
    if prefill.source_channel_id and prefill.source_permalink:
        metadata["link"] = prefill.source_permalink
        source = context(link(prefill.source_permalink, t("modal.escalate.source", lang)))
        blocks.append({**source, "block_id": "source"})
    blocks += [
        _text_input(
            "end_user_id",
            t("modal.escalate.end_user", lang),
            initial=prefill.end_user_id,
            max_length=END_USER_MAX,
            hint=t("modal.escalate.end_user.hint", lang),
        ),
        _suggested_input(
            "product", t("label.product", lang), policy.products, prefill.product, lang
        ),
        _suggested_input(
            "category", t("label.category", lang), policy.categories, prefill.category, lang
        ),
        _select_input(
            "priority",
            t("label.priority", lang),
            policy.priorities,
            lang=lang,
            initial=policy.fallback_priority,
        ),
        _text_input(
            "summary",
            t("modal.escalate.summary", lang),
            initial=single_line(prefill.summary),
            max_length=SUMMARY_MAX,
            placeholder=t("modal.escalate.summary.placeholder", lang),
        ),
        _text_input(
            "details",
            t("modal.escalate.details", lang),
            initial=prefill.details,
            max_length=DETAILS_MAX,
            multiline=True,
            optional=True,
            placeholder=t("modal.escalate.details.placeholder", lang),
        ),
        _text_input(
            "zendesk",
            t("modal.escalate.zendesk", lang),
            max_length=ZENDESK_INPUT_MAX,
            optional=True,
            placeholder=t("modal.escalate.zendesk.placeholder", lang),
        ),
    ]
    return modal_view(
        callback_id=ViewId.ESCALATE,
        title=t("modal.escalate.title", lang),
        submit=t("modal.escalate.submit", lang),
        lang=lang,
        metadata=metadata,
        blocks=blocks,
    )


def build_resolve_modal(
    *, policy: Policy, escalation: Escalation, offer: Match | None = None, use_offer: bool = False
) -> dict[str, Any]:
    """The modal an engineer fills in to resolve: cause, internal note, answer for CS.

    `offer` is a similar resolved escalation: its answer is offered with a button, or once
    chosen (`use_offer`) fills the answer. No cause is preselected either way.
    """
    lang = policy.language
    offered = [answer_offer(policy=policy, offer=offer)] if offer and not use_offer else []
    used = offer if offer and use_offer else None
    return modal_view(
        callback_id=ViewId.RESOLVE,
        title=t("modal.resolve.title", lang, key=escalation.key),
        submit=t("modal.resolve.submit", lang),
        lang=lang,
        metadata={"escalation_id": escalation.id},
        blocks=[
            section(escalation_title(escalation)),
            *offered,
            _select_input("cause", t("label.cause", lang), policy.causes, lang=lang),
            _text_input(
                answer_block_id(used),
                t("label.answer", lang),
                initial=used.answer or "" if used else "",
                max_length=ANSWER_MAX,
                multiline=True,
                placeholder=t("modal.resolve.answer.placeholder", lang),
                hint=answer_hint(policy=policy, offer=used) if used else None,
            ),
            _text_input(
                "note",
                t("label.note", lang),
                max_length=RESOLUTION_NOTE_MAX,
                multiline=True,
                optional=True,
                placeholder=t("modal.resolve.note.placeholder", lang),
            ),
        ],
    )


def build_wait_modal(*, policy: Policy, escalation: Escalation) -> dict[str, Any]:
    """Waiting on CS, asking what the engineer needs from them (written to the Zendesk ticket)."""
    lang = policy.language
    return modal_view(
        callback_id=ViewId.WAIT,
        title=t("modal.wait.title", lang),
        submit=t("modal.wait.submit", lang),
        lang=lang,
        metadata={"escalation_id": escalation.id},
        blocks=[
            section(escalation_title(escalation)),
            _text_input(
                "question",
                t("modal.wait.question", lang),
                max_length=WAIT_QUESTION_MAX,
                multiline=True,
                optional=True,
                placeholder=t("modal.wait.question.placeholder", lang),
                hint=_wait_hint(policy, escalation),
            ),
        ],
    )


def build_relabel_modal(*, policy: Policy, escalation: Escalation) -> dict[str, Any]:
    """The escalation's product and category as they are, to change (or confirm a suggested one)."""
    lang = policy.language
    hint = t("modal.relabel.suggested", lang)
    selects = [
        _select_input(
            field,
            t(f"label.{field}", lang),
            getattr(policy, kind),
            lang=lang,
            initial=getattr(escalation, field),
            hint=hint if getattr(escalation, f"{field}_suggested") else None,
        )
        for field, kind in _LABEL_KINDS.items()
    ]
    return modal_view(
        callback_id=ViewId.RELABEL,
        title=t("modal.relabel.title", lang),
        submit=t("modal.relabel.submit", lang),
        lang=lang,
        metadata={"escalation_id": escalation.id},
        blocks=[section(escalation_title(escalation)), *selects],
    )


def _wait_hint(policy: Policy, escalation: Escalation) -> str:
    """Where the question goes: to the filer (a DM with a button), to the ticket, or both."""
    lang = policy.language
    hints = []
    if escalation.filed_by:
        hints.append(t("modal.wait.question.hint.filer", lang))
    if writes_question(policy, escalation):
        ticket = f"#{escalation.zendesk_ticket_id}"
        hints.append(t("modal.wait.question.hint", lang, ticket=ticket))
    return " ".join(hints)


def read_input_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The values of a modal's inputs keyed by block id (text, selected option, or selected user)."""
    values: dict[str, str | None] = {}
    container = (view or {}).get("state") if isinstance(view, dict) else None
    state = container.get("values") if isinstance(container, dict) else None
    if not isinstance(state, dict):
        return values
    for block_id, elements in state.items():
        if not isinstance(elements, dict):
            continue
        element = elements.get(INPUT_ACTION) or next(iter(elements.values()), None)
        if not isinstance(element, dict):
            continue
        selected = element.get("selected_option")
        if isinstance(selected, dict):
            values[block_id] = str(selected.get("value") or "")
        elif element.get("selected_user"):
            values[block_id] = str(element["selected_user"])
        elif element.get("selected_date"):
            values[block_id] = str(element["selected_date"])
        else:
            value = element.get("value")
            values[block_id] = value if isinstance(value, str) else None
    return values


def read_resolution(view: dict[str, Any]) -> tuple[dict[str, str | None], str]:
    """The Resolve modal's values (the answer under "answer" wherever it was filled from) and
    the block id its answer input has (for a field error)."""
    values = read_input_values(view)
    answer_id = next((k for k in values if k.startswith(ANSWER_FROM)), "answer")
    if answer_id != "answer":
        values["answer"] = values.pop(answer_id)
    return values, answer_id


def read_source(view: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """The message an escalation modal was opened from: channel, ts and permalink (if any)."""
    metadata = read_private_metadata(view)
    source = metadata.get("src")
    if not (
        isinstance(source, list)
        and len(source) == 2
        and all(isinstance(x, str) and 0 < len(x) <= 32 for x in source)
    ):
        return None
    permalink = metadata.get("link")
    valid = isinstance(permalink, str) and len(permalink) <= 500 and is_safe_url(permalink)
    return source[0], source[1], permalink if valid else None


def read_private_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private metadata as a dict ({} when absent or not ours)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    max_length: int,
    multiline: bool = False,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "max_length": max_length,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = truncate(without_unstorable(initial), max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _suggested_input(
    block_id: str, label: str, choices: Sequence[Any], suggested: str | None, lang: str
) -> Block:
    """A select pre-set to a suggestion, which its hint marks as one."""
    hint = t("modal.escalate.suggested", lang) if suggested else None
    return _select_input(block_id, label, choices, lang=lang, initial=suggested, hint=hint)


def _select_input(
    block_id: str,
    label: str,
    choices: Sequence[Any],
    *,
    lang: str,
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    options = [option(c.label_in(lang), c.id) for c in choices[:100]]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": INPUT_ACTION,
        "placeholder": plain(t("modal.choose", lang), 150),
        "options": options,
    }
    chosen = initial if initial is not None else (choices[0].id if len(choices) == 1 else None)
    if chosen is not None:
        element["initial_option"] = next((o for o in options if o["value"] == chosen), None)
        if element["initial_option"] is None:
            del element["initial_option"]
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def section_with_button(text: str, button_element: dict[str, Any]) -> Block:
    """A section with a button accessory."""
    return {"type": "section", "text": md(text), "accessory": button_element}
