"""/metrics, /readyz and /healthz: what an operator scrapes and probes, in one process."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bot import leadership, metrics
from bot.clock import ManualClock
from bot.db import Database
from bot.migrate import head_revision
from bot.runtime import Runtime
from bot.scheduler import Elector, run_job
from tests.support.flows import file_via_modal
from tests.support.slack import SlackDriver

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(slack: SlackDriver) -> Samples:
    """Every sample /metrics shows, keyed by name and labels."""
    response = slack.post("", method="GET", path="/metrics", sign=False)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_command_is_counted_by_kind_and_outcome_with_its_ack_time(slack: SlackDriver) -> None:
    before = scrape(slack)

    slack.command("/cre", "help")
    slack.command("/cre", "show ESC-404")

    after = scrape(slack)
    for outcome, added in (("ok", 1), ("refused", 1)):
        name, kind = "crebot_requests_total", "command /cre"
        assert value(after, name, kind=kind, outcome=outcome) == (
            value(before, name, kind=kind, outcome=outcome) + added
        )
    acks = "crebot_ack_seconds_count"
    assert value(after, acks, kind="command /cre") == value(before, acks, kind="command /cre") + 2


def test_slack_calls_and_retries_are_counted_by_method_and_status(slack: SlackDriver) -> None:
    before = scrape(slack)
    slack.standin.fail("chat.postMessage", status=429, retry_after=0)

    file_via_modal(slack)

    after = scrape(slack)
    calls, retries = "crebot_slack_api_calls_total", "crebot_slack_api_retries_total"
    assert value(after, calls, method="chat.postMessage", status="ok") > value(
        before, calls, method="chat.postMessage", status="ok"
    )
    assert value(after, calls, method="views.open", status="ok") == (
        value(before, calls, method="views.open", status="ok") + 1
    )
    assert value(after, retries, method="chat.postMessage", reason="rate_limited") == (
        value(before, retries, method="chat.postMessage", reason="rate_limited") + 1
    )


def test_no_label_carries_a_user_an_end_user_or_an_escalation(slack: SlackDriver) -> None:
    file_via_modal(slack)
    slack.command("/lookup", "taro.yamada@example.jp", user="U0HANAKO")
    slack.command("/cre", "show ESC-1", user="U0CS")

    text = slack.post("", method="GET", path="/metrics", sign=False).body

    for private in ("U0CS", "U0HANAKO", "u-1001", "taro", "ESC-1", "example.jp"):
        assert private not in text


def test_job_runs_are_counted_by_result(slack: SlackDriver, runtime: Runtime) -> None:
    before = scrape(slack)
    now = runtime.now()

    run_job(runtime=runtime, name="slo-sweep", at=now)
    run_job(runtime=runtime, name="slo-sweep", at=now)  # the period is already done

    after = scrape(slack)
    runs = "crebot_job_runs_total"
    for result in ("done", "skipped"):
        assert value(after, runs, job="slo-sweep", result=result) == (
            value(before, runs, job="slo-sweep", result=result) + 1
        )
    assert value(after, "crebot_job_duration_seconds_count", job="slo-sweep") == (
        value(before, "crebot_job_duration_seconds_count", job="slo-sweep") + 1
    )


def test_the_database_gauges_come_from_the_leader_only(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    file_via_modal(slack)
    metrics.withdraw_db_gauges()
    assert value(scrape(slack), "crebot_outbox_pending") == 0
    assert "crebot_escalations_open" not in {name for name, _ in scrape(slack)}
    elector = Elector(runtime)

    assert elector.campaign()
    led = scrape(slack)

    assert value(led, "crebot_escalations_open", status="assigned", priority="P2") == 1
    assert ("crebot_outbox_pending", ()) in led
    assert value(led, "crebot_scheduler_leader", role="scheduler") == 1
    with db.session() as session:  # someone else takes over while this process is cut off
        clock.advance(leadership.TTL + timedelta(seconds=1))
        leadership.try_lead(session=session, owner="elsewhere", now=clock.now())
    assert not elector.campaign()
    after = scrape(slack)
    assert "crebot_escalations_open" not in {name for name, _ in after}
    assert value(after, "crebot_scheduler_leader", role="scheduler") == 0


# -- /readyz ------------------------------------------------------------------------------------


def test_readyz_needs_a_scheduler_leader(slack: SlackDriver, runtime: Runtime) -> None:
    waiting = slack.post("", method="GET", path="/readyz", sign=False)
    assert waiting.status == 503
    assert waiting.json() == {
        "ok": False,
        "database": "up",
        "migrations": "head",
        "scheduler_leader": None,
    }

    Elector(runtime).campaign()
    ready = slack.post("", method="GET", path="/readyz", sign=False)

    assert ready.status == 200
    assert ready.json()["scheduler_leader"] == runtime.owner


def test_readyz_says_when_migrations_are_behind(
    slack: SlackDriver, runtime: Runtime, db: Database
) -> None:
    Elector(runtime).campaign()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")
    try:
        response = slack.post("", method="GET", path="/readyz", sign=False)
    finally:  # PostgreSQL's test database is shared by the whole run: put the real revision back
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )

    assert response.status == 503
    assert response.json()["migrations"] == "at 0007"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_operations_endpoints_only_read(slack: SlackDriver, path: str, method: str) -> None:
    assert slack.post("", method=method, path=path, sign=False).status == 405
