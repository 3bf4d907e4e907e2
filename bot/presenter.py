"""Reads what a Slack surface needs from the database and hands it to the pure Block Kit builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot import assignment, escalations, lead_dm, reminders, slo, unclaimed
from bot.blocks import slo as slo_words
from bot.blocks.assignment import build_assignment_dm
from bot.blocks.common import MESSAGE_BLOCKS_MAX, Block
from bot.blocks.escalation import build_escalation_card, build_thread_line, timeline_line
from bot.blocks.lists import (
    Group,
    Row,
    build_home_view,
    build_list_message,
    build_show_message,
    rows_per_group,
    team_state_block,
)
from bot.blocks.lookup import history_line
from bot.blocks.loop import build_filed_confirmation, build_question_dm, build_source_reply
from bot.blocks.reminders import (
    ReminderItem,
    build_lead_dm,
    build_reminder_dm,
    build_unassigned_post,
)
from bot.blocks.similar import card_line
from bot.blocks.zendesk import pending_line, unmapped_line
from bot.digest import chart as digest_chart
from bot.digest import export as digest_export
from bot.digest.post import CHART_FILE, CSV_FILE
from bot.i18n import t
from bot.lookup.service import end_user_names, history_summary
from bot.models import Escalation
from bot.policy import Policy
from bot.similarity.service import card_matches
from bot.zendesk import writeback

LIST_LIMIT = 40


class Facts:
    """Extra facts about an escalation: card fields, context lines, and short texts for list rows."""

    def __init__(self) -> None:
        self.fields: list[str] = []
        self.lines: list[str] = []
        self.row: list[str] = []


def collect_facts(
    *, policy: Policy, escalation: Escalation | escalations.Listed, now: datetime, live: bool
) -> Facts:
    """What the card and list rows show beyond the record itself: the SLO clock.

    `live` is for what is drawn when asked (lists, /cre show); the channel message is a
    snapshot, so its SLO line says what stays true until its next refresh.
    """
    facts = Facts()
    lang = policy.language
    current = slo.state(policy=policy, escalation=escalation, now=now)
    line = slo_words.describe(policy=policy, current=current, now=now)
    light = slo_words.slo_emoji(current, policy, escalation.priority)
    card_line = line if live else slo_words.card_line(policy=policy, current=current, now=now)
    facts.fields.append(f"*{t('label.slo', lang)}*\n{light} {card_line}")
    facts.row.append(f"{light} {line}")
    return facts


def render_card(
    *,
    session: Session,
    policy: Policy,
    escalation: Escalation,
    now: datetime,
    live: bool,
    workspace_url: str | None = None,
) -> tuple[str, list[Block]]:
    """The escalation's channel message as it should look now (with the user's earlier ones)."""
    facts = collect_facts(policy=policy, escalation=escalation, now=now, live=live)
    # Only the card (and /cre show) carry this: list rows would pay a query each. The user may be
    # filed under their id or their email: the directory, when it is the source, knows both.
    history = history_summary(
        session=session,
        end_user_ids=end_user_names(policy=policy, end_user_id=escalation.end_user_id),
        exclude_id=escalation.id,
    )
    if history is not None:
        facts.lines.append(history_line(policy=policy, summary=history))
    if escalation.id is not None:
        # Found by the similarity-index job after filing: reading them is one stored row.
        matches = card_matches(session=session, escalation_id=escalation.id)
        similar = card_line(policy=policy, matches=matches, workspace_url=workspace_url)
        if similar:
            facts.lines.append(similar)
    unmapped = unmapped_line(policy=policy, escalation=escalation)
    if unmapped:
        facts.lines.append(unmapped)
    if live and escalation.id is not None and escalation.zendesk_ticket_id is not None:
        # Drawn when asked (/cre show): notes and tags the ticket has not got yet.
        writes = writeback.unwritten(session=session, escalation_id=escalation.id)
        pending = pending_line(policy=policy, escalation=escalation, writes=writes)
        if pending:
            facts.lines.append(pending)
    return build_escalation_card(
        policy=policy, escalation=escalation, extra_fields=facts.fields, context_lines=facts.lines
    )


def render_assignment_dm(
    *,
    policy: Policy,
    escalation: Escalation,
    user: str,
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """The DM to `user` about an escalation they were given, as it stands now."""
    current = slo.state(policy=policy, escalation=escalation, now=now)
    return build_assignment_dm(
        policy=policy,
        escalation=escalation,
        user=user,
        current=current,
        now=now,
        workspace_url=workspace_url,
    )


def render_message(
    *,
    session: Session,
    policy: Policy,
    payload: dict[str, Any],
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """A post drawn when sent (`OutboxRow.drawn`): the day's unclaimed list, or the lead's DM of
    ignored work, as its escalations stand."""
    render = payload.get("render")
    if render not in (unclaimed.RENDER, lead_dm.RENDER):
        raise ValueError(f"no renderer for {render!r}")
    ids = [int(i) for i in payload.get("ids") or []]
    rows = session.exec(select(Escalation).where(col(Escalation.id).in_(ids))).all()
    listed = sorted(rows, key=lambda e: ids.index(e.id or 0))
    slo_lines = {
        e.id or 0: slo_words.describe(
            policy=policy, current=slo.state(policy=policy, escalation=e, now=now), now=now
        )
        for e in listed
    }
    if render == lead_dm.RENDER:
        items = [
            reminder_item(policy=policy, escalation=e, now=now, outcome=lead_dm.outcome(e))
            for e in listed
        ]
        return build_lead_dm(
            policy=policy,
            items=items,
            slo_lines=slo_lines,
            workspace_url=workspace_url,
            post=payload.get("post"),
        )
    return build_unassigned_post(
        policy=policy, escalations=listed, slo_lines=slo_lines, workspace_url=workspace_url
    )


def render_thread_line(
    *, session: Session, policy: Policy, escalation: Escalation, event_id: int
) -> str:
    """A timeline entry's line in the escalation's thread, worded as it is sent."""
    event = escalations.read_event(session=session, event_id=event_id)
    if event is None or event.escalation_id != escalation.id:
        raise LookupError(f"no timeline entry {event_id} of {escalation.key}")
    return build_thread_line(policy=policy, escalation=escalation, event=event)


def render_notice(
    *,
    session: Session,
    policy: Policy,
    escalation: Escalation,
    payload: dict[str, Any],
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """What the filer is told (a DM), worded as it is sent: the row's payload names the notice."""
    assert escalation.id is not None
    what = payload.get("notice")
    if payload.get("kind") in ("source.post", "source.update"):
        return build_source_reply(
            policy=policy,
            escalation=escalation,
            question=escalations.latest_question(session=session, escalation_id=escalation.id),
            now=now,
            workspace_url=workspace_url,
        )
    if what == "filed":
        return build_filed_confirmation(
            policy=policy, escalation=escalation, now=now, workspace_url=workspace_url
        )
    if what == "waiting":
        event = escalations.read_event(session=session, event_id=int(payload["event_id"]))
        question = str(((event.data if event else None) or {}).get("question") or "")
        return build_question_dm(
            policy=policy, escalation=escalation, question=question, workspace_url=workspace_url
        )
    raise LookupError(f"no notice {what!r} for {escalation.key}")


FileRenderer = Callable[[Session, Policy, dict[str, Any]], tuple[str, bytes]]
_file_renderers: dict[str, FileRenderer] = {}


def renders_file(kind: str) -> Callable[[FileRenderer], FileRenderer]:
    """Register how to produce the bytes of an uploaded file of some kind (a chart, a CSV)."""

    def register(renderer: FileRenderer) -> FileRenderer:
        _file_renderers[kind] = renderer
        return renderer

    return register


renders_file(CHART_FILE)(digest_chart.render_chart_file)
renders_file(CSV_FILE)(digest_export.render_csv_file)


def render_file(*, session: Session, policy: Policy, payload: dict[str, Any]) -> tuple[str, bytes]:
    """The filename and bytes for an outbox upload."""
    renderer = _file_renderers[payload["file"]]
    return renderer(session, policy, payload)


def reminder_blocks(
    *,
    session: Session,
    policy: Policy,
    engineer_id: str,
    escalation_ids: Sequence[int],
    reminded_at: datetime,
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """A reminder DM re-drawn after a button press: answered escalations show what happened."""
    items = []
    for escalation_id in escalation_ids:
        escalation = session.get(Escalation, escalation_id, populate_existing=True)
        if escalation is None:
            continue
        state = reminders.reminder_state(
            escalation=escalation, engineer_id=engineer_id, reminded_at=reminded_at, now=now
        )
        items.append(
            reminder_item(policy=policy, escalation=escalation, now=now, outcome=state.outcome)
        )
    return build_reminder_dm(policy=policy, items=items, workspace_url=workspace_url)


def reminder_item(
    *, policy: Policy, escalation: Escalation, now: datetime, outcome: str | None = None
) -> ReminderItem:
    """One escalation as a reminder shows it: its age and quiet time (business time), its SLO state."""
    calendar = policy.business_calendar
    current = slo.state(policy=policy, escalation=escalation, now=now)
    return ReminderItem(
        escalation=escalation,
        age=calendar.elapsed(escalation.filed_at, now),
        idle=calendar.elapsed(escalation.last_activity_at, now),
        slo_line=slo_words.describe(policy=policy, current=current, now=now),
        outcome=outcome,
    )


def _rows(
    policy: Policy, items: Sequence[Escalation | escalations.Listed], now: datetime
) -> list[Row]:
    return [
        Row(e, collect_facts(policy=policy, escalation=e, now=now, live=True).row) for e in items
    ]


def mine_blocks(
    *, session: Session, policy: Policy, user_id: str, now: datetime, workspace_url: str | None
) -> list[Block]:
    """`/cre mine`: what the caller owns, and what they filed that is still open."""
    mine = escalations.list_assigned_to(session=session, user_id=user_id, limit=200)
    filed = escalations.list_filed_by(session=session, user_id=user_id, limit=200)
    groups: list[Group] = []
    if mine or policy.is_engineer(user_id):
        groups.append(_group(policy, "reply.mine.title", "reply.mine.empty", mine, now))
    if filed or not groups:
        groups.append(_group(policy, "reply.mine.filed", "reply.mine.filed.empty", filed, now))
    return build_list_message(policy=policy, groups=groups, workspace_url=workspace_url)


def _group(
    policy: Policy, title: str, empty: str, rows: Sequence[Escalation], now: datetime
) -> Group:
    lang = policy.language
    return Group(
        t(title, lang, count=len(rows)),
        _rows(policy, rows[:LIST_LIMIT], now),
        total=len(rows),
        empty_text=t(empty, lang),
    )


def queue_groups(
    *,
    session: Session,
    policy: Policy,
    now: datetime,
    viewer: str | None = None,
    rows: int = LIST_LIMIT,
) -> list[Group]:
    """The unassigned queue and everything in progress (with a `viewer`: what others have, their
    own being listed apart), at most `rows` of each: the most urgent."""
    lang = policy.language
    counts = escalations.count_unresolved(session=session)
    unassigned = escalations.list_unassigned(session=session, limit=rows)
    in_progress = escalations.list_in_progress(session=session, limit=rows, excluding=viewer)
    total_unassigned = counts.get("open", 0)
    total_progress = sum(n for status, n in counts.items() if status != "open")
    title = "reply.queue.in_progress"
    if viewer:
        total_progress -= escalations.count_assigned_to(session=session, user_id=viewer)
        title = "home.in_progress.others"
    return [
        Group(
            t("reply.queue.unassigned", lang, count=total_unassigned),
            _rows(policy, unassigned, now),
            total=total_unassigned,
        ),
        Group(
            t(title, lang, count=total_progress),
            _rows(policy, in_progress, now),
            total=total_progress,
        ),
    ]


def queue_blocks(
    *, session: Session, policy: Policy, now: datetime, workspace_url: str | None
) -> list[Block]:
    """`/cre queue`."""
    shown = rows_per_group(groups=2, limit=MESSAGE_BLOCKS_MAX)  # no row is read and then cut
    groups = queue_groups(session=session, policy=policy, now=now, rows=shown)
    return build_list_message(policy=policy, groups=groups, workspace_url=workspace_url)


def show_blocks(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    now: datetime,
    workspace_url: str | None = None,
) -> tuple[str, list[Block]]:
    """`/cre show ESC-42`: the card plus the timeline."""
    escalation = escalations.get_escalation(session=session, escalation_id=escalation_id)
    text, card = render_card(
        session=session,
        policy=policy,
        escalation=escalation,
        now=now,
        live=True,
        workspace_url=workspace_url,
    )
    events = escalations.timeline(session=session, escalation_id=escalation_id)
    lines = [timeline_line(policy=policy, escalation=escalation, event=e) for e in events]
    return text, build_show_message(policy=policy, card_blocks=card, timeline=lines)


def home_view(
    *, session: Session, policy: Policy, user_id: str, now: datetime, workspace_url: str | None
) -> dict[str, Any]:
    """The App Home tab for one viewer: their escalations, then the queue and what others have.

    The lead sees the team's state first, and their own escalations last.
    """
    lang = policy.language
    lead = policy.is_lead(user_id)
    mine = escalations.list_assigned_to(session=session, user_id=user_id, limit=200)
    own = Group(
        t("home.mine", lang),
        _rows(policy, mine[:LIST_LIMIT], now),
        total=len(mine),
        empty_text=t("home.mine.empty_lead" if lead else "reply.mine.empty", lang),
    )
    team = queue_groups(session=session, policy=policy, now=now, viewer=user_id)
    groups = [*team, own] if lead else [own, *team]
    away = assignment.availability(session=session, user_id=user_id, now=now)
    away_text = None
    if away.away:
        away_text = t("home.away", lang, until=_until_text(policy, away.away_until))
    team_state = slo.team_state(session=session, policy=policy, now=now) if lead else None
    return build_home_view(
        policy=policy,
        groups=groups,
        workspace_url=workspace_url,
        away_text=away_text,
        extra_blocks=[team_state_block(policy=policy, state=team_state)] if team_state else (),
    )


def _until_text(policy: Policy, until: datetime | None) -> str:
    if until is None:
        return ""
    tz = policy.business_calendar.tz
    last_day = (until.astimezone(tz) - timedelta(seconds=1)).date()
    return t("reply.away_until", policy.language, date=last_day.isoformat())


def away_reply(*, policy: Policy, availability: assignment.Availability) -> str:
    """The reply to `/cre away` or `/cre back`."""
    if not availability.away:
        return t("reply.back", policy.language)
    return t("reply.away", policy.language, until=_until_text(policy, availability.away_until))
