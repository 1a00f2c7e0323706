"""Graders by name: a task names its grader, a run builds each named grader once with its options."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pydantic import BaseModel, ConfigDict, JsonValue

from agentbench_ts.errors import ConfigError
from agentbench_ts.registry import Registry, parse_options
from agentbench_ts.tasks.grading import Grader, run_tests
from agentbench_ts.tasks.task import Task

GraderOptions = Mapping[str, JsonValue]
GRADERS: Registry[Callable[[GraderOptions], Grader]] = Registry(
    "grader",
    {
        "tap": "agentbench_ts.tasks.graders:tap_grader",
        "mswe": "agentbench_ts.mswe.grader:mswe_grader",
    },
)
"""Grader name -> (its options -> the grader)."""


class _NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def tap_grader(options: GraderOptions) -> Grader:
    """Runs the task's test_command and reads TAP (node --test, grade.js, ...)."""
    parse_options(_NoOptions, options, "grader 'tap'")
    return run_tests


def graders_for(tasks: Iterable[Task], options: Mapping[str, GraderOptions]) -> dict[str, Grader]:
    """The grader of every task, each built once; an unknown grader is an error before anything runs."""
    names = sorted({task.grader for task in tasks})
    unused = sorted(set(options) - set(names))
    if unused:
        raise ConfigError(
            f"options given for grader(s) no task uses: {', '.join(unused)} (the tasks use: {', '.join(names)})"
        )
    return {name: GRADERS.get(name)(options.get(name, {})) for name in names}
