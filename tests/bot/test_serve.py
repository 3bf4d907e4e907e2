"""`crebot serve` as deployed: a real gunicorn process, its listen address and its endpoints."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier

from bot import cli
from bot.settings import Settings
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import SIGNING_SECRET
from tests.support.flows import wait_for
from tests.support.served import crebot_serve, free_port, serve_env, signed_cre_command

pytestmark = pytest.mark.slow


@pytest.fixture
def env(database_url: str, slack_server: RunningServer, tmp_path: Path) -> dict[str, str]:
    return serve_env(
        database_url=database_url, slack_api_url=slack_server.base_url, tmp_path=tmp_path
    )


def test_host_sets_the_address_it_listens_on(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port("127.0.0.2")

    with crebot_serve({**env, "HOST": "127.0.0.2"}, tmp_path=tmp_path, host="127.0.0.2", port=port):
        assert httpx.get(f"http://127.0.0.2:{port}/healthz", timeout=5).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)


@pytest.mark.parametrize("value", ["", "two words", "10.0.0.1/24"])
def test_a_host_that_is_not_one_address_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="host"):
        Settings(host=value, _env_file=None)  # type: ignore[call-arg]


def test_an_ipv6_host_is_bracketed_for_gunicorn() -> None:
    from bot.server import bind_address

    assert bind_address("::", 3000) == "[::]:3000"
    assert bind_address("127.0.0.1", 3000) == "127.0.0.1:3000"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_two_workers_one_instance_metrics_one_leader_and_json_logs(
    env: dict[str, str],
    tmp_path: Path,
    standin: SlackStandIn,
    slack_server: RunningServer,
) -> None:
    """Metrics from every worker in each scrape; one scheduler leader; every log line JSON."""
    settings = {**env, "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    sent = 24
    with (
        crebot_serve(settings, tmp_path=tmp_path) as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        for _ in range(sent):
            _, body, headers = signed_cre_command(standin, slack_server, "help")
            assert client.post("/slack/events", content=body, headers=headers).status_code == 200

        def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            return _samples(client.get("/metrics").text)

        key = ("crebot_requests_total", (("kind", "command /cre"), ("outcome", "ok")))
        assert wait_for(lambda: scraped().get(key) == sent, timeout=30), scraped().get(key)
        leaders = ("crebot_scheduler_leader", (("role", "scheduler"),))
        assert wait_for(lambda: scraped().get(leaders) == 1, timeout=30)
        assert wait_for(lambda: ("crebot_outbox_pending", ()) in scraped(), timeout=30)
        scrapes = [scraped() for _ in range(6)]  # each answered by either worker
        assert {s[key] for s in scrapes} == {sent}
        assert {s[leaders] for s in scrapes} == {1}
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
    lines = [line for line in served.output().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]
    assert {"timestamp", "level", "logger", "message"} <= set(records[0])
    handled = [r for r in records if r["message"].startswith("handled command /cre")]
    assert len(handled) == sent
    assert all(r["request_kind"] == "command /cre help"[: len(r["request_kind"])] for r in handled)
    assert all("latency_ms" in r for r in handled)


def test_start_up_warns_until_slack_sends_an_event_and_check_config_says_when_one_came(
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Until the Events request URL is verified no event arrives; both places say so."""
    for name in ("DATABASE_URL", "CREBOT_CONFIG", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(name, env[name])
    with crebot_serve(env, tmp_path=tmp_path) as served:
        assert wait_for(lambda: "no event from Slack has arrived yet" in served.output())
        assert cli.main(["check-config"]) == 0
        silent = capsys.readouterr().out
        with httpx.Client(base_url=served.url, timeout=10) as client:
            body = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T0CREBOT",
                    "api_app_id": "ACREBOT",
                    "event_id": "Ev0001",
                    "event_time": int(time.time()),
                    "event": {"type": "app_home_opened", "user": "U0CS", "tab": "home"},
                }
            )
            stamp = str(int(time.time()))
            signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
                timestamp=stamp, body=body
            )
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": str(signature),
            }
            assert client.post("/slack/events", content=body, headers=headers).status_code == 200
        heard = ""

        def check_config_heard_it() -> bool:  # the arrival is written after the ack
            nonlocal heard
            assert cli.main(["check-config"]) == 0
            heard = capsys.readouterr().out
            return "slack events: the last arrived at " in heard

        wait_for(check_config_heard_it, timeout=30)

    assert "slack events: none since the server started at " in silent
    assert "Slack sends none until the Events request URL is verified" in silent
    assert "slack events: the last arrived at " in heard
    assert "(0 min ago)" in heard
