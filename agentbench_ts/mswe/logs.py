"""Per-test verdicts from the console output of common JavaScript test runners, for registering
repositories the way Multi-SWE-bench does (an Instance's `parse_log`). Names join suites and test
with " > "; a test both passed and failed (retries, duplicate names) counts as failed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agentbench_ts.verdicts import TestStatus


@dataclass
class Verdicts:
    passed: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)

    def add(self, status: TestStatus, name: str) -> None:
        {TestStatus.PASS: self.passed, TestStatus.FAIL: self.failed, TestStatus.SKIP: self.skipped}[
            status
        ].add(name)

    def settled(self) -> Verdicts:
        return Verdicts(self.passed - self.failed, set(self.failed), self.skipped - self.failed - self.passed)


Marker = Callable[[str], tuple[TestStatus, str] | None]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(log: str) -> str:
    """The log without terminal colours (runners force them under CI=true, and real logs keep them)."""
    return _ANSI.sub("", log)


_DURATION = r"(?:\s+\(\d+(?:\.\d+)?\s?m?s\))?"


def _tree(
    lines: list[str],
    marker: Marker,
    stop: Callable[[str], bool],
    restart: Callable[[str], bool],
    suite: Callable[[str], str | None] = lambda text: text,
) -> Verdicts:
    """Walk an indented tree of suites and tests; `marker` recognises a test line's status and name,
    `suite` a suite line's name (None: a line that is neither, e.g. error details)."""
    verdicts, suites, active = Verdicts(), list[tuple[int, str]](), True
    for line in lines:
        if restart(line):
            suites, active = [], True
            continue
        if not active or not line.strip():
            continue
        if stop(line):
            active = False
            continue
        indent = len(line) - len(line.lstrip())
        suites = [(i, s) for i, s in suites if i < indent]
        found = marker(line.strip())
        if found is None:
            if (name := suite(line.strip())) is not None:
                suites.append((indent, name))
        else:
            verdicts.add(found[0], " > ".join([*(s for _, s in suites), found[1]]))
    return verdicts.settled()


def _jest_marker(text: str) -> tuple[TestStatus, str] | None:
    for status, pattern in (
        (TestStatus.PASS, "✓"),
        (TestStatus.FAIL, "✕"),
        (TestStatus.SKIP, "○ skipped"),
        (TestStatus.SKIP, "○ todo"),
    ):
        if text.startswith(pattern + " "):
            return status, re.sub(_DURATION + "$", "", text[len(pattern) + 1 :]).strip()
    return None


def jest_verbose(log: str) -> Verdicts:
    """`jest --verbose`: a tree per test file under its PASS/FAIL header; details start at '●'."""
    return _tree(
        plain(log).splitlines(),
        _jest_marker,
        stop=lambda line: line.lstrip().startswith("●") or line.startswith(("Test Suites:", "Tests:")),
        restart=lambda line: re.match(r"^\s*(PASS|FAIL)\s+\S", line) is not None,
    )


def _mocha_marker(text: str) -> tuple[TestStatus, str] | None:
    if text.startswith(("✔ ", "✓ ")):
        return TestStatus.PASS, re.sub(_DURATION + "$", "", text[2:]).strip()
    if match := re.match(r"^\d+\) (.+)$", text):
        return TestStatus.FAIL, match[1].strip()
    if text.startswith("- "):
        return TestStatus.SKIP, text[2:].strip()
    return None


def mocha_spec(log: str) -> Verdicts:
    """`mocha --reporter spec`: one tree, ending at the 'N passing' summary."""
    return _tree(
        plain(log).splitlines(),
        _mocha_marker,
        stop=lambda line: re.match(r"^\s+\d+ (passing|failing|pending)", line) is not None,
        restart=lambda line: False,
    )


def vitest_verbose(log: str) -> Verdicts:
    """`vitest run --reporter=verbose`: one line per test, 'file > suite > test', before the failures."""
    verdicts = Verdicts()
    for line in plain(log).splitlines():
        if line.lstrip().startswith("⎯"):
            break
        match = re.match(r"^\s*(✓|\u00d7|↓)\s+\S+ > (.+?)" + _DURATION + r"\s*$", line)
        if match:
            verdicts.add(
                {"✓": TestStatus.PASS, "\u00d7": TestStatus.FAIL, "↓": TestStatus.SKIP}[match[1]],
                match[2].strip(),
            )
    return verdicts.settled()


def node_spec(log: str) -> Verdicts:
    """`node --test --test-reporter=spec`: ✔/✖/﹣ lines (nested tests indented under their suite)."""

    def marker(text: str) -> tuple[TestStatus, str] | None:
        match = re.match(r"^(✔|✖|﹣) (.+?)" + _DURATION + r"(?:\s+# SKIP)?$", text)
        if not match:
            return None
        return {"✔": TestStatus.PASS, "✖": TestStatus.FAIL, "﹣": TestStatus.SKIP}[match[1]], match[2]

    def suite(text: str) -> str | None:
        return re.sub(_DURATION + "$", "", text[2:]).strip() if text.startswith("▶ ") else None

    lines, opened = [], set[tuple[int, str]]()
    for line in plain(log).splitlines():  # a suite opens with "▶ name" and closes with "✔|✖ name (time)"
        indent, text = len(line) - len(line.lstrip()), line.strip()
        if (name := suite(text)) is not None:
            opened.add((indent, name))
        elif (found := marker(text)) is not None and (indent, found[1]) in opened:
            continue
        lines.append(line)
    return _tree(
        lines,
        marker,
        stop=lambda line: line.startswith(("\u2139 tests", "✖ failing tests")),
        restart=lambda line: False,
        suite=suite,
    )


def as_test_result(verdicts: Verdicts) -> object:
    """The package's TestResult, for an Instance's `parse_log`."""
    from multi_swe_bench.harness.test_result import TestResult  # noqa: PLC0415 (an optional extra)

    return TestResult(
        passed_count=len(verdicts.passed),
        failed_count=len(verdicts.failed),
        skipped_count=len(verdicts.skipped),
        passed_tests=verdicts.passed,
        failed_tests=verdicts.failed,
        skipped_tests=verdicts.skipped,
    )
