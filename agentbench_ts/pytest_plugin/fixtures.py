"""Fixtures for research code in your own test files (the plugin's options give their defaults):

    def test_my_policy(agentbench_episode):
        record = agentbench_episode("suite:tasks/quixbugs-ts::quixbugs-ts/gcd", model=MyPolicy())
        assert record.metrics.parse_errors == 0

- `agentbench_task(TEXT)`: a task by `SPEC::TASK_ID` (or a spec that holds exactly one task);
- `agentbench_sandbox(task)`: a ready sandbox of it (`--agentbench-sandbox`), closed after the test;
- `agentbench_model(SPEC, task)`: a model by spec (`--agentbench-temperature` etc. apply);
- `agentbench_episode(task, model=None)`: one episode (task: a Task or its text; model: a Model object
  or a spec, default `--agentbench-model` or the oracle), recorded in a trace store under the test's
  tmp_path, and its record returned.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentbench_ts.errors import ConfigError
from agentbench_ts.models.base import Model, ModelFactory
from agentbench_ts.models.registry import model_factory
from agentbench_ts.pytest_plugin.options import resolve_options
from agentbench_ts.runner.config import ModelConfig, RunConfig, default_cache_dir
from agentbench_ts.runner.flags import agent_config, grader_options, model_options, sandbox_config
from agentbench_ts.runner.run import new_run_info, run_one
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.sandbox.registry import SandboxFactory, sandbox_factory
from agentbench_ts.tasks.graders import graders_for
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec, load_sources
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore

TaskByText = Callable[[str], Task]


@pytest.fixture(scope="session")
def agentbench_options(pytestconfig: pytest.Config) -> argparse.Namespace:
    """The plugin's options (command line, ini, [tool.agentbench]), named as `agentbench run` names them."""
    return resolve_options(pytestconfig)


@pytest.fixture(scope="session")
def agentbench_task(pytestconfig: pytest.Config, agentbench_options: argparse.Namespace) -> TaskByText:
    context = SourceContext(
        pytestconfig.invocation_params.dir, default_cache_dir(), sandbox_config(agentbench_options)
    )
    loaded: dict[str, Task] = {}

    def load(text: str) -> Task:
        if text not in loaded:
            spec, _, task_id = text.rpartition("::") if "::" in text else (text, "", "")
            tasks = load_sources([TaskSourceSpec.parse(spec)], context, (task_id,) if task_id else ()).tasks
            if len(tasks) != 1:
                raise ConfigError(f"{text!r} names {len(tasks)} tasks; name one: SPEC::TASK_ID")
            loaded[text] = tasks[0]
        return loaded[text]

    return load


@pytest.fixture
def agentbench_sandbox(agentbench_options: argparse.Namespace) -> Iterator[Callable[[Task], Sandbox]]:
    opened: list[Sandbox] = []
    factories: list[SandboxFactory] = []

    def build(task: Task) -> Sandbox:
        if not factories:
            factories.append(sandbox_factory(sandbox_config(agentbench_options)))
        opened.append(factories[0](task.sandbox_spec()))
        return opened[-1]

    yield build
    for sandbox in opened:
        sandbox.close()


@pytest.fixture(scope="session")
def agentbench_model(agentbench_options: argparse.Namespace) -> Callable[[str, Task], Model]:
    def build(spec: str, task: Task) -> Model:
        return model_factory(spec, model_options(agentbench_options))(task)

    return build


@pytest.fixture
def agentbench_episode(
    agentbench_task: TaskByText, agentbench_options: argparse.Namespace, tmp_path: Path
) -> Callable[..., EpisodeRecord]:
    options = agentbench_options
    count = iter(range(1_000_000))

    def episode(task: Task | str, model: Model | str | None = None) -> EpisodeRecord:
        task = agentbench_task(task) if isinstance(task, str) else task
        make_model: ModelFactory
        if model is None or isinstance(model, str):
            spec = model or options.model or "oracle"
            make_model = model_factory(spec, model_options(options))
        else:
            spec, given = model.name, model
            make_model = lambda _: given  # noqa: E731
        config = RunConfig(
            out_dir=tmp_path / f"agentbench-episode-{next(count)}",
            model=ModelConfig(spec=spec, options=model_options(options)),
            sandbox=sandbox_config(options),
            agent=agent_config(options),
        )
        store = TraceStore(config.out_dir)
        info = store.open(new_run_info(config, [task]))
        grader = graders_for([task], grader_options(options.grader_option))[task.grader]
        record = run_one(
            info,
            task,
            0,
            make_model=make_model,
            make_sandbox=sandbox_factory(config.sandbox),
            grader=grader,
            agent=config.agent,
        )
        store.append(record)
        return record

    return episode
