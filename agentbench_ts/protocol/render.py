"""How tool results, tool errors, protocol errors and test feedback reach the model."""

from __future__ import annotations

from agentbench_ts.protocol.parser import ParseError

TOOL_RESULT = "[tool_result]"
TOOL_ERROR = "[tool_error]"
PROTOCOL_ERROR = "[protocol_error]"
TESTS_PASS = "[TESTS PASS]"
TESTS_FAIL = "[TESTS FAIL]"


def truncation_marker(omitted: int, unit: str = "characters") -> str:
    return f"[truncated: {omitted} more {unit} not shown]"


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """Cut text to at most `limit` characters plus an explicit marker; say whether it was cut."""
    if len(text) <= limit:
        return text, False
    return f"{text[:limit]}\n{truncation_marker(len(text) - limit)}", True


def render_tool_result(output: str) -> str:
    return f"{TOOL_RESULT}\n{output}"


def render_tool_error(reason: str) -> str:
    return f"{TOOL_ERROR}\n{reason}"


def render_protocol_error(error: ParseError) -> str:
    return f"{PROTOCOL_ERROR}\n{error.kind.value}: {error.detail}"


def render_test_feedback(passed: bool, summary: str) -> str:
    return f"{TESTS_PASS if passed else TESTS_FAIL} {summary}"
