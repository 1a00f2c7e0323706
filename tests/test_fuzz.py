"""Property-based fuzzing (Hypothesis, a fixed and derandomised budget so CI is repeatable): no model
output raises out of the parser, and no validated tool call raises out of the dispatcher or touches
anything outside the workspace."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.protocol.parser import ParseResult, parse_action, validate_action
from agentbench_ts.protocol.schema import TOOLS
from agentbench_ts.tools import HostWorkspace, ToolLimits, run_tool

from hostile_calls import SECRET, build_hostile_layout, snapshot

BUDGET = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
VALID = [
    '{"type":"tool_call","name":"read_file","args":{"rel_path":"src/a.ts"}}',
    '{"type":"tool_call","name":"grep","args":{"pattern":"a","rel_dir":"src"}}',
    '{"type":"final","status":"done","message":"ok"}',
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


def _check(result: Any) -> None:
    assert isinstance(result, ParseResult)
    assert result.action is not None or result.error is not None


@BUDGET
@given(st.text(max_size=3000), st.booleans())
def test_any_text_parses_to_an_action_or_a_typed_error(text: str, lenient: bool) -> None:
    _check(parse_action(text, lenient=lenient))


@BUDGET
@given(st.sampled_from(VALID), st.integers(min_value=0), st.text(max_size=200), st.integers(0, 50))
def test_mutated_actions_parse_to_an_action_or_a_typed_error(
    valid: str, where: int, inserted: str, cut: int
) -> None:
    at = where % (len(valid) + 1)
    for text in (valid[:at] + inserted + valid[at:], valid[: max(0, at - cut)] + valid[at:], inserted * 50):
        _check(parse_action(text))
        _check(parse_action(text, lenient=True))


@BUDGET
@given(JSON_VALUES, st.integers(0, 200), st.sampled_from(["{", "[", '{"a":', "```", "\\", '"']))
def test_json_values_and_floods_parse_to_an_action_or_a_typed_error(
    value: Any, times: int, flood: str
) -> None:
    text = json.dumps(value)
    _check(parse_action(text))
    _check(parse_action(flood * times + text))
    _check(parse_action(text + flood * times))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> HostWorkspace:
    return HostWorkspace(build_hostile_layout(tmp_path_factory.mktemp("fuzz")), ToolLimits())


def _arg_values() -> st.SearchStrategy[Any]:
    paths = st.sampled_from(
        [".", "src", "src/a.ts", "..", "../outside/secret.txt", "../repo-evil/secret.txt", "link_dir", "/etc"]
    )
    return st.one_of(paths, st.text(max_size=60), st.integers(-5, 10**6), JSON_VALUES)


@BUDGET
@given(
    st.sampled_from(sorted(TOOLS)),
    st.dictionaries(st.text(max_size=12), _arg_values(), max_size=5),
    st.data(),
)
def test_validated_calls_never_raise_out_of_the_dispatcher(
    workspace: HostWorkspace, name: str, extra: dict[str, Any], data: st.DataObject
) -> None:
    spec = TOOLS[name]
    known = list(spec.args_schema.get("properties", {}))
    args = {
        key: data.draw(_arg_values(), label=key)
        for key in known
        if data.draw(st.booleans(), label=f"has {key}")
    }
    if data.draw(st.booleans(), label="extra keys"):
        args.update(extra)
    parsed = validate_action({"type": "tool_call", "name": name, "args": args})
    neighbours = [workspace.root.parent / "outside", workspace.root.parent / "repo-evil"]
    before = [snapshot(folder) for folder in neighbours]
    if isinstance(parsed.action, ToolCall):
        result = run_tool(workspace, parsed.action, max_output_chars=2000)
        assert SECRET not in result.output
    else:
        assert parsed.error is not None
    assert [snapshot(folder) for folder in neighbours] == before
    assert not (workspace.root.parent / "evil").exists()


def test_the_fuzz_reaches_the_tools(workspace: HostWorkspace) -> None:
    """The dispatcher property is not vacuous: valid calls get through validation and run."""
    parsed = validate_action({"type": "tool_call", "name": "read_file", "args": {"rel_path": "src/a.ts"}})
    assert isinstance(parsed.action, ToolCall)
    assert run_tool(workspace, parsed.action).ok
