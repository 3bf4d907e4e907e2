"""Settings from the environment: defaults, the run mode, and one-line errors naming the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import DEFAULT_DATABASE_URL, Settings, load_settings

VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "CREBOT_CONFIG",
    "PORT",
    "LOG_LEVEL",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "GIL_SWITCH_INTERVAL_MS",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the bot's variables set."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def load() -> Settings:
    return load_settings(_env_file=None)


def config_error(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load()
    return str(caught.value)


def test_defaults_with_an_empty_environment(env: pytest.MonkeyPatch) -> None:
    settings = load()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///crebot.db"
    assert settings.crebot_config == Path("crebot.toml")
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.slack_api_url is None
    assert settings.slack_bot_token is None
    assert settings.mode == "local"


def test_values_come_from_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "postgresql://crebot@db/crebot")
    env.setenv("CREBOT_CONFIG", "/etc/crebot/team.toml")
    env.setenv("PORT", "8080")
    env.setenv("LOG_LEVEL", "debug")
    settings = load()
    assert settings.database_url == "postgresql://crebot@db/crebot"
    assert settings.crebot_config == Path("/etc/crebot/team.toml")
    assert settings.port == 8080
    assert settings.log_level == "DEBUG"


def test_mode_is_http_with_a_bot_token(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "secret")
    assert load().mode == "http"


def test_mode_is_socket_with_an_app_token(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load().mode == "socket"


def test_no_slack_variable_at_all_is_the_local_shell(env: pytest.MonkeyPatch) -> None:
    assert load().mode == "local"


@pytest.mark.parametrize(
    ("variable", "value", "mode"),
    [("SLACK_APP_TOKEN", "xapp-1", "socket"), ("SLACK_SIGNING_SECRET", "set", "http")],
)
def test_some_slack_variables_without_a_bot_token_are_a_misconfigured_deployment(
    env: pytest.MonkeyPatch, variable: str, value: str, mode: str
) -> None:
    env.setenv(variable, value)
    settings = load()
    assert settings.mode == mode
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        settings.require_slack_credentials()


def test_secrets_are_not_shown_in_the_settings_repr(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    env.setenv("SLACK_SIGNING_SECRET", "signing-very-secret")
    settings = load()
    assert "very-secret" not in repr(settings)
    assert settings.bot_token() == "xoxb-very-secret"
    assert settings.signing_secret() == "signing-very-secret"


def test_require_credentials_names_the_missing_bot_token(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        load().require_slack_credentials()


def test_require_credentials_names_the_missing_signing_secret_in_http_mode(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load().require_slack_credentials()


def test_socket_mode_needs_no_signing_secret(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_APP_TOKEN", "xapp-1")
    load().require_slack_credentials()  # does not raise


def test_complete_http_credentials_pass(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "secret")
    load().require_slack_credentials()  # does not raise


def test_an_empty_signing_secret_counts_as_missing(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load().require_slack_credentials()


def test_an_empty_bot_token_counts_as_missing(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "")
    settings = load()
    assert settings.mode == "local"


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
def test_a_bad_port_is_one_line_naming_port(env: pytest.MonkeyPatch, value: str) -> None:
    message = config_error(env, "PORT", value)
    assert message.startswith("PORT: ")
    assert "\n" not in message


@pytest.mark.parametrize("value", ["ftp://slack.example/api/", "slack.com/api", "not a url"])
def test_a_bad_api_url_is_one_line_naming_slack_api_url(
    env: pytest.MonkeyPatch, value: str
) -> None:
    message = config_error(env, "SLACK_API_URL", value)
    assert message.startswith("SLACK_API_URL: ")
    assert "http" in message
    assert "\n" not in message


def test_a_bad_log_level_names_log_level(env: pytest.MonkeyPatch) -> None:
    message = config_error(env, "LOG_LEVEL", "chatty")
    assert message.startswith("LOG_LEVEL: ")


def test_the_api_url_gets_a_trailing_slash(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    assert load().slack_api_url == "http://127.0.0.1:9999/api/"


def test_an_empty_api_url_means_slack_itself(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_API_URL", "")
    assert load().slack_api_url is None


def test_the_value_accessors_name_the_missing_variable(env: pytest.MonkeyPatch) -> None:
    settings = load()
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        settings.bot_token()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        settings.signing_secret()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "SLACK_BOT_TOKEN",
            "xoxp-1234-user",
            "must be a bot token (OAuth & Permissions → Bot User",
        ),
        ("SLACK_BOT_TOKEN", "xapp-1-A0-1-abc", "starting with xoxb-; this is an app-level token"),
        ("SLACK_BOT_TOKEN", "hunter2hunter2", "starting with xoxb-"),
        ("SLACK_BOT_TOKEN", " xoxb-pasted-with-a-space", "starting with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-123-bot", "starting with xapp-; this is a bot token (xoxb-…)"),
        ("SLACK_APP_TOKEN", "connections:write", "must be an app-level token"),
    ],
)
def test_a_token_without_slacks_prefix_is_one_line_naming_the_variable(
    env: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    env.setenv("SLACK_SIGNING_SECRET", "secret")
    message = config_error(env, variable, value)
    assert message.startswith(f"{variable}: must be ")
    assert expected in message
    assert "\n" not in message
    assert value.strip() not in message  # the secret itself is never echoed


@pytest.mark.parametrize(
    ("variable", "value"), [("SLACK_BOT_TOKEN", "xoxb-1-2-abc"), ("SLACK_APP_TOKEN", "xapp-1-A0-1")]
)
def test_tokens_with_slacks_prefixes_pass(
    env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    env.setenv(variable, value)
    assert load().mode in {"http", "socket"}


ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
README = Path(__file__).resolve().parents[2] / "README.md"
SLACK_VARIABLES = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}


def _slack_variables_named_with(phrase: str, text: str) -> set[str]:
    """The Slack variables named in the paragraph that says `phrase`."""
    paragraph = next(p for p in text.split("\n\n") if phrase in p.replace("\n# ", " "))
    return set(re.findall(r"SLACK_[A-Z_]+", paragraph))


def test_env_example_says_when_the_local_shell_opens_as_the_readme_and_the_code_do(
    env: pytest.MonkeyPatch,
) -> None:
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    assert _slack_variables_named_with("local shell", example) == SLACK_VARIABLES
    assert "With no Slack variable set at all" in example
    quickstart = readme.split("## Quickstart", 1)[1].split("## ", 1)[0]
    assert _slack_variables_named_with("local shell", quickstart) == SLACK_VARIABLES
    for name in SLACK_VARIABLES:  # and the code agrees: any one of them set means no shell
        env.setenv(name, {"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1"}.get(name, "x"))
        assert load().mode != "local"
        env.delenv(name)
    assert load().mode == "local"


def test_env_example_copied_unedited_stops_start_up_at_its_placeholder(
    env: pytest.MonkeyPatch,
) -> None:
    values = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert values["SLACK_BOT_TOKEN"] == "xoxb-your-bot-token"
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=ENV_EXAMPLE)
    assert str(caught.value) == (
        "SLACK_BOT_TOKEN: is still the placeholder from .env.example (use your Slack app's)"
    )
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1-real")
    with pytest.raises(ConfigError, match=r"^SLACK_SIGNING_SECRET: is still the placeholder"):
        load_settings(_env_file=ENV_EXAMPLE)


def test_web_concurrency_defaults_to_one_worker_per_cpu_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://crebot@db/crebot")
    monkeypatch.setattr("os.cpu_count", lambda: 6)

    assert Settings(_env_file=None).web_concurrency == 6  # type: ignore[call-arg]


def test_web_concurrency_defaults_to_one_worker_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 6)

    assert Settings(_env_file=None).web_concurrency == 1  # type: ignore[call-arg]
    monkeypatch.setenv("DATABASE_URL", "sqlite:////data/crebot.db")
    assert Settings(_env_file=None).web_concurrency == 1  # type: ignore[call-arg]
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert Settings(_env_file=None).web_concurrency == 3  # type: ignore[call-arg]


def test_the_gil_switch_interval_is_half_a_millisecond_unless_set(
    env: pytest.MonkeyPatch,
) -> None:
    assert load().gil_switch_interval_ms == 0.5
    env.setenv("GIL_SWITCH_INTERVAL_MS", "5")
    assert load().gil_switch_interval_ms == 5.0


def test_a_gil_switch_interval_of_zero_is_one_line_naming_it(env: pytest.MonkeyPatch) -> None:
    assert "GIL_SWITCH_INTERVAL_MS" in config_error(env, "GIL_SWITCH_INTERVAL_MS", "0").upper()
