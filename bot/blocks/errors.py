"""Domain refusals in words: the ephemeral reply, and a modal's errors by field."""

from __future__ import annotations

from bot.errors import DomainError, InvalidInput, InvalidTransition
from bot.i18n import t


def error_text(error: DomainError, lang: str) -> str:
    """The refusal in the team's language (with its hint line, if the error has one)."""
    params = error.params
    if isinstance(error, InvalidTransition) and params.get("status"):
        # The status as people read it in a sentence ("is waiting on CS"), not its id.
        params = {**params, "status": t(f"status.phrase.{params['status']}", lang)}
    elif isinstance(error, InvalidTransition):
        params = {**params, "status": ""}
    text = t(error.key, lang, **params)
    return f"{text}\n{t(error.hint_key, lang)}" if error.hint_key else text


def field_errors(invalid: InvalidInput, lang: str) -> dict[str, str]:
    """A modal's field errors in the team's language, keyed by input (block) id."""
    return {name: t(key, lang, **params) for name, (key, params) in invalid.fields.items()}
