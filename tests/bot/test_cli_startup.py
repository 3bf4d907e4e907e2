"""`crebot` start-up: a misconfigured process stops with one line on stderr, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot import cli

FIXTURE_POLICY = Path(__file__).resolve().parents[1] / "fixtures" / "policy.toml"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No Slack variables, the test policy, a working directory of our own (no stray .env)."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREBOT_CONFIG", str(FIXTURE_POLICY))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'crebot.db'}")
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_a_deployment_without_its_bot_token_stops_naming_it(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("SLACK_SIGNING_SECRET", "from-the-platform")

    assert cli.main(["serve"]) == 2
    assert _one_line(capsys).startswith("crebot: SLACK_BOT_TOKEN is not set")


@pytest.mark.parametrize(
    ("variable", "value", "prefix"),
    [("SLACK_BOT_TOKEN", "xoxp-1-user-token", "xoxb-"), ("SLACK_APP_TOKEN", "xoxb-1-bot", "xapp-")],
)
def test_a_token_of_the_wrong_kind_stops_start_up_with_one_line(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    prefix: str,
) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "secret")
    env.setenv(variable, value)

    assert cli.main(["serve"]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"crebot: {variable}: must be ")
    assert f"starting with {prefix}" in line
    assert value not in line


def test_http_mode_without_a_signing_secret_stops_naming_it(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")

    assert cli.main(["serve"]) == 2
    assert _one_line(capsys).startswith("crebot: SLACK_SIGNING_SECRET is not set")


def test_a_database_that_does_not_answer_is_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", f"postgresql://crebot:hunter2@127.0.0.1:{_closed_port()}/crebot")

    assert cli.main(["db", "upgrade"]) == 2
    line = _one_line(capsys)
    assert line.startswith("crebot: DATABASE_URL: cannot connect (")
    assert "hunter2" not in line


def test_a_malformed_policy_file_is_one_line_with_its_line_number(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "crebot.toml"
    broken.write_text(FIXTURE_POLICY.read_text().replace('language = "en"', 'language = "fr"'))
    env.setenv("CREBOT_CONFIG", str(broken))
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "secret")

    assert cli.main(["serve"]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"crebot: {broken}:")
    assert "language" in line


def test_a_misspelt_required_key_is_one_line_naming_both_keys_and_the_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = FIXTURE_POLICY.read_text().replace("escalation_channel =", "escalation_chanel =")
    misspelt = tmp_path / "crebot.toml"
    misspelt.write_text(text)
    line = 1 + text.splitlines().index(
        next(row for row in text.splitlines() if row.startswith("escalation_chanel"))
    )
    env.setenv("CREBOT_CONFIG", str(misspelt))

    assert cli.main(["check-config"]) == 2
    assert _one_line(capsys) == (
        f"crebot: {misspelt}: escalation_channel: required key is missing; "
        f"{misspelt}:{line}: escalation_chanel: unknown key (did you mean escalation_channel?)"
    )
