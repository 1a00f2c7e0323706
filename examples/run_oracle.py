"""Research-code use of the library: run a model on the bundled suite and summarize.

python examples/run_oracle.py traces/example-oracle
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agentbench_ts.agent import AgentConfig
from agentbench_ts.models import model_factory
from agentbench_ts.report import format_summary, summarize
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import SandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks import load_suite

SUITE = Path(__file__).resolve().parents[1] / "tasks" / "quixbugs-ts"


def main(out_dir: Path) -> None:
    tasks = load_suite(SUITE, only=["gcd", "quicksort", "sieve"])
    config = RunConfig(
        out_dir=out_dir, suite=str(SUITE), model="oracle", agent=AgentConfig(test_policy="end")
    )
    sandboxes = sandbox_factory(SandboxConfig(path_env=os.environ["PATH"]))
    store = run_tasks(config, tasks, model_factory("oracle"), sandboxes)
    for record in store.episodes():
        print(record.task_id, record.outcome, f"{record.metrics.steps} steps", f"{record.wall_s:.1f}s")
    print(format_summary(summarize(store.episodes())))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "traces/example-oracle"))
