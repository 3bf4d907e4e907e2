"""Zendesk: escalations filed from a ticket (a signed webhook) and what happens written back to it.

- `signature`: is a delivery really from Zendesk (HMAC over timestamp + raw body).
- `payload`: read the JSON the admin's trigger sends (tolerating unescaped text), refuse other shapes.
- `config`: the policy's `[zendesk]` table and how a payload maps to an escalation.
- `client`: the Tickets API over httpx (internal notes, comments, tags), with a rate limiter.
- `inbox`: deliveries stored first, processed once, out of the request.
- `writeback`: notes and tags as outbox rows, each written exactly once.
"""
