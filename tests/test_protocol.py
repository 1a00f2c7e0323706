"""The strict JSON tool protocol: parser taxonomy, round trips, prompt and schema agree."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from agentbench_ts.protocol import (
    TOOLS,
    Final,
    ParseErrorKind,
    ToolCall,
    action_json_schema,
    parse_action,
    system_prompt,
)
from agentbench_ts.protocol.render import render_protocol_error

VALID = '{"type":"tool_call","name":"read_file","args":{"rel_path":"src/a.ts"}}'

CRAFTED = [
    ("", ParseErrorKind.EMPTY),
    ("   \n\t ", ParseErrorKind.EMPTY),
    ("I will read the file now.", ParseErrorKind.NOT_JSON),
    ('{"type": "tool_call", "name": ', ParseErrorKind.NOT_JSON),
    (VALID + VALID, ParseErrorKind.MULTIPLE_OBJECTS),
    (VALID + "\n" + '{"type":"final","status":"done"}', ParseErrorKind.MULTIPLE_OBJECTS),
    ("Sure! " + VALID, ParseErrorKind.EXTRA_TEXT),
    (VALID + " Let me know.", ParseErrorKind.EXTRA_TEXT),
    ("<think>look first</think>" + VALID, ParseErrorKind.EXTRA_TEXT),
    ("```json\n" + VALID + "\n```", ParseErrorKind.CODE_FENCE),
    ("Here:\n```\n" + VALID + "\n```", ParseErrorKind.CODE_FENCE),
    ("[1, 2]", ParseErrorKind.SCHEMA_VIOLATION),
    ('"read_file"', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"call","name":"read_file","args":{}}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"name":"read_file","args":{"rel_path":"a"}}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"tool_call","name":"read_file"}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"tool_call","name":"read_file","args":{},"extra":1}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"final","status":"finished"}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"final","status":"done","status":"give_up"}', ParseErrorKind.SCHEMA_VIOLATION),
    ('{"type":"tool_call","name":"run_tests","args":{}}', ParseErrorKind.UNKNOWN_TOOL),
    ('{"type":"tool_call","name":"bash","args":{"cmd":"ls"}}', ParseErrorKind.UNKNOWN_TOOL),
    ('{"type":"tool_call","name":"read_file","args":{}}', ParseErrorKind.BAD_ARGS),
    (
        '{"type":"tool_call","name":"read_file","args":{"rel_path":"a","max_chars":"10"}}',
        ParseErrorKind.BAD_ARGS,
    ),
    (
        '{"type":"tool_call","name":"read_file","args":{"rel_path":"a","max_chars":true}}',
        ParseErrorKind.BAD_ARGS,
    ),
    ('{"type":"tool_call","name":"list_files","args":{"max_files":0}}', ParseErrorKind.BAD_ARGS),
    ('{"type":"tool_call","name":"grep","args":{"pattern":"x","color":true}}', ParseErrorKind.BAD_ARGS),
    ('{"type":"tool_call","name":"write_file","args":{"rel_path":"a"}}', ParseErrorKind.BAD_ARGS),
]


@pytest.mark.parametrize(("text", "kind"), CRAFTED)
def test_strict_parser_classifies_crafted_input(text: str, kind: ParseErrorKind) -> None:
    result = parse_action(text)
    assert result.action is None
    assert result.error is not None
    assert result.error.kind is kind


def test_every_taxonomy_kind_is_produced_by_a_crafted_input() -> None:
    assert {kind for _, kind in CRAFTED} == set(ParseErrorKind)


@pytest.mark.parametrize(
    "text",
    ["```json\n" + VALID + "\n```", "Calling the tool: " + VALID, "<think>hm</think>\n" + VALID],
)
def test_lenient_mode_recovers_one_wrapped_object_but_records_the_error(text: str) -> None:
    result = parse_action(text, lenient=True)
    assert result.action == ToolCall("read_file", {"rel_path": "src/a.ts"})
    assert result.error is not None
    assert result.error.kind in {ParseErrorKind.CODE_FENCE, ParseErrorKind.EXTRA_TEXT}


def test_lenient_mode_does_not_guess_between_two_objects() -> None:
    assert parse_action(VALID + VALID, lenient=True).action is None


def test_lenient_mode_still_rejects_bad_args_inside_a_fence() -> None:
    result = parse_action('```json\n{"type":"tool_call","name":"read_file","args":{}}\n```', lenient=True)
    assert result.action is None
    assert result.error is not None and result.error.kind is ParseErrorKind.BAD_ARGS


def test_json_with_nan_is_not_accepted() -> None:
    result = parse_action('{"type":"tool_call","name":"read_file","args":{"rel_path":"a","max_chars":NaN}}')
    assert result.action is None


ACTIONS = [
    ToolCall("list_files", {"rel_dir": ".", "max_files": 200}),
    ToolCall("list_files", {}),
    ToolCall("read_file", {"rel_path": "src/a.ts", "max_chars": 4000, "start_line": 3, "end_line": 9}),
    ToolCall("grep", {"pattern": r"quick\s*sort", "rel_dir": "src", "max_matches": 5, "glob": "*.ts"}),
    ToolCall("write_file", {"rel_path": "src/ü.ts", "content": 'export const s = "\\n{}\\"";\n'}),
    Final("done", "fixed it"),
    Final("give_up", ""),
]


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_round_trips_through_its_json(action: ToolCall | Final) -> None:
    result = parse_action(action.to_json())
    assert result.error is None
    assert result.action == action


@pytest.mark.parametrize("action", ACTIONS)
def test_every_valid_action_satisfies_the_combined_schema(action: ToolCall | Final) -> None:
    jsonschema.validate(json.loads(action.to_json()), action_json_schema())


def test_combined_schema_rejects_what_the_parser_rejects() -> None:
    for text, _ in CRAFTED:
        if 'status":"done","status' in text:
            continue  # duplicate keys are invisible once decoded; only the parser sees them
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            continue
        assert not jsonschema.Draft202012Validator(action_json_schema()).is_valid(value), text


def test_system_prompt_names_exactly_the_schema_tools() -> None:
    named = set(re.findall(r"^### (\w+)$", system_prompt(), flags=re.MULTILINE))
    assert named == set(TOOLS)


def test_system_prompt_documents_every_argument_of_every_tool() -> None:
    prompt = system_prompt()
    for name, spec in TOOLS.items():
        section = prompt.split(f"### {name}\n", 1)[1].split("###", 1)[0]
        for arg in spec.args_schema["properties"]:
            assert f"- {arg} (" in section, (name, arg)


def test_system_prompt_examples_parse_strictly() -> None:
    examples = [line for line in system_prompt().splitlines() if line.startswith('{"type":"')]
    assert examples
    for line in examples:
        assert parse_action(line).error is None, line


def test_protocol_error_rendering_names_the_kind() -> None:
    error = parse_action("hello").error
    assert error is not None
    assert render_protocol_error(error).startswith("[protocol_error]\nnot_json: ")


def test_json_with_nan_or_infinity_is_refused_as_not_json() -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        text = '{"type":"tool_call","name":"read_file","args":{"rel_path":"a","max_chars":' + constant + "}}"
        result = parse_action(text)
        assert result.error is not None and result.error.kind is ParseErrorKind.NOT_JSON, constant
        assert constant.lstrip("-") in result.error.detail


def test_a_fenced_note_before_a_bare_object_is_extra_text_not_a_fence() -> None:
    result = parse_action("```\nlooking at the file first\n```\n" + VALID, lenient=True)
    assert result.error is not None and result.error.kind is ParseErrorKind.EXTRA_TEXT
    assert result.action == ToolCall("read_file", {"rel_path": "src/a.ts"})


DEGENERATE = [
    ("deep nesting", '{"a":' * 5000),
    ("brace flood before an object", "{" * 10_000 + VALID),
    ("bracket flood", "[" * 100_000),
    ("malformed objects", '{"a": x} ' * 20_000),
    ("unterminated strings", '{"a' * 20_000),
]


@pytest.mark.parametrize(("label", "text"), DEGENERATE, ids=[label for label, _ in DEGENERATE])
def test_degenerate_replies_are_typed_errors_in_linear_time(label: str, text: str) -> None:
    """The repetition small models fall into: never an exception, and 4x the text costs about 4x the
    time (a quadratic parse would cost 16x; the bound leaves room for a loaded machine)."""
    import time

    def cost(reply: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            result = parse_action(reply)
            best = min(best, time.perf_counter() - started)
        assert result.action is None and result.error is not None, label
        assert result.error.kind in (ParseErrorKind.NOT_JSON, ParseErrorKind.EXTRA_TEXT), result.error
        return best

    small, large = cost(text), cost(text * 4)
    assert large < 10 * small + 0.01, (label, small, large)
