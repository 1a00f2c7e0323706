"""What every process of a pytest run shares: the run config, the tasks, the one trace store, and (built
on first use) the model and sandbox factories. The controller prepares the run before any worker starts
(run.json, toolchains, images, gold checks); workers open the same run and find it prepared."""

from __future__ import annotations

import argparse
import threading
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.registry import model_factory
from agentbench_ts.pytest_plugin.gold import GoldChecks, Log
from agentbench_ts.runner.config import RunConfig
from agentbench_ts.runner.flags import run_config, task_specs
from agentbench_ts.runner.run import new_run_info
from agentbench_ts.sandbox.registry import SandboxFactory, prepare_sandboxes, sandbox_factory
from agentbench_ts.tasks.graders import graders_for
from agentbench_ts.tasks.grading import Grader
from agentbench_ts.tasks.sources import TaskSourceSpec, load_sources
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord, RunInfo
from agentbench_ts.traces.store import TraceStore


@dataclass
class TaskRun:
    config: RunConfig
    by_source: list[tuple[TaskSourceSpec, list[Task], dict[str, str]]]
    """Per task source: its tasks, and those it could not prepare (task id -> why)."""
    store: TraceStore
    info: RunInfo
    graders: dict[str, Grader]
    rerun_failed: bool
    gold: GoldChecks
    cancel: threading.Event = field(default_factory=threading.Event)
    """Set when the episode in flight must stop (a worker whose controller is gone)."""
    busy: threading.Event = field(default_factory=threading.Event)
    """Set while an episode runs."""
    _factories: tuple[ModelFactory, SandboxFactory] | None = None
    _recorded: dict[tuple[str, int], list[EpisodeRecord]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, options: argparse.Namespace, command: tuple[str, ...], log: Log) -> TaskRun:
        """Load the tasks and open (or create) the run directory; nothing is run."""
        config = run_config(options, command[1:], task_specs(options))
        config = config.model_copy(update={"command": command})
        opened = load_sources(config.tasks, config.source_context(log), config.only)
        tasks = opened.tasks
        graders = graders_for(tasks, config.graders)
        config = config.model_copy(
            update={"graders": {name: config.graders.get(name, {}) for name in graders}}
        )
        store = TraceStore(config.out_dir)
        info = store.open(new_run_info(config, tasks, opened.skipped))
        by_source = [(spec, loaded.tasks, loaded.skipped) for spec, _, loaded in opened.sources]
        gold = GoldChecks(config.out_dir, options.gold_reruns)
        return cls(config, by_source, store, info, graders, options.rerun_failed, gold)

    @property
    def tasks(self) -> list[Task]:
        return [task for _, tasks, _ in self.by_source for task in tasks]

    def prepare(self, log: Log) -> None:
        """Controller only, before items run: images built once, gold fixes checked once."""
        prepare_sandboxes(self.config.sandbox, [task.sandbox_spec() for task in self.tasks], log)
        if self.gold.times:
            _, make_sandbox = self.factories()
            self.gold.check(self.tasks, make_sandbox, self.graders, log)

    def factories(self) -> tuple[ModelFactory, SandboxFactory]:
        with self._lock:
            if self._factories is None:
                model = model_factory(self.config.model.spec, self.config.model.options)
                self._factories = (model, sandbox_factory(self.config.sandbox))
            return self._factories

    def attempts(self, task_id: str, sample: int) -> list[EpisodeRecord]:
        """The episodes of item (task, sample) recorded before this session, oldest first: sample, then
        its reruns (sample + samples, + 2 * samples, ...). Messages and steps are left out (the store
        has them); the store is read once per process."""
        with self._lock:
            if self._recorded is None:
                self._recorded = {}
                for e in self.store.episodes():
                    light = e.model_copy(update={"messages": [], "steps": []})
                    key = (e.task_id, e.sample_index % self.config.samples)
                    self._recorded.setdefault(key, []).append(light)
            return sorted(self._recorded.get((task_id, sample), []), key=lambda e: e.sample_index)

    def run_dir(self) -> Path:
        return self.config.out_dir
