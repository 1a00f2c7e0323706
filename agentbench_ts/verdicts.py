"""The one verdict vocabulary: a test's status, and the report of one graded test run."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class TestStatus(StrEnum):
    __test__ = False  # not a pytest class

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class TestReport(BaseModel):
    """The verdict of one test run."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest class

    resolved: bool
    exit_code: int | None
    timed_out: bool
    tests: dict[str, TestStatus]
    missing: list[str]
    summary: str
    elapsed_s: float
    output_tail: str
    harness_report: dict[str, Any] | None = None
    """The grader's own report where it has one (mswe: the official harness Report)."""
