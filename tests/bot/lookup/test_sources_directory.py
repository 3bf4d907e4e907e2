"""The directory source: users from a CSV or JSON file, and the shipped demo file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.lookup.config import LookupField, LookupPolicy
from bot.lookup.query import LookupQuery, parse_lookup_query
from bot.lookup.sources import (
    DirectorySource,
    FieldValue,
    SourceUnavailable,
    UserState,
    build_source,
    shared_directory,
)

NOW = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
FIELDS = (
    LookupField(label="Status", path="account.status"),
    LookupField(label="Device", path="devices[0].os"),
    LookupField(label="Second device", path="devices[1].os"),
    LookupField(label="Email", path="email", pii=True),
    LookupField(label="Premium", path="premium"),
    LookupField(label="Coins", path="coins"),
    LookupField(label="Tags", path="tags"),
)
JSON_USERS = [
    {
        "id": "u-1",
        "email": "Taro@Example.jp",
        "account": {"status": "locked"},
        "devices": [{"os": "iOS 18"}],
        "premium": True,
        "coins": 0,
        "tags": ["vip", "beta"],
    },
    {"id": 42, "email": "num@example.com", "account": {"status": None}, "devices": []},
]


def _fetch(source: DirectorySource, text: str) -> UserState | None:
    return source.fetch(parse_lookup_query(text), now=NOW)


def _values(state: UserState | None) -> dict[str, str]:
    assert state is not None
    return {field.label: field.value for field in state.fields}


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_file_with_nested_paths(tmp_path: Path, wrapped: bool) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": JSON_USERS} if wrapped else JSON_USERS), encoding="utf-8")
    source = DirectorySource(path=path, fields=FIELDS)

    state = _fetch(source, "u-1")
    assert state is not None
    assert state.user_id == "u-1"
    assert state.fields == (
        FieldValue("Status", "locked", pii=False),
        FieldValue("Device", "iOS 18", pii=False),
        FieldValue("Email", "Taro@Example.jp", pii=True),
        FieldValue("Premium", "true", pii=False),
        FieldValue("Coins", "0", pii=False),
        FieldValue("Tags", '["vip", "beta"]', pii=False),
    )


def test_numeric_ids_and_missing_or_null_values_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(JSON_USERS), encoding="utf-8")
    state = _fetch(DirectorySource(path=path, fields=FIELDS), "42")
    assert state is not None
    assert state.user_id == "42"
    assert [field.label for field in state.fields] == ["Email"]


def test_email_lookup_ignores_case_and_user_id_lookup_does_not(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(JSON_USERS), encoding="utf-8")
    source = DirectorySource(path=path, fields=FIELDS)
    by_email = _fetch(source, "TARO@example.JP")
    assert by_email is not None
    assert by_email.user_id == "u-1"
    assert _fetch(source, "U-1") is None
    assert _fetch(source, "nobody@example.jp") is None


def test_csv_columns_are_flat_keys_even_with_dots_and_brackets(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "\ufeffid,email,account.status,devices[0].os,premium\n"
        "u-7,hanako@example.jp,suspended,Android 15,\n"
        "u-8,,active,iOS 18,false\n",
        encoding="utf-8",
    )
    source = DirectorySource(path=path, fields=FIELDS)
    assert len(source) == 2
    assert _values(_fetch(source, "hanako@example.jp")) == {
        "Status": "suspended",
        "Device": "Android 15",
        "Email": "hanako@example.jp",
    }
    assert _values(_fetch(source, "u-8")) == {
        "Status": "active",
        "Device": "iOS 18",
        "Premium": "false",
    }


def test_rows_without_an_id_or_with_a_duplicate_id_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "user_id,email,account.status\n"
        ",ghost@example.jp,active\n"
        "u-1,first@example.jp,active\n"
        "u-1,second@example.jp,locked\n",
        encoding="utf-8",
    )
    source = DirectorySource(path=path, fields=FIELDS)
    assert len(source) == 1
    assert _values(_fetch(source, "u-1"))["Email"] == "first@example.jp"
    assert _fetch(source, "ghost@example.jp") is None
    assert _fetch(source, "second@example.jp") is None


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("users.json", "{not json"),
        ("users.json", '{"people": []}'),
        ("users.json", '[{"id": "u-1"}, "u-2"]'),
        ("users.csv", ""),
        ("users.csv", b"\xff\xfe\x00garbage"),
    ],
)
def test_unreadable_files_make_fetch_unavailable_instead_of_crashing(
    tmp_path: Path, name: str, content: str | bytes
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    source = DirectorySource(path=path, fields=FIELDS)
    with pytest.raises(SourceUnavailable) as caught:
        _fetch(source, "u-1")
    assert caught.value.reason == "not_configured"
    assert str(tmp_path) not in str(caught.value)


def test_missing_file_is_not_configured(tmp_path: Path) -> None:
    source = DirectorySource(path=tmp_path / "absent.csv", fields=FIELDS)
    with pytest.raises(SourceUnavailable) as caught:
        _fetch(source, "u-1")
    assert caught.value.reason == "not_configured"


def test_from_records_builds_an_in_memory_directory() -> None:
    source = DirectorySource.from_records(JSON_USERS, fields=FIELDS)
    assert _values(_fetch(source, "u-1"))["Status"] == "locked"


def test_long_values_are_truncated() -> None:
    source = DirectorySource.from_records(
        [{"id": "u-1", "account": {"status": "x" * 2000}}], fields=FIELDS
    )
    status = _values(_fetch(source, "u-1"))["Status"]
    assert len(status) == 500
    assert status.endswith("…")


def test_the_demo_file_answers_for_the_documented_demo_users() -> None:
    source = build_source(LookupPolicy())
    assert isinstance(source, DirectorySource)
    assert len(source) >= 40

    locked = source.fetch(LookupQuery("user_id", "u-1001"), now=NOW)
    values = _values(locked)
    assert values["Status"] == "locked"
    assert "password reset" in values["Status reason"]
    assert values["Last sign-in"].startswith("2026-")
    assert values["Last sign-in"].endswith("+09:00")
    assert locked is not None
    assert {field.label for field in locked.fields if field.pii} == {"Name", "Email", "Phone"}

    active = source.fetch(LookupQuery("user_id", "u-1002"), now=NOW)
    assert _values(active)["Status"] == "active"
    assert "Ban reason" not in _values(active)
    by_email = source.fetch(parse_lookup_query(_values(active)["Email"].upper()), now=NOW)
    assert by_email == active


def test_demo_users_are_well_formed() -> None:
    source = build_source(LookupPolicy())
    assert isinstance(source, DirectorySource)
    statuses = set()
    for number in range(1001, 1041):
        state = source.fetch(LookupQuery("user_id", f"u-{number}"), now=NOW)
        values = _values(state)
        statuses.add(values["Status"])
        assert values["Email"].endswith(("@example.com", "@example.jp"))
        assert datetime.fromisoformat(values["Last sign-in"]).year == 2026
        if values["Status"] == "suspended":
            assert values.get("Ban reason")
    assert statuses == {"active", "locked", "suspended", "deleted"}


def test_masked_state_hides_only_pii() -> None:
    source = build_source(LookupPolicy())
    state = source.fetch(LookupQuery("user_id", "u-1001"), now=NOW)
    assert state is not None
    masked = _values(state.masked())
    assert masked["Email"] == "t***@example.jp"
    assert masked["Phone"] == "***-****-5678"
    assert masked["Status"] == "locked"


def test_rows_whose_id_a_typed_look_up_could_not_name_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    long_id = "u" * 200
    path.write_text(
        json.dumps([{"id": "../x?y"}, {"id": long_id}, {"id": "a b"}, {"id": "u-ok"}]),
        encoding="utf-8",
    )
    source = DirectorySource(path=path, fields=FIELDS)
    assert len(source) == 1
    assert _fetch(source, "u-ok") is not None


def test_the_state_carries_the_records_email_normalised_until_masked() -> None:
    source = DirectorySource.from_records(JSON_USERS, fields=FIELDS)
    state = _fetch(source, "u-1")
    assert state is not None
    assert state.email == "taro@example.jp"
    assert state.masked().email is None
    no_email = DirectorySource.from_records([{"id": "u-2", "email": "not an address"}], fields=())
    state = _fetch(no_email, "u-2")
    assert state is not None
    assert state.email is None


def test_names_of_gives_the_id_and_the_email_of_whoever_either_names() -> None:
    source = DirectorySource.from_records(JSON_USERS, fields=())
    assert source.names_of("u-1") == ("u-1", "taro@example.jp")
    assert source.names_of("TARO@example.jp") == ("u-1", "taro@example.jp")
    assert source.names_of("u-unknown") == ()


def test_the_shared_directory_is_read_again_only_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("id,email\nu-1,one@example.jp\n", encoding="utf-8")
    first = shared_directory(path)
    assert shared_directory(path) is first
    assert first.names_of("u-1") == ("u-1", "one@example.jp")

    path.write_text("id,email\nu-1,first.one@example.jp\n", encoding="utf-8")
    assert shared_directory(path).names_of("u-1") == ("u-1", "first.one@example.jp")
    assert shared_directory(tmp_path / "missing.csv").names_of("u-1") == ()
