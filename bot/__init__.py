"""cre-bot: escalation intake, assignment, business-time SLOs, reminders, digests and /lookup in Slack."""

__version__ = "0.1.0"
