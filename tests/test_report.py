"""Run metrics: episodes the harness broke are counted, but outside the resolved rate."""

from __future__ import annotations

import os
from pathlib import Path

from mixed_traces import record_mixed_runs

from agentbench_ts.extract import load_runs
from agentbench_ts.report import format_summary, summarize
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory


def test_harness_errors_stay_out_of_the_resolved_rate(tmp_path: Path) -> None:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    strict, _ = record_mixed_runs(tmp_path, make_sandbox)
    episodes = sorted(
        load_runs([strict]).episodes, key=lambda e: e.sample_index
    )  # resolved, failed, resolved, budget
    broken = episodes[3].model_copy(update={"outcome": "error", "stop_reason": "harness_error"})
    summary = summarize([*episodes[:3], broken])
    assert (summary.episodes, summary.graded, summary.harness_errors) == (4, 3, 1)
    assert summary.resolved_rate == 2 / 3
    text = format_summary(summary)
    assert "resolved         2/3 (66.7%)" in text and "harness errors   1 (not in the resolved rate)" in text
    assert "harness errors" not in format_summary(summarize(episodes))
