"""Instances from real pull requests, made as Multi-SWE-bench made its dataset: the change between the
base and the merged commit is split into fix_patch (source) and test_patch (tests); the instance's
run, test-run and fix-run scripts run in its image; the spec's own `parse_log` turns their logs into
a Report, and the Report into a dataset record. An instance with no fail-to-pass test proves nothing
and is refused with what the runs saw."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.config import HarnessConfig
from agentbench_ts.mswe.runs import MadeRecord, record_from_runs
from agentbench_ts.plumbing.git import git

TEST_GLOBS = (
    "test/*",
    "tests/*",
    "spec/*",
    "specs/*",
    "__tests__/*",
    "*/test/*",
    "*/tests/*",
    "*/__tests__/*",
    "*.test.*",
    "*.spec.*",
    "*_test.*",
)
"""Where tests live unless told: a path matching any of these goes into test_patch."""


@dataclass(frozen=True)
class PullRequestSource:
    repo: Path
    """A clone or bare mirror holding both commits."""
    org: str
    name: str
    number: int
    base: str
    merged: str
    title: str = ""
    body: str = ""
    test_globs: Sequence[str] = field(default_factory=lambda: TEST_GLOBS)


def is_test_path(path: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in globs)


def split_change(source: PullRequestSource) -> tuple[str, str]:
    """(fix_patch, test_patch) of base..merged: test files apart from the rest."""

    def run(*argv: str) -> str:
        return git(source.repo, *argv, error=TaskDataError, what=f"reading {source.org}/{source.name}")

    base = run("rev-parse", "--verify", f"{source.base}^{{commit}}").strip()
    merged = run("rev-parse", "--verify", f"{source.merged}^{{commit}}").strip()
    changed = [line for line in run("diff", "--name-only", "--no-renames", base, merged).splitlines() if line]
    tests = [path for path in changed if is_test_path(path, source.test_globs)]
    code = [path for path in changed if path not in tests]
    if not code:
        raise TaskDataError(
            f"{source.merged} changes only test files: there is no fix to make an instance of"
        )
    if not tests:
        raise TaskDataError(
            f"{source.merged} changes no test file (by {', '.join(source.test_globs)}): give --test-glob"
        )
    fix = run("diff", "--no-renames", "--binary", base, merged, "--", *code)
    test = run("diff", "--no-renames", "--binary", base, merged, "--", *tests)
    return fix, test


def pull_request(source: PullRequestSource) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest  # noqa: PLC0415 (an optional extra)

    fix, test = split_change(source)
    sha = git(source.repo, "rev-parse", f"{source.base}^{{commit}}", error=TaskDataError).strip()
    title = (
        source.title
        or git(source.repo, "log", "-1", "--format=%s", source.merged, error=TaskDataError).strip()
    )
    body = (
        source.body
        or git(source.repo, "log", "-1", "--format=%b", source.merged, error=TaskDataError).strip()
    )
    return PullRequest(
        org=source.org,
        repo=source.name,
        number=source.number,
        state="closed",
        title=title,
        body=body,
        base=Base(label=f"{source.org}:base", ref="base", sha=sha),
        resolved_issues=[],
        fix_patch=fix,
        test_patch=test,
    )


def _stage_summary(made: MadeRecord) -> str:
    record = made.record
    parts = []
    for stage in ("run_result", "test_patch_result", "fix_patch_result"):
        result = getattr(record, stage)
        parts.append(f"{stage}: {result.passed_count} passed, {result.failed_count} failed")
    return "; ".join(parts)


def make_instance(client: Any, source: PullRequestSource, config: HarnessConfig, runs: int = 1) -> MadeRecord:
    """The dataset record of the pull request; refused when no test goes from failing to passing."""
    import multi_swe_bench.harness.repos  # noqa: F401, PLC0415 (registers every official Instance)
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415

    if f"{source.org}/{source.name}" not in Instance._registry:
        raise TaskDataError(
            f"no Multi-SWE-bench spec is registered for {source.org}/{source.name}: register an Instance"
            " subclass with multi_swe_bench.harness.instance.Instance.register (as the package's repos do)"
        )
    made = record_from_runs(client, pull_request(source), config, runs=runs)
    if not made.record.f2p_tests:
        flaky = f"; flaky: {made.flaky}" if made.flaky else ""
        raise TaskDataError(
            f"{source.org}/{source.name}#{source.number} has no fail-to-pass test, so it is no instance"
            f" ({_stage_summary(made)}{flaky}). Common causes: the image's Node is too old for the"
            " repository, the install step failed, or the test files were not recognised (--test-glob)"
        )
    return made
