"""The run config: one pydantic tree that is the whole recipe of a run, recorded in run.json."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.sandbox.config import LocalSandboxConfig, SandboxConfig
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec
from agentbench_ts.traces.records import EpisodeRecord


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "agentbench-cache"


class ModelConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: str = "oracle"
    """oracle, replay:FILE, openai:URL#MODEL, hf:PATH[+ADAPTER], or package.module:factory[:ARG]."""
    options: ModelOptions = ModelOptions()


RetryKind = Literal["harness_error", "model_error", "failed", "timeout", "budget"]


class RetryPolicy(BaseModel):
    """Which episodes run again (in the run, and when it is resumed), how often and how soon. Every
    attempt stays in the trace; the last one counts. Model failures are retried only when named."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: tuple[RetryKind, ...] = ("harness_error", "model_error")
    """Stop reasons (harness_error: the sandbox or harness broke; model_error: the server failed past
    its own retries) or outcomes (failed, timeout, budget) that are retried."""
    attempts: int = Field(default=3, ge=1)
    """Attempts per (task, sample) in all, the first included."""
    backoff_s: float = Field(default=5.0, ge=0)
    """Wait before the second attempt; doubled for each further one."""

    def retries(self, record: EpisodeRecord) -> bool:
        return record.stop_reason in self.on or record.outcome in self.on

    def delay_s(self, attempt: int) -> float:
        return 0.0 if attempt == 0 else self.backoff_s * 2 ** (attempt - 1)


class RunConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    out_dir: Path
    tasks: tuple[TaskSourceSpec, ...] = ()
    """Task sources; empty only when a caller passes the tasks themselves (then not replayable)."""
    only: tuple[str, ...] = ()
    """Keep only these tasks (ids, or names: the last part of an id)."""
    model: ModelConfig = ModelConfig()
    sandbox: SandboxConfig = LocalSandboxConfig()
    agent: AgentConfig = AgentConfig()
    graders: dict[str, dict[str, JsonValue]] = {}
    """Grader name -> its options; the run records every grader its tasks use."""
    samples: int = Field(default=1, ge=1)
    seed: int = 0
    concurrency: int = Field(default=1, ge=1)
    base_dir: Path = Field(default_factory=Path.cwd)
    """Relative paths in task specs resolve against this folder."""
    cache_dir: Path = Field(default_factory=default_cache_dir)
    """Generated repositories and installed toolchains."""
    command: tuple[str, ...] = ()
    retry: RetryPolicy = RetryPolicy()
    new_task_version: bool = False
    """Resume into a run whose tasks changed: record their new digests and run them anew (else the
    resume is refused, naming the tasks)."""

    @property
    def label(self) -> str:
        """The run's tasks in one line."""
        return ", ".join(str(spec) for spec in self.tasks) or "(tasks given in code)"

    def source_context(self, log: Callable[[str], None] = lambda _: None) -> SourceContext:
        return SourceContext(self.base_dir, self.cache_dir, self.sandbox, log)
