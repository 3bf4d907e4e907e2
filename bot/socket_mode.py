"""Socket Mode: Slack's requests over a WebSocket instead of HTTP, into the same Bolt app.

The client is slack_sdk's aiohttp one, on an event loop in a thread of its own. When Slack sends
`disconnect` (every few hours, reason `refresh_requested`) it opens the new connection and reads it
at once. slack_sdk's built-in client first waits for its blocking read on the old socket to time
out, about 3 s, so the first envelope after every refresh was acked too late for Slack; the
websocket-client one took 0.5 s to switch (once 10 s). `bench/socket_mode.py` measures them.

Each envelope is dispatched to the synchronous Bolt app on a small thread pool, as an HTTP request
is by the WSGI front, and acked with what Bolt answered: the same listeners, the same Web API calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError

log = logging.getLogger(__name__)

# Bolt's dispatch returns at the ack (listeners run on the app's own pool), so a few threads are
# plenty; more only matters while the listener pool pushes back.
DISPATCH_THREADS = 8
PING_SECONDS = 5  # the client pings this often and reconnects after four unanswered
# How long the connection may be down (reconnecting) before the health check says so.
DOWN_GRACE_SECONDS = 60.0


class SocketModeService:
    """A Socket Mode connection for a synchronous Bolt app, kept open until `close()`."""

    def __init__(self, *, app: App, app_token: str, api_url: str | None = None) -> None:
        self.app = app
        self._app_token = app_token
        self._api_url = api_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="socket-mode", daemon=True
        )
        self._dispatch = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="socket-dispatch")
        self._client: SocketModeClient | None = None
        self._last_connected = time.monotonic()

    def start(self, *, timeout: float = 30.0) -> None:
        """Connect (refusing a token Slack refuses, in one line) and keep the connection up."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._connect(), self._loop).result(timeout)

    def connected(self) -> bool:
        """Whether the WebSocket is open and answering pings."""
        socket_client = self._client
        if socket_client is None or not self._thread.is_alive():
            return False
        future = asyncio.run_coroutine_threadsafe(socket_client.is_connected(), self._loop)
        try:
            return bool(future.result(timeout=2))
        except TimeoutError:
            return False

    def healthy(self) -> bool:
        """Connected, or reconnecting for less than a minute (a refresh is not an outage)."""
        now = time.monotonic()
        if self.connected():
            self._last_connected = now
            return True
        return now - self._last_connected < DOWN_GRACE_SECONDS

    def close(self) -> None:
        """Close the connection, then the loop and the dispatch threads."""
        if not self._thread.is_alive():
            self._dispatch.shutdown(wait=False, cancel_futures=True)
            return
        if self._client is not None:
            closing = asyncio.run_coroutine_threadsafe(self._client.close(), self._loop)
            try:
                closing.result(timeout=5)
            except Exception as exc:  # shutting down: nothing left to tell
                log.info("socket mode close: %s", exc.__class__.__name__)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._dispatch.shutdown(wait=False, cancel_futures=True)

    async def _connect(self) -> None:
        web_client = AsyncWebClient(base_url=self._api_url) if self._api_url else AsyncWebClient()
        socket_client = SocketModeClient(
            app_token=self._app_token,
            web_client=web_client,
            ping_interval=PING_SECONDS,
            logger=logging.getLogger("slack_sdk.socket_mode"),
        )
        socket_client.socket_mode_request_listeners.append(self._on_request)
        try:
            # The client would retry a refused token for ever: ask for the first URL here.
            socket_client.wss_uri = await socket_client.issue_new_wss_url()
        except SlackApiError as exc:
            await socket_client.close()
            error = exc.response.get("error") if exc.response is not None else "refused"
            raise ConfigError(f"SLACK_APP_TOKEN: Slack refused it ({error})") from None
        await socket_client.connect()
        self._client = socket_client

    async def _on_request(
        self, socket_client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._dispatch, run_bolt_app, self.app, request)
        except Exception as exc:  # no ack: Slack tells the user it failed, as after an HTTP 400
            log.error("dispatch failed: %s", exc.__class__.__name__, exc_info=exc)
            return
        ack = socket_mode_ack(request.envelope_id, response)
        if ack is not None:
            await socket_client.send_socket_mode_response(ack)


def check_app_token(app_token: str, *, api_url: str | None = None) -> None:
    """Fail in one line if Slack refuses the app-level token (it opens no connection)."""
    client = WebClient(base_url=api_url) if api_url else WebClient()
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "refused"
        raise ConfigError(f"SLACK_APP_TOKEN: Slack refused it ({error})") from None


def socket_mode_ack(envelope_id: str, response: BoltResponse) -> SocketModeResponse | None:
    """The ack for an envelope carrying what Bolt answered (as an HTTP response body would)."""
    if response.status != 200:
        log.info("not acked: Bolt answered %s", response.status)
        return None
    if not response.body:
        return SocketModeResponse(envelope_id=envelope_id)
    content_type = (response.headers.get("content-type") or [""])[0]
    payload: dict[str, Any]
    if content_type.startswith("application/json"):
        payload = json.loads(response.body)
    else:
        payload = {"text": response.body}
    return SocketModeResponse(envelope_id=envelope_id, payload=payload)
