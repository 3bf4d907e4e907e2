"""The lead's DM when Slack refuses posts for a reason only a person can fix (bot.outbox.SETUP_ERRORS)."""

from __future__ import annotations

from bot import outbox_keys
from bot.i18n import t
from bot.mrkdwn import channel_link, escape, is_user_id, mention
from bot.outbox import RESTRICTED_ERRORS, SetupProblem
from bot.outbox_rows import OutboxRow
from bot.policy import Policy


def setup_problem_text(*, policy: Policy, problem: SetupProblem, scopes: tuple[str, ...]) -> str:
    """What Slack refused, what to do about it, and what happens to the posts meanwhile."""
    lang = policy.language
    channel = escape(problem.channel)
    where = (
        mention(problem.channel) if is_user_id(problem.channel) else channel_link(problem.channel)
    )
    error = problem.error
    if error in ("not_in_channel", "channel_not_found", "is_archived", "missing_scope"):
        key = f"setup.{error}"
    elif error in RESTRICTED_ERRORS:
        key = "setup.restricted"
    else:
        key = "setup.refused"
    text = t(
        key,
        lang,
        where=where,
        channel=channel,
        error=escape(error),
        method=escape(problem.method),
        scopes=", ".join(f"`{escape(scope)}`" for scope in scopes) or "?",
    )
    return f"{text}\n{t('setup.until_fixed', lang)}"


def setup_notice(*, policy: Policy, problem: SetupProblem, scopes: tuple[str, ...]) -> OutboxRow:
    """The lead's DM about it, keyed once per channel and error."""
    return OutboxRow.message(
        outbox_keys.setup_problem(problem.error, problem.channel),
        channel=policy.roster.lead,
        text=setup_problem_text(policy=policy, problem=problem, scopes=scopes),
    )
