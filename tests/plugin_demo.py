"""A task source, a grader, a model and a sandbox backend defined outside the package: found by dotted path
(`plugin_demo:demo_source`), or by entry point once packaged (tests/test_registry.py installs a copy).

The source makes `copies` one-bug JavaScript tasks (tests under `node --test`) in the run's cache;
its tasks are graded by `grader` (default: the demo grader below, by dotted path). The demo grader
runs the TAP tests and resolves only when at least `min_passed` tests pass, and says it judged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, JsonValue

from agentbench_ts.errors import SandboxError
from agentbench_ts.models.base import EpisodeSubject, ModelFactory
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.models.scripted import ReplayModel, oracle_actions
from agentbench_ts.protocol.actions import Final
from agentbench_ts.registry import parse_options
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import PluginSandboxConfig
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks.grading import Grader, run_tests
from agentbench_ts.tasks.sources import LoadedTasks, SourceContext
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport, TestStatus

FILES = {
    "src/add.js": "exports.add = (a, b) => a - b;\n",
    "test/add.test.js": (
        'const { test } = require("node:test");\nconst assert = require("node:assert/strict");\n'
        'const { add } = require("../src/add.js");\n'
        'test("adds", () => { assert.equal(add(2, 3), 5); });\n'
        'test("adds zero", () => { assert.equal(add(4, 0), 4); });\n'
    ),
}
FIX = {"src/add.js": "exports.add = (a, b) => a + b;\n"}


class DemoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    copies: int = 1
    grader: str = "plugin_demo:demo_grader"


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return root


class DemoSource:
    def __init__(self, name: str, options: DemoOptions, context: SourceContext) -> None:
        self.name, self.options, self.context = name, options, context

    def load(self) -> LoadedTasks:
        tasks = []
        for index in range(self.options.copies):
            root = self.context.cache_dir / "demo" / f"{self.name}-{index}"
            tasks.append(
                Task(
                    task_id=f"demo/{self.name}-{index}",
                    suite="demo",
                    instructions=f"add(a, b) in src/add.js should return a + b (copy {index}). Fix it.",
                    repo_dir=_write(root / "repo", FILES),
                    gold_dir=_write(root / "gold", FIX),
                    test_command="node --test --test-reporter=tap test/",
                    test_timeout_s=30,
                    fail_to_pass=("adds",),
                    pass_to_pass=("adds zero",),
                    grader=self.options.grader,
                )
            )
        return LoadedTasks(tasks)


def demo_source(argument: str, options: Mapping[str, JsonValue], context: SourceContext) -> DemoSource:
    return DemoSource(argument or "add", parse_options(DemoOptions, options, "task source 'demo'"), context)


class DemoGraderOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_passed: int = 2


def demo_grader(options: Mapping[str, JsonValue]) -> Grader:
    wanted = parse_options(DemoGraderOptions, options, "grader 'demo'").min_passed

    def grade(task: Task, sandbox: Sandbox) -> TestReport:
        report = run_tests(task, sandbox)
        passed = sum(status is TestStatus.PASS for status in report.tests.values())
        return report.model_copy(
            update={"resolved": passed >= wanted, "summary": f"demo grader: {passed}/{wanted} passed"}
        )

    return grade


def demo_model(argument: str, options: ModelOptions) -> ModelFactory:
    """A model from outside: the oracle, under its own name."""
    return lambda task: ReplayModel(
        [a.to_json() for a in oracle_actions(task)], name=f"demo-model:{argument}"
    )


def demo_sandboxes(config: PluginSandboxConfig) -> Callable[[SandboxSpec], Sandbox]:
    """A sandbox backend from outside: local sandboxes whose PATH is the `path` option."""
    path = str(config.options.get("path", "/usr/local/bin:/usr/bin:/bin"))
    return lambda spec: LocalSandbox(spec.repo_dir, spec.toolchain_dir, path_env=path)


def checkpoint_model(argument: str, options: ModelOptions) -> ModelFactory:
    """A stand-in for serving a training checkpoint, for checkpoint-selection tests: it plays the
    oracle when the checkpoint folder (the argument) is `step-2`, and gives up otherwise, so task
    results favour an early checkpoint whatever the losses say."""
    name = Path(argument).name
    give_up = [Final("give_up", "not this checkpoint").to_json()]

    def build(task: EpisodeSubject) -> ReplayModel:
        replies = [a.to_json() for a in oracle_actions(task)] if name == "step-2" else give_up
        return ReplayModel(replies, name=f"checkpoint:{name}")

    return build


def broken_sandboxes(config: PluginSandboxConfig) -> Callable[[SandboxSpec], Sandbox]:
    """A sandbox backend whose every start fails, as a dead Docker daemon's would."""

    def start(spec: SandboxSpec) -> Sandbox:
        raise SandboxError(f"the demo backend cannot start a sandbox for {spec.name}")

    return start
