"""Who a Zendesk agent is in Slack: `users.lookupByEmail`, cached (an agent files many escalations)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

FOUND_FOR = 3600.0  # seconds a match is kept
MISSING_FOR = 600.0  # seconds "no such Slack user" is kept (they may join)


class SlackPeople:
    """Slack user ids by email address, asked of Slack once per address and kept for a while."""

    def __init__(
        self, client: WebClient, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._names: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def user_id(self, email: str) -> str | None:
        """The Slack user with this email address, or None (unknown, deactivated, or Slack failed)."""
        address = email.strip().lower()
        if not address or "@" not in address:
            return None
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(address)
            if cached is not None and cached[1] > now:
                return cached[0]
        found, keep = self._ask(address)
        if keep:
            with self._lock:
                ttl = FOUND_FOR if found else MISSING_FOR
                self._cache[address] = (found, now + ttl)
        return found

    def _ask(self, address: str) -> tuple[str | None, bool]:
        """(user id or None, whether the answer may be cached)."""
        try:
            response = self._client.users_lookupByEmail(email=address)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "users_not_found":
                return None, True
            # missing_scope (users:read.email), ratelimited, …: file by name now, ask again later.
            log.warning("users.lookupByEmail failed: %s", error or "http error")
            return None, False
        except SlackClientError as exc:
            log.warning("users.lookupByEmail failed: %s", exc.__class__.__name__)
            return None, False
        user = response.get("user") or {}
        if user.get("deleted") or user.get("is_bot"):
            return None, True
        user_id = user.get("id")
        return (str(user_id) if user_id else None), True

    def name(self, user_id: str | None) -> str | None:
        """A Slack user's real name (for notes people outside Slack read), cached; None if unknown."""
        if not user_id:
            return None
        now = self._monotonic()
        with self._lock:
            cached = self._names.get(user_id)
            if cached is not None and cached[1] > now:
                return cached[0]
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError) as exc:
            log.warning("users.info failed: %s", exc.__class__.__name__)
            return None
        profile = user.get("profile") or {}
        found = str(profile.get("real_name") or user.get("real_name") or user.get("name") or "")
        with self._lock:
            self._names[user_id] = (found or None, now + FOUND_FOR)
        return found or None
