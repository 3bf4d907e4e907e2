"""Soak: three `crebot serve` instances on PostgreSQL, with a crash, a database cut and Slack bursts.

What it runs (a soak, not a timed test; run it by hand, `--minutes` sets its length):

- PostgreSQL (a database of its own, rebuilt at start) behind a loopback TCP proxy, so the bench can
  cut every connection; the Slack stand-in over HTTP, answering 429 and 5xx in scripted bursts.
- Three `crebot serve` processes (gunicorn, the scheduler elected among them) on three ports;
  requests spread round-robin by the bench: `/escalate` + the modal's submission, Acknowledge,
  Waiting on CS / Resume, Resolve (+ its modal), `/cre queue`, `/lookup`.
- A team calendar of every hour of every day (UTC) and SLO targets of minutes, with the sweep
  every minute: the deployed scheduler drives every job as of the instants its triggers give, so
  each minute of the soak is a minute of business time: warnings and breaches happen during it.
  The monthly digest and the daily jobs whose time has passed are caught up by each new leader.
- Midway, one instance is killed with SIGKILL (master and workers) and restarted 20 s later; the
  database connection is cut for 10 s; Slack answers 429 and 503 in bursts.

Then it waits for the outbox to drain and checks, from the database and from what Slack received:
every filing acked as done is filed exactly once, and one told "nothing was changed" is not filed;
every post (card, thread line, DM, warning, breach, digest) reached Slack exactly once (by the
outbox key each carries); every SLO stage was announced once; nothing is pending or failed; no
request was answered 200 after Slack's 3 s. Figures are printed for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import migrate  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Escalation, Lease, Outbox  # noqa: E402
from bot.workspace.driver import Response, SlackDriver, TrackingExecutor  # noqa: E402
from bot.workspace.webapi import Message, SlackStandIn  # noqa: E402
from tests.support.tcp_proxy import TcpProxy  # noqa: E402

SIGNING_SECRET = "soak-signing-secret"  # noqa: S105
CHANNEL = "C0ESCALATE"
ENGINEERS = ["U0HANAKO", "U0TARO", "U0KENJI", "U0MIKI"]
FILERS = ["U0CS1", "U0CS2", "U0CS3"]
SLACK_DEADLINE = 3.0
NOTHING_CHANGED = "nothing was changed"


def soak_policy(reminders_at: str) -> str:
    """Every hour of every day is business time (UTC), and SLO targets are minutes."""
    engineers = "\n".join(
        f'[[roster.engineers]]\nuser = "{user}"\nname = "{user[3:].lower()}"\n'
        for user in ENGINEERS
    )
    return f"""
language = "en"
escalation_channel = "{CHANNEL}"

[roster]
lead = "U0LEAD"
{engineers}
[assignment]
strategy = "least-loaded"

[[products]]
id = "album"
label = "Family Album"

[[categories]]
id = "login"
label = "Login / account"

[[priorities]]
id = "P1"
target = "4m"
warn_at = [0.5, 0.8]

[[priorities]]
id = "P2"
target = "7m"
warn_at = [0.5, 0.8]

[calendar]
timezone = "UTC"
hours = "00:00-24:00"
weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
holidays = ""

[slo]
sweep_every_minutes = 1

[reminders]
stale_after = "3m"
at = "{reminders_at}"
"""


# -- the deployment ---------------------------------------------------------------------------------


@dataclass
class Instance:
    """One `crebot serve` (gunicorn master and its workers)."""

    number: int
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("crebot")), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


class RoundRobin:
    """A WSGI callable for the driver that sends each request to the next instance over HTTP."""

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self._next = 0
        self._lock = threading.Lock()
        self.client = httpx.Client(timeout=30)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            instance = self.instances[self._next % len(self.instances)]
            self._next += 1
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        url = f"http://127.0.0.1:{instance.port}{environ['PATH_INFO']}"
        try:
            answer = self.client.request(
                environ["REQUEST_METHOD"], url, content=body, headers=headers
            )
        except httpx.HTTPError as exc:  # the instance is down: the load balancer would answer 502
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [type(exc).__name__.encode()]
        start_response(f"{answer.status_code} X", list(answer.headers.items()))
        return [answer.content]


# -- what the load remembers --------------------------------------------------------------------------


@dataclass
class Ledger:
    """Every request the bench sent, and what each filing was told."""

    acks: dict[str, list[float]] = field(default_factory=dict)
    late_successes: list[tuple[str, float]] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    filings_acked: list[str] = field(default_factory=list)  # summaries whose submission was acked
    told: dict[str, str] = field(default_factory=dict)  # summary -> the DM its filer got instead
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, response: Response) -> None:
        with self.lock:
            self.acks.setdefault(kind, []).append(response.seconds)
            self.statuses[f"{kind} {response.status}"] += 1
            if response.status == 200 and response.seconds > SLACK_DEADLINE:
                self.late_successes.append((kind, response.seconds))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# -- the soak ----------------------------------------------------------------------------------


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = Path(tempfile.mkdtemp(prefix="crebot-soak-"))
        self.events: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.ledger = Ledger()
        self.stop_load = threading.Event()

    def say(self, what: str) -> None:
        at = time.monotonic() - self.started
        self.events.append((at, what))
        print(f"[{at:7.1f}s] {what}", flush=True)

    # -- set-up ----------------------------------------------------------------------------------

    def prepare_database(self) -> str:
        url = self.args.database_url
        admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        migrate.upgrade(url)
        return url

    def prepare_slack(self) -> SlackStandIn:
        standin = SlackStandIn()
        for user in ["U0LEAD", *ENGINEERS, *FILERS]:
            standin.add_user(user, user[3:].lower())
        standin.add_channel(CHANNEL, "cre-escalations")
        standin.add_channel("C0SUPPORT", "cs-support")
        return standin

    def start_instances(self, database_url: str, slack_url: str) -> list[Instance]:
        policy = self.work / "policy.toml"
        reminders_at = (datetime.now(UTC) + timedelta(minutes=self.args.minutes / 2)).strftime(
            "%H:%M"
        )
        policy.write_text(soak_policy(reminders_at))
        self.say(
            f"policy: 24/7 UTC calendar, P1 4m, P2 7m, sweep every minute, reminders {reminders_at}"
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMETHEUS_"))}
        instances = []
        for number in range(3):
            port = 18000 + self.rng.randrange(1000) * 3 + number
            env = {
                **base,
                "SLACK_BOT_TOKEN": "xoxb-soak",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack_url,
                "DATABASE_URL": database_url,
                "CREBOT_CONFIG": str(policy),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "json",
                "WEB_CONCURRENCY": str(self.args.workers),
                "WEB_THREADS": "8",
                "HOST": "127.0.0.1",
            }
            instance = Instance(number, port, env, self.work / f"serve-{number}.log")
            instance.start()
            instances.append(instance)
        deadline = time.monotonic() + 90
        while not all(i.ready() for i in instances):
            if time.monotonic() > deadline:
                raise SystemExit("the instances did not start; see " + str(self.work))
            time.sleep(0.2)
        self.say(f"3 instances up on ports {[i.port for i in instances]}")
        return instances

    # -- load ------------------------------------------------------------------------------------

    def client_loop(self, driver: SlackDriver, number: int) -> None:
        rng = random.Random(self.args.seed * 100 + number)
        filer = FILERS[number % len(FILERS)]
        serial = 0
        while not self.stop_load.is_set():
            serial += 1
            summary = f"soak {number}-{serial} {uuid.uuid4().hex[:6]}"
            before = len(driver.standin.dms(filer))
            self.file_one(driver, filer, summary, priority=rng.choice(["P1", "P2"]))
            card = self.card_or_dm(driver, summary, filer, before)
            if card is not None:
                self.act_on(driver, card, rng)
            if rng.random() < 0.3:
                self.ledger.note(
                    "command /cre", driver.command("/cre", "queue", user=filer, drain=False)
                )
            self.stop_load.wait(rng.uniform(0.5, 2.0) * self.args.pace)

    def file_one(self, driver: SlackDriver, filer: str, summary: str, *, priority: str) -> None:
        opened = driver.command("/escalate", summary, user=filer, drain=False)
        self.ledger.note("command /escalate", opened)
        view = self.wait_view(driver, summary)
        if view is None:
            return
        values: dict[str, str | None] = {
            "end_user_id": f"u-{random.randrange(1000, 9999)}",
            "product": "album",
            "category": "login",
            "priority": priority,
            "summary": summary,
        }
        submitted = driver.submit(view[0], values, user=filer, view_id=view[1], drain=False)
        self.ledger.note("view_submission", submitted)
        if submitted.status == 200 and submitted.body == "":
            with self.ledger.lock:
                self.ledger.filings_acked.append(summary)

    def wait_view(self, driver: SlackDriver, summary: str) -> tuple[dict[str, Any], str] | None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for call in reversed(driver.standin.calls_to("views.open")):
                sent = call.args.get("view")
                view: dict[str, Any] = json.loads(sent) if isinstance(sent, str) else sent or {}
                text = json.dumps(view)
                if summary in text and isinstance(call.response, dict) and call.response.get("ok"):
                    return view, str(call.response["view"]["id"])
            time.sleep(0.05)
        return None

    def card_or_dm(
        self, driver: SlackDriver, summary: str, filer: str, dms_before: int
    ) -> Message | None:
        """The filing's card, or (noted in the ledger) the DM its filer got instead."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for message in driver.standin.channel_messages(CHANNEL):
                if message.thread_ts in (None, message.ts) and summary in message.text:
                    return message
            dms = driver.standin.dms(filer)
            if len(dms) > dms_before:
                with self.ledger.lock:
                    self.ledger.told[summary] = dms[dms_before].text
                return None
            time.sleep(0.1)
        return None

    def act_on(self, driver: SlackDriver, card: Message, rng: random.Random) -> None:
        roll = rng.random()
        assignee = self.assignee(card)
        if assignee is None or roll < 0.35:
            return  # left alone: it warns and breaches
        self.click(driver, card, "esc.acknowledge", assignee)
        if roll < 0.6:
            return
        if roll < 0.8:
            self.click(driver, card, "esc.wait", assignee)
            self.click(driver, card, "esc.resume", assignee)
            return
        self.click(driver, card, "esc.resolve", assignee)
        view = self.resolution_view(driver, card)
        if view is not None:
            values: dict[str, str | None] = {
                "cause": "bug",
                "answer": "Fixed in the soak.",
                "note": "soak",
            }
            response = driver.submit(view[0], values, user=assignee, view_id=view[1], drain=False)
            self.ledger.note("view_submission resolve", response)

    def assignee(self, card: Message) -> str | None:
        found = re.search(r"<@(U0[A-Z]+)>", json.dumps(card.blocks).split("Assignee", 1)[-1])
        return found.group(1) if found and found.group(1) in ENGINEERS else None

    def click(self, driver: SlackDriver, card: Message, action_id: str, user: str) -> None:
        current = next(
            (m for m in driver.standin.channel_messages(CHANNEL) if m.ts == card.ts), card
        )
        try:
            response = driver.click(current, action_id, user=user, drain=False)
        except LookupError:  # the button is not on the card (its state moved on)
            return
        self.ledger.note("block_actions", response)
        time.sleep(0.3)

    def resolution_view(
        self, driver: SlackDriver, card: Message
    ) -> tuple[dict[str, Any], str] | None:
        deadline = time.monotonic() + 5
        key = card.text.split(" ", 1)[0]
        while time.monotonic() < deadline:
            for call in reversed(driver.standin.calls_to("views.open")):
                sent = call.args.get("view")
                view: dict[str, Any] = json.loads(sent) if isinstance(sent, str) else sent or {}
                answer = call.response
                if (
                    view.get("callback_id") == "resolve"
                    and key in json.dumps(view)
                    and isinstance(answer, dict)
                    and answer.get("ok")
                ):
                    return view, str(answer["view"]["id"])
            time.sleep(0.05)
        return None

    # -- faults ----------------------------------------------------------------------------------

    def faults(self, standin: SlackStandIn, proxy: TcpProxy, instances: list[Instance]) -> None:
        total = self.args.minutes * 60
        plan = [
            (0.15, lambda: self.slack_burst(standin, 429, 12)),
            (0.25, lambda: self.slack_burst(standin, 503, 8)),
            (0.35, lambda: self.crash(self.leaders_instance(instances))),
            (0.55, lambda: self.cut(proxy)),
            (0.70, lambda: self.slack_burst(standin, 429, 12)),
        ]
        for fraction, act in plan:
            while time.monotonic() - self.started < fraction * total:
                if self.stop_load.wait(0.5):
                    return
            act()

    def slack_burst(self, standin: SlackStandIn, status: int, times: int) -> None:
        for method in ("chat.postMessage", "chat.update"):
            standin.fail(
                method, status=status, retry_after=1 if status == 429 else None, times=times
            )
        self.say(f"Slack answers {status} to the next {times} chat.postMessage and chat.update")

    def leaders_instance(self, instances: list[Instance]) -> Instance:
        """The instance whose worker holds the scheduler's lease (the one to crash)."""
        owner = self.leader() or ""
        pid = int(owner.rsplit(":", 1)[-1]) if owner.rsplit(":", 1)[-1].isdigit() else -1
        for instance in instances:
            if instance.process is not None and pid > 0:
                try:
                    if os.getpgid(pid) == instance.process.pid:
                        return instance
                except ProcessLookupError:
                    break
        return instances[1]

    def crash(self, instance: Instance) -> None:
        leader_before = self.leader()
        killed = time.monotonic()
        instance.kill(signal.SIGKILL)
        self.say(f"SIGKILL instance {instance.number} (the scheduler's leader: {leader_before})")
        while self.leader_alive() in (None, leader_before):
            if time.monotonic() - killed > 120:
                break
            time.sleep(0.5)
        self.say(f"new leader {self.leader()} after {time.monotonic() - killed:.1f} s")
        time.sleep(max(0.0, 20 - (time.monotonic() - killed)))
        instance.start()
        while not instance.ready():
            time.sleep(0.2)
        self.say(f"instance {instance.number} restarted; leader now {self.leader()}")

    def leader_alive(self) -> str | None:
        """The lease's holder while it holds it (None once it has run out)."""
        with self.db.session() as session:
            lease = session.get(Lease, "scheduler")
            if lease is None or lease.expires_at <= datetime.now(UTC):
                return None
            return lease.owner

    def cut(self, proxy: TcpProxy) -> None:
        proxy.cut()
        self.say("database connection cut")
        time.sleep(10)
        proxy.restore()
        self.say("database connection restored after 10 s")

    def leader(self) -> str | None:
        with self.db.session() as session:
            lease = session.get(Lease, "scheduler")
            return lease.owner if lease is not None else None

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> int:
        direct_url = self.prepare_database()
        self.db = Database(direct_url)
        proxy = TcpProxy.for_url(direct_url)
        standin = self.prepare_slack()
        server = standin.serve()
        instances = self.start_instances(proxy.url(direct_url), server.base_url)
        driver = SlackDriver(
            wsgi=RoundRobin(instances),
            executor=TrackingExecutor(max_workers=1),
            standin=standin,
            server=server,
            signing_secret=SIGNING_SECRET,
        )
        clients = [
            threading.Thread(target=self.client_loop, args=(driver, n), daemon=True)
            for n in range(self.args.clients)
        ]
        fault_thread = threading.Thread(
            target=self.faults, args=(standin, proxy, instances), daemon=True
        )
        for thread in [*clients, fault_thread]:
            thread.start()
        time.sleep(self.args.minutes * 60)
        self.stop_load.set()
        for thread in clients:
            thread.join(timeout=60)
        fault_thread.join(timeout=60)
        self.say("load stopped; waiting for the outbox to drain and the SLO clocks to run out")
        self.drain(minutes=self.args.drain_minutes)
        verdicts = self.check(standin, driver)
        for instance in instances:
            instance.kill(signal.SIGTERM)
        server.stop()
        proxy.stop()
        self.db.dispose()
        print(f"\nwork directory (logs): {self.work}")
        return 0 if all(ok for _, ok in verdicts) else 1

    def drain(self, *, minutes: float) -> None:
        deadline = time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            with self.db.session() as session:
                pending = session.execute(
                    sa.select(sa.func.count())
                    .select_from(Outbox)
                    .where(col(Outbox.status) == "pending")
                ).scalar_one()
            if pending == 0:
                self.say("outbox drained")
                return
            time.sleep(5)
        self.say("outbox NOT drained in time")

    # -- checks ----------------------------------------------------------------------------------

    def check(self, standin: SlackStandIn, driver: SlackDriver) -> list[tuple[str, bool]]:
        with self.db.session() as session:
            escalations = session.exec(sa.select(Escalation)).scalars().all()  # type: ignore[call-overload]
            rows = session.exec(sa.select(Outbox)).scalars().all()  # type: ignore[call-overload]
        filed = Counter(e.summary for e in escalations)
        told = self.ledger.told
        posts: Counter[str] = Counter()
        for call in standin.calls:
            if call.method != "chat.postMessage" or not isinstance(call.response, dict):
                continue
            if not call.response.get("ok"):
                continue
            metadata = call.args.get("metadata")
            metadata = json.loads(metadata) if isinstance(metadata, str) else metadata or {}
            key = (metadata.get("event_payload") or {}).get("key")
            if key:
                posts[key] += 1
        posted_kinds = ("card.post", "thread", "message")
        sent_keys = {r.key for r in rows if r.status == "sent" and r.kind in posted_kinds}
        by_kind = Counter(r.kind for r in rows if r.status == "sent")
        slo_keys = [k for k in posts if k.startswith("slo:")]
        breaches = {k for k in slo_keys if k.endswith(":channel")}
        acked = set(self.ledger.filings_acked)
        nothing = {s for s, text in told.items() if NOTHING_CHANGED in text}
        saved = {s for s, text in told.items() if "was saved" in text}
        verdicts = [
            (
                "every filing acked is filed exactly once, unless its filer was told it was not",
                all(filed[s] == 1 for s in acked - nothing),
            ),
            ("no filing told 'nothing was changed' was filed", all(filed[s] == 0 for s in nothing)),
            (
                "every acked filing whose filer was then told 'saved' was filed",
                all(filed[s] == 1 for s in saved & acked),
            ),
            ("no escalation filed twice", all(count == 1 for count in filed.values())),
            ("no post reached Slack twice (by outbox key)", all(c == 1 for c in posts.values())),
            ("every post marked sent reached Slack", sent_keys <= set(posts)),
            (
                "nothing pending or failed in the outbox",
                not any(r.status in ("pending", "failed") for r in rows),
            ),
            ("no request answered 200 after Slack's 3 s", not self.ledger.late_successes),
            ("no call Slack would reject", not standin.problems),
        ]
        self.told_failures = len(nothing)
        self.report(escalations, rows, posts, by_kind, slo_keys, breaches, nothing, standin)
        print("\nverdicts:")
        for name, ok in verdicts:
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
        return verdicts

    def report(
        self,
        escalations: Any,
        rows: Any,
        posts: Counter[str],
        by_kind: Counter[str],
        slo_keys: list[str],
        breaches: set[str],
        told: set[str],
        standin: SlackStandIn,
    ) -> None:
        print("\nfigures:")
        print(
            f"  soak: {self.args.minutes} min of business time, {self.args.clients} clients, "
            f"3 instances x {self.args.workers} workers, PostgreSQL through a proxy"
        )
        for kind, values in sorted(self.ledger.acks.items()):
            print(
                f"  {kind:28} {len(values):5} requests, ack p50 {statistics.median(values) * 1000:6.0f} ms,"
                f" p99 {_percentile(values, 0.99) * 1000:6.0f} ms, max {max(values) * 1000:6.0f} ms"
            )
        print(f"  HTTP answers: {dict(sorted(self.ledger.statuses.items()))}")
        print(
            f"  escalations filed: {len(escalations)}; filings acked: {len(self.ledger.filings_acked)};"
            f" filers told 'nothing was changed': {self.told_failures} (filings not filed: {len(told)})"
        )
        print(f"  outbox rows sent by kind: {dict(by_kind)}")
        print(
            f"  posts with an outbox key: {len(posts)} distinct, {sum(posts.values())} made; "
            f"duplicates: {sum(c - 1 for c in posts.values() if c > 1)}"
        )
        print(
            f"  SLO posts: {len(slo_keys)} (breach announcements to the channel: {len(breaches)})"
        )
        calls = Counter(f"{c.method} {c.status}" for c in standin.calls)
        print(f"  Slack calls: {dict(sorted(calls.items()))}")
        print("  timeline:")
        for at, what in self.events:
            print(f"    {at:7.1f}s  {what}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/crebot_soak"
    )
    parser.add_argument(
        "--minutes", type=float, default=12.0, help="length of the load (business minutes)"
    )
    parser.add_argument("--drain-minutes", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    parser.add_argument(
        "--pace", type=float, default=1.0, help="pause scale between a client's cases"
    )
    parser.add_argument("--seed", type=int, default=14)
    return Soak(parser.parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
