"""What one step does with a parsed action, and what the model is told back."""

from __future__ import annotations

from dataclasses import dataclass

from agentbench_ts.agent.test_policy import TestDriver
from agentbench_ts.models.base import Completion
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.protocol.parser import ParseResult
from agentbench_ts.protocol.render import (
    render_protocol_error,
    render_test_feedback,
    render_tool_error,
    render_tool_result,
)
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.tools.dispatch import run_tool
from agentbench_ts.tools.workspace import ToolResult
from agentbench_ts.traces.records import StopReason
from agentbench_ts.verdicts import TestReport


@dataclass
class Step:
    index: int
    completion: Completion
    parsed: ParseResult
    tool_result: ToolResult | None = None
    tests: TestReport | None = None
    observation: str | None = None
    loop_detected: bool = False


def reject(step: Step) -> None:
    assert step.parsed.error is not None
    step.observation = render_protocol_error(step.parsed.error)


def finish(step: Step, action: Final, tests: TestDriver) -> StopReason | None:
    """Stop, unless the test policy checks a 'done' and the tests still fail."""
    if action.status == "give_up":
        return "final_give_up"
    report = tests.on_done()
    if report is None or report.resolved:
        return "final_done"
    step.tests = report
    step.observation = render_test_feedback(False, report.summary)
    return None


def call_tool(step: Step, call: ToolCall, sandbox: Sandbox, tests: TestDriver, max_output_chars: int) -> None:
    result = run_tool(sandbox.workspace, call, max_output_chars)
    step.tool_result = result
    if not result.ok:
        step.observation = render_tool_error(result.output)
        return
    step.observation = render_tool_result(result.output)
    if call.name == "write_file" and (report := tests.after_write()) is not None:
        step.tests = report
        step.observation += "\n" + render_test_feedback(report.resolved, report.summary)
