"""Block Kit builders: pure functions from domain data to Slack payloads."""
