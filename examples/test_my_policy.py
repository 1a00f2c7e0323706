"""Research code as tests: the agentbench_ts fixtures (installed with the package) in your own test file.

    pytest examples/test_my_policy.py          # from the repository root (tasks/ is the bundled suite)

`--agentbench-sandbox docker`, `--agentbench-max-steps 20` and the other `--agentbench-*` options set
the fixtures' defaults, as they do for task items.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentbench_ts.models.base import ChatMessage, Completion
from agentbench_ts.protocol.actions import Final, ToolCall

GCD = "suite:tasks/quixbugs-ts::quixbugs-ts/gcd"


class ListThenGiveUp:
    """A policy of your own: any object with `name` and `complete(messages) -> Completion`."""

    name = "list-then-give-up"

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        if sum(m["role"] == "assistant" for m in messages) == 0:
            return Completion(ToolCall("list_files", {"rel_dir": "."}).to_json())
        return Completion(Final("give_up", "not my day").to_json())


def test_the_oracle_resolves_gcd(agentbench_episode):  # type: ignore[no-untyped-def]
    record = agentbench_episode(GCD, model="oracle")
    assert record.outcome == "resolved" and record.metrics.parse_errors == 0


def test_my_policy_speaks_the_protocol(agentbench_episode):  # type: ignore[no-untyped-def]
    record = agentbench_episode(GCD, model=ListThenGiveUp())
    assert [step.action["type"] for step in record.steps if step.action] == ["tool_call", "final"]
    assert record.outcome == "failed" and record.metrics.parse_errors == 0


def test_a_sandbox_of_the_task(agentbench_task, agentbench_sandbox):  # type: ignore[no-untyped-def]
    task = agentbench_task(GCD)
    sandbox = agentbench_sandbox(task)
    assert "src/gcd.ts" in sandbox.workspace.list_files(".", 200)
