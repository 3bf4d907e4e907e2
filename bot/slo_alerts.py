"""What the SLO sweep posts: warnings fold into the assignee's DM; a breach is told in the thread.

The notification budget (README): a warning notifies nobody new. It redraws the card (its SLO
line) and the assignee's DM in place (`bot.assignee_dm`), which then shows the warning; an
escalation nobody has is already in the day's unclaimed list. A breach also redraws them, and is
said in the escalation's thread; a breach of the most urgent priority (the policy's first, P1) is
the one SLO event the whole channel hears: the thread reply is broadcast and mentions the lead.

Every stage (each warning threshold, then the breach) has its own outbox keys and its own timeline
row, so each fires exactly once however the sweeps fall. The posts one sweep makes for one
escalation are merged: one card refresh, one DM redraw naming every stage passed, one breach reply.

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

from bot import assignee_dm, metrics, outbox_keys, slo
from bot.blocks.alerts import build_breach
from bot.models import EscalationEvent, Outbox
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.policy import Policy

# The posts of a stage (their names are part of their outbox keys, `bot.outbox_keys.SLO_POSTS`).
CARD = "card"  # refresh the escalation's message (its SLO line)
THREAD = "thread"  # the breach of a less urgent priority: a reply in the escalation's thread
DIRECT = "direct"  # the assignee's DM redrawn in place (posted, if they never got one)
CHANNEL = "channel"  # the breach of the most urgent priority: broadcast, mentioning the lead


def is_most_urgent(policy: Policy, priority: str) -> bool:
    """Whether a priority is the policy's first (P1): its breach goes to the channel."""
    return bool(policy.priorities) and policy.priorities[0].id == priority


def planned_posts(policy: Policy, crossing: slo.Crossing) -> list[tuple[str, tuple[int, ...]]]:
    """The posts one crossing makes, each with the stages it speaks for."""
    posts = [(CARD, crossing.stages)]
    if crossing.escalation.assignee_id:
        posts.append((DIRECT, crossing.stages))
    if crossing.is_breach:
        urgent = is_most_urgent(policy, crossing.escalation.priority)
        posts.append((CHANNEL if urgent else THREAD, (crossing.to_stage,)))
    return posts


def enqueue_alerts(
    *,
    session: Session,
    policy: Policy,
    crossings: Sequence[slo.Crossing],
    now: datetime,
) -> None:
    """Promise the crossings' posts in the caller's transaction (one INSERT; one UPDATE if raced)."""
    plans = [(c, post, stages) for c in crossings for post, stages in planned_posts(policy, c)]
    states = {id(c): slo.state(policy=policy, escalation=c.escalation, now=now) for c in crossings}
    sent = assignee_dm.posted_dms(
        session=session, escalation_ids=[c.escalation.id for c in crossings if c.escalation.id]
    )
    dms = {escalation_id: {row.key for row in rows} for escalation_id, rows in sent.items()}

    def rows_for(crossing: slo.Crossing, post: str, stages: tuple[int, ...]) -> list[OutboxRow]:
        current = states[id(crossing)]
        dm = assignee_dm.dm_key(crossing.escalation)
        posted = dm if dm in dms.get(crossing.escalation.id or 0, set()) else None
        return _rows(policy, crossing, post, stages, current, posted)

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
    dm: str | None,
) -> list[OutboxRow]:
    """The lowest stage's row makes the post; the others claim their keys, already superseded."""
    escalation = crossing.escalation
    carrier = _post(policy, crossing, post, stages, current, dm)
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
    dm: str | None,
) -> OutboxRow:
    """The row that makes one post for `stages` (keyed by the lowest); `dm`: the assignee's DM."""
    escalation = crossing.escalation
    assert escalation.id is not None
    key = outbox_keys.slo_alert(escalation.id, stages[0], post)
    if post == CARD:
        return OutboxRow.card_update(key, escalation_id=escalation.id)
    if post == DIRECT:
        assert escalation.assignee_id is not None
        # Redrawn in place; an assignee who never got the DM (assigned before it existed) gets it now.
        return OutboxRow.assignment_dm(
            key, escalation_id=escalation.id, user=escalation.assignee_id, update_of=dm
        )
    text = build_breach(
        policy=policy, escalation=escalation, current=current, mention_lead=post == CHANNEL
    )
    return OutboxRow.thread(key, escalation_id=escalation.id, text=text, broadcast=post == CHANNEL)


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
