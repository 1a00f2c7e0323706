"""The parser's rules one by one, each with the input that tells it from its neighbours: the nesting
bound and how depth is counted, the bound on malformed candidates, where a fence starts and ends, and
the exact detail each error gives (the model reads it back in `[protocol_error]`)."""

from __future__ import annotations

from typing import Any

import pytest

from agentbench_ts.protocol import Final, ParseErrorKind, ToolCall, parse_action
from agentbench_ts.protocol.parser import (
    MAX_FAILED_CANDIDATES,
    MAX_NESTING,
    nesting_depth,
    validate_action,
)

VALID = '{"type":"tool_call","name":"read_file","args":{"rel_path":"src/a.ts"}}'
READ = ToolCall("read_file", {"rel_path": "src/a.ts"})


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("no brackets", 0),
        ("{}", 1),
        ("[[{}]]", 3),
        ('{"a":[1,{"b":[]}]}', 4),
        ("{}{}{}", 1),  # closing goes back down
        ("{{}{", 2),  # one closer takes one level off
        ("{{{}{{", 4),
        ("XX{X{X", 2),  # only brackets count
        ("}}]{", 1),  # closers with nothing open do not go below zero
        ('{"a": "{{[[ in a string"}', 1),
        ('{"a": "an \\" escaped quote keeps the string open {{"}', 1),
        ('"\\\\" {{', 2),  # an escaped backslash does not escape the quote after it
        ('"\\\\\\"" [[[', 3),
    ],
)
def test_nesting_is_counted_outside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_nesting_up_to_the_bound_is_decoded_and_one_level_more_is_not() -> None:
    at_bound = "[" * MAX_NESTING + "]" * MAX_NESTING
    decoded = parse_action(at_bound)
    assert decoded.error is not None and decoded.error.kind is ParseErrorKind.SCHEMA_VIOLATION
    assert decoded.error.detail == "expected a JSON object, got list"
    over = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    refused = parse_action(over)
    assert refused.error is not None and refused.error.kind is ParseErrorKind.NOT_JSON
    assert (
        refused.error.detail == f"nested {MAX_NESTING + 1} levels deep (an action needs a few): not an action"
    )


def _malformed(count: int) -> str:
    return '{"a" } ' * count  # each start fails where the colon should be (and closes: depth 1)


def test_an_object_after_the_most_malformed_candidates_allowed_is_still_found() -> None:
    result = parse_action(_malformed(MAX_FAILED_CANDIDATES) + VALID, lenient=True)
    assert result.action == READ
    assert result.error is not None and result.error.kind is ParseErrorKind.EXTRA_TEXT


def test_one_malformed_candidate_more_gives_up() -> None:
    result = parse_action(_malformed(MAX_FAILED_CANDIDATES + 1) + VALID, lenient=True)
    assert result.action is None
    assert result.error is not None and result.error.kind is ParseErrorKind.NOT_JSON
    assert result.error.detail == f"no JSON object found in {MAX_FAILED_CANDIDATES} malformed candidates"


def test_the_search_goes_on_after_a_malformed_candidate() -> None:
    result = parse_action('draft {"type" oops, now: ' + VALID, lenient=True)
    assert result.action == READ


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("```json\n" + VALID + "\n```", ParseErrorKind.CODE_FENCE),
        ("```" + VALID + "```", ParseErrorKind.CODE_FENCE),
        ("Here it is:\n```ts  \n" + VALID + "  \n```\nthanks", ParseErrorKind.CODE_FENCE),
        ("```\nnote\n```\n" + VALID, ParseErrorKind.EXTRA_TEXT),  # the fence before it is closed
        ("```\nnote\n```\n```json\n" + VALID + "\n```", ParseErrorKind.CODE_FENCE),
        ("```json\n" + VALID + "\nsee above\n```", ParseErrorKind.EXTRA_TEXT),  # no closer right after
        ("```json\nfirst: " + VALID + "\n```", ParseErrorKind.EXTRA_TEXT),  # text between opener and it
        (VALID + "\n```", ParseErrorKind.EXTRA_TEXT),  # a closer with no opener
    ],
)
def test_an_object_is_fenced_only_between_an_open_fence_and_its_close(
    text: str, kind: ParseErrorKind
) -> None:
    result = parse_action(text, lenient=True)
    assert result.action == READ
    assert result.error is not None and result.error.kind is kind


def test_a_fence_inside_the_written_content_does_not_end_the_fence_around_the_action() -> None:
    write = (
        '{"type":"tool_call","name":"write_file","args":{"rel_path":"README.md","content":"```ts\\nx\\n```"}}'
    )
    result = parse_action("```json\n" + write + "\n```", lenient=True)
    assert result.action == ToolCall("write_file", {"rel_path": "README.md", "content": "```ts\nx\n```"})
    assert result.error is not None and result.error.kind is ParseErrorKind.CODE_FENCE
    assert result.error.detail == "the action was inside a ``` code fence"


def test_strict_mode_reports_a_recoverable_action_without_taking_it() -> None:
    result = parse_action("Sure: " + VALID + " ok")
    assert result.action is None
    assert result.error is not None and result.error.kind is ParseErrorKind.EXTRA_TEXT
    assert result.error.detail == "6 characters before and 3 after the JSON object"


def _detail(text: str) -> tuple[ParseErrorKind, str]:
    result = parse_action(text)
    assert result.action is None and result.error is not None
    return result.error.kind, result.error.detail


@pytest.mark.parametrize(
    ("text", "kind", "detail"),
    [
        (" \n ", ParseErrorKind.EMPTY, "the reply was empty"),
        (
            "hello",
            ParseErrorKind.NOT_JSON,
            "no JSON object found (Expecting value: line 1 column 1 (char 0))",
        ),
        (
            VALID + VALID + VALID,
            ParseErrorKind.MULTIPLE_OBJECTS,
            "found 3 JSON objects; send exactly one action per turn",
        ),
        (
            '{"type":"final","type":"final","status":"done"}',
            ParseErrorKind.SCHEMA_VIOLATION,
            "duplicate key 'type'",
        ),
        ("[1]", ParseErrorKind.SCHEMA_VIOLATION, "expected a JSON object, got list"),
        ("7", ParseErrorKind.SCHEMA_VIOLATION, "expected a JSON object, got int"),
        (
            '{"type":"call"}',
            ParseErrorKind.SCHEMA_VIOLATION,
            '"type" must be "tool_call" or "final", got \'call\'',
        ),
        (
            '{"status":"done"}',
            ParseErrorKind.SCHEMA_VIOLATION,
            '"type" must be "tool_call" or "final", got None',
        ),
        (
            '{"type":"final","status":"later"}',
            ParseErrorKind.SCHEMA_VIOLATION,
            "status: 'later' is not one of ['done', 'give_up']",
        ),
        ('{"type":"final"}', ParseErrorKind.SCHEMA_VIOLATION, "'status' is a required property"),
        (
            '{"type":"tool_call","name":"read_file","args":[]}',
            ParseErrorKind.SCHEMA_VIOLATION,
            "args: [] is not of type 'object'",
        ),
        (
            '{"type":"tool_call","name":"bash","args":{}}',
            ParseErrorKind.UNKNOWN_TOOL,
            "unknown tool 'bash'; the tools are: list_files, read_file, grep, write_file",
        ),
        (
            '{"type":"tool_call","name":"read_file","args":{"rel_path":3}}',
            ParseErrorKind.BAD_ARGS,
            "read_file: rel_path: 3 is not of type 'string'",
        ),
        (
            '{"type":"tool_call","name":"grep","args":{}}',
            ParseErrorKind.BAD_ARGS,
            "grep: 'pattern' is a required property",
        ),
    ],
)
def test_each_error_says_exactly_what_is_wrong(text: str, kind: ParseErrorKind, detail: str) -> None:
    assert _detail(text) == (kind, detail)


def test_a_final_without_a_message_has_an_empty_one() -> None:
    assert parse_action('{"type":"final","status":"give_up"}').action == Final("give_up", "")
    assert parse_action('{"type":"final","status":"done","message":"m"}').action == Final("done", "m")


@pytest.mark.parametrize("value", [None, "text", 1.5, [VALID]])
def test_validate_action_names_the_type_it_got(value: Any) -> None:
    result = validate_action(value)
    assert result.error is not None
    assert result.error.detail == f"expected a JSON object, got {type(value).__name__}"
