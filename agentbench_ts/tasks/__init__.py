"""Tasks: the Task record, suite loading, grading and validation."""

from agentbench_ts.tasks.grading import TestReport, judge, run_tests
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.tap import TestStatus, parse_tap
from agentbench_ts.tasks.task import Task

__all__ = ["Task", "TestReport", "TestStatus", "judge", "load_suite", "parse_tap", "run_tests"]
