"""`crebot check-config` says whether Zendesk intake and write-back are on, and why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from tests.conftest import FIXTURES


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_APP_TOKEN",
        "ZENDESK_WEBHOOK_SECRET",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_OAUTH_TOKEN",
        "ZENDESK_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    new_style = (FIXTURES / "policy.toml").read_text().replace(
        'zendesk_url = "https://acme.zendesk.com"\n', ""
    ) + '\n[zendesk]\nurl = "https://acme.zendesk.com"\n'
    (tmp_path / "crebot.toml").write_text(new_style)
    monkeypatch.setenv("CREBOT_CONFIG", str(tmp_path / "crebot.toml"))
    return monkeypatch


def zendesk_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["check-config"]) == 0
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if line.startswith(("zendesk:", "note:"))]


def test_without_credentials_write_back_is_off_and_says_what_to_set(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert zendesk_lines(capsys) == [
        "zendesk: intake off (ZENDESK_WEBHOOK_SECRET is not set)",
        "zendesk: write-back off (no credentials: set ZENDESK_EMAIL and ZENDESK_API_TOKEN, "
        "or ZENDESK_OAUTH_TOKEN)",
    ]


def test_with_a_secret_and_a_token_both_are_on(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("ZENDESK_WEBHOOK_SECRET", "whsec")
    env.setenv("ZENDESK_EMAIL", "bot@acme.example")
    env.setenv("ZENDESK_API_TOKEN", "very-secret-token")
    lines = zendesk_lines(capsys)
    assert lines == [
        "zendesk: intake on (POST /zendesk/webhook)",
        "zendesk: write-back on: notes and tags to https://acme.zendesk.com "
        "(at most 100 updates a minute)",
    ]
    assert "very-secret-token" not in "\n".join(lines)


def test_write_back_needs_the_account_url(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    no_url = (
        (FIXTURES / "policy.toml")
        .read_text()
        .replace('zendesk_url = "https://acme.zendesk.com"\n', "")
    )
    (tmp_path / "crebot.toml").write_text(no_url)
    env.setenv("ZENDESK_OAUTH_TOKEN", "oauth")
    assert zendesk_lines(capsys)[1] == "zendesk: write-back off ([zendesk] url is not set)"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ZENDESK_EMAIL": "bot@acme.example"}, "ZENDESK_API_TOKEN is not set"),
        ({"ZENDESK_API_TOKEN": "t"}, "ZENDESK_EMAIL is not set"),
        (
            {"ZENDESK_OAUTH_TOKEN": "o", "ZENDESK_API_TOKEN": "t", "ZENDESK_EMAIL": "a@b.c"},
            "set either it or ZENDESK_EMAIL + ZENDESK_API_TOKEN, not both",
        ),
        ({"ZENDESK_EMAIL": "nobody", "ZENDESK_API_TOKEN": "t"}, "ZENDESK_EMAIL: not an email"),
    ],
)
def test_half_set_credentials_stop_with_one_line(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    message: str,
) -> None:
    for name, value in variables.items():
        env.setenv(name, value)
    assert cli.main(["check-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_the_old_zendesk_url_still_works_and_check_config_says_where_it_moved(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("CREBOT_CONFIG", str(FIXTURES / "policy.toml"))
    env.setenv("ZENDESK_OAUTH_TOKEN", "oauth")
    lines = zendesk_lines(capsys)
    assert lines[1].startswith("zendesk: write-back on: notes and tags to https://acme.zendesk.com")
    assert lines[2] == "note: zendesk_url is the old spelling of [zendesk] url: move it there"


@pytest.mark.parametrize("example", ["crebot.example.toml", "crebot.example.ja.toml"])
def test_check_config_accepts_both_example_policies(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], example: str
) -> None:
    env.setenv("CREBOT_CONFIG", str(Path(__file__).resolve().parents[2] / example))
    assert cli.main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out
