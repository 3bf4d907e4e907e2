"""The policy file: what it defaults to, and one clear line naming the file, line and key when it is wrong."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.policy import Policy, load_policy, locate_key_line, parse_policy

REPO = Path(__file__).resolve().parents[2]
SOURCE = "team.toml"

MINIMAL = """\
escalation_channel = "C0ESCALATE"
products = ["album"]
categories = ["login"]

[roster]
lead = "U0LEAD"

[[roster.engineers]]
user = "U0HANAKO"
"""


def parse(text: str) -> Policy:
    return parse_policy(text, source=SOURCE)


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    message = str(caught.value)
    assert "\n" not in message, "a config error is one line"
    assert message.startswith(SOURCE)
    return message


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the n-th occurrence of `fragment`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} not found {occurrence} times")


# -- what parses ------------------------------------------------------------------------------


def test_the_test_fixture_parses(policy: Policy) -> None:
    assert policy.escalation_channel == "C0ESCALATE"
    assert policy.roster.lead == "U0LEAD"
    assert policy.engineer_ids == ("U0HANAKO", "U0TARO", "U0KENJI")
    assert [p.id for p in policy.products] == ["album", "game", "market"]
    assert policy.label("products", "album") == "Family Album"
    assert policy.assignment.strategy == "least-loaded"
    engineer = policy.engineer("U0HANAKO")
    assert engineer is not None
    assert engineer.covers(product="album", category="other")
    assert engineer.covers(product="game", category="data")
    assert not engineer.covers(product="game", category="billing")


def test_the_example_policy_at_the_repo_root_parses() -> None:
    loaded = load_policy(REPO / "crebot.example.toml")
    assert loaded.engineer_ids
    assert loaded.is_lead(loaded.roster.lead)


def test_minimal_policy_gets_the_default_priorities() -> None:
    policy = parse(MINIMAL)
    assert [p.id for p in policy.priorities] == ["P1", "P2", "P3"]
    day = policy.business_calendar.working_day_length()
    assert day == timedelta(hours=9)  # 09:00-18:00 by default
    assert policy.priority_target("P1") == timedelta(hours=4)
    assert policy.priority_target("P2") == 2 * day
    assert policy.priority_target("P3") == 5 * day
    assert policy.fallback_priority == "P2"
    assert policy.language == "en"
    assert policy.calendar.timezone == "Asia/Tokyo"


def test_string_choices_use_the_id_as_the_label() -> None:
    policy = parse(MINIMAL)
    assert policy.label("products", "album") == "album"
    assert policy.label("products", "unknown-id") == "unknown-id"


def test_default_causes_follow_the_language() -> None:
    english = parse(MINIMAL)
    japanese = parse('language = "ja"\n' + MINIMAL)
    assert [c.id for c in english.causes] == [c.id for c in japanese.causes]
    assert "bug" in [c.id for c in english.causes]
    assert english.label("causes", "bug") == "Bug"
    assert japanese.label("causes", "bug") == "不具合"
    assert japanese.label("causes", "spec") == "仕様どおり"


def test_configured_causes_replace_the_defaults() -> None:
    policy = parse(
        MINIMAL.replace('categories = ["login"]', 'categories = ["login"]\ncauses = ["typo"]')
    )
    assert [c.id for c in policy.causes] == ["typo"]


def test_a_configured_default_priority_is_preselected() -> None:
    policy = parse('default_priority = "P3"\n' + MINIMAL)
    assert policy.fallback_priority == "P3"


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "crebot.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_policy(path).engineer_ids == ("U0HANAKO",)


def test_load_policy_on_a_missing_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not found" in message
    assert "CREBOT_CONFIG" in message


def test_load_policy_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(MINIMAL.replace('lead = "U0LEAD"', 'lead = "lead"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:6: roster\.lead: "):
        load_policy(path)


# -- what is refused, and where ---------------------------------------------------------------


def test_malformed_toml_names_the_file_and_line() -> None:
    text = MINIMAL + "\n[calendar]\nhours = 09:00-18:00\n"
    message = refusal(text)
    assert "not valid TOML" in message
    assert f"line {line_of(text, 'hours =')}" in message


def test_an_unknown_top_level_key_points_at_its_line() -> None:
    text = 'langauge = "ja"\n' + MINIMAL
    message = refusal(text)
    assert message == (
        f"{SOURCE}:{line_of(text, 'langauge')}: langauge: unknown key (did you mean language?)"
    )


def test_a_misspelt_key_in_the_second_engineer_points_at_its_line(policy_text: str) -> None:
    text = policy_text.replace('user = "U0TARO"\nname = "taro"', 'user = "U0TARO"\nnmae = "taro"')
    message = refusal(text)
    assert message == (
        f"{SOURCE}:{line_of(text, 'nmae')}: roster.engineers[1].nmae: unknown key"
        " (did you mean name?)"
    )


def test_a_misspelt_key_in_a_table_points_at_its_line(policy_text: str) -> None:
    text = policy_text.replace('hours = "09:00-18:00"', 'huors = "09:00-18:00"')
    message = refusal(text)
    assert message == (
        f"{SOURCE}:{line_of(text, 'huors')}: calendar.huors: unknown key (did you mean hours?)"
    )


def test_a_table_header_with_a_comment_still_locates_its_keys(policy_text: str) -> None:
    text = policy_text.replace("[calendar]", "[calendar]  # business hours").replace(
        'hours = "09:00-18:00"', 'huors = "09:00-18:00"'
    )
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:{line_of(text, 'huors')}: calendar.huors")


def test_a_missing_required_key_is_named() -> None:
    text = MINIMAL.replace('escalation_channel = "C0ESCALATE"\n', "")
    assert refusal(text) == f"{SOURCE}: escalation_channel: required key is missing"


def test_a_misspelt_required_key_is_missing_and_unknown_with_a_hint_and_its_line() -> None:
    text = MINIMAL.replace("escalation_channel =", "escalation_chanel =")
    assert refusal(text) == (
        f"{SOURCE}: escalation_channel: required key is missing; "
        f"{SOURCE}:{line_of(text, 'escalation_chanel')}: escalation_chanel: unknown key"
        " (did you mean escalation_channel?)"
    )


def test_an_unknown_key_unlike_any_other_gets_no_hint(policy_text: str) -> None:
    text = policy_text.replace("[calendar]", '[calendar]\ncolour = "blue"')
    assert refusal(text) == f"{SOURCE}:{line_of(text, 'colour')}: calendar.colour: unknown key"


@pytest.mark.parametrize(
    ("table", "wrong", "right"),
    [
        ("[reminders]", "stale_afer", "stale_after"),
        ("[digest]", "slow_afer", "slow_after"),
        ("[lookup.http]", "timout", "timeout"),
        ('[[priorities]]\nid = "P1"', "targte", "target"),
    ],
)
def test_a_misspelt_key_in_any_table_gets_a_hint(table: str, wrong: str, right: str) -> None:
    text = f'{MINIMAL}\n{table}\n{wrong} = "4h"\n'
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:{line_of(text, wrong)}: ")
    assert message.endswith(f"{wrong}: unknown key (did you mean {right}?)")


def test_an_empty_roster_is_refused() -> None:
    text = MINIMAL.split("[[roster.engineers]]")[0]
    message = refusal(text)
    assert "roster.engineers" in message


def test_a_bad_lead_id_points_at_its_line() -> None:
    text = MINIMAL.replace('lead = "U0LEAD"', 'lead = "@lead"')
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:{line_of(text, 'lead =')}: roster.lead: ")
    assert "'@lead' is not a Slack user id" in message


def test_a_bad_engineer_id_points_at_its_line(policy_text: str) -> None:
    text = policy_text.replace('user = "U0KENJI"', 'user = "kenji"')
    message = refusal(text)
    line = line_of(text, '"kenji"')
    assert message.startswith(f"{SOURCE}:{line}: roster.engineers[2].user: ")


@pytest.mark.parametrize("channel", ["#cre-escalations", "D0DIRECT", "c0lower", ""])
def test_a_bad_channel_id_is_refused(channel: str) -> None:
    text = MINIMAL.replace('"C0ESCALATE"', f'"{channel}"')
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:1: escalation_channel: ")


def test_an_engineer_with_an_unknown_product_is_refused(policy_text: str) -> None:
    text = policy_text.replace('products = ["game"]', 'products = ["gmae"]')
    message = refusal(text)
    line = line_of(text, 'products = ["gmae"]')
    assert message.startswith(f"{SOURCE}:{line}: roster.engineers[1].products: U0TARO ")
    assert "unknown product 'gmae'" in message


def test_an_engineer_with_an_unknown_category_is_refused(policy_text: str) -> None:
    text = policy_text.replace('categories = ["billing"]', 'categories = ["payments"]')
    message = refusal(text)
    line = line_of(text, 'categories = ["payments"]')
    assert message.startswith(f"{SOURCE}:{line}: roster.engineers[")
    assert "unknown category 'payments'" in message


def test_an_engineer_listed_twice_is_refused(policy_text: str) -> None:
    text = policy_text.replace('user = "U0KENJI"', 'user = "U0HANAKO"')
    message = refusal(text)
    assert "listed twice" in message
    assert message.startswith(f"{SOURCE}:{line_of(text, '[roster]')}: roster: ")


def test_duplicate_product_ids_are_refused(policy_text: str) -> None:
    text = policy_text.replace('id = "market"', 'id = "game"')
    line = line_of(text, 'id = "game"', occurrence=2)
    assert refusal(text) == f"{SOURCE}:{line}: products[2].id: 'game' is listed twice"


def test_a_bad_choice_id_is_refused() -> None:
    text = MINIMAL.replace('products = ["album"]', 'products = ["family album"]')
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:2: products[0].id: ")


def test_an_unknown_default_priority_is_refused() -> None:
    assert refusal('default_priority = "P9"\n' + MINIMAL) == (
        f"{SOURCE}:1: default_priority: 'P9' is not a priority id"
    )


@pytest.mark.parametrize("target", ["2x", "fast", "-1d", ""])
def test_a_bad_priority_target_names_the_priority(target: str) -> None:
    text = MINIMAL + f'\n[[priorities]]\nid = "P1"\ntarget = "{target}"\n'
    message = refusal(text)
    assert "priorities[0].target" in message
    assert f"{target!r} is not a duration" in message


def test_a_bad_priority_target_points_at_its_line() -> None:
    text = MINIMAL + '\n[[priorities]]\nid = "P1"\ntarget = "2x"\n'
    assert refusal(text).startswith(f"{SOURCE}:{line_of(text, 'target =')}: ")


def test_a_bad_closed_range_names_the_entry() -> None:
    message = refusal(MINIMAL + '\n[calendar]\nclosed = ["12-29..13-03"]\n')
    assert "12-29..13-03" in message or "13-03" in message


def test_a_bad_reminder_duration_names_the_key() -> None:
    text = MINIMAL + '\n[reminders]\nstale_after = "soon"\n'
    assert "reminders.stale_after" in refusal(text)


def test_a_bad_reminder_time_names_the_key() -> None:
    text = MINIMAL + '\n[reminders]\nat = "25:00"\n'
    assert "reminders.at" in refusal(text)


@pytest.mark.parametrize("warn_at", ["[0.8, 0.5]", "[0.5, 0.5]", "[0.5, 1.0]", "[0.0]"])
def test_warn_at_must_increase_within_zero_and_one(warn_at: str) -> None:
    text = MINIMAL + f'\n[[priorities]]\nid = "P1"\ntarget = "4h"\nwarn_at = {warn_at}\n'
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:{line_of(text, '[[priorities]]')}: priorities[0]: ")
    assert "warn_at" in message


def test_increasing_warn_at_is_accepted() -> None:
    text = MINIMAL + '\n[[priorities]]\nid = "P1"\ntarget = "4h"\nwarn_at = [0.25, 0.5, 0.9]\n'
    assert parse(text).priority("P1").warn_at == (0.25, 0.5, 0.9)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('timezone = "Mars/Olympus"', "not an IANA time zone"),
        ('hours = "9 to 5"', "not a range of hours"),
        ('hours = "18:00-09:00"', "the end must be after the start"),
        ('hours = "09:00-25:00"', "not a range of hours"),
        ('weekdays = ["mon", "funday"]', "'funday'"),
        ('holidays = "XX"', "not a supported country code"),
        ('closed = ["12-29..13-03"]', "calendar"),
        ('closed = ["12-32..01-03"]', "calendar"),
        ('closed = ["new year"]', "not a date like 2026-12-28"),
        ('working = ["2026-02-30"]', "not a date like 2026-12-28"),
    ],
)
def test_a_bad_calendar_is_refused(setting: str, expected: str) -> None:
    text = MINIMAL + f"\n[calendar]\n{setting}\n"
    message = refusal(text)
    assert message.startswith(f"{SOURCE}:{line_of(text, '[calendar]')}: calendar: ")
    assert expected in message


def test_a_good_calendar_is_accepted() -> None:
    text = MINIMAL + (
        '\n[calendar]\ntimezone = "Europe/Paris"\nhours = "08:30-24:00"\n'
        'weekdays = ["mon", "tue", "wednesday"]\nholidays = "FR"\n'
        'closed = ["12-24..12-26", "2026-08-14"]\nworking = ["2026-12-26"]\n'
    )
    calendar = parse(text).calendar.spec()
    assert calendar.timezone == "Europe/Paris"
    assert calendar.working_weekdays == frozenset({0, 1, 2})
    assert calendar.closed_yearly_ranges == (((12, 24), (12, 26)),)


def test_a_bad_zendesk_url_is_refused() -> None:
    assert refusal('zendesk_url = "http://acme.zendesk.com/tickets"\n' + MINIMAL) == (
        f"{SOURCE}:1: zendesk_url: must look like https://yourcompany.zendesk.com"
    )


# -- locate_key_line ---------------------------------------------------------------------------

LOCATE = """\
# comment = not a key
language = "en"

[roster]
lead = "U0LEAD"

[[roster.engineers]]
user = "U0A"

[[roster.engineers]]
user = "U0B"
"name" = "quoted"

[calendar]
hours.start = "09:00"
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("language",), 2),
        (("roster",), 4),
        (("roster", "lead"), 5),
        (("roster", "engineers", 0), 7),
        (("roster", "engineers", 0, "user"), 8),
        (("roster", "engineers", 1, "user"), 11),
        (("roster", "engineers", 1, "name"), 12),
        (("roster", "engineers", 1, "function-after[_check()]", "user"), 11),
        (("calendar", "hours", "start"), 15),
        (("calendar", "weekdays"), 14),  # not in the file: the enclosing table
        (("comment",), None),
        (("digest", "channel"), None),
        ((), None),
    ],
)
def test_locate_key_line(loc: tuple[object, ...], line: int | None) -> None:
    assert locate_key_line(LOCATE, loc) == line


def _labels_shown(policy: Policy) -> list[str]:
    kinds = ("products", "categories", "priorities", "causes")
    return [policy.label(kind, choice.id) for kind in kinds for choice in getattr(policy, kind)]


@pytest.mark.parametrize("example", ["crebot.example.toml", "crebot.example.ja.toml"])
def test_a_japanese_team_reads_no_english_label(example: str) -> None:
    text = (
        (REPO / example).read_text(encoding="utf-8").replace('language = "en"', 'language = "ja"')
    )
    policy = parse_policy(text, source=example)
    assert policy.language == "ja"
    shown = _labels_shown(policy)
    english = [label for label in shown if re.search(r"[A-Za-z]{2,}", label)]
    assert english == []
    assert policy.label("causes", "spec") == "仕様どおり"
    assert policy.label("priorities", "P2") == "P2 — 1人のユーザーが利用できない"


def test_an_english_team_reads_the_english_labels_of_the_same_file() -> None:
    policy = load_policy(REPO / "crebot.example.toml")
    assert policy.label("causes", "spec") == "Working as designed"
    assert policy.label("priorities", "P2") == "P2 — one user blocked"


def test_a_label_without_japanese_is_shown_as_written() -> None:
    policy = parse('language = "ja"\n' + MINIMAL)
    assert policy.language == "ja"
    assert policy.label("priorities", "P1") == "P1"
    assert policy.label("products", "album") == "album"
    assert policy.label("causes", "spec") == "仕様どおり"  # the default causes speak both languages
    assert parse(MINIMAL).label("causes", "spec") == "Working as designed"
