"""The pytest plugin (entry point `pytest11`): tasks as items when asked (`--agentbench-tasks SPEC`, or
`--agentbench` with the tasks in the ini or pyproject.toml), and fixtures for research code always."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from agentbench_ts.errors import AgentbenchError
from agentbench_ts.pytest_plugin.items import (
    RUN_KEY,
    EpisodeFailedError,
    HarnessError,
    SkippedTaskItem,
    SourceNode,
    TaskItem,
)
from agentbench_ts.pytest_plugin.options import add_options, command, requested, resolve_options
from agentbench_ts.pytest_plugin.summary import RunReporter

pytest_plugins = ["agentbench_ts.pytest_plugin.fixtures"]
_MARKER = re.compile(r"^[A-Za-z_][\w.+-]*$")


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    options = resolve_options(config)
    if not requested(config, options):
        if config.getoption("agentbench"):
            raise pytest.UsageError(
                "--agentbench: no task sources in the ini or [tool.agentbench] (tasks = [...])"
            )
        return
    from agentbench_ts.pytest_plugin.state import TaskRun  # noqa: PLC0415 (loads the runner)

    try:
        run = TaskRun.open(options, tuple(command(config)), _log)
    except AgentbenchError as exc:
        raise pytest.UsageError(f"agentbench: {exc}") from exc
    config.stash[RUN_KEY] = run
    if _is_worker(config):
        from agentbench_ts.pytest_plugin.orphans import exit_when_orphaned  # noqa: PLC0415

        exit_when_orphaned(run.cancel, run.busy)
    else:
        config.pluginmanager.register(RunReporter(run), "agentbench-run-reporter")
    for name, what in _markers(run).items():
        config.addinivalue_line("markers", f"{name}: {what}")


def _markers(run: Any) -> dict[str, str]:
    """Markers of the items: the source's kind, the task's suite, the task's own tags."""
    found: dict[str, str] = {}
    for spec, tasks, _ in run.by_source:
        found[spec.name] = f"agentbench tasks from {spec.name}: sources"
        for task in tasks:
            found[task.suite] = "agentbench tasks of this suite"
            found.update({tag: "agentbench tasks with this tag" for tag in task.tags})
    return {name: what for name, what in found.items() if _MARKER.match(name)}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any worker starts: images built, gold fixes checked (by the controller, once)."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None and not _is_worker(session.config):
        try:
            run.prepare(_log)
        except AgentbenchError as exc:
            raise pytest.UsageError(f"agentbench: {exc}") from exc


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    flaky = run.gold.flaky()
    markers = _markers(run)
    for spec, tasks, skipped in run.by_source:
        node = SourceNode.from_parent(session, name=str(spec), nodeid=str(spec))
        for task in tasks:
            marks = [pytest.mark.xdist_group(name=task.task_id)]
            marks += [
                getattr(pytest.mark, name) for name in (spec.name, task.suite, *task.tags) if name in markers
            ]
            if task.task_id in flaky:
                marks.append(
                    pytest.mark.xfail(reason=flaky[task.task_id], strict=False, raises=EpisodeFailedError)
                )
            for sample in range(run.config.samples):
                item = TaskItem.from_parent(node, name=f"{task.task_id}[{sample}]", task=task, sample=sample)
                for mark in marks:
                    item.add_marker(mark)
                items.append(item)
        for task_id, reason in skipped.items():
            items.append(SkippedTaskItem.from_parent(node, name=f"{task_id}[not prepared]", reason=reason))
        # the terminal counts collected items from collect reports: the source's items are reported too
        mine: list[pytest.Item | pytest.Collector] = [item for item in items if item.parent is node]
        config.hook.pytest_collectreport(report=pytest.CollectReport(node.nodeid, "passed", None, mine))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A harness error reads as what broke, not as the plugin's traceback."""
    report = yield
    if (
        isinstance(item, (TaskItem, SkippedTaskItem))
        and call.excinfo
        and call.excinfo.errisinstance(HarnessError)
    ):
        report.longrepr = item.harness_report()
    return report
