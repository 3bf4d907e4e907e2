"""Where an end user's current state comes from: a local directory file or the admin HTTP API."""

from __future__ import annotations

import csv
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

import httpx

from bot.lookup.config import HttpConfig, LookupField, LookupPolicy, PathStep
from bot.lookup.masking import mask_value
from bot.lookup.query import LookupQuery, LookupQueryError, parse_lookup_query
from bot.lookup.resilience import CircuitBreaker, TTLCache

logger = logging.getLogger(__name__)

UnavailableReason = Literal["timeout", "error", "circuit_open", "bad_response", "not_configured"]
MAX_VALUE_LENGTH = 500
MAX_RESPONSE_BYTES = 1_000_000
_ID_KEYS = ("id", "user_id")
_RETRIED_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)


@dataclass(frozen=True)
class FieldValue:
    """One labelled value of a user's state; `pii` values are masked for most viewers."""

    label: str
    value: str
    pii: bool

    def masked(self) -> FieldValue:
        """This value with personal data masked (unchanged when not `pii`)."""
        return replace(self, value=mask_value(self.value)) if self.pii else self


@dataclass(frozen=True)
class UserState:
    """An end user's current state: the configured fields that the record has, in order.

    `email` is the record's own address (normalised, unmasked, whether or not it is a shown
    field): the chart looks escalations up under it too. A masked state drops it.
    """

    user_id: str
    fields: tuple[FieldValue, ...]
    email: str | None = None

    def masked(self) -> UserState:
        """The same state with every `pii` field masked (and no email kept for the chart)."""
        return replace(self, fields=tuple(field.masked() for field in self.fields), email=None)


class SourceUnavailable(Exception):
    """The source could not answer; `str()` is a short sentence free of PII and secrets."""

    def __init__(self, reason: UnavailableReason, message: str) -> None:
        super().__init__(message)
        self.reason: UnavailableReason = reason


class UserSource(Protocol):
    """Anything that can tell an end user's current state."""

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        """The user's state, None if the user is unknown; raises SourceUnavailable."""
        ...


def extract_value(record: Mapping[str, Any], *, path: str, steps: Sequence[PathStep]) -> str | None:
    """The value at `path` in `record` (a literal key first, then a nested path) as display text."""
    if path in record:
        return _display_text(record[path])
    node: Any = record
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, Mapping) or step not in node:
                return None
            node = node[step]
    return _display_text(node)


def build_user_state(
    record: Mapping[str, Any], *, user_id: str, fields: Sequence[LookupField]
) -> UserState:
    """Pick the configured fields out of a user record, skipping the ones it lacks."""
    values = []
    for field in fields:
        text = extract_value(record, path=field.path, steps=field.steps)
        if text is not None:
            values.append(FieldValue(label=field.label, value=text, pii=field.pii))
    return UserState(user_id=user_id, fields=tuple(values), email=_record_email(record))


def valid_user_id(value: str) -> str | None:
    """`value` if it passes the rules a typed `/lookup` id does (length, characters), else None."""
    try:
        query = parse_lookup_query(value)
    except LookupQueryError:
        return None
    return value if query.kind == "user_id" and query.value == value else None


def _record_email(record: Mapping[str, Any]) -> str | None:
    """The record's `email`, normalised like a typed query; None if absent or not an address."""
    value = record.get("email")
    if not isinstance(value, str):
        return None
    try:
        query = parse_lookup_query(value)
    except LookupQueryError:
        return None
    return query.value if query.kind == "email" else None


def _display_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value).strip()
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    if not text:
        return None
    return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "…"


def _record_id(record: Mapping[str, Any]) -> str | None:
    for key in _ID_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


class DirectorySource:
    """Users from a CSV (header row) or JSON file, loaded once and indexed by id and email.

    A file that cannot be read is not a crash: it is logged once and every fetch raises
    SourceUnavailable("not_configured").
    """

    def __init__(self, *, path: Path, fields: Sequence[LookupField]) -> None:
        records: list[Mapping[str, Any]] = []
        load_error: str | None = None
        try:
            records = _read_directory_file(path)
        except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
            load_error = "the user directory file could not be read"
            logger.warning("lookup directory %s unusable: %s", path, type(exc).__name__)
        self._setup(records, fields=fields, load_error=load_error)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], *, fields: Sequence[LookupField]
    ) -> DirectorySource:
        """A directory over in-memory records (demos and tests)."""
        source = cls.__new__(cls)
        source._setup(list(records), fields=fields, load_error=None)
        return source

    def _setup(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        fields: Sequence[LookupField],
        load_error: str | None,
    ) -> None:
        self._fields = tuple(fields)
        self._load_error = load_error
        self._by_id, self._by_email = _index_records(records)

    def __len__(self) -> int:
        return len(self._by_id)

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        """The user's state from the file, None if no row has this id or email."""
        if self._load_error is not None:
            raise SourceUnavailable("not_configured", self._load_error)
        if query.kind == "email":
            found = self._by_email.get(query.value.strip().casefold())
        else:
            found = self._by_id.get(query.value.strip())
        if found is None:
            return None
        user_id, record = found
        return build_user_state(record, user_id=user_id, fields=self._fields)

    def names_of(self, end_user: str) -> tuple[str, ...]:
        """The id and the (normalised) email of the user known by `end_user`; () if unknown."""
        if "@" in end_user:
            found = self._by_email.get(end_user.strip().casefold())
        else:
            found = self._by_id.get(end_user.strip())
        if found is None:
            return ()
        user_id, record = found
        email = _record_email(record)
        return (user_id, email) if email else (user_id,)


_SHARED_DIRECTORIES: dict[Path, tuple[tuple[int, int], DirectorySource]] = {}
_SHARED_LOCK = threading.Lock()


def shared_directory(path: Path) -> DirectorySource:
    """The directory file at `path`, read once per version of the file (for the card's history).

    Only ids and emails are kept (no fields). A file that cannot be read gives an empty directory.
    """
    try:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = (0, -1)
    with _SHARED_LOCK:
        cached = _SHARED_DIRECTORIES.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
    directory = DirectorySource(path=path, fields=())
    with _SHARED_LOCK:
        _SHARED_DIRECTORIES[path] = (version, directory)
    return directory


def _read_directory_file(path: Path) -> list[Mapping[str, Any]]:
    if path.suffix.lower() == ".json":
        return _read_json_users(path)
    return _read_csv_users(path)


def _read_json_users(path: Path) -> list[Mapping[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, Mapping):
        data = data.get("users")
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise ValueError('expected a list of user objects or {"users": [...]}')
    return data


def _read_csv_users(path: Path) -> list[Mapping[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError("the CSV file has no header row")
        return [
            {
                key.strip(): value.strip()
                for key, value in row.items()
                if isinstance(key, str) and isinstance(value, str) and value.strip()
            }
            for row in reader
        ]


def _index_records(
    records: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, tuple[str, Mapping[str, Any]]], dict[str, tuple[str, Mapping[str, Any]]]]:
    by_id: dict[str, tuple[str, Mapping[str, Any]]] = {}
    by_email: dict[str, tuple[str, Mapping[str, Any]]] = {}
    skipped = 0
    for record in records:
        user_id = _record_id(record)
        if user_id is None or valid_user_id(user_id) is None or user_id in by_id:
            skipped += 1
            continue
        by_id[user_id] = (user_id, record)
        email = record.get("email")
        if isinstance(email, str) and email.strip():
            by_email.setdefault(email.strip().casefold(), (user_id, record))
    if skipped:
        logger.warning(
            "lookup directory: %d rows without a usable id or with a duplicate id", skipped
        )
    return by_id, by_email


class HttpSource:
    """Users from the product's admin API, behind a TTL cache and a circuit breaker.

    One retry on connection errors only, and only while time is left: the whole fetch, retry
    included, has `timeout` seconds from its start (httpx's own timeout applies to each read, so a
    server trickling its answer would otherwise keep a look-up busy indefinitely). 404 means an
    unknown user. Logs carry the outcome and latency, never the token, the URL with the user's id
    or email, or any field value.
    """

    def __init__(
        self,
        *,
        config: HttpConfig,
        fields: Sequence[LookupField],
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] = os.environ,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._monotonic = monotonic
        self._fields = tuple(fields)
        self._token = environ.get(config.token_env, "").strip() or None
        self._cache: TTLCache[tuple[str, str], UserState | None] = TTLCache(config.cache_ttl_delta)
        self._breaker = CircuitBreaker(config.breaker_failures, config.breaker_reset_delta)
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        self._client = httpx.Client(
            transport=transport,
            timeout=config.timeout,
            headers=headers,
            follow_redirects=False,
        )
        for template in (config.user_url, config.email_url):
            if template:
                _HTTPX_URL_REDACTOR.protect(template)

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding the API (for health reporting)."""
        return self._breaker

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        """The user's state from the API (or the cache), None if the API does not know them."""
        hit, cached = self._cache.get(query.cache_key, now)
        if hit:
            return cached
        url = self._url_for(query)
        if url is None:
            return None
        if not self._breaker.allow(now):
            raise SourceUnavailable("circuit_open", "the admin API is failing; not calling it now")
        started = time.perf_counter()
        try:
            state = self._fetch_from_api(url, query)
        except SourceUnavailable as exc:
            self._breaker.record_failure(now)
            logger.warning(
                "lookup http %s: %s after %.0f ms",
                query.kind,
                exc.reason,
                (time.perf_counter() - started) * 1000,
            )
            raise
        except (
            Exception
        ) as exc:  # a bug or a surprise in the answer: still a failure of the API call
            self._breaker.record_failure(now)
            logger.warning(
                "lookup http %s: unexpected %s after %.0f ms",
                query.kind,
                type(exc).__name__,
                (time.perf_counter() - started) * 1000,
            )
            raise SourceUnavailable("error", "the admin API answer could not be handled") from None
        self._breaker.record_success()
        self._cache.put(query.cache_key, state, now)
        logger.info(
            "lookup http %s: %s in %.0f ms",
            query.kind,
            "found" if state is not None else "unknown user",
            (time.perf_counter() - started) * 1000,
        )
        return state

    def _url_for(self, query: LookupQuery) -> str | None:
        """The URL to call, or None when the value cannot name any user (empty or only dots)."""
        if self._token is None:
            raise SourceUnavailable(
                "not_configured", f"the admin API token variable {self._config.token_env} is unset"
            )
        if query.kind == "email":
            template, placeholder = self._config.email_url, "{email}"
        else:
            template, placeholder = self._config.user_url, "{user_id}"
        if not template:
            raise SourceUnavailable(
                "not_configured", f"look-up by {query.kind.replace('_', ' ')} is not configured"
            )
        value = query.value.strip()
        # "." and ".." would be resolved as path segments by the client: never send them.
        if not value.strip("."):
            return None
        return template.replace(placeholder, quote(value, safe=""))

    def _fetch_from_api(self, url: str, query: LookupQuery) -> UserState | None:
        deadline = self._monotonic() + self._config.timeout
        try:
            try:
                status, body = self._get(url, deadline=deadline)
            except _RETRIED_ERRORS:
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    raise _DeadlinePassed from None
                status, body = self._get(url, deadline=deadline, timeout=remaining)
        except (httpx.TimeoutException, _DeadlinePassed):
            raise SourceUnavailable("timeout", "the admin API did not answer in time") from None
        except _ResponseTooLarge:
            raise SourceUnavailable("bad_response", "the admin API answer was too large") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SourceUnavailable(
                "error", f"the admin API could not be reached ({type(exc).__name__})"
            ) from None
        if status == 404:
            return None
        if not 200 <= status < 300:
            raise SourceUnavailable("error", f"the admin API answered HTTP {status}")
        return self._parse_user(body, query)

    def _get(
        self,
        url: str,
        *,
        deadline: float,
        timeout: float | None = None,
    ) -> tuple[int, bytes]:
        """Status and body; `timeout` (the time left) replaces the client's on a retry."""
        per_phase = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        with self._client.stream("GET", url, timeout=per_phase) as response:
            if response.status_code == 404 or not response.is_success:
                return response.status_code, b""
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                if self._monotonic() >= deadline:
                    raise _DeadlinePassed
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _ResponseTooLarge
                chunks.append(chunk)
            if self._monotonic() >= deadline:
                raise _DeadlinePassed
            return response.status_code, b"".join(chunks)

    def _parse_user(self, body: bytes, query: LookupQuery) -> UserState:
        try:
            record = json.loads(body)
        except RecursionError:  # b"[" * 200_000: nested too deep to parse
            raise SourceUnavailable(
                "bad_response", "the admin API answer was nested too deep"
            ) from None
        except ValueError:
            raise SourceUnavailable("bad_response", "the admin API answer was not JSON") from None
        if not isinstance(record, dict):
            raise SourceUnavailable("bad_response", "the admin API answer was not a JSON object")
        user_id = _record_id(record)
        if user_id is not None and valid_user_id(user_id) is None:
            # The id becomes button values and the audit's end_user_id: only what a typed id may be.
            logger.warning("lookup http %s: the answer's user id is malformed", query.kind)
            user_id = None
        if user_id is None and query.kind == "user_id":
            user_id = query.value
        if user_id is None:
            raise SourceUnavailable("bad_response", "the admin API answer had no usable user id")
        return build_user_state(record, user_id=user_id, fields=self._fields)


class _ResponseTooLarge(Exception):
    pass


class _DeadlinePassed(Exception):
    pass


class _AdminUrlRedactor(logging.Filter):
    """Keeps httpx's own request log line from carrying an admin API URL (it names the user)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._prefixes: set[tuple[str, str]] = set()

    def protect(self, template: str) -> None:
        """Redact logged URLs on this template's origin whose path starts like the template's."""
        parts = urlsplit(template)
        path_prefix = parts.path.split("{", 1)[0]
        with self._lock:
            self._prefixes.add((f"{parts.scheme}://{parts.netloc}".lower(), path_prefix))
            if self not in logging.getLogger("httpx").filters:
                logging.getLogger("httpx").addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace any protected URL among the record's arguments by its origin."""
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(self._redacted(arg) for arg in record.args)
        return True

    def _redacted(self, arg: object) -> object:
        if not isinstance(arg, httpx.URL | str):
            return arg
        try:
            parts = urlsplit(str(arg))
        except ValueError:
            return arg
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            prefixes = tuple(self._prefixes)
        for protected_origin, path_prefix in prefixes:
            if origin == protected_origin and parts.path.startswith(path_prefix):
                return f"{origin}{path_prefix}<redacted>"
        return arg


_HTTPX_URL_REDACTOR = _AdminUrlRedactor()


def build_source(
    policy: LookupPolicy,
    *,
    transport: httpx.BaseTransport | None = None,
    environ: Mapping[str, str] = os.environ,
) -> UserSource:
    """The user-state source the policy asks for."""
    if policy.source == "http":
        return HttpSource(
            config=policy.http, fields=policy.fields, transport=transport, environ=environ
        )
    return DirectorySource(path=policy.directory.resolved_path(), fields=policy.fields)
