"""What the SLO sweep posts: a thread warning and a DM (or channel post), then a breach for the lead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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


def timeline_rows(
    *, policy: Policy, crossings: Sequence[slo.Crossing], now: datetime
) -> list[EscalationEvent]:
    """Timeline entries recording each alert."""
    events = []
    for crossing in crossings:
        assert crossing.escalation.id is not None
        kind = "slo_breach" if crossing.is_breach else "slo_warning"
        level = slo.thresholds(policy, crossing.escalation.priority)[crossing.to_stage - 1]
        events.append(
            EscalationEvent(
                escalation_id=crossing.escalation.id,
                at=now,
                actor_id=None,
                kind=kind,
                data={"stage": crossing.to_stage, "percent": round(level * 100)},
            )
        )
    return events


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
