"""Similar past escalations as Slack shows them: the card's line, `/cre similar`, the Resolve hint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.blocks.common import Block, button, context, section
from bot.blocks.ids import ActionId
from bot.durations import format_business_duration
from bot.i18n import t
from bot.mrkdwn import escape, escape_truncated, message_permalink
from bot.policy import Policy
from bot.similarity.service import Match, SearchResult


def match_key(match: Match, workspace_url: str | None) -> str:
    """The match's key, linked to its message when the link is known."""
    if not (workspace_url and match.channel_id and match.message_ts):
        return match.key
    url = message_permalink(workspace_url, channel_id=match.channel_id, message_ts=match.message_ts)
    return f"<{url}|{match.key}>"


def short_day(instant: datetime, policy: Policy) -> str:
    """A day in the team's time zone without the year: "12 Nov" / "11月12日"."""
    local = instant.astimezone(policy.business_calendar.tz)
    lang = policy.language
    month = t(f"month.{local.month}", lang)[:3]  # "Nov" / "11月"
    return t("similar.day", lang, day=local.day, month=month)


def took(match: Match, policy: Policy) -> str | None:
    """How long it took to resolve, in business time ("2 business days")."""
    if match.business_seconds is None:
        return None
    day = policy.business_calendar.working_day_length()
    return format_business_duration(
        timedelta(seconds=match.business_seconds), day_length=day, lang=policy.language
    )


def match_facts(match: Match, policy: Policy, *, live: bool = False) -> str:
    """ "resolved 12 Nov · Bug · 2 business days", or "open, filed 3 Dec" ("Waiting on CS, filed
    3 Dec" when `live`: drawn when asked, never redrawn)."""
    lang = policy.language
    if not match.resolved or match.resolved_at is None:
        day = short_day(match.filed_at, policy)
        if live:
            status = t(f"status.{match.status}", lang)
            return t("similar.status_facts", lang, status=status, day=day)
        # Not its status: a card is redrawn when its match is resolved or reopened, not on
        # every click of that one (`bot.similarity.cards.redraw_naming`).
        return t("similar.open_facts", lang, day=day)
    parts = [t("similar.resolved_on", lang, day=short_day(match.resolved_at, policy))]
    if match.cause:
        parts.append(escape(policy.label("causes", match.cause)))
    duration = took(match, policy)
    if duration:
        parts.append(duration)
    return " · ".join(parts)


def card_line(*, policy: Policy, matches: Sequence[Match], workspace_url: str | None) -> str | None:
    """ "Similar: ESC-812 (resolved 12 Nov · Bug · 2 business days) · ESC-640 · ESC-97"."""
    if not matches:
        return None
    lang = policy.language
    best, *rest = matches
    first = t(
        "similar.first", lang, key=match_key(best, workspace_url), facts=match_facts(best, policy)
    )
    keys = [first, *(match_key(m, workspace_url) for m in rest)]
    return t("similar.line", lang, matches=" · ".join(keys))


ANSWER_PREVIEW = 500
ANSWER_FROM = "answer."
"""The block id prefix of the Resolve modal's answer once filled from an earlier one: Slack
keeps what is typed in an input across views.update, so a new initial value needs a new id."""


def answer_block_id(offer: Match | None) -> str:
    """The block id of the Resolve modal's answer input (filled from `offer`, or not)."""
    return f"{ANSWER_FROM}{offer.escalation_id}" if offer else "answer"


def quoted(text: str, limit: int) -> str:
    """User text as an mrkdwn quote, escaped and shortened."""
    return "\n".join(f">{line}" for line in escape_truncated(text, limit).splitlines())


def answer_offer(*, policy: Policy, offer: Match) -> Block:
    """The Resolve modal's offer: the similar escalation, its answer, and a button to start from it."""
    lang = policy.language
    head = t("similar.offer", lang, key=offer.key, facts=match_facts(offer, policy))
    label = t("similar.offer.use", lang, key=offer.key)
    return section(
        f"{head}\n{quoted(offer.answer or '', ANSWER_PREVIEW)}",
        accessory=button(label, ActionId.USE_SIMILAR_ANSWER, str(offer.escalation_id)),
    )


def answer_hint(*, policy: Policy, offer: Match) -> str:
    """The hint under an answer filled from an earlier one."""
    return t("similar.offer.used", policy.language, key=offer.key)


SEARCH_SUMMARY = 200
SEARCH_ANSWER = 400


def search_heading(*, policy: Policy, result: SearchResult) -> str:
    """What `/cre similar` searched for and how many it found."""
    lang = policy.language
    what = (
        f"ESC-{result.escalation_id}"
        if result.escalation_id is not None
        else f"“{escape_truncated(result.text, 100)}”"
    )
    key = "similar.search.found" if result.matches else "similar.search.none"
    return t(key, lang, what=what, count=len(result.matches))


def search_item(*, policy: Policy, match: Match, workspace_url: str | None) -> Block:
    """One match: its key, score and facts, its summary, and its cause and answer if resolved."""
    lang = policy.language
    head = t(
        "similar.search.item",
        lang,
        key=match_key(match, workspace_url),
        score=f"{match.score:.2f}",
        facts=match_facts(match, policy, live=True),
    )
    lines = [head, escape_truncated(match.summary, SEARCH_SUMMARY)]
    if match.answer:
        lines.append(f"*{t('label.answer', lang)}:*")
        lines.append(quoted(match.answer, SEARCH_ANSWER))
    return section("\n".join(lines))


def build_search_answer(
    *, policy: Policy, result: SearchResult, workspace_url: str | None
) -> tuple[str, list[Block]]:
    """`/cre similar`'s private answer: the best matches with their scores, causes and answers."""
    heading = search_heading(policy=policy, result=result)
    blocks = [section(heading)]
    blocks += [
        search_item(policy=policy, match=match, workspace_url=workspace_url)
        for match in result.matches
    ]
    if result.matches:
        threshold = f"{result.card_threshold:.3g}"
        blocks.append(context(t("similar.search.note", policy.language, threshold=threshold)))
    return heading, blocks
