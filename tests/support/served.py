"""`crebot serve` as a real process (gunicorn and all), for tests of what only a deployment shows."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import FIXTURES, SIGNING_SECRET

CREBOT = Path(sys.executable).with_name("crebot")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running `crebot serve` and where it listens."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, *, timeout: float = 5.0) -> httpx.Response:
        return httpx.get(self.url + path, timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def serve_env(
    *, database_url: str, slack_api_url: str, tmp_path: Path, extra: Mapping[str, str] = {}
) -> dict[str, str]:
    """The environment of a deployed HTTP-mode process, pointed at the test database and Slack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMETHEUS_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api_url,
            "DATABASE_URL": database_url,
            "CREBOT_CONFIG": str(FIXTURES / "policy.toml"),
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "HOME": str(tmp_path),
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def crebot_serve(
    env: Mapping[str, str],
    *,
    tmp_path: Path,
    host: str = "127.0.0.1",
    port: int | None = None,
    args: tuple[str, ...] = (),
    ready_path: str = "/healthz",
    timeout: float = 60.0,
) -> Iterator[Served]:
    """Start `crebot serve`, wait until `ready_path` answers, stop it (SIGTERM) at the end."""
    port = port or free_port(host)
    log = tmp_path / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(CREBOT), "serve", "--port", str(port), *args],
            env={**env, "HOST": env.get("HOST", host)},
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(process=process, host=host, port=port, log=log)
    try:
        _wait_until_answering(served, ready_path, timeout)
        yield served
    finally:
        stop(served)


def _wait_until_answering(served: Served, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"crebot serve exited:\n{served.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if served.get(path, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise TimeoutError(f"crebot serve did not answer {path}:\n{served.output()}")


def stop(served: Served, sig: int = signal.SIGTERM) -> None:
    """Stop the process group (gunicorn's master and workers) and wait for it."""
    if served.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(served.process.pid, sig)
        try:
            served.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(served.process.pid, signal.SIGKILL)
            served.process.wait(timeout=10)


def work_processes(served: Served) -> list[int]:
    """The work processes (`bot.work_process`) of a running `crebot serve`'s gunicorn workers."""
    parents = {served.process.pid}
    found: list[int] = []
    for _ in range(2):  # the workers, then their children
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError):
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if ppid in parents:
                    children.append(int(stat.parent.name))
        parents = set(children)
    for pid in parents:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return sorted(found)


def signed_cre_command(
    standin: SlackStandIn, server: RunningServer, text: str
) -> tuple[str, str, dict[str, str]]:
    """A signed `/cre <text>` for a served crebot: its response_url's token, its body, its headers."""
    token = uuid.uuid4().hex
    standin.bind_response_url(token, channel="C0SUPPORT", user="U0CS")
    body = urlencode(
        {
            "team_id": "T0CREBOT",
            "api_app_id": "ACREBOT",
            "channel_id": "C0SUPPORT",
            "user_id": "U0CS",
            "command": "/cre",
            "text": text,
            "response_url": server.response_url(token),
            "trigger_id": f"trigger-{token}",
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": str(signature),
    }
    return token, body, headers
