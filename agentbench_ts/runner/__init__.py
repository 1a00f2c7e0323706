"""Running tasks through the agent loop into trace stores; the run config; regrading recorded runs."""

from agentbench_ts.runner.config import ModelConfig, RunConfig
from agentbench_ts.runner.regrade import recorded_config, regrade_run
from agentbench_ts.runner.run import RunResult, run_tasks

__all__ = ["ModelConfig", "RunConfig", "RunResult", "recorded_config", "regrade_run", "run_tasks"]
