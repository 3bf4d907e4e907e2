"""Slack listeners, one sub-package per kind; each exposes `register(app)`.

A handler acks, reads the ids from the payload, calls one domain function, then renders and posts.
"""
