"""Tasks: the Task record, task sources, graders and validation."""

from agentbench_ts.tasks.grading import Grader, grade_patch, judge, run_tests
from agentbench_ts.tasks.graders import GRADERS, graders_for
from agentbench_ts.tasks.sources import TASK_SOURCES, LoadedTasks, SourceContext, TaskSource, TaskSourceSpec
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.tap import parse_tap
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport, TestStatus

__all__ = [
    "GRADERS",
    "TASK_SOURCES",
    "Grader",
    "LoadedTasks",
    "SourceContext",
    "Task",
    "TaskSource",
    "TaskSourceSpec",
    "TestReport",
    "TestStatus",
    "grade_patch",
    "graders_for",
    "judge",
    "load_suite",
    "parse_tap",
    "run_tests",
]
