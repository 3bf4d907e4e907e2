"""Block Kit for lists of escalations: `/cre mine`, `/cre queue`, `/cre show` and the App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.blocks.common import (
    MESSAGE_BLOCKS_MAX,
    VIEW_BLOCKS_MAX,
    Block,
    button,
    context,
    divider,
    header,
    section,
)
from bot.blocks.escalation import status_text
from bot.blocks.ids import ActionId
from bot.escalations import Listed
from bot.i18n import t
from bot.models import Escalation
from bot.mrkdwn import escape, escape_truncated, mention, message_permalink, single_line
from bot.policy import Policy
from bot.slo import TeamState


def message_url(workspace_url: str | None, channel_id: str, message_ts: str | None) -> str | None:
    """The permalink of a message, built the way Slack builds them."""
    if not workspace_url or not message_ts:
        return None
    return message_permalink(workspace_url, channel_id=channel_id, message_ts=message_ts)


@dataclass(frozen=True)
class Row:
    """One escalation in a list, with the extra facts shown beside it (e.g. its SLO state)."""

    escalation: Escalation | Listed
    extra: Sequence[str] = ()


@dataclass(frozen=True)
class Group:
    """A titled group of rows; `total` may exceed the rows shown."""

    title: str
    rows: Sequence[Row]
    total: int
    empty_text: str | None = None
    more: list[str] = field(default_factory=list)


def build_row(*, policy: Policy, row: Row, workspace_url: str | None) -> Block:
    """An escalation as one section: linked key and summary, then status, assignee, priority, extras."""
    escalation = row.escalation
    lang = policy.language
    url = message_url(workspace_url, escalation.channel_id, escalation.message_ts)
    key = f"<{url}|{escalation.key}>" if url else escalation.key
    summary = escape_truncated(single_line(escalation.summary), 150)
    # an escalation nobody has is "Open": its status says so, the assignee is not repeated
    assignee = [mention(escalation.assignee_id)] if escalation.assignee_id else []
    meta = [
        status_text(escalation.status, lang),
        *assignee,
        escape(policy.label("priorities", escalation.priority)),
        *row.extra,
    ]
    return section(f"*{key}* · {summary}\n{' · '.join(meta)}")


def rows_per_group(*, groups: int, limit: int) -> int:
    """How many rows each of `groups` groups shows within `limit` blocks (the rest are "…and N more")."""
    return max((limit - 3 * groups) // max(groups, 1), 1)


def build_groups(
    *, policy: Policy, groups: Sequence[Group], workspace_url: str | None, limit: int
) -> list[Block]:
    """Titled groups of rows within `limit` blocks, each group ending with "…and N more" if cut."""
    lang = policy.language
    blocks: list[Block] = []
    per_group_budget = rows_per_group(groups=len(groups), limit=limit)
    for group in groups:
        blocks.append(section(f"*{escape(group.title)}*"))
        if not group.rows:
            blocks.append(context(group.empty_text or t("reply.queue.empty", lang)))
            continue
        shown = list(group.rows[:per_group_budget])
        blocks.extend(build_row(policy=policy, row=r, workspace_url=workspace_url) for r in shown)
        hidden = group.total - len(shown)
        if hidden > 0:
            blocks.append(context(t("reply.more", lang, count=hidden)))
    return blocks[:limit]


def build_list_message(
    *, policy: Policy, groups: Sequence[Group], workspace_url: str | None, intro: str | None = None
) -> list[Block]:
    """An ephemeral reply listing escalations (at most 50 blocks)."""
    head: list[Block] = [section(intro)] if intro else []
    body = build_groups(
        policy=policy,
        groups=groups,
        workspace_url=workspace_url,
        limit=MESSAGE_BLOCKS_MAX - len(head),
    )
    return head + body


def build_show_message(
    *,
    policy: Policy,
    card_blocks: Sequence[Block],
    timeline: Sequence[str],
    extra_lines: Sequence[str] = (),
) -> list[Block]:
    """`/cre show`: the escalation's card, its history note, and its timeline (latest last)."""
    lang = policy.language
    blocks = list(card_blocks)
    if extra_lines:
        blocks.append(context(*extra_lines))
    blocks.append(divider())
    blocks.append(section(f"*{t('label.timeline', lang)}*"))
    room = MESSAGE_BLOCKS_MAX - len(blocks)
    lines = list(timeline)
    chunks = _chunk_lines(lines, 2900)
    if len(chunks) > room:
        chunks = chunks[-room:]
    blocks.extend(section(chunk) for chunk in chunks)
    return blocks


def _chunk_lines(lines: Sequence[str], limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def team_state_block(*, policy: Policy, state: TeamState) -> Block:
    """The lead's first line on Home: how many are breached, at risk and waiting for an assignee."""
    lang = policy.language
    if not (state.breached or state.at_risk or state.unclaimed):
        return section(t("home.team.calm", lang))
    return section(
        t(
            "home.team",
            lang,
            breached=state.breached,
            at_risk=state.at_risk,
            unclaimed=state.unclaimed,
        )
    )


def build_home_view(
    *,
    policy: Policy,
    groups: Sequence[Group],
    workspace_url: str | None,
    away_text: str | None = None,
    extra_blocks: Sequence[Block] = (),
) -> dict[str, Any]:
    """The App Home tab: the viewer's escalations, the open queue, everything in progress."""
    lang = policy.language
    head: list[Block] = [
        header(t("home.title", lang)),
        context(t("home.intro", lang)),
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                button(
                    t("button.escalate", lang),
                    ActionId.OPEN_ESCALATION_MODAL,
                    "home",
                    style="primary",
                )
            ],
        },
    ]
    if away_text:
        head.append(section(away_text))
    head.extend(extra_blocks)
    head.append(divider())
    body = build_groups(
        policy=policy, groups=groups, workspace_url=workspace_url, limit=VIEW_BLOCKS_MAX - len(head)
    )
    return {"type": "home", "blocks": head + body}
