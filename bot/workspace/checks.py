"""Checks of Web API calls and Block Kit payloads against Slack's published reference.

The reference is read from the compact copies vendored in `bot/data/`, or from the files named by
`CREBOT_SLACK_API_REF` / `CREBOT_BLOCK_KIT_LIMITS` when set. Nothing outside the repository is read
unless a variable says so: a maintainer rebuilds the copies from a full checkout of the reference with
`python -m bot.workspace.checks --vendor --shared PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "bot" / "data"
# Inside a `--shared PATH` folder: where the full reference keeps what is vendored.
REFERENCE_METHODS_DIR = Path("slack-api-ref") / "methods"
REFERENCE_LIMITS_FILE = Path("block-kit-limits") / "limits.json"
VENDORED_METHODS_FILE = DATA_DIR / "slack_api_methods.json"
VENDORED_LIMITS_FILE = DATA_DIR / "block_kit_limits.json"
METHODS_ENV = "CREBOT_SLACK_API_REF"
LIMITS_ENV = "CREBOT_BLOCK_KIT_LIMITS"

# Limits Slack documents for messages that limits.json (a Block Kit library's table) does not carry.
MESSAGE_MAX_BLOCKS = 50
MESSAGE_TEXT_MAX = 40_000
IMAGE_TITLE_MAX = 2000
VIEW_EXTERNAL_ID_MAX = 255

BLOCK_TYPES = frozenset(
    {"section", "header", "context", "actions", "divider", "image", "input", "rich_text", "file"}
    | {"markdown"}
)
SINGLE_SELECTS = frozenset(
    {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}
)
MULTI_SELECTS = frozenset(f"multi_{name}" for name in SINGLE_SELECTS)
SELECTS = SINGLE_SELECTS | MULTI_SELECTS
TEXT_INPUTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_text_input"}
)
PICKERS = frozenset({"datepicker", "timepicker", "datetimepicker"})
INPUT_ELEMENTS = (
    SELECTS
    | TEXT_INPUTS
    | PICKERS
    | frozenset({"checkboxes", "radio_buttons", "file_input", "rich_text_input"})
)
ELEMENT_TYPES = INPUT_ELEMENTS | frozenset({"button", "overflow", "image", "workflow_button"})
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


@dataclass(frozen=True)
class MethodRef:
    """What the reference says about one Web API method."""

    required: tuple[str, ...]
    args: frozenset[str]
    rate_limits: str | None
    json_input_supported: bool
    bot_scopes: tuple[str, ...]


# --- loading the reference -------------------------------------------------------------------


def compact_method(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The vendored, compact form of one method file of slack-api-ref."""
    args = spec.get("args") or {}
    scope = spec.get("scope")
    return {
        "required": list(args.get("required") or []),
        "args": sorted((args.get("properties") or {}).keys()),
        "rate_limits": spec.get("rate_limits"),
        "json_input_supported": bool(spec.get("json_input_supported")),
        "bot_scopes": list(scope.get("bot") or []) if isinstance(scope, dict) else [],
    }


def compact_methods_from_dir(methods_dir: Path) -> dict[str, dict[str, Any]]:
    """Every method of a slack-api-ref `methods/` folder in compact form, keyed by method name."""
    compact: dict[str, dict[str, Any]] = {}
    for path in sorted(methods_dir.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(spec, dict) and "args" in spec:  # methods.json is an index, not a method
            compact[path.stem] = compact_method(spec)
    return compact


def _load_compact_methods(source: Path) -> dict[str, dict[str, Any]]:
    if source.is_dir():
        return compact_methods_from_dir(source)
    loaded: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    return loaded


def methods_source() -> Path:
    """Where the method reference is read from (the env var if set, else the vendored copy)."""
    if env := os.environ.get(METHODS_ENV):
        return Path(env)
    return VENDORED_METHODS_FILE


def limits_source() -> Path:
    """Where the Block Kit limits are read from (the env var if set, else the vendored copy)."""
    if env := os.environ.get(LIMITS_ENV):
        path = Path(env)
        return path / "limits.json" if path.is_dir() else path
    return VENDORED_LIMITS_FILE


@cache
def method_reference() -> dict[str, MethodRef]:
    """Every Web API method Slack documents, by name (cached; `cache_clear()` to reload)."""
    return {
        name: MethodRef(
            required=tuple(entry["required"]),
            args=frozenset(entry["args"]),
            rate_limits=entry.get("rate_limits"),
            json_input_supported=bool(entry.get("json_input_supported")),
            bot_scopes=tuple(entry.get("bot_scopes") or ()),
        )
        for name, entry in _load_compact_methods(methods_source()).items()
    }


@cache
def block_kit_limits() -> dict[str, Any]:
    """Block Kit length/count limits (cached; `cache_clear()` to reload)."""
    limits: dict[str, Any] = json.loads(limits_source().read_text(encoding="utf-8"))
    return limits


def write_vendored(*, methods_dir: Path, limits_file: Path, data_dir: Path) -> list[Path]:
    """Rebuild the vendored compact copies in `data_dir` from the full reference."""
    data_dir.mkdir(parents=True, exist_ok=True)
    methods_out = data_dir / VENDORED_METHODS_FILE.name
    limits_out = data_dir / VENDORED_LIMITS_FILE.name
    methods = compact_methods_from_dir(methods_dir)
    limits = json.loads(limits_file.read_text(encoding="utf-8"))
    methods_out.write_text(_dump_one_entry_per_line(methods), encoding="utf-8")
    limits_out.write_text(json.dumps(limits, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [methods_out, limits_out]


def _dump_one_entry_per_line(mapping: Mapping[str, Any]) -> str:
    """JSON with one top-level entry per line: compact, yet diffs stay readable."""
    lines = [
        f"{json.dumps(key)}: {json.dumps(value, sort_keys=True, ensure_ascii=False)}"
        for key, value in sorted(mapping.items())
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --- Web API calls -------------------------------------------------------------------------


def _present(args: Mapping[str, Any], name: str) -> bool:
    value = args.get(name)
    return value is not None and value != ""


def check_call(
    method: str, args: Mapping[str, Any], *, has_auth_header: bool, json_body: bool = False
) -> list[str]:
    """Problems with one Web API call: unknown method, missing required arguments, JSON misuse."""
    ref = method_reference().get(method)
    if ref is None:
        return [f"{method}: unknown method"]
    problems: list[str] = []
    for name in ref.required:
        if name == "token" and has_auth_header:
            continue
        if not _present(args, name):
            problems.append(f"{method}: missing {name}")
    if json_body and not ref.json_input_supported:
        problems.append(f"{method}: JSON body not supported (send form-encoded arguments)")
    return problems


def check_message(payload: Mapping[str, Any], *, path: str = "") -> list[str]:
    """Problems with a message payload: top-level text length and its blocks (and attachments')."""
    prefix = f"{path}." if path else ""
    problems: list[str] = []
    text = payload.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        problems.append(f"{prefix}text: {len(text)} > {MESSAGE_TEXT_MAX}")
    if payload.get("blocks") not in (None, "", []):
        problems += check_blocks(payload["blocks"], surface="message", path=f"{prefix}blocks")
    attachments, problem = _decoded(payload.get("attachments"), f"{prefix}attachments")
    if problem:
        problems.append(problem)
    elif isinstance(attachments, list):
        for index, attachment in enumerate(attachments):
            if isinstance(attachment, dict) and attachment.get("blocks"):
                where = f"{prefix}attachments[{index}].blocks"
                problems += check_blocks(attachment["blocks"], surface="message", path=where)
    return problems


# --- Block Kit ---------------------------------------------------------------------------------


def _decoded(value: Any, path: str) -> tuple[Any, str | None]:
    """A value that form-encoded calls send as a JSON string, decoded."""
    if not isinstance(value, str):
        return value, None
    try:
        return json.loads(value), None
    except json.JSONDecodeError as exc:
        return None, f"{path}: not valid JSON ({exc.msg})"


def check_blocks(blocks: Any, *, surface: Surface, path: str = "blocks") -> list[str]:
    """Problems with a list of blocks (or its JSON string) on a message, modal or home tab."""
    checker = _BlockChecker(block_kit_limits())
    decoded, problem = _decoded(blocks, path)
    if problem:
        return [problem]
    max_blocks = (
        MESSAGE_MAX_BLOCKS if surface == "message" else checker.lim("view.blocks.max_items")
    )
    checker.blocks(decoded, path, max_items=max_blocks)
    return checker.problems


def check_view(view: Any) -> list[str]:
    """Problems with a modal or home-tab view object (or its JSON string)."""
    checker = _BlockChecker(block_kit_limits())
    decoded, problem = _decoded(view, "view")
    if problem:
        return [problem]
    if not isinstance(decoded, dict):
        return ["view: must be an object"]
    checker.view(decoded)
    return checker.problems


class _BlockChecker:
    """Walks Block Kit JSON and collects problems, each naming its path."""

    def __init__(self, limits: Mapping[str, Any]) -> None:
        self.limits = limits
        self.problems: list[str] = []
        self.block_ids: set[str] = set()

    def lim(self, dotted: str) -> int:
        node: Any = self.limits
        for key in dotted.split("."):
            node = node[key]
        return int(node)

    # generic checks

    def problem(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def length(self, value: Any, path: str, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.problem(path, "missing")
            return
        if not isinstance(value, str):
            self.problem(path, "must be a string")
        elif required and not value:
            self.problem(path, "empty")
        elif len(value) > limit:
            self.problem(path, f"{len(value)} > {limit}")

    def items(
        self, value: Any, path: str, *, max_items: int, min_items: int = 0, required: bool = False
    ) -> list[Any]:
        if value is None:
            if required:
                self.problem(path, "missing")
            return []
        if not isinstance(value, list):
            self.problem(path, "must be a list")
            return []
        if len(value) > max_items:
            self.problem(path, f"{len(value)} items > {max_items}")
        elif len(value) < min_items:
            self.problem(path, f"{len(value)} items < {min_items}")
        return value

    def text(
        self, obj: Any, path: str, limit: int, *, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.problem(path, "missing")
            return
        if not isinstance(obj, dict):
            self.problem(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.problem(f"{path}.type", f"must be plain_text or mrkdwn, not {kind!r}")
        elif plain_only and kind != "plain_text":
            self.problem(f"{path}.type", "must be plain_text")
        value = obj.get("text")
        if not isinstance(value, str) or len(value) < self.lim("text.min_length"):
            self.problem(f"{path}.text", "empty")
        elif len(value) > limit:
            self.problem(f"{path}.text", f"{len(value)} > {limit}")

    # blocks

    def blocks(self, blocks: Any, path: str, *, max_items: int, min_items: int = 0) -> list[Any]:
        checked = self.items(blocks, path, max_items=max_items, min_items=min_items, required=True)
        for index, block in enumerate(checked):
            self.block(block, f"{path}[{index}]")
        return checked

    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict):
            self.problem(path, "must be an object")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.length(block_id, f"{path}.block_id", self.lim("block_id.max_length"))
            if block_id in self.block_ids:
                self.problem(f"{path}.block_id", f"duplicate {block_id!r}")
            self.block_ids.add(block_id)
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.problem(f"{path}.type", f"unknown block type {kind!r}")
            return
        getattr(self, f"block_{kind}")(block, path)

    def block_section(self, block: dict[str, Any], path: str) -> None:
        if block.get("text") is None and block.get("fields") is None:
            self.problem(path, "section needs text or fields")
        self.text(
            block.get("text"), f"{path}.text", self.lim("section.text.max_length"), required=False
        )
        fields = self.items(
            block.get("fields"), f"{path}.fields", max_items=self.lim("section.fields.max_items")
        )
        for index, field in enumerate(fields):
            self.text(field, f"{path}.fields[{index}]", self.lim("section.fields.item_max_length"))
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{path}.accessory")

    def block_header(self, block: dict[str, Any], path: str) -> None:
        self.text(
            block.get("text"), f"{path}.text", self.lim("header.text.max_length"), plain_only=True
        )

    def block_context(self, block: dict[str, Any], path: str) -> None:
        where = f"{path}.elements"
        elements = self.items(
            block.get("elements"),
            where,
            max_items=self.lim("context.elements.max_items"),
            min_items=1,
            required=True,
        )
        for index, element in enumerate(elements):
            at = f"{where}[{index}]"
            if isinstance(element, dict) and element.get("type") == "image":
                self.element(element, at)
            else:
                self.text(element, at, self.lim("text.max_length"))

    def block_actions(self, block: dict[str, Any], path: str) -> None:
        where = f"{path}.elements"
        elements = self.items(
            block.get("elements"),
            where,
            max_items=self.lim("actions.elements.max_items"),
            min_items=1,
            required=True,
        )
        self.elements_unique(elements, path, [f"{where}[{i}]" for i in range(len(elements))])
        for index, element in enumerate(elements):
            self.element(element, f"{where}[{index}]")

    def block_divider(self, block: dict[str, Any], path: str) -> None:
        return None

    def block_image(self, block: dict[str, Any], path: str) -> None:
        self.image_source(block, path)
        self.length(
            block.get("alt_text"),
            f"{path}.alt_text",
            self.lim("image.alt_text.max_length"),
            required=True,
        )
        self.text(
            block.get("title"), f"{path}.title", IMAGE_TITLE_MAX, plain_only=True, required=False
        )

    def block_input(self, block: dict[str, Any], path: str) -> None:
        self.text(
            block.get("label"), f"{path}.label", self.lim("input.label.max_length"), plain_only=True
        )
        self.text(
            block.get("hint"),
            f"{path}.hint",
            self.lim("input.hint.max_length"),
            plain_only=True,
            required=False,
        )
        element = block.get("element")
        if element is None:
            self.problem(f"{path}.element", "missing")
            return
        if isinstance(element, dict) and element.get("type") in ELEMENT_TYPES - INPUT_ELEMENTS:
            self.problem(
                f"{path}.element.type", f"{element.get('type')!r} cannot be an input element"
            )
            return
        self.element(element, f"{path}.element")

    def block_rich_text(self, block: dict[str, Any], path: str) -> None:
        self.items(block.get("elements"), f"{path}.elements", max_items=sys.maxsize, required=True)

    def block_file(self, block: dict[str, Any], path: str) -> None:
        self.length(block.get("external_id"), f"{path}.external_id", sys.maxsize, required=True)

    def block_markdown(self, block: dict[str, Any], path: str) -> None:
        self.length(
            block.get("text"), f"{path}.text", self.lim("markdown.text.max_length"), required=True
        )

    # elements

    def elements_unique(
        self, elements: Sequence[Any], block_path: str, paths: Sequence[str]
    ) -> None:
        seen: set[str] = set()
        for element, at in zip(elements, paths, strict=True):
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.problem(f"{at}.action_id", f"duplicate {action_id!r} in {block_path}")
            seen.add(action_id)

    def element(self, element: Any, path: str) -> None:
        if not isinstance(element, dict):
            self.problem(path, "must be an object")
            return
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            self.problem(f"{path}.type", f"unknown element type {kind!r}")
            return
        self.length(element.get("action_id"), f"{path}.action_id", self.lim("action_id.max_length"))
        if element.get("confirm") is not None:
            self.confirm(element["confirm"], f"{path}.confirm")
        if element.get("placeholder") is not None:
            placeholder_limit = self.lim("select.placeholder.max_length")
            self.text(
                element["placeholder"], f"{path}.placeholder", placeholder_limit, plain_only=True
            )
        if kind in ("button", "workflow_button"):
            self.button(element, path)
        elif kind in ("static_select", "multi_static_select"):
            self.static_select(element, path)
        elif kind == "overflow":
            self.options(element, path, "overflow.options")
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(element, path, f"{kind}.options", allow_mrkdwn=True)
        elif kind == "plain_text_input":
            self.plain_text_input(element, path)
        elif kind in PICKERS:
            self.picker(element, path)
        elif kind == "image":
            self.image_source(element, path)
            self.length(
                element.get("alt_text"),
                f"{path}.alt_text",
                self.lim("image.alt_text.max_length"),
                required=True,
            )
        elif kind == "file_input" and element.get("max_files") is not None:
            self.bounded(element["max_files"], f"{path}.max_files", "file_input.max_files")

    def button(self, element: dict[str, Any], path: str) -> None:
        self.text(
            element.get("text"), f"{path}.text", self.lim("button.text.max_length"), plain_only=True
        )
        self.length(element.get("value"), f"{path}.value", self.lim("button.value.max_length"))
        self.length(element.get("url"), f"{path}.url", self.lim("button.url.max_length"))
        label_limit = self.lim("button.accessibility_label.max_length")
        self.length(element.get("accessibility_label"), f"{path}.accessibility_label", label_limit)
        if element.get("style") not in (None, "primary", "danger"):
            self.problem(f"{path}.style", f"must be primary or danger, not {element['style']!r}")

    def static_select(self, element: dict[str, Any], path: str) -> None:
        has_options = element.get("options") is not None
        has_groups = element.get("option_groups") is not None
        if has_options == has_groups:
            self.problem(path, "needs exactly one of options or option_groups")
        offered = (
            self.options(element, path, "select.options", required=False) if has_options else []
        )
        groups_path = f"{path}.option_groups"
        groups = self.items(
            element.get("option_groups"),
            groups_path,
            max_items=self.lim("select.option_groups.max_items"),
        )
        for index, group in enumerate(groups):
            at = f"{groups_path}[{index}]"
            if not isinstance(group, dict):
                self.problem(at, "must be an object")
                continue
            self.text(
                group.get("label"),
                f"{at}.label",
                self.lim("option_group.label.max_length"),
                plain_only=True,
            )
            offered += self.options(group, at, "option_group.options")
        self.initial_options(element, path, offered)

    def options(
        self,
        element: dict[str, Any],
        path: str,
        limits_key: str,
        *,
        allow_mrkdwn: bool = False,
        required: bool = True,
    ) -> list[Any]:
        where = f"{path}.options"
        bounds = self.limits
        for key in limits_key.split("."):
            bounds = bounds[key]
        options = self.items(
            element.get("options"),
            where,
            max_items=int(bounds["max_items"]),
            min_items=int(bounds.get("min_items", 0)),
            required=required,
        )
        for index, option in enumerate(options):
            self.option(option, f"{where}[{index}]", allow_mrkdwn=allow_mrkdwn)
        if element.get("type") in ("checkboxes", "radio_buttons"):
            self.initial_options(element, path, options)
        return list(options)

    def option(self, option: Any, path: str, *, allow_mrkdwn: bool) -> None:
        if not isinstance(option, dict):
            self.problem(path, "must be an object")
            return
        plain_only = not allow_mrkdwn
        self.text(
            option.get("text"),
            f"{path}.text",
            self.lim("option.text.max_length"),
            plain_only=plain_only,
        )
        self.length(
            option.get("value"), f"{path}.value", self.lim("option.value.max_length"), required=True
        )
        self.text(
            option.get("description"),
            f"{path}.description",
            self.lim("option.description.max_length"),
            plain_only=plain_only,
            required=False,
        )
        self.length(option.get("url"), f"{path}.url", self.lim("option.url.max_length"))

    def initial_options(self, element: dict[str, Any], path: str, offered: Sequence[Any]) -> None:
        """Slack rejects an initial option that is not one of the options offered."""
        initial = element.get("initial_options") or []
        if element.get("initial_option") is not None:
            initial = [element["initial_option"]]
        offered_keys = {_option_key(option) for option in offered if isinstance(option, dict)}
        for index, option in enumerate(initial if isinstance(initial, list) else []):
            if isinstance(option, dict) and _option_key(option) not in offered_keys:
                name = (
                    "initial_option" if "initial_option" in element else f"initial_options[{index}]"
                )
                self.problem(f"{path}.{name}", f"{option.get('value')!r} is not one of the options")

    def plain_text_input(self, element: dict[str, Any], path: str) -> None:
        ceiling = self.lim("plain_text_input.max_length.max")
        max_length = element.get("max_length")
        min_length = element.get("min_length")
        for name, value in (("max_length", max_length), ("min_length", min_length)):
            if value is not None and (not isinstance(value, int) or not 0 <= value <= ceiling):
                self.problem(f"{path}.{name}", f"{value!r} not within 0..{ceiling}")
        limit = max_length if isinstance(max_length, int) and 0 < max_length <= ceiling else ceiling
        self.length(element.get("initial_value"), f"{path}.initial_value", limit)
        if isinstance(min_length, int) and isinstance(max_length, int) and min_length > max_length:
            self.problem(f"{path}.min_length", f"{min_length} > max_length {max_length}")

    def picker(self, element: dict[str, Any], path: str) -> None:
        checks = {"initial_date": date.fromisoformat, "initial_time": time.fromisoformat}
        for name, parse in checks.items():
            value = element.get(name)
            if value is None:
                continue
            try:
                parse(value)
            except (TypeError, ValueError):
                self.problem(
                    f"{path}.{name}", f"{value!r} is not a valid {name.removeprefix('initial_')}"
                )

    def image_source(self, obj: dict[str, Any], path: str) -> None:
        if obj.get("image_url") is None and obj.get("slack_file") is None:
            self.problem(path, "needs image_url or slack_file")
        self.length(
            obj.get("image_url"), f"{path}.image_url", self.lim("image.image_url.max_length")
        )

    def bounded(self, value: Any, path: str, limits_key: str) -> None:
        low, high = self.lim(f"{limits_key}.min"), self.lim(f"{limits_key}.max")
        if not isinstance(value, int) or not low <= value <= high:
            self.problem(path, f"{value!r} not within {low}..{high}")

    def confirm(self, confirm: Any, path: str) -> None:
        if not isinstance(confirm, dict):
            self.problem(path, "must be an object")
            return
        self.text(
            confirm.get("title"),
            f"{path}.title",
            self.lim("confirmation.title.max_length"),
            plain_only=True,
        )
        self.text(confirm.get("text"), f"{path}.text", self.lim("confirmation.text.max_length"))
        for name in ("confirm", "deny"):
            limit = self.lim(f"confirmation.{name}.max_length")
            self.text(confirm.get(name), f"{path}.{name}", limit, plain_only=True)

    # views

    def view(self, view: dict[str, Any]) -> None:
        kind = view.get("type")
        if kind not in ("modal", "home"):
            self.problem("view.type", f"must be modal or home, not {kind!r}")
        blocks = self.blocks(
            view.get("blocks"),
            "view.blocks",
            max_items=self.lim("view.blocks.max_items"),
            min_items=self.lim("view.blocks.min_items"),
        )
        for name in ("title", "submit", "close"):
            required = name == "title" and kind == "modal"
            limit = self.lim(f"view.{name}.max_length")
            self.text(view.get(name), f"view.{name}", limit, plain_only=True, required=required)
        has_input = any(
            isinstance(block, dict) and block.get("type") == "input" for block in blocks
        )
        if kind == "modal" and has_input and view.get("submit") is None:
            self.problem("view.submit", "missing (a modal with input blocks needs a submit button)")
        limit = self.lim("view.private_metadata.max_length")
        self.length(view.get("private_metadata"), "view.private_metadata", limit)
        self.length(
            view.get("callback_id"), "view.callback_id", self.lim("view.callback_id.max_length")
        )
        self.length(view.get("external_id"), "view.external_id", VIEW_EXTERNAL_ID_MAX)


def _option_key(option: Mapping[str, Any]) -> tuple[Any, Any]:
    text = option.get("text")
    return option.get("value"), text.get("text") if isinstance(text, dict) else text


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.workspace.checks --vendor --shared PATH`: rebuild bot/data/ from PATH."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.workspace.checks", description=main.__doc__
    )
    parser.add_argument(
        "--vendor", action="store_true", help="rebuild the vendored reference copies"
    )
    parser.add_argument(
        "--shared",
        type=Path,
        help="a folder holding slack-api-ref/methods/ and block-kit-limits/limits.json",
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="where to write the copies")
    options = parser.parse_args(argv)
    if not options.vendor:
        parser.print_help()
        return 2
    if options.shared is None:
        parser.error("--vendor needs --shared PATH (the folder holding the full reference)")
    methods_dir = options.shared / REFERENCE_METHODS_DIR
    limits_file = options.shared / REFERENCE_LIMITS_FILE
    if not methods_dir.is_dir() or not limits_file.is_file():
        parser.error(f"{options.shared} has no {REFERENCE_METHODS_DIR}/ or {REFERENCE_LIMITS_FILE}")
    written = write_vendored(methods_dir=methods_dir, limits_file=limits_file, data_dir=options.out)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
