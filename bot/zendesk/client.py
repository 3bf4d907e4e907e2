"""The Zendesk Tickets API over httpx: internal notes, the comments that say whether one landed, tags.

Each call is one HTTP request with timeouts; what to do after a failure (wait out a 429, back off
from a 5xx, look for a note a timed-out request may have written) is the write-back outbox's
decision, so every failure is a `ZendeskError` that says whether the request may have been applied.
Credentials live in the Authorization header only: never in a URL, a log line or an error.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.zendesk.ratelimit import RateLimiter

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 3600.0
PERMANENT_STATUSES = frozenset({400, 404, 405, 413, 422})
COMMENT_PAGES = 3  # newest comments searched for a note's marker (100 a page)


@dataclass(frozen=True)
class ZendeskAuth:
    """The Authorization header for an API token or an OAuth access token (its repr hides it)."""

    header: str = field(repr=False)
    kind: str = "api_token"

    @classmethod
    def api_token(cls, *, email: str, token: str) -> ZendeskAuth:
        """Basic auth with `{email}/token:{api_token}`."""
        raw = f"{email}/token:{token}".encode()
        return cls(f"Basic {base64.b64encode(raw).decode('ascii')}", "api_token")

    @classmethod
    def oauth(cls, token: str) -> ZendeskAuth:
        """A bearer OAuth access token."""
        return cls(f"Bearer {token}", "oauth")


class ZendeskError(Exception):
    """A request that did not succeed: a short code for logs, and what it means for retrying."""

    def __init__(
        self,
        code: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied  # it may have reached Zendesk and been applied

    @property
    def permanent(self) -> bool:
        """Sending the same request again cannot succeed (the ticket is closed, gone, …)."""
        return self.status in PERMANENT_STATUSES


class ZendeskClient:
    """The few Tickets API calls cre-bot makes, each one request with timeouts."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: ZendeskAuth,
        limiter: RateLimiter | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": auth.header,
                "Accept": "application/json",
                "User-Agent": "cre-bot",
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    # -- writes (Update Ticket's own limit applies) --------------------------------------------

    def add_internal_note(
        self, ticket_id: int, body: str, *, custom_fields: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Add a private comment (and set custom fields) in one Update Ticket request."""
        ticket: dict[str, Any] = {"comment": {"body": body, "public": False}}
        if custom_fields:
            ticket["custom_fields"] = list(custom_fields)
        self._request("PUT", f"/api/v2/tickets/{int(ticket_id)}.json", {"ticket": ticket})

    def add_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        """Add tags, keeping the ticket's others (Update Ticket's `tags` would replace them all)."""
        self._request("PUT", f"/api/v2/tickets/{int(ticket_id)}/tags.json", {"tags": list(tags)})

    def remove_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        """Remove tags, keeping the ticket's others."""
        self._request("DELETE", f"/api/v2/tickets/{int(ticket_id)}/tags.json", {"tags": list(tags)})

    # -- reads ----------------------------------------------------------------------------------

    def has_comment_with(self, ticket_id: int, marker: str, *, pages: int = COMMENT_PAGES) -> bool:
        """Whether one of the ticket's newest comments contains `marker` (a note that landed)."""
        return any(marker in text for text in self._comment_texts(ticket_id, pages=pages))

    def _comment_texts(self, ticket_id: int, *, pages: int) -> Iterator[str]:
        path: str | None = f"/api/v2/tickets/{int(ticket_id)}/comments.json"
        params: dict[str, Any] | None = {"sort_order": "desc", "per_page": 100}
        for _ in range(pages):
            if path is None:
                return
            answer = self._request("GET", path, None, params=params, limited=False)
            for comment in answer.get("comments") or []:
                if isinstance(comment, dict):
                    for key in ("body", "plain_body", "html_body"):
                        if isinstance(comment.get(key), str):
                            yield comment[key]
            path, params = self._same_host_path(answer.get("next_page")), None

    def _same_host_path(self, url: Any) -> str | None:
        """A `next_page` URL as a path on our host (never follow a link elsewhere with our token)."""
        if not isinstance(url, str) or not url:
            return None
        parts = urlsplit(url)
        if parts.netloc != urlsplit(self.base_url).netloc:
            return None
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    # -- one request ----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        params: dict[str, Any] | None = None,
        limited: bool = True,
    ) -> dict[str, Any]:
        taken = self.limiter.acquire() if limited and self.limiter is not None else None
        where = path.split("?", 1)[0]
        try:
            response = self._http.request(method, path, json=body, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("zendesk %s %s: %s", method, where, exc.__class__.__name__)
            raise ZendeskError("connect_error") from None
        except httpx.TransportError as exc:  # read/write timeouts, a dropped connection
            log.warning("zendesk %s %s: %s", method, where, exc.__class__.__name__)
            raise ZendeskError("timeout", maybe_applied=method != "GET") from None
        finally:
            if taken is not None and self.limiter is not None:
                self.limiter.sent(taken)
        if response.status_code < 300:
            return _json(response)
        error = _error_for(response, method=method)
        if error.retry_after is not None and self.limiter is not None:
            self.limiter.pause(error.retry_after)
        log.warning("zendesk %s %s: %s", method, where, error.code)
        raise error


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_for(response: httpx.Response, *, method: str) -> ZendeskError:
    status = response.status_code
    retry_after = _retry_after(response.headers.get("Retry-After"))
    if status == 429:
        return ZendeskError(
            "http_429", status=status, retry_after=retry_after or DEFAULT_RETRY_AFTER
        )
    # A 5xx may come after the change was made (a gateway timing out in front of Zendesk).
    applied = status >= 500 and status != 503 and method != "GET"
    return ZendeskError(
        f"http_{status}", status=status, retry_after=retry_after, maybe_applied=applied
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: rare from Zendesk; the default wait applies
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
