"""Turning an episode's result into its trace record."""

from __future__ import annotations

from collections import Counter

from agentbench_ts.agent.loop import EpisodeResult
from agentbench_ts.agent.steps import Step
from agentbench_ts.traces.records import (
    EpisodeMetrics,
    Outcome,
    ParseErrorRecord,
    StepRecord,
    StopReason,
    ToolResultRecord,
)
from agentbench_ts.verdicts import TestReport

_OUTCOME_BY_STOP: dict[StopReason, Outcome] = {
    "final_done": "failed",
    "final_give_up": "failed",
    "max_steps": "budget",
    "loop": "budget",
    "protocol_errors": "budget",
    "wall_time": "timeout",
    "model_error": "error",
    "harness_error": "error",
    "cancelled": "error",
}


def outcome_of(stop: StopReason, final_tests: TestReport | None) -> Outcome:
    """Resolved whenever the final tests pass; a timeout where they ran out of time (a hanging test
    command, or a patch that loops: not a plain failure); otherwise why the episode ended."""
    if final_tests is not None and final_tests.resolved:
        return "resolved"
    if final_tests is not None and final_tests.timed_out and _OUTCOME_BY_STOP[stop] == "failed":
        return "timeout"
    return _OUTCOME_BY_STOP[stop]


def step_record(step: Step) -> StepRecord:
    parsed, completion, result = step.parsed, step.completion, step.tool_result
    return StepRecord(
        index=step.index,
        raw_completion=completion.text,
        finish_reason=completion.finish_reason,
        prompt_tokens=completion.usage.prompt_tokens,
        completion_tokens=completion.usage.completion_tokens,
        latency_s=completion.latency_s,
        retries=completion.retries,
        action=parsed.action.to_dict() if parsed.action else None,
        parse_error=ParseErrorRecord(kind=parsed.error.kind.value, detail=parsed.error.detail)
        if parsed.error
        else None,
        tool_result=ToolResultRecord(
            ok=result.ok, output=result.output, truncated=result.truncated, elapsed_s=result.elapsed_s
        )
        if result
        else None,
        tests=step.tests,
        observation=step.observation,
        loop_detected=step.loop_detected,
        prompt_token_ids=list(completion.tokens.prompt_ids) if completion.tokens else None,
        completion_token_ids=list(completion.tokens.completion_ids) if completion.tokens else None,
        completion_logprobs=list(completion.tokens.completion_logprobs) if completion.tokens else None,
    )


def episode_metrics(steps: list[StepRecord], test_runs: int) -> EpisodeMetrics:
    tools = Counter(s.action["name"] for s in steps if s.action and s.action["type"] == "tool_call")
    errors = Counter(s.parse_error.kind for s in steps if s.parse_error)
    return EpisodeMetrics(
        steps=len(steps),
        parse_errors=sum(errors.values()),
        parse_error_kinds=dict(errors),
        loop_detections=sum(s.loop_detected for s in steps),
        tool_calls=dict(tools),
        tool_errors=sum(1 for s in steps if s.tool_result and not s.tool_result.ok),
        test_runs=test_runs,
        prompt_tokens=sum(s.prompt_tokens or 0 for s in steps),
        completion_tokens=sum(s.completion_tokens or 0 for s in steps),
        model_retries=sum(s.retries for s in steps),
    )


def steps_and_metrics(result: EpisodeResult) -> tuple[list[StepRecord], EpisodeMetrics]:
    steps = [step_record(step) for step in result.steps]
    return steps, episode_metrics(steps, result.test_runs)
