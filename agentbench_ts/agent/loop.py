"""The agent loop: model <-> protocol <-> tools until the model stops or a guard does."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.agent.guards import Guards
from agentbench_ts.agent.steps import Step, call_tool, finish, reject
from agentbench_ts.agent.test_policy import TestDriver
from agentbench_ts.errors import ModelError
from agentbench_ts.models.base import ChatMessage, Model
from agentbench_ts.protocol.actions import Final
from agentbench_ts.protocol.parser import parse_action
from agentbench_ts.protocol.prompt import system_prompt
from agentbench_ts.sandbox.base import Sandbox, final_patch
from agentbench_ts.tasks.grading import Grader, run_tests
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import StopReason
from agentbench_ts.verdicts import TestReport


@dataclass
class EpisodeResult:
    messages: list[ChatMessage]
    steps: list[Step]
    stop_reason: StopReason
    final_tests: TestReport | None
    patch: str
    test_runs: int
    error: str | None = None

    @classmethod
    def harness_failure(cls, error: str) -> EpisodeResult:
        """An episode the harness could not run (sandbox, task data, or a bug of ours)."""
        return cls([], [], "harness_error", None, "", 0, error)


def initial_messages(task: Task) -> list[ChatMessage]:
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": task.instructions}]


def run_episode(
    task: Task,
    model: Model,
    sandbox: Sandbox,
    config: AgentConfig,
    cancel: threading.Event | None = None,
    *,
    grader: Grader = run_tests,
) -> EpisodeResult:
    messages = initial_messages(task)
    steps: list[Step] = []
    guards = Guards(config, cancel)
    tests = TestDriver(task, sandbox, config.test_policy, grader)
    error: str | None = None
    while True:
        stop = guards.before_step(len(steps))
        if stop:
            break
        try:
            completion = model.complete(messages)
        except ModelError as exc:
            stop, error = "model_error", str(exc)
            break
        messages.append({"role": "assistant", "content": completion.text})
        parsed = parse_action(completion.text, lenient=config.lenient_parsing)
        step = Step(len(steps), completion, parsed)
        steps.append(step)
        if parsed.action is None:
            reject(step)
            stop = guards.protocol_error()
        elif isinstance(parsed.action, Final):
            guards.valid_action()
            stop = finish(step, parsed.action, tests)
        else:
            guards.valid_action()
            call_tool(step, parsed.action, sandbox, tests, config.max_tool_output_chars)
            if guards.is_loop(parsed.action):
                step.loop_detected, stop = True, "loop"
        if stop:
            break
        if step.observation is not None:
            messages.append({"role": "user", "content": step.observation})
    return EpisodeResult(messages, steps, stop, tests.final(), final_patch(sandbox), tests.runs, error)
