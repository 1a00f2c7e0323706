"""Per-test verdicts from real `node --test` TAP output, and the resolution rule."""

from __future__ import annotations

from collections.abc import Callable

from agentbench_ts.sandbox import LocalSandbox
from agentbench_ts.tasks import TestStatus, judge, parse_tap, run_tests
from agentbench_ts.tasks.task import Task


def test_verdicts_from_a_real_node_test_run(
    js_task: Task, local_sandboxes: Callable[[Task], LocalSandbox]
) -> None:
    with local_sandboxes(js_task) as sandbox:
        report = run_tests(js_task, sandbox)
    assert report.tests == {
        "adds small numbers": TestStatus.FAIL,
        "adding zero keeps the number": TestStatus.PASS,
    }
    assert not report.resolved
    assert report.summary == "1 passed, 1 failed; failing: adds small numbers"


def test_a_build_failure_is_unresolved_with_the_error_in_the_summary(
    js_task: Task, local_sandboxes: Callable[[Task], LocalSandbox]
) -> None:
    with local_sandboxes(js_task) as sandbox:
        sandbox.workspace.write_file("src/add.js", "exports.add = (a, b) => {\n")
        report = run_tests(js_task, sandbox)
    assert not report.resolved
    assert report.missing == ["adds small numbers", "adding zero keeps the number"]
    assert "SyntaxError" in report.output_tail


def test_nested_subtests_and_directives() -> None:
    tap = """TAP version 13
# Subtest: group
    # Subtest: inner
    ok 1 - inner
    # Subtest: later
    not ok 2 - later
    1..2
not ok 1 - group
# Subtest: skipped one
ok 2 - skipped one # SKIP not today
1..2
"""
    assert parse_tap(tap) == {
        "group > inner": TestStatus.PASS,
        "group > later": TestStatus.FAIL,
        "group": TestStatus.FAIL,
        "skipped one": TestStatus.SKIP,
    }


def test_resolution_needs_every_listed_test_to_run_and_pass(js_task: Task) -> None:
    both = {"adds small numbers": TestStatus.PASS, "adding zero keeps the number": TestStatus.PASS}
    assert judge(js_task, both) == (True, [])
    assert judge(js_task, {"adds small numbers": TestStatus.PASS}) == (
        False,
        ["adding zero keeps the number"],
    )
    skipped = {**both, "adds small numbers": TestStatus.SKIP}
    assert judge(js_task, skipped) == (False, [])
