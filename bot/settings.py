"""Process settings from the environment (secrets and URLs); team policy lives in `bot.policy`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.zendesk.client import ZendeskAuth

DEFAULT_DATABASE_URL = "sqlite:///crebot.db"
Mode = Literal["http", "socket", "local"]


def default_web_concurrency(data: dict[str, object]) -> int:
    """gunicorn workers by default: one per CPU on PostgreSQL; one on SQLite.

    SQLite has one write lock per database: two worker processes wait for it through SQLite's
    sleeping busy handler and do less than one process whose threads take turns (bench/README.md).
    """
    url = str(data.get("database_url") or DEFAULT_DATABASE_URL)
    return 1 if url.startswith("sqlite") else os.cpu_count() or 1


class Settings(BaseSettings):
    """Everything the process reads from its environment, validated once at start."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    crebot_config: Path = Path("crebot.toml")
    host: str = "0.0.0.0"  # noqa: S104  (every interface: what a container's port mapping needs)
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    web_concurrency: int = Field(default_factory=default_web_concurrency, ge=1, le=64)
    web_threads: int = Field(default=16, ge=1, le=256)
    # Python's 5 ms lets a busy listener thread hold the GIL while an ack waits: 0.5 ms cut
    # crebot's ack p99 from 40-63 to 13 ms at 100 req/s for the same CPU (bench/README.md).
    gil_switch_interval_ms: float = Field(default=0.5, gt=0, le=100)
    # HTTP mode: 1 hands commands' and clicks' work to a niced process beside each web worker
    # (bot/work_process.py). Off by default: on the shared 2-core bench machine it did not bring the
    # burst's ack p99 within 1.5x bare, and the work fell further behind (bench/README.md).
    work_processes: int = Field(default=0, ge=0, le=1)
    work_nice: int = Field(default=10, ge=0, le=19)
    zendesk_webhook_secret: SecretStr | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_oauth_token: SecretStr | None = None
    zendesk_api_url: str | None = None

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "zendesk_webhook_secret",
        "zendesk_email",
        "zendesk_api_token",
        "zendesk_oauth_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `SLACK_BOT_TOKEN=` in a copied .env means "not set", not "an empty secret".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token")
    @classmethod
    def _a_real_credential(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret in ENV_EXAMPLE_PLACEHOLDERS:
            raise ValueError("is still the placeholder from .env.example (use your Slack app's)")
        if info.field_name in TOKEN_PREFIXES:
            prefix, wanted = TOKEN_PREFIXES[info.field_name]
            if not secret.startswith(prefix):
                raise ValueError(f"must be {wanted}, starting with {prefix}{_what_it_is(secret)}")
        return value

    @field_validator("zendesk_api_url")
    @classmethod
    def _zendesk_api_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("host")
    @classmethod
    def _one_address(cls, value: str) -> str:
        value = value.strip().removeprefix("[").removesuffix("]")
        if not value or any(c.isspace() or c in "/[]" for c in value):
            raise ValueError("must be one host name or IP address, e.g. 127.0.0.1 or ::")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def mode(self) -> Mode:
        """Socket Mode with an app token, HTTP otherwise; the local shell only with no Slack at all.

        A deployment that sets some Slack variables but not the bot token is misconfigured: it
        gets "http" or "socket" and fails at start naming SLACK_BOT_TOKEN, instead of quietly
        opening a terminal nobody is watching.
        """
        unset = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        if all(value is None for value in unset):
            return "local"
        return "socket" if self.slack_app_token else "http"

    def require_slack_credentials(self) -> None:
        """Fail with one line naming the missing variable if Slack cannot be reached with these."""
        if self.slack_bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from your Slack app)"
            )
        if self.mode == "http" and self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret)"
            )

    def bot_token(self) -> str:
        """The bot token's value (never logged)."""
        if self.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        return self.slack_bot_token.get_secret_value()

    def zendesk_secret(self) -> str | None:
        """The Zendesk webhook's signing secret (never logged); None: no intake from Zendesk."""
        secret = self.zendesk_webhook_secret
        return secret.get_secret_value() if secret is not None else None

    def zendesk_auth(self) -> ZendeskAuth | None:
        """Credentials for the Zendesk API (None: no write-back); a half-set pair stops start-up."""
        email, token, oauth = self.zendesk_email, self.zendesk_api_token, self.zendesk_oauth_token
        if oauth is not None and (token is not None or email is not None):
            raise ConfigError(
                "ZENDESK_OAUTH_TOKEN: set either it or ZENDESK_EMAIL + ZENDESK_API_TOKEN, not both"
            )
        if oauth is not None:
            return ZendeskAuth.oauth(oauth.get_secret_value())
        if token is not None and email is None:
            raise ConfigError("ZENDESK_EMAIL is not set (the agent the API token belongs to)")
        if email is not None and token is None:
            raise ConfigError(
                "ZENDESK_API_TOKEN is not set (Admin Center → Apps and integrations → Zendesk API)"
            )
        if email is None or token is None:
            return None
        if "@" not in email:
            raise ConfigError("ZENDESK_EMAIL: not an email address")
        return ZendeskAuth.api_token(email=email.strip(), token=token.get_secret_value())

    def signing_secret(self) -> str:
        """The signing secret's value (never logged)."""
        if self.slack_signing_secret is None:
            raise ConfigError("SLACK_SIGNING_SECRET is not set")
        return self.slack_signing_secret.get_secret_value()


# Slack's prefix for each token, and where the app's settings page shows the right one.
TOKEN_PREFIXES = {
    "slack_bot_token": ("xoxb-", "a bot token (OAuth & Permissions → Bot User OAuth Token)"),
    "slack_app_token": ("xapp-", "an app-level token (Basic Information → App-Level Tokens)"),
}
# What a token pasted into the wrong variable is, by its prefix (only the prefix is ever shown).
TOKEN_KINDS = {
    "xoxb-": "a bot token",
    "xoxp-": "a user token",
    "xapp-": "an app-level token",
    "xoxe.": "a rotating token",
    "xoxe-": "a refresh token",
}
# The values .env.example ships with: copied without editing, they would reach Slack as tokens.
ENV_EXAMPLE_PLACEHOLDERS = frozenset(
    {"xoxb-your-bot-token", "your-signing-secret", "xapp-your-app-token"}
)


def _what_it_is(secret: str) -> str:
    kind = next((f"{k} ({p}…)" for p, k in TOKEN_KINDS.items() if secret.startswith(p)), None)
    return f"; this is {kind}" if kind else ""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "environment"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
