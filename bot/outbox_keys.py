"""Every outbox key, built here and nowhere else: the exactly-once guarantee rests on them.

A key names one post that must happen once, whoever promises it and however often: the outbox
stores a key once (a unique column), so a retried request, a re-run job or a second scheduler
that promises the same post again adds nothing. A key must therefore be derived only from what
identifies the post (the escalation, the timeline entry, the day, the month), never from the
time of the attempt or a random value, unless posting again is the point (a digest re-run).

The format is `<what>:<identifying parts…>`, parts joined by ":", at most 200 characters:

    esc:42:post                        ESC-42's channel message
    esc:42:card:7                      its redraw after timeline entry 7
    esc:42:event:7                     the thread line of timeline entry 7
    esc:42:card:left:20261125T050000   its redraw when the time left it shows changes
    esc:42:card:similar:3              its redraw when its similar escalations (found for its
                                       version 3) changed
    esc:42:card:match:7:5              its redraw because ESC-7, its first similar escalation, was
                                       resolved or reopened (from ESC-7's version 5)
    esc:42:dm:U0HANAKO:20261125T050000 the DM telling U0HANAKO ESC-42 is theirs (assigned then)
    esc:42:dm:U0HANAKO:20261125T050000:update:7   that DM redrawn after timeline entry 7 (…:update:slo2
                                       after SLO stage 2)
    slo:42:2:thread                    stage 2 (a warning threshold, or the breach) of its SLO
    remind:2026-11-25:U0HANAKO:1a2b3c  a reminder DM for that day and that set of escalations
    remind-lead:2026-11-25:1a2b3c      the lead told of ignored reminders
    unassigned:2026-11-25              the day's post about escalations nobody claimed
    unassigned:2026-11-25:update:7     that post redrawn in place after timeline entry 7 (a claim)
    digest:2026-10:post                October's digest (…:prompt, …:more:1, …:chart, …:csv),
    digest:2026-10:post:rerun-ab12     and an operator's re-run of it
    esc:42:filer:filed                 its filer told ESC-42 was filed (a Slack DM; a Zendesk agent
                                       not in Slack: the CS channel)
    esc:42:filer:wait:7                its filer asked timeline entry 7's question (waiting on CS)
    esc:42:source                      the one reply in the thread of the message it was filed from
    esc:42:source:7                    that reply updated in place after timeline entry 7
    zd:42:7:note                       the Zendesk note for ESC-42's timeline entry 7 (…:add_tags,
                                       …:remove_tags); these live in the zendesk_write table
    zd-gave-up:9:20261125T050000       the lead told write 9 was given up on, at that instant
                                       (after a *Try again*, a second give-up is told again)
    zd-delivery:5:failed               the lead told Zendesk delivery 5 could not be filed
    setup:not_in_channel:C0DIGEST      the lead told, once, that Slack refused posts to C0DIGEST
                                       with that error (and what to do about it)

Rows that must go in order share a group (`group`): an escalation's message and its thread, or
a post and the replies in its thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime

SETUP_NOTICE = "setup:"

# The SLO alert posts of one stage (bot.slo_alerts).
SLO_POSTS = ("card", "thread", "direct", "channel")


def card_post(escalation_id: int) -> str:
    """The escalation's channel message."""
    return f"esc:{escalation_id}:post"


def card_update(escalation_id: int, event_id: int) -> str:
    """The escalation's message redrawn after a timeline entry."""
    return f"esc:{escalation_id}:card:{event_id}"


def thread_line(escalation_id: int, event_id: int) -> str:
    """A timeline entry's line in the escalation's thread."""
    return f"esc:{escalation_id}:event:{event_id}"


def card_refresh(escalation_id: int, at: datetime) -> str:
    """The escalation's message redrawn because the time left it shows changes at `at`."""
    return f"esc:{escalation_id}:card:left:{at:%Y%m%dT%H%M%S}"


def similar_card(escalation_id: int, version: int) -> str:
    """The escalation's message redrawn because the similar escalations found for it changed."""
    return f"esc:{escalation_id}:card:similar:{version}"


def similar_status(escalation_id: int, match_id: int, match_version: int) -> str:
    """The escalation's message redrawn because its first similar escalation was resolved or
    reopened (the change from that one's `match_version`)."""
    return f"esc:{escalation_id}:card:match:{match_id}:{match_version}"


def assignment_dm(escalation_id: int, assignee_id: str, assigned_at: datetime) -> str:
    """The DM telling the assignee an escalation is theirs (one per assignment)."""
    # In UTC: the instant read back from the database must name the same DM as the one just set.
    return f"esc:{escalation_id}:dm:{assignee_id}:{assigned_at.astimezone(UTC):%Y%m%dT%H%M%S}"


# In the key of a post redrawn in place (a DM, the unclaimed list): how the outbox tells a redraw.
REDRAWN_IN_PLACE = ":update:"


def dm_update(dm_key: str, cause: str) -> str:
    """An assignment DM redrawn in place after `cause` (a timeline entry id, or "slo<stage>")."""
    return f"{dm_key}{REDRAWN_IN_PLACE}{cause}"


def slo_alert(escalation_id: int | None, stage: int, post: str) -> str:
    """One post of one SLO stage (`post` is one of SLO_POSTS)."""
    if post not in SLO_POSTS:
        raise ValueError(f"unknown SLO post {post!r}")
    return f"slo:{escalation_id}:{stage}:{post}"


def reminder_dm(day: date, engineer_id: str, escalation_ids: Iterable[int | None]) -> str:
    """One engineer's reminder DM for a day and the escalations it is about."""
    return f"remind:{day}:{engineer_id}:{_digest(escalation_ids)}"


def lead_reminder(day: date, escalation_ids: Iterable[int | None]) -> str:
    """The lead's DM for a day about the reminders nobody answered."""
    return f"remind-lead:{day}:{_digest(escalation_ids)}"


def lead_reminder_update(post: str, escalation_id: int, version: int) -> str:
    """The lead's DM `post` redrawn in place after a change to one it lists (at that version)."""
    return f"{post}{REDRAWN_IN_PLACE}{escalation_id}:{version}"


def unassigned_reminder(day: date) -> str:
    """The day's channel post about escalations nobody claimed."""
    return f"unassigned:{day}"


def unassigned_update(day: date, event_id: int) -> str:
    """The day's unclaimed list redrawn in place after a timeline entry of one it lists."""
    return f"{unassigned_reminder(day)}{REDRAWN_IN_PLACE}{event_id}"


def digest_part(month: str, part: str, run_id: str | None = None) -> str:
    """A part of a month's digest ("post", "prompt", "more:1", "chart", "csv"), or of a re-run."""
    return f"digest:{month}:{part}" + (f":rerun-{run_id}" if run_id else "")


def filer_told(escalation_id: int) -> str:
    """The Slack notice to whoever filed ESC-<id> (from the modal, a message or Zendesk)."""
    return f"esc:{escalation_id}:filer:filed"


def filer_asked(escalation_id: int, event_id: int) -> str:
    """The filer's DM with the question of a Waiting-on-CS timeline entry, and a button to answer."""
    return f"esc:{escalation_id}:filer:wait:{event_id}"


def source_reply(escalation_id: int) -> str:
    """The one reply in the thread of the message the escalation was filed from."""
    return f"esc:{escalation_id}:source"


def source_update(escalation_id: int, event_id: int) -> str:
    """That reply updated in place after a timeline entry."""
    return f"esc:{escalation_id}:source:{event_id}"


def zendesk_write(escalation_id: int, event_id: int, kind: str) -> str:
    """One note or tag change owed to the escalation's Zendesk ticket for one timeline entry."""
    return f"zd:{escalation_id}:{event_id}:{kind}"


def zendesk_gave_up(write_id: int, at: datetime) -> str:
    """The lead told that a Zendesk write was given up on (each give-up is its own news)."""
    return f"zd-gave-up:{write_id}:{at:%Y%m%dT%H%M%S}"


def zendesk_delivery_failed(delivery_id: int) -> str:
    """The lead told that a Zendesk delivery could not be filed."""
    return f"zd-delivery:{delivery_id}:failed"


def setup_problem(error: str, channel: str) -> str:
    """The lead told, once, that Slack refuses posts to `channel` with `error` (a setup problem)."""
    return f"{SETUP_NOTICE}{error}:{channel}"[:200]


def is_setup_notice(key: str) -> bool:
    """True for a `setup_problem` key: its own failure must not promise another notice."""
    return key.startswith(SETUP_NOTICE)


def group(*, key: str, escalation_id: int | None, thread_of: str | None) -> str:
    """The rows that go in order with this one: its escalation's, its parent post's, or none."""
    if escalation_id is not None:
        return f"esc:{escalation_id}"
    return f"thread:{thread_of}" if thread_of else f"own:{key}"


def _digest(escalation_ids: Iterable[int | None]) -> str:
    """A short fingerprint of a set of escalations (a new set makes a new post)."""
    joined = ",".join(str(i) for i in escalation_ids)
    return hashlib.sha256(joined.encode()).hexdigest()[:12]
