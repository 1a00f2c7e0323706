"""Strict parser of assistant turns into actions, with a typed error taxonomy.

Strict mode accepts exactly one JSON object and nothing else. Lenient mode also recovers a
single object that is fenced or surrounded by text, but still reports the error kind, so a
trace always shows what the model really did.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from agentbench_ts.protocol.actions import Action, Final, ToolCall
from agentbench_ts.protocol.schema import FINAL_SCHEMA, TOOL_CALL_ENVELOPE, TOOLS


class ParseErrorKind(StrEnum):
    EMPTY = "empty"
    NOT_JSON = "not_json"
    MULTIPLE_OBJECTS = "multiple_objects"
    EXTRA_TEXT = "extra_text"
    CODE_FENCE = "code_fence"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_TOOL = "unknown_tool"
    BAD_ARGS = "bad_args"


@dataclass(frozen=True)
class ParseError:
    kind: ParseErrorKind
    detail: str


@dataclass(frozen=True)
class ParseResult:
    """An action, an error, or (lenient recovery) both."""

    action: Action | None
    error: ParseError | None

    @property
    def ok(self) -> bool:
        return self.action is not None


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
_ENVELOPE = Draft202012Validator(TOOL_CALL_ENVELOPE)
_FINAL = Draft202012Validator(FINAL_SCHEMA)
_ARGS = {name: Draft202012Validator(spec.args_schema) for name, spec in TOOLS.items()}
_FENCE_OPENER = re.compile(r"```[A-Za-z0-9_-]*\s*\Z")
_FENCE_CLOSER = re.compile(r"\s*```")
_OBJECT_START = re.compile(r'\{\s*["}]')
MAX_NESTING = 64
"""Deeper than any action needs; deeper input is refused before the (recursive) JSON decoder sees it."""
MAX_FAILED_CANDIDATES = 256
"""Malformed `{"...` starts tried before giving up: keeps the search linear in the reply's length."""


def _fail(kind: ParseErrorKind, detail: str) -> ParseResult:
    return ParseResult(action=None, error=ParseError(kind, detail))


def _schema_detail(validator: Draft202012Validator, obj: Any) -> str | None:
    error = best_match(validator.iter_errors(obj))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def validate_action(obj: Any) -> ParseResult:
    """Turn a decoded JSON value into an action, or say which rule it breaks."""
    if not isinstance(obj, dict):
        return _fail(ParseErrorKind.SCHEMA_VIOLATION, f"expected a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind == "final":
        detail = _schema_detail(_FINAL, obj)
        if detail:
            return _fail(ParseErrorKind.SCHEMA_VIOLATION, detail)
        return ParseResult(Final(status=obj["status"], message=obj.get("message", "")), None)
    if kind != "tool_call":
        return _fail(ParseErrorKind.SCHEMA_VIOLATION, f'"type" must be "tool_call" or "final", got {kind!r}')
    detail = _schema_detail(_ENVELOPE, obj)
    if detail:
        return _fail(ParseErrorKind.SCHEMA_VIOLATION, detail)
    name = obj["name"]
    if name not in TOOLS:
        known = ", ".join(TOOLS)
        return _fail(ParseErrorKind.UNKNOWN_TOOL, f"unknown tool {name!r}; the tools are: {known}")
    detail = _schema_detail(_ARGS[name], obj["args"])
    if detail:
        return _fail(ParseErrorKind.BAD_ARGS, f"{name}: {detail}")
    return ParseResult(ToolCall(name=name, args=obj["args"]), None)


def _decode(text: str) -> Any:
    return _DECODER.decode(text)


def nesting_depth(text: str) -> int:
    """The deepest nesting of braces and brackets outside JSON strings (one pass)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]" and depth:
            depth -= 1
    return deepest


def _find_objects(text: str) -> list[tuple[int, int, Any]] | None:
    """Every top-level JSON object embedded in text, as (start, end, value); None where too many
    malformed candidates were tried (the text is no action, and searching on would be quadratic)."""
    found: list[tuple[int, int, Any]] = []
    failed, pos = 0, 0
    while (candidate := _OBJECT_START.search(text, pos)) is not None:
        start = candidate.start()
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            failed += 1
            if failed > MAX_FAILED_CANDIDATES:
                return None
            pos = start + 1
            continue
        found.append((start, end, value))
        pos = end
    return found


def _in_fence(text: str, start: int, end: int) -> bool:
    """The object at text[start:end] sits in a code fence: an opening ``` (with a language tag and
    blanks) right before it that no earlier ``` closes, and a closing ``` right after it. A ``` inside
    the object (a write_file of Markdown) does not end the fence."""
    before = text[:start]
    opener = before.rfind("```")
    return (
        before.count("```") % 2 == 1
        and _FENCE_OPENER.match(before, opener) is not None
        and _FENCE_CLOSER.match(text, end) is not None
    )


def _recovered(result: ParseResult, kind: ParseErrorKind, detail: str, lenient: bool) -> ParseResult:
    if not result.ok:
        return result
    return ParseResult(result.action if lenient else None, ParseError(kind, detail))


def parse_action(text: str, *, lenient: bool = False) -> ParseResult:
    """Parse one assistant turn. Strict unless lenient=True."""
    stripped = text.strip()
    if not stripped:
        return _fail(ParseErrorKind.EMPTY, "the reply was empty")
    if (depth := nesting_depth(stripped)) > MAX_NESTING:
        return _fail(
            ParseErrorKind.NOT_JSON, f"nested {depth} levels deep (an action needs a few): not an action"
        )
    try:
        return validate_action(_decode(stripped))
    except _DuplicateKeyError as exc:
        return _fail(ParseErrorKind.SCHEMA_VIOLATION, str(exc))
    except ValueError as exc:
        whole_error = str(exc)
    objects = _find_objects(stripped)
    if objects is None:
        return _fail(
            ParseErrorKind.NOT_JSON, f"no JSON object found in {MAX_FAILED_CANDIDATES} malformed candidates"
        )
    if not objects:
        return _fail(ParseErrorKind.NOT_JSON, f"no JSON object found ({whole_error})")
    if len(objects) > 1:
        return _fail(
            ParseErrorKind.MULTIPLE_OBJECTS,
            f"found {len(objects)} JSON objects; send exactly one action per turn",
        )
    start, end, value = objects[0]
    result = validate_action(value)
    if _in_fence(stripped, start, end):
        return _recovered(
            result, ParseErrorKind.CODE_FENCE, "the action was inside a ``` code fence", lenient
        )
    detail = f"{start} characters before and {len(stripped) - end} after the JSON object"
    return _recovered(result, ParseErrorKind.EXTRA_TEXT, detail, lenient)
