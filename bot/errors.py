"""Domain errors: each carries a message-catalog key and its parameters, never words.

The words are chosen where replies are made (`bot.blocks.errors`), in the team's language.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user should read: shown ephemerally, never as a traceback."""

    message_key = "error.generic"
    hint_key: str | None = None  # a second line the reply adds (e.g. how to use a command)

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        self.key = message_key or self.message_key
        self.params = params
        super().__init__(self.key)


class NotFound(DomainError):
    """The escalation (or other record) does not exist."""

    message_key = "error.not_found"


class NotAllowed(DomainError):
    """The actor may not do this."""

    message_key = "error.not_allowed"


class InvalidTransition(DomainError):
    """The escalation's status does not allow this action (`status` is shown in the team's words)."""

    message_key = "error.invalid_transition"


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


class ConfigError(Exception):
    """The environment or the policy file is unusable; the message is one line for the operator."""
