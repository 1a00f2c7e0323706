"""Versioned trace records: one EpisodeRecord per finished episode, one RunInfo per run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentbench_ts.verdicts import TestReport

TRACE_SCHEMA_VERSION = 1
"""Of episode records."""
RUN_SCHEMA_VERSION = 2
"""Of run.json: 2 records the whole run config (v1 files, without it, still load)."""
RESUME_IGNORES = frozenset({"out_dir", "concurrency", "command", "base_dir", "retry", "new_task_version"})
"""Config fields a resumed run may change."""

Outcome = Literal["resolved", "failed", "error", "timeout", "budget"]
StopReason = Literal[
    "final_done",
    "final_give_up",
    "max_steps",
    "wall_time",
    "loop",
    "protocol_errors",
    "model_error",
    "harness_error",
    "cancelled",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParseErrorRecord(_Record):
    kind: str
    detail: str


class ToolResultRecord(_Record):
    ok: bool
    output: str
    truncated: bool
    elapsed_s: float


class StepRecord(_Record):
    index: int
    raw_completion: str
    finish_reason: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    retries: int = 0
    action: dict[str, Any] | None = Field(default=None, description="the parsed action, if any")
    parse_error: ParseErrorRecord | None = None
    tool_result: ToolResultRecord | None = None
    tests: TestReport | None = None
    observation: str | None = Field(default=None, description="the user message sent back")
    loop_detected: bool = False
    prompt_token_ids: list[int] | None = Field(default=None, description="as the server tokenized the prompt")
    completion_token_ids: list[int] | None = None
    completion_logprobs: list[float] | None = None


class EpisodeMetrics(_Record):
    steps: int
    parse_errors: int
    parse_error_kinds: dict[str, int]
    loop_detections: int
    tool_calls: dict[str, int]
    tool_errors: int
    test_runs: int
    prompt_tokens: int
    completion_tokens: int
    model_retries: int = 0


class EpisodeRecord(_Record):
    schema_version: int = TRACE_SCHEMA_VERSION
    run_id: str
    episode_id: str
    task_id: str
    suite: str
    split: str | None
    sample_index: int
    model: str
    messages: list[dict[str, str]] = Field(description="the exact conversation, last reply included")
    steps: list[StepRecord]
    outcome: Outcome
    stop_reason: StopReason
    error: str | None = None
    final_tests: TestReport | None = None
    patch: str = ""
    metrics: EpisodeMetrics
    started_at: str
    wall_s: float
    harness_version: str
    attempt: int = Field(default=0, description="0 first; a retried (task, sample) has one record per attempt")
    task_digest: str | None = Field(default=None, description="the task's content digest when it ran")
    timings: dict[str, float] = Field(
        default_factory=dict, description="seconds per phase: sandbox (setup), agent (the loop), grading"
    )

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id, self.sample_index)


class RegradedFrom(_Record):
    run_dir: str
    run_id: str


class RunInfo(_Record):
    schema_version: int = RUN_SCHEMA_VERSION
    run_id: str
    created_at: str
    model: str
    adapter: str | None = None
    sampling: dict[str, Any] = {}
    suite: str
    task_ids: list[str]
    samples: int
    sandbox: str
    agent: dict[str, Any]
    seed: int
    harness_version: str
    git_sha: str | None
    command: list[str]
    config: dict[str, Any] | None = Field(
        default=None, description="the whole run config: enough to re-create the run (None before v2)"
    )
    skipped: dict[str, str] = Field(default={}, description="task id -> why it could not be prepared")
    regraded_from: RegradedFrom | None = None
    task_digests: dict[str, str] = Field(
        default={}, description="task id -> its content digest (a resume refuses a changed task)"
    )

    def compatibility_key(self) -> dict[str, Any]:
        """What must match for a run directory to be resumed."""
        key = self.model_dump(include={"model", "adapter", "sampling", "samples", "agent", "seed"})
        if self.config is None:
            return {**key, "suite": self.suite}
        config = {k: v for k, v in self.config.items() if k not in RESUME_IGNORES}
        return {**key, "config": config}
