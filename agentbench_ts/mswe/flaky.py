"""Tests whose verdict differs between repeated runs of one script: flaky, and left out of what an
instance's record claims (reported, not hidden). A timing test that passes on a fast machine and
fails on a slow one is the usual case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def verdicts(result: Any) -> dict[str, str]:
    """test name -> passed, failed or skipped, from a TestResult (whose sets are disjoint: the package
    refuses a name in two)."""
    found = {name: "passed" for name in result.passed_tests}
    found.update({name: "failed" for name in result.failed_tests})
    found.update({name: "skipped" for name in result.skipped_tests})
    return found


def varying(results: Sequence[Any]) -> set[str]:
    """Tests whose verdict (absent counts as one) is not the same in every result."""
    seen = [verdicts(result) for result in results]
    names: set[str] = set().union(*seen)
    return {name for name in names if len({run.get(name, "absent") for run in seen}) > 1}


def without(result: Any, names: Iterable[str]) -> Any:
    """The TestResult with `names` left out."""
    from multi_swe_bench.harness.instance import TestResult  # noqa: PLC0415 (an optional extra)

    drop = set(names)
    passed, failed = set(result.passed_tests) - drop, set(result.failed_tests) - drop
    skipped = set(result.skipped_tests) - drop
    return TestResult(len(passed), len(failed), len(skipped), passed, failed, skipped)
