"""Scheduled jobs: one module each, a function taking the runtime and the instant it runs as of.

The scheduler (`bot.scheduler`) wires them to triggers; `crebot run-job` runs one by hand.
"""
