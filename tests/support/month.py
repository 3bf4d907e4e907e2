"""A simulated month of 24 escalations, and every notification the bot sent during it.

November 2026 in Asia/Tokyo (Culture Day on Tuesday 3rd and Labour Thanksgiving on Monday 23rd
are holidays), three engineers and a lead, manual assignment. The cases mix priorities and
behaviours: answered promptly, resolved late (SLO breaches, two of them P1), claimed only after
days in the queue, waiting on CS, and claimed then left alone so that reminders go unanswered
and the lead is told. People act through the domain at scripted instants; between them the real
jobs run on their schedules (`LocalWorkspace.advance`) and the outbox delivers to the Slack
stand-in. Nothing is random: the same month gives the same posts.

What the bot posted is then read back from the stand-in (`chat.postMessage` calls, as posted,
not as later updated) and each post is classified: a DM, a reply in an escalation's thread, or a
top-level post in a channel (a reply also sent to the channel counts as top-level). Used by
`bench/notifications.py` (figures in the README) and `tests/test_notification_budget.py`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot import escalations
from bot.models import Escalation, Status
from bot.policy import Policy, parse_policy
from bot.workspace.shell import LocalWorkspace
from bot.workspace.webapi import RecordedCall

ROOT = Path(__file__).resolve().parents[2]
TOKYO_POLICY = ROOT / "tests" / "fixtures" / "policy.toml"
HANAKO, TARO, KENJI, LEAD = "U0HANAKO", "U0TARO", "U0KENJI", "U0LEAD"
FILER = "U0CSMIKI"
CHANNEL = "C0ESCALATE"
START = datetime.fromisoformat("2026-11-02T08:00:00+09:00")
END = datetime.fromisoformat("2026-12-01T12:00:00+09:00")  # after December's first digest run
# The jobs that post (the similarity index and housekeeping post nothing, and are slow to step through).
POSTING_JOBS = frozenset({"slo-sweep", "card-refresh", "stale-reminders", "monthly-digest"})

PROMPT, SLOW, IGNORED, WAITS = "prompt", "slow", "ignored", "waits"


@dataclass(frozen=True)
class Case:
    """One escalation of the month: when it is filed, who takes it when, and how it goes."""

    filed: str  # local "MM-DD HH:MM" in November 2026
    priority: str
    engineer: str
    claim_after: str  # business time from filing to the claim ("3d": days in the queue)
    behaviour: str  # PROMPT: replies every working day; SLOW: the same, resolved past target;
    # IGNORED: acknowledged, then silent; WAITS: asks CS, resumes a working day later
    resolve_after: str | None  # business time from filing; None: still open at month end


CASES = (
    Case("11-02 10:00", "P2", HANAKO, "30m", PROMPT, "1d"),
    Case("11-02 11:00", "P3", TARO, "1h", PROMPT, "3d"),
    Case("11-02 14:00", "P1", KENJI, "15m", PROMPT, "3h"),
    Case("11-04 09:30", "P2", HANAKO, "2h", SLOW, "3d"),
    Case("11-04 15:00", "P3", KENJI, "3d", PROMPT, "4d"),
    Case("11-05 10:00", "P2", TARO, "1h", IGNORED, "10d"),
    Case("11-05 16:00", "P1", HANAKO, "1h", SLOW, "6h"),
    Case("11-06 10:00", "P3", KENJI, "4h", WAITS, "4d"),
    Case("11-06 17:30", "P2", HANAKO, "2d", PROMPT, "3d"),
    Case("11-09 09:10", "P2", TARO, "30m", PROMPT, "1d"),
    Case("11-09 13:00", "P3", HANAKO, "1h", IGNORED, "12d"),
    Case("11-10 10:00", "P1", KENJI, "10m", PROMPT, "2h"),
    Case("11-11 11:00", "P2", TARO, "5d", PROMPT, "7d"),
    Case("11-12 10:00", "P3", TARO, "2h", WAITS, "3d"),
    Case("11-13 15:00", "P2", HANAKO, "1h", SLOW, "3d"),
    Case("11-16 10:00", "P2", KENJI, "30m", PROMPT, "1d4h"),
    Case("11-16 14:00", "P3", TARO, "1h", PROMPT, "2d"),
    Case("11-17 10:00", "P1", HANAKO, "2h", SLOW, "5h"),
    Case("11-18 11:00", "P2", KENJI, "1h", IGNORED, None),
    Case("11-19 10:00", "P3", HANAKO, "3h", WAITS, "4d"),
    Case("11-20 16:00", "P2", TARO, "1h", PROMPT, "1d"),
    Case("11-24 10:00", "P3", KENJI, "3d", PROMPT, None),
    Case("11-25 10:00", "P2", HANAKO, "1h", SLOW, "2d4h"),
    Case("11-26 14:00", "P2", TARO, "1h", PROMPT, "2d"),
)


def month_policy() -> Policy:
    """The tests' policy (Asia/Tokyo, JP holidays, three engineers and a lead), assigned by hand."""
    text = TOKYO_POLICY.read_text().replace('strategy = "least-loaded"', 'strategy = "manual"')
    return parse_policy(text, source=str(TOKYO_POLICY))


# -- what the bot posted --------------------------------------------------------------------------

DM, THREAD, TOP = "dm", "thread", "channel"
KEY = re.compile(r"\bESC-(\d+)\b")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


@dataclass(frozen=True)
class Notification:
    """One message the bot posted, as it was when posted."""

    at: datetime
    key: str  # the outbox key it was posted under (what it is: `bot.outbox_keys`)
    kind: str  # DM, THREAD or TOP
    to: str  # the user for a DM, else the channel
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    escalations: frozenset[int]  # the escalations it is about
    mentions: frozenset[str]

    @property
    def everything(self) -> str:
        """Its text and blocks, for reading what it says."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)

    def buttons(self) -> list[str]:
        """The action ids of its buttons and pickers."""
        return [
            str(element.get("action_id"))
            for block in self.blocks
            for element in [*block.get("elements", []), block.get("accessory") or {}]
            if isinstance(element, dict) and element.get("action_id")
        ]


@dataclass
class Month:
    """The simulated month: its escalations and what the bot posted."""

    policy: Policy
    ids: list[int]  # CASES[i] is ESC-ids[i]
    assignees: dict[int, set[str]]
    priorities: dict[int, str]
    notifications: list[Notification] = field(default_factory=list)
    # Messages changed in place (chat.update: nobody is notified): (channel, ts, what they now say).
    redraws: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return len(self.redraws)

    def dm_redraws_mentioning(self, words: str) -> int:
        """DMs changed in place to say `words`."""
        return sum(
            1 for channel, _, said in self.redraws if channel.startswith("D") and words in said
        )

    def list_redraws(self) -> int:
        """Changes in place of the day's unclaimed lists."""
        lists = {n.ts for n in self.of_kind(TOP) if n.key.startswith("unassigned:")}
        return sum(1 for _, ts, _ in self.redraws if ts in lists)

    def of_kind(self, kind: str) -> list[Notification]:
        return [n for n in self.notifications if n.kind == kind]

    def received(self, person: str, escalation_id: int) -> Counter[str]:
        """What one person was notified of about one escalation, by kind.

        A DM to them naming it; a thread reply in its thread mentioning them; a top-level
        post naming it that mentions them.
        """
        counts: Counter[str] = Counter()
        for n in self.notifications:
            if escalation_id not in n.escalations:
                continue
            if n.kind == DM and n.to == person:
                counts[DM] += 1
            elif n.kind != DM and person in n.mentions and not n.key.startswith("digest:"):
                counts[n.kind] += 1
        return counts

    def channel_posts(self, escalation_id: int) -> list[Notification]:
        """Top-level channel posts naming one escalation (its own message included; the monthly
        digest, which names the slow closes, is not about one escalation)."""
        return [
            n
            for n in self.of_kind(TOP)
            if escalation_id in n.escalations and not n.key.startswith("digest:")
        ]

    def dms_per_day(self, person: str) -> Counter[date]:
        tz = self.policy.business_calendar.tz
        return Counter(n.at.astimezone(tz).date() for n in self.of_kind(DM) if n.to == person)

    def figures(self) -> dict[str, dict[str, float]]:
        """Per escalation: mean and max notifications for its assignee(s) and the lead, by kind;
        and top-level channel posts naming it."""
        rows: dict[str, list[float]] = defaultdict(list)
        for escalation_id in self.ids:
            for person in sorted(self.assignees[escalation_id]):
                got = self.received(person, escalation_id)
                for kind in (DM, THREAD, TOP):
                    rows[f"assignee {kind}"].append(got[kind])
            got = self.received(LEAD, escalation_id)
            for kind in (DM, THREAD, TOP):
                rows[f"lead {kind}"].append(got[kind])
            rows["channel top-level posts"].append(len(self.channel_posts(escalation_id)))
        return {
            name: {"mean": sum(values) / len(values), "max": max(values)}
            for name, values in rows.items()
        }

    def summary(self) -> list[str]:
        """The figures as lines of text."""
        lines = [f"{'per escalation':<26} {'mean':>6} {'max':>5}"]
        for name, value in self.figures().items():
            lines.append(f"{name:<26} {value['mean']:>6.2f} {value['max']:>5.0f}")
        lines.append("per person over the month: DMs (most in one day)")
        for person in (HANAKO, TARO, KENJI, LEAD):
            per_day = self.dms_per_day(person)
            lines.append(
                f"  {person:<10} {sum(per_day.values()):>3} ({max(per_day.values(), default=0)})"
            )
        lines.append(
            f"posts: {len(self.of_kind(DM))} DMs, {len(self.of_kind(THREAD))} thread replies, "
            f"{len(self.of_kind(TOP))} top-level; {self.updates} updated in place"
        )
        return lines


def read_posts(workspace: LocalWorkspace, cards: dict[str, int]) -> list[Notification]:
    """Every message the bot posted, classified (`cards`: escalation message ts → id)."""
    keys_to_ids = {f"ESC-{i}": i for i in cards.values()}
    out = []
    for call in workspace.standin.calls_to("chat.postMessage"):
        response = call.response
        if not isinstance(response, dict) or not response.get("ok"):
            continue
        out.append(_notification(call, response, cards, keys_to_ids))
    return out


def read_redraws(workspace: LocalWorkspace) -> list[tuple[str, str, str]]:
    """Every message the bot changed in place, with what it said after."""
    out = []
    for call in workspace.standin.calls_to("chat.update"):
        response = call.response
        if isinstance(response, dict) and response.get("ok"):
            message = response["message"]
            said = str(message.get("text") or "") + json.dumps(message.get("blocks") or [])
            out.append((str(response["channel"]), str(response["ts"]), said))
    return out


def _outbox_key(call: RecordedCall) -> str:
    metadata = call.args.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return str((metadata.get("event_payload") or {}).get("key", ""))


def _notification(
    call: RecordedCall,
    response: dict[str, Any],
    cards: dict[str, int],
    keys_to_ids: dict[str, int],
) -> Notification:
    message = response["message"]
    channel = str(response["channel"])
    text, blocks = str(message.get("text") or ""), list(message.get("blocks") or [])
    thread_ts = message.get("thread_ts")
    everything = text + json.dumps(blocks)
    named = {
        keys_to_ids[k] for k in (f"ESC-{n}" for n in KEY.findall(everything)) if k in keys_to_ids
    }
    if channel.startswith("D"):
        kind, to = DM, "U" + channel[1:]
    elif thread_ts and call.args.get("reply_broadcast") not in (True, "true", "1"):
        kind, to = THREAD, channel
    else:
        kind, to = TOP, channel
    about = cards.get(str(thread_ts or message["ts"]))
    if about is not None:
        named = {about} if kind == THREAD else named | {about}
    return Notification(
        at=datetime.fromtimestamp(call.at, UTC),
        key=_outbox_key(call),
        kind=kind,
        to=to,
        ts=str(message["ts"]),
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
        escalations=frozenset(named),
        mentions=frozenset(MENTION.findall(everything)),
    )


# -- playing the month ----------------------------------------------------------------------------


def run_month(*, database_url: str, files_dir: Path) -> Month:
    """Play the month against a migrated (or empty) database; what was posted, read back."""
    policy = month_policy()
    with LocalWorkspace(
        policy=policy, database_url=database_url, start=START, files_dir=files_dir
    ) as workspace:
        player = _Player(workspace)
        for at, act in player.script():
            workspace.advance(at, only=POSTING_JOBS)
            act()
            workspace.runtime.deliver()
        workspace.advance(END, only=POSTING_JOBS)
        with workspace.runtime.db.session() as session:
            rows = session.exec(select(Escalation)).all()
            cards = {e.message_ts: e.id for e in rows if e.message_ts and e.id}
        month = Month(
            policy=policy,
            ids=player.ids,
            assignees=player.assignees,
            priorities={player.ids[i]: c.priority for i, c in enumerate(CASES)},
            notifications=read_posts(workspace, cards),
            redraws=read_redraws(workspace),
        )
        problems = list(workspace.standin.problems)
    if problems:
        raise AssertionError("calls Slack would reject:\n" + "\n".join(problems))
    return month


class _Player:
    """The people of the month, acting through the domain at the cases' instants."""

    def __init__(self, workspace: LocalWorkspace) -> None:
        self.workspace = workspace
        self.policy = workspace.policy
        self.ids: list[int] = []
        self.assignees: dict[int, set[str]] = defaultdict(set)

    def _at(self, local: str) -> datetime:
        return datetime.fromisoformat(f"2026-{local.replace(' ', 'T')}:00+09:00")

    def _after(self, start: datetime, duration: str) -> datetime:
        return self.policy.business_calendar.add(start, self.policy.business_duration(duration))

    def script(self) -> list[tuple[datetime, Callable[[], None]]]:
        """Every act of the month in order (filing first, so ids follow the cases)."""
        acts: list[tuple[datetime, int, Callable[[], None]]] = []
        for number, case in enumerate(CASES):
            acts.extend((at, number, act) for at, act in self._acts(number, case))
        acts.sort(key=lambda a: (a[0], a[1]))
        return [(at, act) for at, _, act in acts]

    def _acts(self, number: int, case: Case) -> Iterator[tuple[datetime, Callable[[], None]]]:
        filed = self._at(case.filed)
        claimed = self._after(filed, case.claim_after)
        resolved = self._after(filed, case.resolve_after) if case.resolve_after else END
        yield filed, lambda: self._file(number, case)
        yield claimed, lambda: self._do(number, escalations.claim, case.engineer)
        yield (
            claimed + timedelta(minutes=10),
            lambda: self._do(number, escalations.acknowledge, case.engineer),
        )
        waiting: tuple[datetime, datetime] | None = None
        if case.behaviour == WAITS:
            asked = claimed + timedelta(minutes=40)
            back = self._after(asked, "1d")
            waiting = (asked, back)
            yield (
                asked,
                lambda: self._do(
                    number, escalations.wait_on_cs, case.engineer, question="Which app version?"
                ),
            )
            yield back, lambda: self._do(number, escalations.resume, case.engineer)
        if case.behaviour != IGNORED:
            for reply in self._daily(claimed, resolved):
                if waiting is None or not waiting[0] <= reply <= waiting[1]:
                    yield reply, lambda: self._reply(number, case.engineer)
        if case.resolve_after:
            yield (
                resolved,
                lambda: self._do(
                    number,
                    escalations.resolve,
                    case.engineer,
                    cause="bug",
                    note="Fixed in the backend.",
                    answer="Fixed; please ask them to try again.",
                ),
            )

    def _daily(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """11:30 on each working day after `start` and before `end`."""
        calendar = self.policy.business_calendar
        day = start.astimezone(calendar.tz).date()
        while True:
            day = calendar.next_working_day(day)
            at = datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz).replace(
                hour=11, minute=30
            )
            if at >= end:
                return
            yield at

    def _file(self, number: int, case: Case) -> None:
        runtime = self.workspace.runtime
        draft = escalations.EscalationDraft(
            end_user_id=f"u-{2000 + number}",
            product=("album", "game", "market")[number % 3],
            category=("login", "billing", "data", "other")[number % 4],
            priority=case.priority,
            summary=f"Case {number + 1}: customer cannot finish checkout",
            details="",
            zendesk=None,
        )
        with runtime.db.session() as session:
            filed = escalations.file_escalation(
                session=session,
                policy=self.policy,
                draft=draft,
                filed_by=FILER,
                intake_key=f"month:{number}",
                now=runtime.now(),
            )
            assert filed.escalation.id is not None
            self.ids.append(filed.escalation.id)

    def _do(self, number: int, change: Callable[..., Escalation], actor: str, **more: Any) -> None:
        runtime = self.workspace.runtime
        with runtime.db.session() as session:
            escalation = change(
                session=session,
                policy=self.policy,
                escalation_id=self.ids[number],
                actor_id=actor,
                now=runtime.now(),
                **more,
            )
            if escalation.assignee_id:
                self.assignees[self.ids[number]].add(escalation.assignee_id)

    def _reply(self, number: int, engineer: str) -> None:
        """The engineer writes in the escalation's thread (activity, as the message event records)."""
        runtime = self.workspace.runtime
        with runtime.db.session() as session:
            escalation = session.get(Escalation, self.ids[number])
            assert escalation is not None
            assert escalation.message_ts is not None
            if escalation.status == Status.RESOLVED or escalation.assignee_id != engineer:
                return
            escalations.record_thread_reply(
                session=session,
                policy=self.policy,
                channel_id=escalation.channel_id,
                thread_ts=escalation.message_ts,
                user_id=engineer,
                now=runtime.now(),
            )
