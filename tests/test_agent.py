"""The agent loop: outcomes, counts, guards and test policies, on a small real JS task."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pytest

from agentbench_ts.agent import AgentConfig, run_episode
from agentbench_ts.agent.record import outcome_of, steps_and_metrics
from agentbench_ts.errors import ModelError
from agentbench_ts.models import ChatMessage, Completion, ReplayModel, oracle_actions
from agentbench_ts.protocol import Final, ToolCall
from agentbench_ts.sandbox import LocalSandbox
from agentbench_ts.tasks.task import Task

from conftest import FIXED_ADD

READ = ToolCall("read_file", {"rel_path": "src/add.js"}).to_json()
LIST = ToolCall("list_files", {}).to_json()
WRITE_FIX = ToolCall("write_file", {"rel_path": "src/add.js", "content": FIXED_ADD}).to_json()
DONE = Final("done", "fixed").to_json()
GIVE_UP = Final("give_up", "cannot").to_json()

Sandboxes = Callable[[Task], LocalSandbox]


def _play(task: Task, sandboxes: Sandboxes, replies: Sequence[str], **config: object):  # type: ignore[no-untyped-def]
    with sandboxes(task) as sandbox:
        result = run_episode(task, ReplayModel(replies), sandbox, AgentConfig.model_validate(config))
    steps, metrics = steps_and_metrics(result)
    return result, steps, metrics


def test_oracle_resolves_the_task_through_the_protocol(js_task: Task, local_sandboxes: Sandboxes) -> None:
    replies = [a.to_json() for a in oracle_actions(js_task)]
    result, _, metrics = _play(js_task, local_sandboxes, replies)
    assert result.stop_reason == "final_done"
    assert outcome_of(result.stop_reason, result.final_tests) == "resolved"
    assert metrics.tool_calls == {"list_files": 1, "read_file": 1, "write_file": 1}
    assert "+exports.add = (a, b) => a + b;" in result.patch


def test_replay_of_broken_outputs_ends_with_the_right_counts(
    js_task: Task, local_sandboxes: Sandboxes
) -> None:
    replies = [
        "",
        "let me think",
        "```json\n" + LIST + "\n```",
        READ,
        '{"type":"tool_call","name":"bash","args":{}}',
        GIVE_UP,
    ]
    result, steps, metrics = _play(js_task, local_sandboxes, replies, max_consecutive_protocol_errors=5)
    assert result.stop_reason == "final_give_up"
    assert outcome_of(result.stop_reason, result.final_tests) == "failed"
    assert metrics.steps == 6
    assert metrics.parse_errors == 4
    assert metrics.parse_error_kinds == {"empty": 1, "not_json": 1, "code_fence": 1, "unknown_tool": 1}
    assert metrics.tool_calls == {"read_file": 1}
    assert [s.observation.split("\n", 1)[0] if s.observation else None for s in steps] == [
        "[protocol_error]",
        "[protocol_error]",
        "[protocol_error]",
        "[tool_result]",
        "[protocol_error]",
        None,
    ]


def test_lenient_parsing_runs_a_fenced_call_and_still_counts_the_error(
    js_task: Task, local_sandboxes: Sandboxes
) -> None:
    _, steps, metrics = _play(
        js_task, local_sandboxes, ["```json\n" + READ + "\n```", GIVE_UP], lenient_parsing=True
    )
    assert steps[0].tool_result is not None and steps[0].tool_result.ok
    assert metrics.parse_error_kinds == {"code_fence": 1}


def test_consecutive_protocol_errors_stop_the_episode(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, _, metrics = _play(
        js_task, local_sandboxes, ["a", "b", "c", READ], max_consecutive_protocol_errors=3
    )
    assert result.stop_reason == "protocol_errors"
    assert outcome_of(result.stop_reason, result.final_tests) == "budget"
    assert metrics.steps == 3


def test_a_valid_action_resets_the_protocol_error_streak(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, _, _ = _play(
        js_task, local_sandboxes, ["a", "b", READ, "c", "d", GIVE_UP], max_consecutive_protocol_errors=3
    )
    assert result.stop_reason == "final_give_up"


def test_the_same_call_repeated_is_detected_as_a_loop(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, steps, metrics = _play(
        js_task, local_sandboxes, [LIST, READ, READ, READ, READ], loop_repeat_limit=3
    )
    assert result.stop_reason == "loop"
    assert metrics.loop_detections == 1 and metrics.steps == 4
    assert steps[-1].loop_detected


def test_alternating_calls_are_not_a_loop(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, _, _ = _play(js_task, local_sandboxes, [LIST, READ, LIST, READ, GIVE_UP], loop_repeat_limit=2)
    assert result.stop_reason == "final_give_up"


def test_step_budget_stops_the_episode(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, _, metrics = _play(js_task, local_sandboxes, [LIST, READ] * 10, max_steps=5)
    assert result.stop_reason == "max_steps"
    assert metrics.steps == 5
    assert outcome_of(result.stop_reason, result.final_tests) == "budget"


class _SlowModel:
    name = "slow"

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        time.sleep(0.3)
        return Completion(LIST if len(messages) % 4 else READ)


def test_wall_clock_budget_stops_the_episode(js_task: Task, local_sandboxes: Sandboxes) -> None:
    with local_sandboxes(js_task) as sandbox:
        result = run_episode(js_task, _SlowModel(), sandbox, AgentConfig(max_wall_s=1.0))
    assert result.stop_reason == "wall_time"
    assert 2 <= len(result.steps) <= 5
    assert outcome_of(result.stop_reason, result.final_tests) == "timeout"


class _DyingModel:
    name = "dying"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        self.calls += 1
        if self.calls > 1:
            raise ModelError("server went away")
        return Completion(READ)


def test_a_dying_model_ends_the_episode_as_an_error(js_task: Task, local_sandboxes: Sandboxes) -> None:
    with local_sandboxes(js_task) as sandbox:
        result = run_episode(js_task, _DyingModel(), sandbox, AgentConfig())
    assert result.stop_reason == "model_error" and result.error == "server went away"
    assert outcome_of(result.stop_reason, result.final_tests) == "error"
    assert len(result.steps) == 1


def test_on_write_policy_appends_test_feedback(js_task: Task, local_sandboxes: Sandboxes) -> None:
    _, steps, metrics = _play(js_task, local_sandboxes, [WRITE_FIX, DONE], test_policy="on_write")
    assert steps[0].observation is not None
    assert steps[0].observation.startswith("[tool_result]\nwrote")
    assert "\n[TESTS PASS] 2 passed, 0 failed" in steps[0].observation
    assert metrics.test_runs == 1  # the final grading reuses the report: nothing changed since


def test_never_policy_gives_no_test_feedback_but_still_grades(
    js_task: Task, local_sandboxes: Sandboxes
) -> None:
    result, steps, _ = _play(js_task, local_sandboxes, [WRITE_FIX, DONE], test_policy="never")
    assert steps[0].observation is not None and "[TESTS" not in steps[0].observation
    assert result.final_tests is not None and result.final_tests.resolved


def test_end_policy_sends_a_failing_done_back_to_work(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, steps, _ = _play(js_task, local_sandboxes, [DONE, WRITE_FIX, DONE], test_policy="end")
    assert steps[0].observation is not None
    assert steps[0].observation.startswith("[TESTS FAIL] 1 passed, 1 failed; failing: adds small numbers")
    assert result.stop_reason == "final_done" and len(steps) == 3
    assert outcome_of(result.stop_reason, result.final_tests) == "resolved"


def test_messages_are_exactly_the_conversation(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, steps, _ = _play(js_task, local_sandboxes, ["oops", READ, GIVE_UP])
    roles = [m["role"] for m in result.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant"]
    assert [m["content"] for m in result.messages[2::2]] == ["oops", READ, GIVE_UP]
    assert [m["content"] for m in result.messages[3::2]] == [s.observation for s in steps[:2]]


def test_giving_up_after_a_fix_still_counts_as_resolved(js_task: Task, local_sandboxes: Sandboxes) -> None:
    result, _, _ = _play(js_task, local_sandboxes, [WRITE_FIX, GIVE_UP], test_policy="never")
    assert outcome_of(result.stop_reason, result.final_tests) == "resolved"


@pytest.mark.parametrize("bad", ["../outside.js", "/etc/passwd"])
def test_refused_paths_come_back_as_tool_errors(js_task: Task, local_sandboxes: Sandboxes, bad: str) -> None:
    call = ToolCall("write_file", {"rel_path": bad, "content": "x"}).to_json()
    _, steps, metrics = _play(js_task, local_sandboxes, [call, GIVE_UP])
    assert steps[0].observation is not None and steps[0].observation.startswith("[tool_error]\n")
    assert metrics.tool_errors == 1


def test_degenerate_replies_are_protocol_errors_with_their_raw_text(
    js_task: Task, local_sandboxes: Sandboxes
) -> None:
    """Deep nesting used to raise RecursionError out of the parser: a harness error with no steps and
    the reply lost. It is a protocol error step like any other, its text kept for DPO negatives."""
    deep, flood = '{"a":' * 5000, "{" * 10_000 + DONE
    result, _, metrics = _play(
        js_task, local_sandboxes, [deep, flood, GIVE_UP], max_consecutive_protocol_errors=5
    )
    assert result.stop_reason == "final_give_up" and result.error is None
    assert metrics.parse_errors == 2 and metrics.steps == 3
    assert [m["content"] for m in result.messages if m["role"] == "assistant"][:2] == [deep, flood]
    assert [s.parsed.error.kind.value for s in result.steps[:2] if s.parsed.error] == ["not_json", "not_json"]


def test_final_tests_that_ran_out_of_time_make_a_timeout_not_a_failure() -> None:
    from agentbench_ts.verdicts import TestReport

    hung = TestReport(
        resolved=False,
        exit_code=None,
        timed_out=True,
        tests={},
        missing=[],
        summary="",
        elapsed_s=2.0,
        output_tail="",
    )
    failing = hung.model_copy(update={"timed_out": False, "exit_code": 1})
    assert outcome_of("final_give_up", hung) == "timeout" and outcome_of("final_done", hung) == "timeout"
    assert outcome_of("final_give_up", failing) == "failed"
    assert outcome_of("harness_error", hung) == "error"  # the harness's failure stays its own
