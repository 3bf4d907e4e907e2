"""The `[lookup]` table of the team policy: which user-state source to use and what to show."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEMO_USERS_PATH = Path(__file__).resolve().parent.parent / "data" / "demo_users.csv"
"""The demo directory shipped with the bot, used when `[lookup.directory] path` is empty."""

PathStep = str | int
_PATH_SEGMENT = re.compile(r"(?P<key>[A-Za-z0-9_\-]+)(?P<indices>(?:\[\d{1,6}\])*)")
_INDEX = re.compile(r"\[(\d+)\]")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_USER_GROUP_HANDLE = re.compile(r"[a-z0-9][a-z0-9._\-]{0,79}")
_URL_PROBE = "crebotplaceholderprobe"


def parse_field_path(path: str) -> tuple[PathStep, ...]:
    """Split a dotted path with list indices (`devices[0].os`) into keys and indices."""
    if not path or path != path.strip():
        raise ValueError("path must be non-empty with no surrounding spaces")
    steps: list[PathStep] = []
    for segment in path.split("."):
        match = _PATH_SEGMENT.fullmatch(segment)
        if match is None:
            raise ValueError(f"invalid path segment {segment!r} (use keys like a.b[0].c)")
        steps.append(match["key"])
        steps.extend(int(index) for index in _INDEX.findall(match["indices"]))
    return tuple(steps)


def _check_url_template(template: str, *, placeholder: str) -> str:
    """Refuse a URL template that is not http(s) or lacks exactly one `{placeholder}`."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"unbalanced braces in URL template ({exc})") from None
    if names != [placeholder]:
        raise ValueError(f"URL template must contain exactly one {{{placeholder}}} and no other")
    probe = urlsplit(template.replace("{" + placeholder + "}", _URL_PROBE))
    if probe.scheme not in ("http", "https") or not probe.hostname:
        raise ValueError("URL template must be an http:// or https:// URL with a host")
    if _URL_PROBE in probe.netloc or _URL_PROBE in probe.fragment:
        raise ValueError(f"{{{placeholder}}} must be in the URL's path or query")
    if probe.username or probe.password:
        raise ValueError("URL template must not carry credentials; use token_env")
    return template


class LookupField(BaseModel):
    """One line of the /lookup answer: a label and where its value lives in the user record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=50)
    label_ja: str | None = Field(default=None, min_length=1, max_length=50)
    path: str = Field(min_length=1, max_length=200)
    pii: bool = False

    def label_in(self, lang: str) -> str:
        """The label in `lang`: `label_ja` for a Japanese team when given, else `label`."""
        return self.label_ja if lang == "ja" and self.label_ja else self.label

    @field_validator("label", "label_ja")
    @classmethod
    def _label_not_blank(cls, value: str | None) -> str | None:
        if value is None:
            return None
        stripped = value.strip()
        if not stripped:
            raise ValueError("label must not be blank")
        return stripped

    @field_validator("path")
    @classmethod
    def _path_parses(cls, value: str) -> str:
        parse_field_path(value)
        return value

    @cached_property
    def steps(self) -> tuple[PathStep, ...]:
        """The path split into keys and list indices."""
        return parse_field_path(self.path)


class DirectoryConfig(BaseModel):
    """`[lookup.directory]`: a CSV or JSON file of users."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = ""

    def resolved_path(self) -> Path:
        """The configured file, or the shipped demo file when none is configured."""
        return Path(self.path).expanduser() if self.path.strip() else DEMO_USERS_PATH


class HttpConfig(BaseModel):
    """`[lookup.http]`: the product's admin API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_url: str = ""
    email_url: str = ""
    token_env: str = "ADMIN_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
    timeout: float = Field(default=2.0, gt=0, le=30)
    cache_ttl: float = Field(default=60, ge=0, le=86_400)
    breaker_failures: int = Field(default=5, ge=1, le=1_000)
    breaker_reset: float = Field(default=30, gt=0, le=3_600)

    @field_validator("user_url")
    @classmethod
    def _user_url_template(cls, value: str) -> str:
        return _check_url_template(value, placeholder="user_id") if value else value

    @field_validator("email_url")
    @classmethod
    def _email_url_template(cls, value: str) -> str:
        return _check_url_template(value, placeholder="email") if value else value

    @field_validator("token_env")
    @classmethod
    def _token_env_is_a_name(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "token_env is the NAME of the environment variable holding the token "
                "(letters, digits, _), not the token itself"
            )
        return value

    @property
    def cache_ttl_delta(self) -> timedelta:
        """How long successful answers are cached (zero disables the cache)."""
        return timedelta(seconds=self.cache_ttl)

    @property
    def breaker_reset_delta(self) -> timedelta:
        """How long the circuit breaker fails fast before one trial call."""
        return timedelta(seconds=self.breaker_reset)


DEFAULT_FIELDS: tuple[LookupField, ...] = (
    LookupField(label="Status", label_ja="ステータス", path="status"),
    LookupField(label="Status reason", label_ja="ステータスの理由", path="status_reason"),
    LookupField(label="Ban reason", label_ja="利用停止の理由", path="ban_reason"),
    LookupField(label="Product", label_ja="プロダクト", path="product"),
    LookupField(label="Plan", label_ja="プラン", path="plan"),
    LookupField(label="Last sign-in", label_ja="最終ログイン", path="last_sign_in_at"),
    LookupField(label="Device", label_ja="端末", path="device"),
    LookupField(label="App version", label_ja="アプリのバージョン", path="app_version"),
    LookupField(label="Country", label_ja="国", path="country"),
    LookupField(label="Signed up", label_ja="登録日", path="created_at"),
    LookupField(label="Name", label_ja="氏名", path="name", pii=True),
    LookupField(label="Email", label_ja="メールアドレス", path="email", pii=True),
    LookupField(label="Phone", label_ja="電話番号", path="phone", pii=True),
)


class LookupPolicy(BaseModel):
    """`[lookup]`: the source of end-user state, who may look users up, and which fields to show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["directory", "http"] = "directory"
    allowed_users: tuple[str, ...] = ()
    allowed_user_groups: tuple[str, ...] = ()
    directory: DirectoryConfig = DirectoryConfig()
    http: HttpConfig = HttpConfig()
    fields: tuple[LookupField, ...] = Field(default=DEFAULT_FIELDS, min_length=1, max_length=40)

    @field_validator("allowed_users")
    @classmethod
    def _slack_user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for user_id in value:
            if not _SLACK_USER_ID.fullmatch(user_id):
                raise ValueError(f"{user_id!r} is not a Slack user id (like U012ABCDEF)")
        return value

    @field_validator("allowed_user_groups")
    @classmethod
    def _user_group_handles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        handles = tuple(handle.strip().removeprefix("@") for handle in value)
        for handle in handles:
            if not _USER_GROUP_HANDLE.fullmatch(handle):
                raise ValueError(f"{handle!r} is not a Slack user group handle (like cre-team)")
        return handles

    @field_validator("fields")
    @classmethod
    def _labels_unique(cls, value: tuple[LookupField, ...]) -> tuple[LookupField, ...]:
        seen: set[str] = set()
        for field in value:
            key = field.label.casefold()
            if key in seen:
                raise ValueError(f"duplicate field label {field.label!r}")
            seen.add(key)
        return value

    def field_label(self, label: str, lang: str) -> str:
        """A field's label (as recorded in the audit) in `lang`; unknown labels as they are."""
        for field in self.fields:
            if field.label == label:
                return field.label_in(lang)
        return label

    @model_validator(mode="after")
    def _http_source_has_user_url(self) -> LookupPolicy:
        if self.source == "http" and not self.http.user_url:
            raise ValueError('source = "http" needs [lookup.http] user_url')
        return self
