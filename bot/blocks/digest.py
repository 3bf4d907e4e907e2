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
    format_date,
    header,
    section,
)
from bot.blocks.lists import message_url
from bot.digest import Breakdown, Month, MonthFigures, SlowClose
from bot.durations import format_business_duration
from bot.i18n import t
from bot.mrkdwn import escape, escape_truncated, mention, single_line
from bot.policy import Policy

SUMMARY_MAX = 150
TALLY_MAX = FIELD_MAX - 100  # room for the field's title
NOTE_MAX = 300
RECURRING_SUMMARY_MAX = 100
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


def percent(value: Fraction) -> str:
    """A share as a percentage with at most one decimal: "87.5", "100"."""
    text = f"{float(value) * 100:.1f}"
    return text.removesuffix(".0")


def signed(number: float | int) -> str:
    """A change with its sign: "+5", "−2" (a true minus sign), "±0"."""
    if not number:
        return "±0"
    text = (
        f"{abs(number):.1f}".removesuffix(".0") if isinstance(number, float) else str(abs(number))
    )
    return ("+" if number > 0 else "\u2212") + text


def points_change(now: Fraction | None, before: Fraction | None) -> float | None:
    """The change in attainment, in percentage points (None when either month has none)."""
    if now is None or before is None:
        return None
    return round(float(now - before) * 100, 1)


def with_note(text: str, note: str, lang: str) -> str:
    """ "42 (+5)"; in Japanese without the space, "42(+5)"."""
    return f"{text}({note})" if lang == "ja" else f"{text} ({note})"


def _count(number: int, before: int | None, lang: str) -> str:
    return str(number) if before is None else with_note(str(number), signed(number - before), lang)


def _duration_change(policy: Policy, now_s: int | None, before_s: int | None) -> str:
    shown = _duration(policy, now_s)
    if now_s is None or before_s is None:
        return shown
    change = now_s - before_s
    sign = "+" if change > 0 else "\u2212"
    note = f"{sign}{_duration(policy, abs(change))}" if change else "±0"
    return with_note(shown, note, policy.language)


def _attainment(policy: Policy, figures: MonthFigures) -> str:
    lang = policy.language
    share = figures.attainment
    if share is None:
        return t("label.none", lang)
    value = f"{percent(share)}%"
    before = figures.previous
    change = points_change(share, before.attainment if before else None)
    if change is not None:
        value = with_note(value, t("digest.points", lang, change=signed(change)), lang)
    within = t(
        "digest.attainment_value",
        lang,
        within=figures.within_target,
        measured=figures.measured,
    )
    return f"{value}\n{within}"


def _field(title: str, value: str) -> str:
    return f"*{title}*\n{value}"


def _lines(lines: Sequence[str], lang: str) -> str:
    """Whole lines up to a field's length, then "…": never a cut escaped entity."""
    if not lines:
        return t("label.none", lang)
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > TALLY_MAX:
            kept.append("…")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _causes(policy: Policy, counts: Sequence[tuple[str | None, int]]) -> str:
    lang = policy.language
    lines = [
        f"{escape_truncated(policy.label('causes', key) if key else t('label.none', lang), 80)}: "
        f"{count}"
        for key, count in counts
    ]
    return _lines(lines, lang)


def _breakdown(
    policy: Policy,
    kind: Literal["products", "categories"],
    rows: Sequence[Breakdown],
    compare: bool,
) -> str:
    lang = policy.language
    lines = []
    for row in rows:
        label = escape_truncated(policy.label(kind, row.key), 60)
        filed = t("digest.share.filed", lang, count=row.filed)
        if compare:
            filed = with_note(filed, signed(row.filed - row.filed_before), lang)
        if row.measured:
            done = t(
                "digest.share.on_target", lang, within=row.within_target, measured=row.measured
            )
        else:
            done = t("digest.share.none_resolved", lang)
        lines.append(f"{label}: {filed} · {done}")
    return _lines(lines, lang)


def digest_title(figures: MonthFigures, lang: str) -> str:
    """The digest's heading: "Escalation digest: October 2026" (a month not over: "so far")."""
    key = "digest.title.so_far" if figures.in_progress else "digest.title"
    return t(key, lang, month=month_label(figures.month, lang))


def _open_title(figures: MonthFigures, lang: str) -> str:
    return t("digest.open_now" if figures.in_progress else "digest.open_at_end", lang)


def summary_blocks(*, policy: Policy, figures: MonthFigures) -> list[Block]:
    """The month in figures, each with its change from the month before; then the breakdowns."""
    lang = policy.language
    if figures.empty:
        return _empty_month_blocks(policy, figures)
    before = figures.previous

    def then(name: str) -> int | None:
        """The figure `name` of the month before (None: nothing to compare with)."""
        return None if before is None else getattr(before, name)

    compare = before is not None
    return [
        header(digest_title(figures, lang)),
        fields_section(
            [
                _field(t("digest.filed", lang), _count(figures.filed, then("filed"), lang)),
                _field(
                    t("digest.resolved", lang), _count(figures.resolved, then("resolved"), lang)
                ),
                _field(
                    _open_title(figures, lang),
                    _count(figures.open_at_end, then("open_at_end"), lang),
                ),
                _field(
                    t("digest.breaches", lang), _count(figures.breaches, then("breaches"), lang)
                ),
                _field(t("digest.attainment", lang), _attainment(policy, figures)),
                _field(
                    t("digest.median", lang),
                    _duration_change(policy, figures.median_s, then("median_s")),
                ),
                _field(
                    t("digest.p90", lang), _duration_change(policy, figures.p90_s, then("p90_s"))
                ),
            ]
        ),
        fields_section(
            [
                _field(
                    t("digest.by_product", lang),
                    _breakdown(policy, "products", figures.by_product, compare),
                ),
                _field(
                    t("digest.by_category", lang),
                    _breakdown(policy, "categories", figures.by_category, compare),
                ),
                _field(t("digest.by_cause", lang), _causes(policy, figures.by_cause)),
            ]
        ),
        context(_notes(policy, figures)),
        divider(),
    ]


def _notes(policy: Policy, figures: MonthFigures) -> str:
    lang = policy.language
    notes = [t("digest.business_time", lang)]
    if figures.previous is not None:
        month = month_label(figures.previous.month, lang)
        notes.append(t("digest.changes", lang, month=month))
    return ("" if lang == "ja" else " ").join(notes)  # Japanese sentences run on after "。"


def _empty_month_blocks(policy: Policy, figures: MonthFigures) -> list[Block]:
    """A month with nothing filed or resolved: said plainly, with what is still open."""
    lang = policy.language
    month = month_label(figures.month, lang)
    key = "digest.empty.so_far" if figures.in_progress else "digest.empty"
    blocks = [header(digest_title(figures, lang)), section(t(key, lang, month=month))]
    facts = []
    if figures.open_at_end:
        facts.append(f"{_open_title(figures, lang)}: {figures.open_at_end}")
    if figures.breaches:
        facts.append(f"{t('digest.breaches', lang)}: {figures.breaches}")
    if facts:
        blocks.append(context(" · ".join(facts)))
    return blocks


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


def _verdict(policy: Policy, figures: MonthFigures) -> Block:
    """What the month's slow closes come to, celebrating only a month that earned it."""
    lang = policy.language
    month = month_label(figures.month, lang)
    slow_after = _duration(policy, figures.slow_after_s)
    if figures.slow:
        title = t("digest.slow.title", lang, count=len(figures.slow))
        intro = t("digest.slow.intro", lang, month=month, slow_after=slow_after)
        return section(f"*{title}*\n{intro}")
    all_on_target = figures.within_target == figures.measured
    if not figures.resolved:
        key = "digest.slow.nothing_resolved" + (".so_far" if figures.in_progress else "")
        lines = [t(key, lang, month=month)]
    elif not figures.breaches and all_on_target:
        lines = [t("digest.slow.none", lang, month=month, slow_after=slow_after)]
    else:
        lines = [t("digest.slow.none_plain", lang, month=month, count=figures.resolved)]
    if figures.breaches:
        lines.append(t("digest.slow.breached", lang, month=month, count=figures.breaches))
    return section("\n".join(lines))


def _text(policy: Policy, figures: MonthFigures) -> str:
    lang = policy.language
    month = month_label(figures.month, lang)
    if figures.empty:
        return t("digest.text.empty", lang, month=month)
    return t(
        "digest.text",
        lang,
        month=month,
        filed=figures.filed,
        resolved=figures.resolved,
        slow=len(figures.slow),
    )


def _head(policy: Policy, figures: MonthFigures, workspace_url: str | None) -> list[Block]:
    summary = summary_blocks(policy=policy, figures=figures)
    if figures.empty:
        return summary
    recurring = recurring_block(policy=policy, figures=figures, workspace_url=workspace_url)
    return [*summary, *([recurring] if recurring else []), _verdict(policy, figures)]


def recurring_block(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None
) -> Block | None:
    """The month's recurring problems: each group's size, what it is about, and its earliest."""
    if not figures.recurring:
        return None
    lang = policy.language
    lines = [f"*{t('digest.recurring.title', lang)}*"]
    lines.append(t("digest.recurring.intro", lang, month=month_label(figures.month, lang)))
    for group in figures.recurring:
        url = message_url(workspace_url, group.earliest_channel_id or "", group.earliest_message_ts)
        key = f"<{url}|{group.earliest_key}>" if url else group.earliest_key
        filed = format_date(group.earliest_filed_at, policy.business_calendar.tz, lang)
        lines.append(
            t(
                "digest.recurring.item",
                lang,
                count=group.count,
                summary=escape_truncated(single_line(group.summary), RECURRING_SUMMARY_MAX),
                category=escape(policy.label("categories", group.category)),
                key=key,
                filed=filed,
            )
        )
    return section("\n".join(lines))


def build_digest_post(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None
) -> DigestPost:
    """The channel post (at most 50 blocks) and the replies holding the slow closes that did not fit.

    Past MAX_REPLIES replies the list stops, saying so: the month's CSV, uploaded into the same
    thread, has every escalation.
    """
    lang = policy.language
    head = _head(policy, figures, workspace_url)
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
    head = _head(policy, figures, workspace_url)
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
