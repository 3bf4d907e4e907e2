"""Shared fixtures: a migrated database, the test policy, an injected clock, a fake Slack, the real app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import create_app
from bot.clock import ManualClock
from bot.db import Database
from bot.ops_web import OpsEndpoints
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime, make_web_client
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.workspace.webapi import RunningServer, SlackStandIn
from bot.workspace.zendesk import RunningZendesk, ZendeskStandIn
from tests.support import containment
from tests.support import db as test_db
from tests.support.flows import wait_for
from tests.support.slack import SlackDriver, TrackingExecutor

FIXTURES = Path(__file__).parent / "fixtures"
TOKYO = ZoneInfo("Asia/Tokyo")
SIGNING_SECRET = "test-signing-secret"
ZENDESK_EMAIL = "cre-bot@acme.example"
ZENDESK_TOKEN = "zendesk-test-token"
# Wednesday 2026-11-25, 10:00 in Tokyo: a working day, two days after a public holiday.
START = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)
TEAM = {
    "U0LEAD": "lead",
    "U0HANAKO": "hanako",
    "U0TARO": "taro",
    "U0KENJI": "kenji",
    "U0CS": "cs-agent",
    "U0OTHER": "someone",
}
POSTGRES_ONLY = "PostgreSQL only: set TEST_DATABASE_URL=postgresql://… to run it (see README)"

containment.install()
_stray_reads: list[str] = []  # reads beside the repository made outside any test (e.g. collecting)
_unexpected_skips: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`@pytest.mark.postgres` tests are the only ones ever skipped, and only on SQLite."""
    if not test_db.on_postgres():
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and (test_db.on_postgres() or "postgres" not in report.keywords):
        _unexpected_skips.append(f"{report.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A skip for want of something (a file, a service) fails the run: a user's run would cover less."""
    _stray_reads.extend(containment.take_reads())
    if (_unexpected_skips or _stray_reads) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _unexpected_skips:
        terminalreporter.section("skipped, but only PostgreSQL-only tests may be", red=True)
        terminalreporter.line("\n".join(_unexpected_skips))
    if _stray_reads:
        terminalreporter.section("read outside the repository outside any test", red=True)
        terminalreporter.line("\n".join(_stray_reads))


@pytest.fixture(autouse=True)
def _stays_inside_the_repository() -> Iterator[None]:
    """Fail a test that reads beside the repository: a user's clone has nothing there."""
    _stray_reads.extend(containment.take_reads())
    yield
    outside = containment.take_reads()
    assert outside == [], "read outside the repository:\n" + "\n".join(outside)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if test_db.on_postgres():
        return None
    return test_db.build_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_schema() -> str | None:
    if not test_db.on_postgres():
        return None
    assert test_db.POSTGRES_URL is not None
    test_db.reset_postgres(test_db.POSTGRES_URL)
    return test_db.POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_state(postgres_schema: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """The shared PostgreSQL schema as migrated at the start of the run."""
    return test_db.shared_state(postgres_schema) if postgres_schema is not None else {}


@pytest.fixture(autouse=True)
def _postgres_left_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves the run's shared PostgreSQL schema changed (and repair it)."""
    if not test_db.on_postgres() or "postgres_schema" not in request.fixturenames:
        yield
        return
    url: str = request.getfixturevalue("postgres_schema")
    before: dict[str, list[tuple[Any, ...]]] = request.getfixturevalue("postgres_state")
    yield
    changes = test_db.state_changes(before, test_db.shared_state(url))
    if changes:
        test_db.reset_postgres(url)  # so that the tests after this one start from head again
        pytest.fail(
            "left PostgreSQL's shared test database changed:\n" + "\n".join(changes[:20]),
            pytrace=False,
        )


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path | None, postgres_schema: str | None) -> str:
    """A migrated, empty database for this test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set)."""
    if postgres_schema is not None:
        test_db.truncate_postgres(postgres_schema)
        return postgres_schema
    assert sqlite_template is not None
    return test_db.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def policy_text() -> str:
    return (FIXTURES / "policy.toml").read_text()


@pytest.fixture
def policy(policy_text: str) -> Policy:
    return parse_policy(policy_text, source="tests/fixtures/policy.toml")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def standin(clock: ManualClock, request: pytest.FixtureRequest) -> Iterator[SlackStandIn]:
    """The fake Slack workspace; every call made to it must be one Slack would accept."""
    fake = SlackStandIn(clock=lambda: clock.now().timestamp())
    for user_id, name in TEAM.items():
        fake.add_user(user_id, name)
    fake.add_channel("C0ESCALATE", "cre-escalations")
    fake.add_channel("C0SUPPORT", "cs-support")
    yield fake
    if not request.node.get_closest_marker("allow_slack_problems"):
        assert fake.problems == [], "calls Slack would reject:\n" + "\n".join(fake.problems)


@pytest.fixture
def slack_server(standin: SlackStandIn) -> Iterator[RunningServer]:
    server = standin.serve()
    yield server
    server.stop()


@pytest.fixture
def zendesk(request: pytest.FixtureRequest) -> Iterator[ZendeskStandIn]:
    """The fake Zendesk account (ticket 4711 exists); every request must be one cre-bot should send."""
    fake = ZendeskStandIn(email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN)
    fake.add_ticket(4711, tags=["vip"])
    yield fake
    if not request.node.get_closest_marker("allow_zendesk_problems"):
        assert fake.problems == [], "requests Zendesk would refuse:\n" + "\n".join(fake.problems)


@pytest.fixture
def zendesk_server(zendesk: ZendeskStandIn) -> Iterator[RunningZendesk]:
    server = zendesk.serve()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, slack_server: RunningServer) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=slack_server.base_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def runtime(
    settings: Settings, policy: Policy, db: Database, clock: ManualClock
) -> Iterator[Runtime]:
    client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    runtime = Runtime(settings=settings, policy=policy, db=db, client=client, clock=clock)
    yield runtime
    # A similarity refresh still running in the background when `db` is disposed would hand its
    # connection back to the discarded pool, for the garbage collector (psycopg's ResourceWarning).
    assert wait_for(runtime.similarity.idle), "the similarity index never finished refreshing"


@pytest.fixture
def slack(
    runtime: Runtime, standin: SlackStandIn, slack_server: RunningServer
) -> Iterator[SlackDriver]:
    """The real Bolt app behind the WSGI front, driven like Slack would."""
    executor = TrackingExecutor()
    yield drive_app(runtime, standin=standin, server=slack_server, executor=executor)
    executor.drain()
    executor.shutdown(wait=True)


def drive_app(
    runtime: Runtime, *, standin: SlackStandIn, server: RunningServer, executor: TrackingExecutor
) -> SlackDriver:
    """The real app on `runtime`, its listeners on `executor`, with a driver playing Slack."""
    runtime.background = runtime.background or executor  # Zendesk's work, waited for by drain()
    app = create_app(runtime, listener_executor=executor)
    return SlackDriver(
        wsgi=SlackWsgiApp(
            app=app,
            db=runtime.db,
            signing_secret=SIGNING_SECRET,
            ops=OpsEndpoints(db=runtime.db, now=runtime.now),
            zendesk=runtime.zendesk.webhook,
        ),
        executor=executor,
        standin=standin,
        server=server,
        signing_secret=SIGNING_SECRET,
    )
