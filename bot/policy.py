"""The team's policy file (TOML): channels, roster, choices, SLOs, calendar, reminders, digest, lookup."""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Sequence
from datetime import date, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot.calendar import BusinessCalendar, CalendarSpec
from bot.durations import parse_business_duration
from bot.errors import ConfigError
from bot.lookup.config import LookupPolicy
from bot.mrkdwn import is_channel_id, is_user_id
from bot.zendesk.config import URL_PATTERN as ZENDESK_URL
from bot.zendesk.config import ZendeskPolicy, check_mapping, legacy_url

Language = Literal["en", "ja"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _user_id(value: str) -> str:
    if not is_user_id(value):
        raise ValueError(f"{value!r} is not a Slack user id (like U0123ABCD)")
    return value


def _channel_id(value: str) -> str:
    if not is_channel_id(value) or value.startswith("D"):
        raise ValueError(f"{value!r} is not a Slack channel id (like C0123ABCD)")
    return value


def _choice_id(value: str) -> str:
    if not _ID_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a valid id (letters, digits, - _ . ; at most 40)")
    return value


_NOMINAL_DAY = timedelta(hours=9)  # syntax only; the real day length is checked with the calendar


def _duration_syntax(value: str) -> str:
    parse_business_duration(value, day_length=_NOMINAL_DAY)
    return value


def _time_syntax(value: str) -> str:
    try:
        time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time like 10:00") from None
    return value


def _choice_from_string(value: Any) -> Any:
    if isinstance(value, str):
        return {"id": value, "label": value}
    return value


UserId = Annotated[str, AfterValidator(_user_id)]
BusinessDuration = Annotated[str, AfterValidator(_duration_syntax)]
ClockTime = Annotated[str, AfterValidator(_time_syntax)]
ChannelId = Annotated[str, AfterValidator(_channel_id)]
ChoiceId = Annotated[str, AfterValidator(_choice_id)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    """A product, category or resolution cause: a stable id and the label people see."""

    id: ChoiceId
    label: str = Field(min_length=1, max_length=75)
    label_ja: str = Field(default="", max_length=75)

    def label_in(self, lang: str) -> str:
        """The label a team in `lang` reads: `label_ja` for Japanese when given."""
        return (self.label_ja if lang == "ja" and self.label_ja else self.label) or self.id


ChoiceEntry = Annotated[Choice, BeforeValidator(_choice_from_string)]


class Priority(_Model):
    """A priority with its SLO: a business-time target and warning thresholds (fractions of it)."""

    id: ChoiceId
    label: str = Field(default="", max_length=75)
    label_ja: str = Field(default="", max_length=75)
    target: BusinessDuration = "2d"
    warn_at: tuple[float, ...] = (0.5, 0.8)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Priority:
        if any(not 0 < f < 1 for f in self.warn_at):
            raise ValueError("warn_at fractions must be between 0 and 1 (exclusive)")
        if list(self.warn_at) != sorted(set(self.warn_at)):
            raise ValueError("warn_at fractions must be increasing and distinct")
        return self

    def label_in(self, lang: str) -> str:
        """The label a team in `lang` reads: `label_ja` for Japanese when given."""
        return (self.label_ja if lang == "ja" and self.label_ja else self.label) or self.id


class Engineer(_Model):
    """A roster engineer and the products and categories they cover (none listed: covers all)."""

    user: UserId
    name: str = Field(default="", max_length=80)
    products: tuple[ChoiceId, ...] = ()
    categories: tuple[ChoiceId, ...] = ()

    def covers(self, *, product: str, category: str) -> bool:
        """Whether this engineer's skills cover the product or the category."""
        if not self.products and not self.categories:
            return True
        return product in self.products or category in self.categories


class Roster(_Model):
    """Who is on the team: the lead and the engineers."""

    lead: UserId
    engineers: tuple[Engineer, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_engineers(self) -> Roster:
        ids = [e.user for e in self.engineers]
        if len(ids) != len(set(ids)):
            raise ValueError("an engineer is listed twice")
        return self


class Assignment(_Model):
    """How new escalations get an assignee."""

    strategy: Literal["least-loaded", "manual"] = "least-loaded"


def _parse_hours(value: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"{value!r} is not a range of hours like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{value!r} is not a range of hours like 09:00-18:00")
    if h2 * 60 + m2 <= h1 * 60 + m1:
        raise ValueError(f"{value!r}: the end must be after the start")
    # 24:00 is midnight at the end of the day: the calendar reads an end of 00:00 that way.
    return time(h1, m1), time(h2 % 24, m2)


def _parse_closed(entries: Sequence[str]) -> tuple[frozenset[date], tuple[Any, ...]]:
    dates: set[date] = set()
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for entry in entries:
        if ".." in entry:
            first, last = (part.strip() for part in entry.split("..", 1))
            ranges.append((_month_day(first), _month_day(last)))
        else:
            dates.add(_iso_date(entry))
    return frozenset(dates), tuple(ranges)


def _month_day(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value)
    if not match:
        raise ValueError(f"closed: {value!r} is not a month-day like 12-29")
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2024, month, day)  # a leap year, so 02-29 is allowed
    except ValueError:
        raise ValueError(f"closed: {value!r} is not a month-day like 12-29") from None
    return month, day


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"closed/working: {value!r} is not a date like 2026-12-28 or a range like 12-29..01-03"
        ) from None


class CalendarPolicy(_Model):
    """Business hours: time zone, working hours and weekdays, public holidays, closures."""

    timezone: str = "Asia/Tokyo"
    hours: str = "09:00-18:00"
    weekdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str = "JP"
    subdivision: str | None = None
    closed: tuple[str, ...] = ()
    working: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> CalendarPolicy:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r} is not an IANA time zone") from None
        _parse_hours(self.hours)
        for day in self.weekdays:
            if day.lower()[:3] not in WEEKDAYS:
                raise ValueError(f"weekdays: {day!r} is not one of {', '.join(WEEKDAYS)}")
        if self.holidays:
            import holidays as holidays_package

            if self.holidays.upper() not in holidays_package.list_supported_countries():
                raise ValueError(f"holidays: {self.holidays!r} is not a supported country code")
        _parse_closed(self.closed)
        for entry in self.working:
            _iso_date(entry)
        return self

    def spec(self) -> CalendarSpec:
        """The calendar engine's specification for this policy."""
        start, end = _parse_hours(self.hours)
        closed_dates, closed_ranges = _parse_closed(self.closed)
        return CalendarSpec(
            timezone=self.timezone,
            work_start=start,
            work_end=end,
            working_weekdays=frozenset(WEEKDAYS.index(d.lower()[:3]) for d in self.weekdays),
            holiday_country=self.holidays.upper() or None,
            holiday_subdivision=self.subdivision or None,
            closed_dates=closed_dates,
            closed_yearly_ranges=closed_ranges,
            extra_working_dates=frozenset(_iso_date(d) for d in self.working),
        )


class SloPolicy(_Model):
    """How often the SLO sweep runs."""

    sweep_every_minutes: int = Field(default=10, ge=1, le=60)


class RemindersPolicy(_Model):
    """Stale-escalation reminders."""

    stale_after: BusinessDuration = "2d"
    escalate_after: int = Field(default=3, ge=1, le=20)
    unassigned_after: BusinessDuration = "4h"
    at: ClockTime = "10:00"


class DigestPolicy(_Model):
    """The monthly slow-close digest."""

    channel: ChannelId | None = None
    slow_after: BusinessDuration = "5d"
    at: ClockTime = "10:00"


DEFAULT_PRIORITIES = (
    Priority(id="P1", label="P1", target="4h"),
    Priority(id="P2", label="P2", target="2d"),
    Priority(id="P3", label="P3", target="5d"),
)
DEFAULT_CAUSES = (  # (id, English label, Japanese label)
    ("bug", "Bug", "不具合"),
    ("spec", "Working as designed", "仕様どおり"),
    ("user-operation", "User operation", "ユーザーの操作"),
    ("data-fix", "Data fix", "データ修正"),
    ("infra", "Infrastructure", "インフラ"),
    ("third-party", "Third party", "外部サービス"),
    ("unknown", "Unknown", "不明"),
)


class Policy(_Model):
    """The whole team policy, validated; read-only once loaded."""

    language: Language = "en"
    escalation_channel: ChannelId
    zendesk_url: str | None = None
    roster: Roster
    assignment: Assignment = Assignment()
    products: tuple[ChoiceEntry, ...] = Field(min_length=1)
    categories: tuple[ChoiceEntry, ...] = Field(min_length=1)
    priorities: tuple[Priority, ...] = DEFAULT_PRIORITIES
    default_priority: str | None = None
    causes: tuple[ChoiceEntry, ...] = ()
    calendar: CalendarPolicy = CalendarPolicy()
    slo: SloPolicy = SloPolicy()
    reminders: RemindersPolicy = RemindersPolicy()
    digest: DigestPolicy = DigestPolicy()
    lookup: LookupPolicy = LookupPolicy()
    zendesk: ZendeskPolicy = ZendeskPolicy()

    @model_validator(mode="before")
    @classmethod
    def _zendesk_url(cls, data: Any) -> Any:
        # `zendesk_url` is the old spelling of `[zendesk] url`: either works, and both agree after.
        if not isinstance(data, dict):
            return data
        old = data.get("zendesk_url")
        if old and not (isinstance(old, str) and ZENDESK_URL.match(old)):
            raise LocatedError("must look like https://yourcompany.zendesk.com", "zendesk_url")
        try:
            return legacy_url(data)
        except ValueError as exc:
            raise LocatedError(str(exc), "zendesk_url") from None

    @model_validator(mode="before")
    @classmethod
    def _default_causes(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("causes"):
            causes = [{"id": i, "label": en, "label_ja": ja} for i, en, ja in DEFAULT_CAUSES]
            data = {**data, "causes": causes}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_priority_slos(cls, data: Any) -> Any:
        # A [[priorities]] entry for P1, P2 or P3 that leaves out its target or warn_at keeps the
        # default for that id (P1 4h), not the generic one.
        if not isinstance(data, dict) or not isinstance(data.get("priorities"), list):
            return data
        defaults = {p.id: p for p in DEFAULT_PRIORITIES}
        entries = [
            {"target": defaults[e["id"]].target, "warn_at": defaults[e["id"]].warn_at, **e}
            if isinstance(e, dict) and e.get("id") in defaults
            else e
            for e in data["priorities"]
        ]
        return {**data, "priorities": entries}

    @model_validator(mode="after")
    def _cross_check(self) -> Policy:
        for name in ("products", "categories", "priorities", "causes"):
            ids = [c.id for c in getattr(self, name)]
            for index, choice_id in enumerate(ids):
                if choice_id in ids[:index]:
                    raise LocatedError(f"{choice_id!r} is listed twice", name, index, "id")
        products = {p.id for p in self.products}
        categories = {c.id for c in self.categories}
        for index, engineer in enumerate(self.roster.engineers):
            for product in engineer.products:
                if product not in products:
                    raise LocatedError(
                        f"{engineer.user} lists unknown product {product!r}",
                        *("roster", "engineers", index, "products"),
                    )
            for category in engineer.categories:
                if category not in categories:
                    raise LocatedError(
                        f"{engineer.user} lists unknown category {category!r}",
                        *("roster", "engineers", index, "categories"),
                    )
        if self.default_priority and self.default_priority not in {p.id for p in self.priorities}:
            raise LocatedError(
                f"{self.default_priority!r} is not a priority id", "default_priority"
            )
        for name, kind in (
            ("product", "products"),
            ("category", "categories"),
            ("priority", "priorities"),
        ):
            known = [c.id for c in getattr(self, kind)]
            problem = check_mapping(getattr(self.zendesk, name), known=known, name=name)
            if problem is not None:
                raise LocatedError(problem[1], "zendesk", name, *problem[0].split(".", 1))
        day = self.business_calendar.working_day_length()
        for index, priority in enumerate(self.priorities):
            _duration(priority.target, day, "priorities", index, "target")
        _duration(self.reminders.stale_after, day, "reminders", "stale_after")
        _duration(self.reminders.unassigned_after, day, "reminders", "unassigned_after")
        _duration(self.digest.slow_after, day, "digest", "slow_after")
        _clock_time(self.reminders.at, "reminders", "at")
        _clock_time(self.digest.at, "digest", "at")
        return self

    # -- derived values -------------------------------------------------------------------------

    @cached_property
    def business_calendar(self) -> BusinessCalendar:
        """The business calendar this policy describes (built once, shared)."""
        return BusinessCalendar(self.calendar.spec())

    @property
    def digest_channel(self) -> str:
        """Where the monthly digest goes (the escalation channel unless set)."""
        return self.digest.channel or self.escalation_channel

    @property
    def engineer_ids(self) -> tuple[str, ...]:
        """Slack ids of the roster's engineers, in roster order."""
        return tuple(e.user for e in self.roster.engineers)

    def is_engineer(self, user_id: str) -> bool:
        """Whether the user is a roster engineer."""
        return user_id in self.engineer_ids

    def is_lead(self, user_id: str) -> bool:
        """Whether the user is the team lead."""
        return user_id == self.roster.lead

    def engineer(self, user_id: str) -> Engineer | None:
        """The roster entry of a user, if any."""
        return next((e for e in self.roster.engineers if e.user == user_id), None)

    def priority(self, priority_id: str) -> Priority:
        """A configured priority by id (KeyError if unknown)."""
        for p in self.priorities:
            if p.id == priority_id:
                return p
        raise KeyError(priority_id)

    def priority_target(self, priority_id: str) -> timedelta:
        """The SLO target of a priority, as business time."""
        day = self.business_calendar.working_day_length()
        return parse_business_duration(self.priority(priority_id).target, day_length=day)

    def business_duration(self, text: str) -> timedelta:
        """A business duration from the policy (e.g. "2d"), d being one working day."""
        day = self.business_calendar.working_day_length()
        return parse_business_duration(text, day_length=day)

    def label(
        self, kind: Literal["products", "categories", "priorities", "causes"], key: str
    ) -> str:
        """The label of a product, category, priority or cause in the team's language (the id if
        unknown)."""
        for choice in getattr(self, kind):
            if choice.id == key:
                return str(choice.label_in(self.language))
        return key

    @property
    def fallback_priority(self) -> str:
        """The priority preselected in the escalation modal."""
        if self.default_priority:
            return self.default_priority
        ids = [p.id for p in self.priorities]
        return ids[len(ids) // 2]


class LocatedError(ValueError):
    """A problem found by looking across keys, with the key it is reported against (file:line)."""

    def __init__(self, message: str, *loc: str | int) -> None:
        super().__init__(message)
        self.loc = loc


def _duration(text: str, day: timedelta, *loc: str | int) -> timedelta:
    try:
        return parse_business_duration(text, day_length=day)
    except ValueError as exc:
        raise LocatedError(str(exc), *loc) from None


def _clock_time(text: str, *loc: str | int) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise LocatedError(f"{text!r} is not a time like 10:00", *loc) from None


def clock_time(text: str) -> time:
    """A validated HH:MM time from the policy."""
    return time.fromisoformat(text)


# -- loading ----------------------------------------------------------------------------------


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file; any problem becomes one ConfigError line with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: policy file not found (copy crebot.example.toml to {path} or set CREBOT_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the policy file ({exc.__class__.__name__})"
        ) from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "crebot.toml") -> Policy:
    """Validate policy TOML text; errors name the key and the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, text, source)) from None


def _describe_validation_error(exc: ValidationError, text: str, source: str) -> str:
    errors = exc.errors()
    error = errors[0]
    loc = tuple(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, LocatedError):
        loc, message = (*loc, *original.loc), str(original)
    if error["type"] == "extra_forbidden":
        message = "unknown key" + _did_you_mean(str(loc[-1]), _known_keys(loc[:-1]))
    elif error["type"] == "missing":
        message = "required key is missing"
        # A misspelt required key is both missing and unknown: name the misspelling and its line too.
        typo = _misspelling_of(loc, errors)
        if typo is not None:
            unknown = _locate(
                typo, text, source, "unknown key" + _did_you_mean(str(typo[-1]), [str(loc[-1])])
            )
            return f"{_locate(loc, text, source, message)}; {unknown}"
    return _locate(loc, text, source, message)


def _locate(loc: tuple[Any, ...], text: str, source: str, message: str) -> str:
    """`file:line: key: message`, the form of every policy error."""
    key = _format_loc(loc)
    line = locate_key_line(text, loc)
    where = f"{source}:{line}" if line else source
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _misspelling_of(missing: tuple[Any, ...], errors: Sequence[Any]) -> tuple[Any, ...] | None:
    """An unknown key beside a missing one that looks like a misspelling of it."""
    unknown = {
        str(e["loc"][-1]): tuple(e["loc"])
        for e in errors
        if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == missing[:-1]
    }
    close = difflib.get_close_matches(str(missing[-1]), list(unknown), n=1, cutoff=0.6)
    return unknown[close[0]] if close else None


def _known_keys(loc: Sequence[Any]) -> list[str]:
    """The keys the policy file accepts in the table at `loc` (empty if it is not a table)."""
    model: Any = Policy
    for item in loc:
        if isinstance(item, int):
            continue  # an entry of an array of tables: the same model as the array
        field = model.model_fields.get(item) if _is_model(model) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(model.model_fields) if _is_model(model) else []


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation like `tuple[Engineer, ...]` or `X | None`."""
    if _is_model(annotation):
        return annotation
    for argument in typing.get_args(annotation):
        if (found := _model_in(argument)) is not None:
            return found
    return None


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not str(item).startswith("function-"):
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def locate_key_line(text: str, loc: Sequence[Any]) -> int | None:
    """The 1-based line that best matches a validation location in TOML text (None if unknown)."""
    wanted = tuple(item for item in loc if not str(item).startswith("function-"))
    best_line, best_len = None, 0
    table: tuple[Any, ...] = ()
    array_counts: dict[tuple[Any, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            line = line.split("#", 1)[0].strip()  # a header may carry a comment
        if line.startswith("[["):
            name = tuple(line.strip("[] ").split("."))
            index = array_counts.get(name, -1) + 1
            array_counts[name] = index
            table = (*name, index)
            path: tuple[Any, ...] = table
        elif line.startswith("["):
            table = tuple(line.strip("[] ").split("."))
            path = table
        elif "=" in line:
            key = line.split("=", 1)[0].strip().strip('"')
            path = (*table, *key.split("."))
        else:
            continue
        length = _common_prefix(path, wanted)
        if length == len(path) and length > best_len:
            best_line, best_len = number, length
    return best_line


def _common_prefix(a: Sequence[Any], b: Sequence[Any]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if str(x) != str(y):
            break
        n += 1
    return n
