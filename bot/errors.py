"""Domain errors: each carries a message-catalog key so Slack can show it in the team's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user should read: shown ephemerally, never as a traceback."""

    message_key = "error.generic"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        self.key = message_key or self.message_key
        self.params = params
        super().__init__(self.key)

    def render(self, lang: str) -> str:
        """The refusal in the given language."""
        from bot.i18n import t

        return t(self.key, lang, **self.params)


class NotFound(DomainError):
    """The escalation (or other record) does not exist."""

    message_key = "error.not_found"


class NotAllowed(DomainError):
    """The actor may not do this."""

    message_key = "error.not_allowed"


class InvalidTransition(DomainError):
    """The escalation's status does not allow this action (`status` is shown in the team's words)."""

    message_key = "error.invalid_transition"

    def render(self, lang: str) -> str:
        """The refusal in the given language, naming the status as people read it."""
        from bot.i18n import t

        status = self.params.get("status")
        phrase = t(f"status.phrase.{status}", lang) if status else ""
        return t(self.key, lang, **{**self.params, "status": phrase})


class AlreadyResolved(DomainError):
    """Someone else resolved the escalation first."""

    message_key = "error.already_resolved"


class AlreadyClaimed(DomainError):
    """Someone else claimed the escalation first."""

    message_key = "error.already_claimed"


class InvalidInput(DomainError):
    """User input failed validation; `fields` maps input names to message keys."""

    message_key = "error.invalid_input"

    def __init__(self, fields: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(self.message_key)
        self.fields = fields

    def render_fields(self, lang: str) -> dict[str, str]:
        """Field errors in the given language, keyed by input name."""
        from bot.i18n import t

        return {name: t(key, lang, **params) for name, (key, params) in self.fields.items()}


class ConfigError(Exception):
    """The environment or the policy file is unusable; the message is one line for the operator."""
