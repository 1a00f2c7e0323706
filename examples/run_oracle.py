"""Research-code use of the library: run a model on tasks named by a spec string, and summarize.

python examples/run_oracle.py traces/example-oracle
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agentbench_ts.agent import AgentConfig
from agentbench_ts.report import format_summary, summarize
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.tasks import TaskSourceSpec

SUITE = Path(__file__).resolve().parents[1] / "tasks" / "quixbugs-ts"


def main(out_dir: Path) -> None:
    config = RunConfig(
        out_dir=out_dir,
        tasks=(TaskSourceSpec.parse(f"suite:{SUITE}?only=gcd,quicksort,sieve"),),
        model=ModelConfig(spec="oracle"),  # or openai:http://127.0.0.1:8000/v1#my-adapter
        sandbox=LocalSandboxConfig(path_env=os.environ["PATH"]),
        agent=AgentConfig(test_policy="end"),
    )
    result = run_tasks(config)  # run.json records `config` whole: `agentbench run --from` replays it
    for record in result.episodes():
        print(record.task_id, record.outcome, f"{record.metrics.steps} steps", f"{record.wall_s:.1f}s")
    print(format_summary(summarize(result.episodes())))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "traces/example-oracle"))
