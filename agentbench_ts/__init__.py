"""agentbench_ts: run, record and post-train small open models as TypeScript repo agents."""

__version__ = "0.1.0"
