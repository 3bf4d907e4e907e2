"""What the SLO sweep posts: a thread warning and a DM (or channel post), then a breach for the lead.

Every stage (each warning threshold, then the breach) has its own outbox keys and its own timeline
row, so each fires exactly once however the sweeps fall. The posts one sweep makes for one
escalation are merged: one card refresh; one thread reply and one DM to the assignee (a channel
post when unassigned) naming every warning passed; and, when the breach is among them, the breach's
channel post (a thread reply broadcast to the channel) that mentions the lead.

A merged post is made by the row of its lowest stage; the rows of its other stages are stored as
already superseded, pointing at it: they claim their keys without posting. Should a key already be
taken (a sweep that raced this one), the post names only the stages this sweep claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot import metrics, outbox_keys, slo
from bot.blocks.alerts import build_breach, build_warning_direct, build_warning_thread
from bot.models import EscalationEvent, Outbox
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.policy import Policy

# The posts of a stage (their names are part of their outbox keys, `bot.outbox_keys.SLO_POSTS`).
CARD = "card"  # refresh the escalation's message (its SLO line)
THREAD = "thread"  # the warning reply in the escalation's thread
DIRECT = "direct"  # the warning DM to the assignee, or the channel post when unassigned
CHANNEL = "channel"  # the breach: a reply broadcast to the channel, mentioning the lead


def planned_posts(crossing: slo.Crossing) -> list[tuple[str, tuple[int, ...]]]:
    """The posts one crossing makes, each with the stages it speaks for."""
    posts = [(CARD, crossing.stages)]
    if crossing.warning_stages:
        posts += [(THREAD, crossing.warning_stages), (DIRECT, crossing.warning_stages)]
    if crossing.is_breach:
        posts.append((CHANNEL, (crossing.to_stage,)))
    return posts


def enqueue_alerts(
    *,
    session: Session,
    policy: Policy,
    crossings: Sequence[slo.Crossing],
    now: datetime,
    workspace_url: str | None,
) -> None:
    """Promise the crossings' posts in the caller's transaction (one INSERT; one UPDATE if raced)."""
    plans = [(c, post, stages) for c in crossings for post, stages in planned_posts(c)]
    states = {id(c): slo.state(policy=policy, escalation=c.escalation, now=now) for c in crossings}

    def rows_for(crossing: slo.Crossing, post: str, stages: tuple[int, ...]) -> list[OutboxRow]:
        current = states[id(crossing)]
        return _rows(policy, crossing, post, stages, current, workspace_url)

    rows = [row for plan in plans for row in rows_for(*plan)]
    inserted = enqueue_many(session, rows, now=now, returning=True)
    _count_when_committed(session, crossings, inserted)
    if len(inserted) == len(rows):
        return
    fixes: list[dict[str, Any]] = []
    for crossing, post, stages in plans:
        escalation_id = crossing.escalation.id
        won = tuple(s for s in stages if outbox_keys.slo_alert(escalation_id, s, post) in inserted)
        if won and won != stages:
            fixes.extend(
                {"row_key": row.key, "new_status": str(row.status), "new_payload": row.payload}
                for row in rows_for(crossing, post, won)
            )
    if fixes:
        table = Outbox.__table__  # type: ignore[attr-defined]
        statement = (
            sa.update(table)
            .where(table.c.key == sa.bindparam("row_key"))
            .values(
                status=sa.bindparam("new_status"),
                payload=sa.bindparam("new_payload", type_=table.c.payload.type),
            )
        )
        session.connection().execute(statement, fixes)


def _count_when_committed(
    session: Session, crossings: Sequence[slo.Crossing], inserted: set[str]
) -> None:
    """Count the warnings and breaches this sweep announces, once its transaction commits."""
    warnings: list[str] = []
    breaches: list[str] = []
    for crossing in crossings:
        for stage in crossing.stages:
            if outbox_keys.slo_alert(crossing.escalation.id, stage, CARD) not in inserted:
                continue  # another sweep announced it
            is_breach = crossing.is_breach and stage == crossing.to_stage
            (breaches if is_breach else warnings).append(crossing.escalation.priority)

    def count(_session: Session) -> None:
        for priority in warnings:
            metrics.SLO_WARNINGS.labels(priority).inc()
        for priority in breaches:
            metrics.SLO_BREACHES.labels(priority).inc()

    if warnings or breaches:
        sa.event.listen(session, "after_commit", count, once=True)


def _rows(
    policy: Policy,
    crossing: slo.Crossing,
    post: str,
    stages: tuple[int, ...],
    current: slo.SloState,
    workspace_url: str | None,
) -> list[OutboxRow]:
    """The lowest stage's row makes the post; the others claim their keys, already superseded."""
    escalation = crossing.escalation
    carrier = _post(policy, crossing, post, stages, current, workspace_url)
    return [
        carrier,
        *(
            carrier.merged_into(outbox_keys.slo_alert(escalation.id, stage, post), carrier.key)
            for stage in stages[1:]
        ),
    ]


def _post(
    policy: Policy,
    crossing: slo.Crossing,
    post: str,
    stages: tuple[int, ...],
    current: slo.SloState,
    workspace_url: str | None,
) -> OutboxRow:
    """The row that makes one post for `stages` (keyed by the lowest)."""
    escalation = crossing.escalation
    assert escalation.id is not None
    key = outbox_keys.slo_alert(escalation.id, stages[0], post)
    if post == CARD:
        return OutboxRow.card_update(key, escalation_id=escalation.id)
    if post == CHANNEL:
        text = build_breach(policy=policy, escalation=escalation, current=current)
        return OutboxRow.thread(key, escalation_id=escalation.id, text=text, broadcast=True)
    levels = slo.thresholds(policy, escalation.priority)
    percents = [round(levels[stage - 1] * 100) for stage in stages]
    if post == THREAD:
        text = build_warning_thread(
            policy=policy, escalation=escalation, current=current, percents=percents
        )
        return OutboxRow.thread(key, escalation_id=escalation.id, text=text)
    text = build_warning_direct(
        policy=policy,
        escalation=escalation,
        current=current,
        percents=percents,
        workspace_url=workspace_url,
    )
    target = escalation.assignee_id or escalation.channel_id
    return OutboxRow.message(key, channel=target, text=text, escalation_id=escalation.id)


def record_timeline(
    *, session: Session, policy: Policy, crossings: Sequence[slo.Crossing], now: datetime
) -> None:
    """Add every stage crossed to its escalation's timeline (one row per stage), in one statement."""
    rows = []
    for crossing in crossings:
        levels = slo.thresholds(policy, crossing.escalation.priority)
        for stage in crossing.stages:
            rows.append(
                {
                    "escalation_id": crossing.escalation.id,
                    "at": now,
                    "actor_id": None,
                    "kind": "slo_breach" if stage == len(levels) else "slo_warning",
                    "data": {"stage": stage, "percent": round(levels[stage - 1] * 100)},
                }
            )
    if rows:
        session.connection().execute(sa.insert(EscalationEvent.__table__), rows)  # type: ignore[attr-defined]
