"""Settings from the environment: defaults, the run mode, and one-line errors naming the variable."""

from __future__ import annotations

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
    ("variable", "mode"), [("SLACK_APP_TOKEN", "socket"), ("SLACK_SIGNING_SECRET", "http")]
)
def test_some_slack_variables_without_a_bot_token_are_a_misconfigured_deployment(
    env: pytest.MonkeyPatch, variable: str, mode: str
) -> None:
    env.setenv(variable, "set")
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
