"""A loopback TCP proxy that can go silent or cut every connection: a database that stalls, or drops.

`silence()` keeps every connection open and accepted but forwards nothing, in either direction: to
the client it is a database that stopped answering (a frozen server, a paused VM), which no TCP
timeout notices because the proxy's kernel still acknowledges every packet. `cut()` closes every
connection and refuses new ones; `restore()` goes back to forwarding.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target address, until told to stall or cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._refusing = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._thread.start()

    @classmethod
    def for_url(cls, url: str) -> TcpProxy:
        """A proxy in front of the host and port of a database URL."""
        parts = urlsplit(url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 5432))

    def url(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")
        auth = f"{netloc[0]}@" if netloc[1] else ""
        return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{self.port}"))

    # -- faults ----------------------------------------------------------------------------------

    def silence(self) -> None:
        """Stop forwarding; connections (old and new) stay open and unanswered."""
        self._forwarding.clear()

    def cut(self) -> None:
        """Close every connection and refuse new ones until `restore()`."""
        with self._lock:
            self._refusing = True
            pairs = list(self._peers.items())
            self._peers.clear()
        for sock, _ in pairs:
            with contextlib.suppress(Exception):
                self._selector.unregister(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def restore(self) -> None:
        """Forward again (what was sent while silent is then delivered)."""
        with self._lock:
            self._refusing = False
        self._forwarding.set()

    def stop(self) -> None:
        """Close everything and end the proxy's thread."""
        self._stopped.set()
        self._forwarding.set()
        self._thread.join(timeout=5)
        self.cut()
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not self._forwarding.is_set():
                self._accept_silently()
                self._forwarding.wait(0.05)
                continue
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                else:
                    self._pump(sock)

    def _accept_silently(self) -> None:
        """While silent, still accept (the kernel would anyway) but never forward a byte."""
        with contextlib.suppress(BlockingIOError, OSError):
            client, _ = self._listener.accept()
            with self._lock:
                if self._refusing:
                    client.close()
                    return
            upstream = socket.create_connection(self.target, timeout=5)
            self._register(client, upstream)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, OSError):
            return
        with self._lock:
            refusing = self._refusing
        if refusing:
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        self._register(client, upstream)

    def _register(self, client: socket.socket, upstream: socket.socket) -> None:
        for sock in (client, upstream):
            sock.setblocking(False)
        with self._lock:
            self._peers[client] = upstream
            self._peers[upstream] = client
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(upstream, selectors.EVENT_READ)

    def _pump(self, sock: socket.socket) -> None:
        with self._lock:
            peer = self._peers.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_pair(sock, peer)
            return
        try:
            peer.setblocking(True)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._close_pair(sock, peer)

    def _close_pair(self, sock: socket.socket, peer: socket.socket) -> None:
        with self._lock:
            self._peers.pop(sock, None)
            self._peers.pop(peer, None)
        for each in (sock, peer):
            with contextlib.suppress(Exception):
                self._selector.unregister(each)
            with contextlib.suppress(OSError):
                each.close()
