"""Block Kit for the monthly digest: the channel post, its overflow replies, and `/cre report`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Literal

from bot.blocks.common import (
    FIELD_MAX,
    MESSAGE_BLOCKS_MAX,
    Block,
    context,
    divider,
    fields_section,
    header,
    section,
)
from bot.blocks.lists import message_url
from bot.digest import Month, MonthFigures, SlowClose
from bot.durations import format_business_duration
from bot.i18n import t
from bot.mrkdwn import escape, escape_truncated, mention, single_line
from bot.policy import Policy

SUMMARY_MAX = 150
TALLY_MAX = FIELD_MAX - 100  # room for the field's title
NOTE_MAX = 300
REPLY_ROWS = MESSAGE_BLOCKS_MAX - 1  # a reply: one context line, then the rows
MAX_REPLIES = 10  # at most ten replies of slow closes in the thread


@dataclass(frozen=True)
class DigestPost:
    """The digest as posted: the channel message and the thread replies its slow list overflows into."""

    text: str
    blocks: list[Block]
    replies: list[tuple[str, list[Block]]] = field(default_factory=list)


def month_label(month: Month, lang: str) -> str:
    """ "October 2026" / "2026年10月"."""
    return t("digest.month", lang, name=t(f"month.{month.month}", lang), year=month.year)


def _duration(policy: Policy, seconds: int | None) -> str:
    if seconds is None:
        return t("label.none", policy.language)
    day = policy.business_calendar.working_day_length()
    return format_business_duration(
        timedelta(seconds=seconds), day_length=day, lang=policy.language
    )


def _percent(share: Fraction) -> str:
    text = f"{float(share) * 100:.1f}"
    return text.removesuffix(".0")


def _attainment(policy: Policy, figures: MonthFigures) -> str:
    share = figures.attainment
    if share is None:
        return t("label.none", policy.language)
    return t(
        "digest.attainment_value",
        policy.language,
        percent=_percent(share),
        within=figures.within_target,
        measured=figures.measured,
    )


def _field(title: str, value: str) -> str:
    return f"*{title}*\n{value}"


def _tally(
    policy: Policy, kind: Literal["categories", "causes"], counts: Sequence[tuple[str | None, int]]
) -> str:
    lang = policy.language
    if not counts:
        return t("label.none", lang)
    lines: list[str] = []
    used = 0
    for key, count in counts:
        label = policy.label(kind, key) if key else t("label.none", lang)
        line = f"{escape_truncated(label, 80)}: {count}"
        if used + len(line) + 1 > TALLY_MAX:  # whole lines only: never cut an escaped entity
            lines.append("…")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def summary_blocks(*, policy: Policy, figures: MonthFigures) -> list[Block]:
    """The month in figures: counts, percentiles, attainment, breaches, categories and causes."""
    lang = policy.language
    return [
        header(t("digest.title", lang, month=month_label(figures.month, lang))),
        fields_section(
            [
                _field(t("digest.filed", lang), str(figures.filed)),
                _field(t("digest.resolved", lang), str(figures.resolved)),
                _field(t("digest.open_at_end", lang), str(figures.open_at_end)),
                _field(t("digest.breaches", lang), str(figures.breaches)),
                _field(t("digest.median", lang), _duration(policy, figures.median_s)),
                _field(t("digest.p90", lang), _duration(policy, figures.p90_s)),
                _field(t("digest.attainment", lang), _attainment(policy, figures)),
            ]
        ),
        fields_section(
            [
                _field(
                    t("digest.by_category", lang), _tally(policy, "categories", figures.by_category)
                ),
                _field(t("digest.by_cause", lang), _tally(policy, "causes", figures.by_cause)),
            ]
        ),
        context(t("digest.business_time", lang)),
        divider(),
    ]


def slow_close_block(*, policy: Policy, slow: SlowClose, workspace_url: str | None) -> Block:
    """One slow close: linked key and summary; assignee, category, time taken; cause and note."""
    lang = policy.language
    url = message_url(workspace_url, slow.channel_id, slow.message_ts)
    key = f"<{url}|{slow.key}>" if url else slow.key
    summary = escape_truncated(single_line(slow.summary), SUMMARY_MAX)
    took = t(
        "digest.slow.took",
        lang,
        took=_duration(policy, slow.business_s),
        target=_duration(policy, slow.target_s or None),
    )
    marker = ":rotating_light: " if slow.missed_target else ""
    meta = [
        mention(slow.assignee_id) if slow.assignee_id else t("label.unassigned", lang),
        escape(policy.label("categories", slow.category)),
        escape(policy.label("priorities", slow.priority)),
        f"{marker}*{took}*",
    ]
    cause = escape(policy.label("causes", slow.cause)) if slow.cause else t("label.none", lang)
    why = f"*{t('label.cause', lang)}:* {cause}"
    if slow.note and slow.note.strip():
        why += f" · {escape_truncated(single_line(slow.note), NOTE_MAX)}"
    return section(f"*{key}* · {summary}\n{' · '.join(meta)}\n{why}")


def _slow_heading(policy: Policy, figures: MonthFigures) -> Block:
    lang = policy.language
    month = month_label(figures.month, lang)
    slow_after = _duration(policy, figures.slow_after_s)
    if not figures.slow:
        return section(t("digest.slow.none", lang, month=month, slow_after=slow_after))
    title = t("digest.slow.title", lang, count=len(figures.slow))
    intro = t("digest.slow.intro", lang, month=month, slow_after=slow_after)
    return section(f"*{title}*\n{intro}")


def _text(policy: Policy, figures: MonthFigures) -> str:
    lang = policy.language
    return t(
        "digest.text",
        lang,
        month=month_label(figures.month, lang),
        filed=figures.filed,
        resolved=figures.resolved,
        slow=len(figures.slow),
    )


def build_digest_post(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None
) -> DigestPost:
    """The channel post (at most 50 blocks) and the replies holding the slow closes that did not fit.

    Past MAX_REPLIES replies the list stops, saying so: the month's CSV, uploaded into the same
    thread, has every escalation.
    """
    lang = policy.language
    head = [*summary_blocks(policy=policy, figures=figures), _slow_heading(policy, figures)]
    total = len(figures.slow)
    if len(head) + total <= MESSAGE_BLOCKS_MAX:
        rows = _rows(policy, figures.slow, workspace_url)
        return DigestPost(_text(policy, figures), head + rows)
    room = MESSAGE_BLOCKS_MAX - len(head) - 1
    capacity = MAX_REPLIES * REPLY_ROWS - 1  # one block of the last reply says what was left out
    in_thread = min(total - room, capacity)
    rows = _rows(policy, figures.slow[: room + in_thread], workspace_url)
    blocks = [*head, *rows[:room], context(t("digest.slow.in_thread", lang, count=in_thread))]
    replies = []
    for first in range(room, len(rows), REPLY_ROWS):
        page = rows[first : first + REPLY_ROWS]
        line = t(
            "digest.slow.page",
            lang,
            first=first + 1,
            last=first + len(page),
            total=total,
            month=month_label(figures.month, lang),
        )
        replies.append((line, [context(line), *page]))
    if len(rows) < total:
        replies[-1][1].append(context(t("digest.slow.in_csv", lang, count=total - len(rows))))
    return DigestPost(_text(policy, figures), blocks, replies)


def _rows(policy: Policy, slow: Sequence[SlowClose], workspace_url: str | None) -> list[Block]:
    return [slow_close_block(policy=policy, slow=s, workspace_url=workspace_url) for s in slow]


def build_report(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None
) -> tuple[str, list[Block]]:
    """`/cre report`: the same digest in one ephemeral message; slow closes beyond 50 blocks summarised."""
    head = [*summary_blocks(policy=policy, figures=figures), _slow_heading(policy, figures)]
    total = len(figures.slow)
    if len(head) + total <= MESSAGE_BLOCKS_MAX:
        return _text(policy, figures), head + _rows(policy, figures.slow, workspace_url)
    room = MESSAGE_BLOCKS_MAX - len(head) - 1
    more = context(t("reply.more", policy.language, count=total - room))
    return _text(policy, figures), [*head, *_rows(policy, figures.slow[:room], workspace_url), more]


def thread_prompt(*, policy: Policy, month: Month) -> str:
    """The digest thread's opening reply: an invitation to discuss causes and root fixes."""
    lang = policy.language
    return t("digest.prompt", lang, month=month_label(month, lang))
