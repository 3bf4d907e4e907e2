"""The `[lookup]` policy table."""

from __future__ import annotations

import csv
import tomllib
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.lookup.config import (
    DEFAULT_FIELDS,
    DEMO_USERS_PATH,
    LookupField,
    LookupPolicy,
    parse_field_path,
)

EXAMPLE_TOML = """
[lookup]
source = "http"
allowed_users = ["U0LEAD"]
allowed_user_groups = ["cre", "@cs-leads"]

[lookup.directory]
path = ""

[lookup.http]
user_url  = "https://admin.internal/api/users/{user_id}"
email_url = "https://admin.internal/api/users/by-email/{email}"
token_env = "ADMIN_API_TOKEN"
timeout = 2.0
cache_ttl = 60
breaker_failures = 5
breaker_reset = 30

[[lookup.fields]]
label = "Email"
path = "email"
pii = true

[[lookup.fields]]
label = "Device"
path = "devices[0].os"
"""


def _policy(**lookup: Any) -> LookupPolicy:
    return LookupPolicy.model_validate(lookup)


def _error_text(**lookup: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        _policy(**lookup)
    return str(caught.value)


def test_the_documented_example_loads() -> None:
    policy = LookupPolicy.model_validate(tomllib.loads(EXAMPLE_TOML)["lookup"])
    assert policy.source == "http"
    assert policy.allowed_users == ("U0LEAD",)
    assert policy.allowed_user_groups == ("cre", "cs-leads")
    assert policy.http.cache_ttl_delta == timedelta(seconds=60)
    assert policy.http.breaker_reset_delta == timedelta(seconds=30)
    assert [(f.label, f.steps, f.pii) for f in policy.fields] == [
        ("Email", ("email",), True),
        ("Device", ("devices", 0, "os"), False),
    ]


def test_defaults_use_the_demo_directory() -> None:
    policy = LookupPolicy()
    assert policy.source == "directory"
    assert policy.allowed_users == ()
    assert policy.directory.resolved_path() == DEMO_USERS_PATH
    assert policy.fields == DEFAULT_FIELDS
    assert policy.http.timeout == 2.0


def test_default_fields_all_exist_in_the_demo_file_and_mark_contact_details_pii() -> None:
    with DEMO_USERS_PATH.open(encoding="utf-8") as handle:
        columns = set(next(csv.reader(handle)))
    assert {field.path for field in DEFAULT_FIELDS} <= columns
    pii = {field.path for field in DEFAULT_FIELDS if field.pii}
    assert {"email", "phone", "name"} <= pii
    assert "status" not in pii


def test_configured_directory_path_is_used(tmp_path: Any) -> None:
    policy = _policy(directory={"path": str(tmp_path / "users.json")})
    assert policy.directory.resolved_path() == tmp_path / "users.json"


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("email", ("email",)),
        ("account.status", ("account", "status")),
        ("devices[0].os", ("devices", 0, "os")),
        ("matrix[1][2]", ("matrix", 1, 2)),
        ("last_sign_in-at", ("last_sign_in-at",)),
    ],
)
def test_field_paths_parse(path: str, steps: tuple[str | int, ...]) -> None:
    assert parse_field_path(path) == steps


@pytest.mark.parametrize(
    "path", ["", " email", "a..b", "a.", ".a", "a[x]", "a[0", "[0].a", "a b", "a[-1]"]
)
def test_bad_field_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_field_path(path)
    with pytest.raises(ValidationError):
        LookupField(label="X", path=path)


@pytest.mark.parametrize(
    ("http", "fragment"),
    [
        ({"user_url": "ftp://admin.internal/{user_id}"}, "http"),
        ({"user_url": "admin.internal/users/{user_id}"}, "http"),
        ({"user_url": "https:///users/{user_id}"}, "host"),
        ({"user_url": "https://admin.internal/users"}, "exactly one {user_id}"),
        ({"user_url": "https://admin.internal/users/{id}"}, "exactly one {user_id}"),
        ({"user_url": "https://admin.internal/{user_id}/{user_id}"}, "exactly one {user_id}"),
        ({"user_url": "https://admin.internal/{user_id}?t={token}"}, "exactly one {user_id}"),
        ({"user_url": "https://admin.internal/users/{user_id"}, "braces"),
        ({"user_url": "https://{user_id}.admin.internal/"}, "path or query"),
        ({"user_url": "https://admin.internal/users#{user_id}"}, "path or query"),
        ({"user_url": "https://me:pw@admin.internal/{user_id}"}, "credentials"),
        ({"email_url": "https://admin.internal/by-email/{user_id}"}, "exactly one {email}"),
        ({"token_env": "Bearer abc.def"}, "NAME"),
        ({"token_env": ""}, "NAME"),
        ({"timeout": 0}, "greater than 0"),
        ({"timeout": 31}, "less than or equal to 30"),
        ({"cache_ttl": -1}, "greater than or equal to 0"),
        ({"breaker_failures": 0}, "greater than or equal to 1"),
        ({"breaker_reset": 0}, "greater than 0"),
        ({"retries": 3}, "Extra inputs"),
    ],
)
def test_http_settings_are_validated(http: dict[str, Any], fragment: str) -> None:
    assert fragment in _error_text(http=http)


def test_query_string_placeholder_is_allowed() -> None:
    policy = _policy(http={"user_url": "http://127.0.0.1:8080/users?id={user_id}"})
    assert policy.http.user_url.endswith("?id={user_id}")


def test_http_source_needs_a_user_url() -> None:
    assert "needs [lookup.http] user_url" in _error_text(source="http")
    assert "needs [lookup.http] user_url" in _error_text(
        source="http", http={"email_url": "https://admin.internal/{email}"}
    )


@pytest.mark.parametrize(
    ("lookup", "fragment"),
    [
        ({"source": "database"}, "directory"),
        ({"fields": [{"label": "", "path": "email"}]}, "at least 1 character"),
        ({"fields": [{"label": "   ", "path": "email"}]}, "blank"),
        ({"fields": [{"label": "x" * 51, "path": "email"}]}, "at most 50 characters"),
        ({"fields": []}, "at least 1 item"),
        (
            {"fields": [{"label": "Mail", "path": "email"}, {"label": "mail", "path": "x"}]},
            "duplicate field label",
        ),
        ({"fields": [{"label": "Mail", "path": "email", "secret": True}]}, "Extra inputs"),
        ({"allowed_users": ["lead"]}, "Slack user id"),
        ({"allowed_user_groups": ["CRE Team"]}, "user group handle"),
        ({"directory": {"file": "x.csv"}}, "Extra inputs"),
        ({"users": []}, "Extra inputs"),
    ],
)
def test_policy_errors_name_the_problem(lookup: dict[str, Any], fragment: str) -> None:
    assert fragment in _error_text(**lookup)


def test_label_is_trimmed() -> None:
    policy = _policy(fields=[{"label": "  Plan ", "path": "plan"}])
    assert policy.fields[0].label == "Plan"
