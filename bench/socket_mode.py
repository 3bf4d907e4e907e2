"""Socket Mode beside HTTP: slack_sdk's clients across Slack's refresh, and crebot's acks both ways.

Run: .venv/bin/python bench/socket_mode.py [--clients 20] [--requests 1000] [--rate 20]
         [--escalations 100] [--refreshes 5] [--database sqlite|postgresql] [--skip-clients]

Part 1, the clients. Each of slack_sdk's Socket Mode clients (builtin, websocket_client, aiohttp,
websockets) connects to the WebSocket stand-in (`bot/workspace/socket_mode.py`) and acks at once.
Slack then refreshes the connection `--refreshes` times: `disconnect` (refresh_requested), the old
socket left open and silent for 5 s, as Slack does. Printed: the steady ack time, the time from the
`disconnect` to the new connection's `hello`, and how long the first envelope on the new connection
waits for its ack (Slack's deadline is 3 s).

Part 2, crebot. `crebot serve` runs twice, as users run it (gunicorn, in-process scheduler), once
over HTTP (signed POSTs to /slack/events) and once in Socket Mode (envelopes through the stand-in,
which its `apps.connections.open` points at), each on a fresh database and a fresh fake Slack.
The same mix as `bench/ack_latency.py` (40% `/cre queue`, 20% `/escalate`, 40% button clicks) is
sent by C client threads in this process, at `--rate` requests a second in all (or closed loop
with --rate 0); the ack latency is the time from sending to the HTTP response or to the envelope's
ack. In Socket Mode Slack refreshes the connection every `--refresh-every` seconds during the run,
and the acks of the requests sent within a second after each refresh are reported apart. Every
correctness check of ack_latency.py is run on both (modals opened in time, answers, card updates,
an empty outbox, no call Slack would reject, no ERROR logged). The clients share this process with
the fake Slack in both runs, so these HTTP figures are not ack_latency.py's (its clients run in a
process of their own); they are here to compare with Socket Mode's, measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ack_latency as ack
from slack_sdk import WebClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.db import create_db_engine, normalize_database_url
from bot.workspace.socket_mode import SocketModeStandIn, envelope_of
from bot.workspace.webapi import RunningServer, SlackStandIn

APP_TOKEN = "xapp-1-ACREBOT-1-bench"  # noqa: S105 (made up: it only meets the fake Slack)
LINGER = 5.0  # seconds Slack keeps a refreshed socket open
AFTER_REFRESH = 1.0  # requests sent this soon after a refresh are reported apart
CLIENT_KINDS = ("builtin", "websocket_client", "aiohttp", "websockets")


# -- part 1: slack_sdk's clients ------------------------------------------------------------------


@dataclass
class ClientFigures:
    """What one Socket Mode client did across Slack's refreshes (seconds)."""

    kind: str
    steady: list[float] = field(default_factory=list)
    switch: list[float] = field(default_factory=list)
    first_ack: list[float] = field(default_factory=list)
    error: str = ""


def measure_client(kind: str, *, refreshes: int) -> ClientFigures:
    """Connect one client to a fresh stand-in, ack 50 envelopes, then go through the refreshes."""
    figures = ClientFigures(kind)
    fake = SlackStandIn().serve()
    socket = SocketModeStandIn(linger=LINGER).start()
    fake.standin.socket_mode_urls = socket.connection_url
    close = connect_client(kind, fake)
    try:
        if not socket.wait_for_connections(1):
            figures.error = "never connected"
            return figures
        for _ in range(50):
            envelope = socket.wait_for_ack(socket.send("slash_commands", {"command": "/cre"}))
            figures.steady.append(envelope.ack_seconds or float("inf"))
        for number in range(refreshes):
            started = time.monotonic()
            socket.refresh()
            if not socket.wait_for_connections(number + 2, timeout=30):
                figures.error = f"no new connection after refresh {number + 1}"
                break
            figures.switch.append(time.monotonic() - started)
            envelope = socket.wait_for_ack(socket.send("slash_commands", {"command": "/cre"}))
            figures.first_ack.append(envelope.ack_seconds or float("inf"))
            time.sleep(LINGER + 0.5)  # the old socket closes before the next refresh
    finally:
        close()
        socket.stop()
        fake.stop()
    return figures


def connect_client(kind: str, fake: RunningServer) -> Callable[[], None]:
    """Start one of slack_sdk's clients with a listener that only acks; returns how to close it."""
    if kind in ("builtin", "websocket_client"):
        if kind == "builtin":
            from slack_sdk.socket_mode.builtin import SocketModeClient as SyncClient
        else:
            from slack_sdk.socket_mode.websocket_client import (  # type: ignore[assignment]
                SocketModeClient as SyncClient,
            )
        client = SyncClient(app_token=APP_TOKEN, web_client=WebClient(base_url=fake.base_url))

        def ack_now(client: Any, request: Any) -> None:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

        client.socket_mode_request_listeners.append(ack_now)
        client.connect()
        return client.close
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def start() -> Any:
        if kind == "aiohttp":
            from slack_sdk.socket_mode.aiohttp import SocketModeClient as AsyncClient
        else:
            from slack_sdk.socket_mode.websockets import (  # type: ignore[assignment]
                SocketModeClient as AsyncClient,
            )
        client = AsyncClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=fake.base_url))

        async def ack_now(client: Any, request: Any) -> None:
            await client.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id)
            )

        client.socket_mode_request_listeners.append(ack_now)
        await client.connect()
        return client

    client = asyncio.run_coroutine_threadsafe(start(), loop).result(30)

    def close() -> None:
        asyncio.run_coroutine_threadsafe(client.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    return close


def print_clients(results: Sequence[ClientFigures]) -> None:
    """One line per client: ms, p50 / max."""
    print(
        f"{'client':<17} {'steady ack p50':>14} {'disconnect -> hello':>20} "
        f"{'first ack after':>16}   (ms; p50 / max over the refreshes)"
    )
    for figures in results:
        if figures.error:
            print(f"{figures.kind:<17} {figures.error}")
            continue
        print(
            f"{figures.kind:<17} {ms(median(figures.steady)):>14} "
            f"{ms(median(figures.switch)) + ' / ' + ms(max(figures.switch)):>20} "
            f"{ms(median(figures.first_ack)) + ' / ' + ms(max(figures.first_ack)):>16}"
        )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# -- part 2: crebot over HTTP and over Socket Mode ----------------------------------------------


class Sender:
    """Sends one of the bench's Slack requests and says how long the ack took (None: no ack)."""

    def send(self, request: ack.SlackRequest) -> float | None:
        raise NotImplementedError


@dataclass
class HttpSender(Sender):
    url: str
    verifier: Any
    local: threading.local = field(default_factory=threading.local)

    def send(self, request: ack.SlackRequest) -> float | None:
        client = getattr(self.local, "client", None)
        if client is None:  # one keep-alive connection per client thread, as Slack reuses them
            client = self.local.client = httpx.Client(base_url=self.url, timeout=60)
        started = time.perf_counter()
        try:
            status = ack.send(client, request, self.verifier)
        except httpx.HTTPError:
            return None
        return time.perf_counter() - started if status == 200 else None


@dataclass
class SocketSender(Sender):
    socket: SocketModeStandIn

    def send(self, request: ack.SlackRequest) -> float | None:
        kind, payload, answered = envelope_of(request.body, ack.FORM)
        envelope = self.socket.send(kind, payload, accepts_response_payload=answered, wait=30)
        self.socket.wait_for_ack(envelope, timeout=60)
        return envelope.ack_seconds


def file_through(
    sender: Sender, *, fake: RunningServer, policy: ack.TeamPolicy, count: int
) -> None:
    """File `count` escalations as CS does: /escalate, then submit the modal it opened."""
    payloads = ack.SlackPayloads(fake)
    for number in range(1, count + 1):
        command = payloads.slash_command(
            "/escalate", f"Bench escalation {number}", user=ack.CS_USER, kind="escalate"
        )
        if sender.send(command) is None:
            raise RuntimeError(f"/escalate #{number} was not acked")
        view = ack.wait_for("the modal", partial(ack.opened_view, fake.standin, command.token))
        values = {
            "end_user_id": f"u-{1000 + number}",
            "product": policy.products[number % len(policy.products)],
            "category": policy.categories[number % len(policy.categories)],
            "priority": policy.slowest_priority,
            "summary": f"Bench escalation {number}",
            "details": "Filed by bench/socket_mode.py",
            "zendesk": "",
        }
        if sender.send(payloads.view_submission(view, values, user=ack.CS_USER)) is None:
            raise RuntimeError(f"modal #{number} was not acked")


def run_mix(
    sender: Sender,
    plans: list[list[ack.SlackRequest]],
    *,
    app: str,
    warmup: int,
    interval: float | None,
    on_tick: Callable[[], None] = lambda: None,
) -> ack.RunResult:
    """Every client's plan on its own thread (paced by `interval`), timing each ack."""
    outcomes: list[list[ack.Sample]] = [[] for _ in plans]
    start = threading.Barrier(len(plans) + 1)
    done = threading.Event()

    def client_loop(index: int) -> None:
        start.wait()
        origin = time.perf_counter() + (interval or 0.0) * index / len(plans)
        for position, request in enumerate(plans[index]):
            due = origin + position * interval if interval else time.perf_counter()
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent_at = time.time()
            seconds = sender.send(request)
            outcomes[index].append(
                ack.Sample(
                    request.kind,
                    request.token,
                    sent_at,
                    seconds if seconds is not None else float("inf"),
                    200 if seconds is not None else 0,
                )
            )

    threads = [
        threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(len(plans))
    ]
    for thread in threads:
        thread.start()
    ticker = threading.Thread(target=lambda: _tick(done, on_tick), daemon=True)
    start.wait()
    began = time.perf_counter()
    ticker.start()
    for thread in threads:
        thread.join()
    done.set()
    ticker.join()
    warm = [s for samples in outcomes for s in samples[:warmup]]
    rest = [s for samples in outcomes for s in samples[warmup:]]
    return ack.RunResult(app, len(plans), warm + rest, len(warm), time.perf_counter() - began)


def _tick(done: threading.Event, on_tick: Callable[[], None]) -> None:
    while not done.wait(0.05):
        on_tick()


@dataclass
class Refresher:
    """Refreshes the Socket Mode connection every `every` seconds during a run."""

    socket: SocketModeStandIn
    every: float
    at: list[float] = field(default_factory=list)  # wall-clock instants of the refreshes
    last: float = field(default_factory=time.monotonic)

    def tick(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.at.append(time.time())
            self.socket.refresh()

    def just_after(self, sample: ack.Sample) -> bool:
        return any(0 <= sample.sent_at - at < AFTER_REFRESH for at in self.at)


@dataclass
class TransportRun:
    transport: str
    result: ack.RunResult
    checks: list[ack.Check]
    after_refresh: list[float] = field(default_factory=list)  # ms
    refreshes: int = 0


def run_transport(transport: str, args: argparse.Namespace, stack: ExitStack) -> TransportRun:
    """crebot serve on a fresh database and fake Slack, filed, then the mix over `transport`."""
    workdir = Path(tempfile.mkdtemp(prefix=f"crebot-{transport}-"))
    if not args.keep:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    config = workdir / "crebot.toml"
    shutil.copyfile(ack.ROOT / "crebot.example.toml", config)
    policy = ack.read_policy(config)
    fake = ack.start_fake_slack(policy)
    stack.callback(fake.stop)
    socket = SocketModeStandIn(linger=LINGER).start()
    stack.callback(socket.stop)
    fake.standin.socket_mode_urls = socket.connection_url
    database_url = ack.prepare_database(args.database, workdir)
    if args.database == "postgresql" and not args.keep:
        stack.callback(ack.drop_database)
    port = ack.free_port()
    serving = ack.Serving(workers=args.workers, threads=args.threads)
    env = ack.crebot_environment(
        fake=fake, database_url=database_url, config=config, serving=serving, port=port
    )
    if transport == "socket":
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    crebot = ack.launch(
        f"crebot-{transport}",
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        workdir=workdir,
        port=port,
    )
    stack.callback(crebot.stop)
    ack.wait_until_serving(crebot, path="/healthz")
    engine = create_db_engine(normalize_database_url(database_url))
    stack.callback(engine.dispose)
    sender: Sender = (
        HttpSender(crebot.url, ack.SignatureVerifier(ack.SIGNING_SECRET))
        if transport == "http"
        else SocketSender(socket)
    )
    print(f"{transport}: filing {args.escalations} escalations …", flush=True)
    file_through(sender, fake=fake, policy=policy, count=args.escalations)
    ack.wait_until_settled(standin=fake.standin, engine=engine, expected_views=set())
    cards = ack.posted_cards(fake.standin, policy.channel)
    plans = ack.plan_clients(
        clients=args.clients,
        requests=args.requests,
        cards=cards,
        cycle=ack.ClickCycle(),
        payloads=ack.SlackPayloads(fake),
        policy=policy,
        rng=__import__("random").Random(args.seed),
    )
    before = ack.snapshot(fake.standin, engine)
    errors_before = len(crebot.logged_errors())
    refresher = Refresher(socket, args.refresh_every)
    print(f"{transport}: {args.requests} requests from {args.clients} clients …", flush=True)
    result = run_mix(
        sender,
        plans,
        app=f"crebot-{transport}",
        warmup=min(args.warmup, min(len(p) for p in plans)),
        interval=args.clients / args.rate if args.rate else None,
        on_tick=refresher.tick if transport == "socket" else lambda: None,
    )
    escalates = {ack.trigger_of(r.token) for plan in plans for r in plan if r.kind == "escalate"}
    settled = ack.wait_until_settled(standin=fake.standin, engine=engine, expected_views=escalates)
    checks = ack.check_crebot_run(
        plans=plans,
        result=result,
        standin=fake.standin,
        engine=engine,
        before=before,
        settled=settled,
        errors=crebot.logged_errors()[errors_before:],
        channel=policy.channel,
    )
    after = sorted(s.seconds * 1000 for s in result.samples if refresher.just_after(s))
    return TransportRun(transport, result, checks, after, len(refresher.at))


def print_transports(runs: Sequence[TransportRun], args: argparse.Namespace) -> None:
    print(
        f"\ncrebot ack latency, HTTP beside Socket Mode: {args.database}, {args.clients} clients, "
        f"{f'{args.rate:g} req/s' if args.rate else 'closed loop'}, {args.requests} requests, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})"
    )
    print(f"{'transport':<10} {'acked':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for run in runs:
        latencies = run.result.measured()
        print(
            f"{run.transport:<10} {len(latencies) - run.result.errors:>7} "
            f"{ack.percentile(latencies, 0.5):>8.1f} {ack.percentile(latencies, 0.9):>8.1f} "
            f"{ack.percentile(latencies, 0.99):>8.1f} {max(latencies, default=float('nan')):>8.1f}"
        )
    for run in runs:
        ack.print_by_kind(run.result)
        if run.transport == "socket":
            print(
                f"         {run.refreshes} refreshes during the run; the {len(run.after_refresh)} "
                f"requests sent within {AFTER_REFRESH:g} s after one: p50 "
                f"{ack.percentile(run.after_refresh, 0.5):.1f} ms, max "
                f"{max(run.after_refresh, default=float('nan')):.1f} ms"
            )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="req/s in all; 0: closed loop")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--escalations", type=int, default=100)
    parser.add_argument("--refreshes", type=int, default=5, help="per client in part 1")
    parser.add_argument("--refresh-every", type=float, default=10.0, help="seconds, in part 2")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-clients", action="store_true", help="only part 2")
    parser.add_argument("--skip-crebot", action="store_true", help="only part 1")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.skip_clients:
        print(f"slack_sdk's Socket Mode clients, {args.refreshes} refreshes each …", flush=True)
        print_clients([measure_client(kind, refreshes=args.refreshes) for kind in CLIENT_KINDS])
    if args.skip_crebot:
        return 0
    runs = []
    for transport in ("http", "socket"):
        with ExitStack() as stack:
            runs.append(run_transport(transport, args, stack))
    print_transports(runs, args)
    all_ok = True
    for run in runs:
        print(f"checks, {run.transport}:")
        for check in run.checks:
            all_ok &= check.ok
            print(f"  {'ok  ' if check.ok else 'FAIL'} {check.label}: {check.detail}")
    late = [ms_ for run in runs for ms_ in run.after_refresh if ms_ > ack.TRIGGER_SECONDS * 1000]
    print(f"acks after a refresh within Slack's 3 s: {'PASS' if not late else 'FAIL'}")
    return 0 if all_ok and not late else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
