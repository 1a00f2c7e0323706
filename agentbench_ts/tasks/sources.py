"""Task sources: a spec string (`suite:tasks/quixbugs-ts`, `mswe:instances.jsonl?languages=js,ts`,
`multiple:humaneval-ts.jsonl`, `package.module:factory:ARG`) -> the tasks it names.

A spec is `NAME[:ARGUMENT][?KEY=VALUE&...]`; NAME is found in the task-source registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, JsonValue

from agentbench_ts.errors import ConfigError
from agentbench_ts.registry import Registry, parse_query
from agentbench_ts.sandbox.config import LocalSandboxConfig, SandboxConfig
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport


@dataclass(frozen=True)
class LoadedTasks:
    tasks: list[Task]
    skipped: dict[str, str] = field(default_factory=dict)
    """Task id -> why it could not be prepared (an image that does not build, ...): counted as errors."""


class TaskSource(Protocol):
    def load(self) -> LoadedTasks: ...


class RecordedEpisode(Protocol):
    """What a source's results writer reads of a finished episode."""

    @property
    def task_id(self) -> str: ...
    @property
    def sample_index(self) -> int: ...
    @property
    def patch(self) -> str: ...
    @property
    def final_tests(self) -> TestReport | None: ...


@runtime_checkable
class ResultsWriter(Protocol):
    """A source whose benchmark has result files of its own (Multi-SWE-bench's final_report.json)."""

    def write_results(
        self, episodes: Sequence[RecordedEpisode], skipped: Mapping[str, str], out_dir: Path
    ) -> list[Path]: ...


@dataclass(frozen=True)
class SourceContext:
    """What sources may use besides their spec."""

    base_dir: Path
    """Relative paths in specs resolve against this folder."""
    cache_dir: Path
    """Where sources keep what they generate (repositories, installed toolchains)."""
    sandbox: SandboxConfig = field(default_factory=LocalSandboxConfig)
    """The run's sandbox, for sources that prepare images."""
    log: Callable[[str], None] = lambda _: None
    """Progress lines (toolchain installs, image builds)."""

    def path(self, text: str) -> Path:
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.base_dir / path


SourceFactory = Callable[[str, Mapping[str, JsonValue], SourceContext], TaskSource]
TASK_SOURCES: Registry[SourceFactory] = Registry(
    "task source",
    {
        "suite": "agentbench_ts.tasks.suite:suite_source",
        "mswe": "agentbench_ts.mswe.source:mswe_source",
        "multiple": "agentbench_ts.multiple.agent_tasks:multiple_source",
    },
)
"""Source name -> (argument, options, context -> the source)."""


class TaskSourceSpec(BaseModel):
    """One task source as recorded in a run config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    argument: str = ""
    options: dict[str, JsonValue] = {}

    @classmethod
    def parse(cls, text: str) -> TaskSourceSpec:
        body, _, query = text.partition("?")
        _, name, argument = TASK_SOURCES.resolve(body)
        return cls(name=name, argument=argument, options=parse_query(query))

    def __str__(self) -> str:
        text = f"{self.name}:{self.argument}" if self.argument else self.name
        pairs = [
            f"{key}={item}"
            for key, value in self.options.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        return f"{text}?{'&'.join(pairs)}" if pairs else text

    def open(self, context: SourceContext) -> TaskSource:
        return TASK_SOURCES.get(self.name)(self.argument, self.options, context)


@dataclass(frozen=True)
class OpenedSources:
    sources: list[tuple[TaskSourceSpec, TaskSource, LoadedTasks]]

    @property
    def tasks(self) -> list[Task]:
        return [task for _, _, loaded in self.sources for task in loaded.tasks]

    @property
    def skipped(self) -> dict[str, str]:
        return {key: why for _, _, loaded in self.sources for key, why in loaded.skipped.items()}


def _select(tasks: list[Task], only: Sequence[str]) -> list[Task]:
    if not only:
        return tasks
    wanted = set(only)
    chosen = [t for t in tasks if t.task_id in wanted or t.task_id.rsplit("/", 1)[-1] in wanted]
    found = {t.task_id for t in chosen} | {t.task_id.rsplit("/", 1)[-1] for t in chosen}
    if missing := sorted(wanted - found):
        raise ConfigError(f"no such task(s): {', '.join(missing)}")
    return chosen


def load_sources(
    specs: Sequence[TaskSourceSpec], context: SourceContext, only: Sequence[str] = ()
) -> OpenedSources:
    """Every source's tasks (task ids unique across sources), narrowed to `only` (ids or names)."""
    if not specs:
        raise ConfigError("no task source given (e.g. --tasks suite:tasks/quixbugs-ts)")
    opened = []
    seen: dict[str, TaskSourceSpec] = {}
    for spec in specs:
        source = spec.open(context)
        loaded = source.load()
        for task in loaded.tasks:
            if task.task_id in seen:
                raise ConfigError(f"task {task.task_id} comes from both {seen[task.task_id]} and {spec}")
            seen[task.task_id] = spec
        opened.append((spec, source, loaded))
    if only:
        chosen = {t.task_id for t in _select([t for _, _, lt in opened for t in lt.tasks], only)}
        opened = [
            (spec, source, LoadedTasks([t for t in loaded.tasks if t.task_id in chosen], loaded.skipped))
            for spec, source, loaded in opened
        ]
    return OpenedSources(opened)
