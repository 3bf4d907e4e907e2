"""What the SLO sweep posts: a thread warning and a DM (or channel post), then a breach for the lead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot import slo
from bot.blocks.alerts import build_breach, build_warning_direct, build_warning_thread
from bot.models import EscalationEvent
from bot.outbox import OutboxKind
from bot.policy import Policy


def alert_rows(
    *, policy: Policy, crossing: slo.Crossing, now: datetime, workspace_url: str | None
) -> list[dict[str, Any]]:
    """The outbox rows for one crossing; keyed by stage so each threshold posts once, ever."""
    escalation = crossing.escalation
    current = slo.state(policy=policy, escalation=escalation, now=now)
    base = f"slo:{escalation.id}:{crossing.to_stage}"
    refresh = {
        "key": f"{base}:card",
        "kind": OutboxKind.CARD_UPDATE,
        "escalation_id": escalation.id,
    }
    if crossing.is_breach:
        text = build_breach(policy=policy, escalation=escalation, current=current)
        return [refresh, _thread(base, escalation.id, text, broadcast=True)]
    # Several thresholds crossed at once (e.g. after downtime): one alert, for the highest.
    percent = round(slo.thresholds(policy, escalation.priority)[crossing.to_stage - 1] * 100)
    warning = build_warning_thread(
        policy=policy, escalation=escalation, current=current, percent=percent
    )
    rows = [refresh, _thread(base, escalation.id, warning)]
    direct = build_warning_direct(
        policy=policy,
        escalation=escalation,
        current=current,
        percent=percent,
        workspace_url=workspace_url,
    )
    target = escalation.assignee_id or escalation.channel_id
    rows.append(
        {
            "key": f"{base}:direct",
            "kind": OutboxKind.MESSAGE,
            "escalation_id": escalation.id,
            "payload": {"channel": target, "text": direct},
        }
    )
    return rows


def record_timeline(
    *, session: Session, policy: Policy, crossings: Sequence[slo.Crossing], now: datetime
) -> None:
    """Add each alert to its escalation's timeline, in one statement."""
    rows = []
    for crossing in crossings:
        level = slo.thresholds(policy, crossing.escalation.priority)[crossing.to_stage - 1]
        rows.append(
            {
                "escalation_id": crossing.escalation.id,
                "at": now,
                "actor_id": None,
                "kind": "slo_breach" if crossing.is_breach else "slo_warning",
                "data": {"stage": crossing.to_stage, "percent": round(level * 100)},
            }
        )
    if rows:
        session.connection().execute(sa.insert(EscalationEvent.__table__), rows)  # type: ignore[attr-defined]


def _thread(
    key: str, escalation_id: int | None, text: str, *, broadcast: bool = False
) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text}
    if broadcast:
        payload["broadcast"] = True
    return {
        "key": f"{key}:thread",
        "kind": OutboxKind.THREAD,
        "escalation_id": escalation_id,
        "payload": payload,
    }
