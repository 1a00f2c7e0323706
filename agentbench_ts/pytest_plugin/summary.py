"""The end of a pytest run: `agentbench report`'s summary over the episodes this session's items
stand for, what ran and what came from the store, harness errors apart, flaky tasks."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from agentbench_ts.report import format_summary, summarize

if TYPE_CHECKING:
    from agentbench_ts.pytest_plugin.state import TaskRun


class RunReporter:
    """Registered on the controller: reads every item's report (workers' too) and prints the summary."""

    def __init__(self, run: TaskRun) -> None:
        self.run = run
        self.items: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            properties = dict(report.user_properties)
            if "agentbench_outcome" in properties:
                self.items[report.nodeid] = properties

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.items:
            return
        write = terminalreporter.write_line
        terminalreporter.section("agentbench")
        ids = {p.get("agentbench_episode_id") for p in self.items.values()}
        episodes = [e for e in self.run.store.episodes() if e.episode_id in ids]
        write(format_summary(summarize(episodes)))
        from_store = sum(bool(p.get("agentbench_from_store")) for p in self.items.values())
        not_prepared = sum(p.get("agentbench_episode_id") is None for p in self.items.values())
        ran = len(self.items) - from_store - not_prepared
        write(f"items: {len(self.items)}: {ran} ran now, {from_store} from the store (recorded earlier)")
        if from_store:
            write(
                "  a recorded pair is not run again; --agentbench-rerun-failed runs failures and harness "
                "errors again as new samples, a new --agentbench-out starts afresh"
            )
        errors = Counter(
            str(p.get("agentbench_stop_reason"))
            for p in self.items.values()
            if p["agentbench_outcome"] == "error"
        )
        if errors:
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))
            write(
                f"harness errors: {sum(errors.values())} ({kinds}): pytest errors, not failures; not in the "
                "resolved rate, not in training data"
            )
        for task_id, reason in sorted(self.run.gold.flaky().items()):
            write(f"flaky task {task_id}: {reason} (its items are xfail)")
        for task_id, reason in sorted(self.run.gold.broken().items()):
            write(f"gold check {task_id}: {reason}")
        write(f"traces: {self.run.store.episodes_path.resolve()}")
