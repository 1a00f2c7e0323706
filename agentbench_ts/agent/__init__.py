"""The agent loop with budgets, loop detection and a test policy."""

from agentbench_ts.agent.config import AgentConfig, TestPolicy
from agentbench_ts.agent.loop import EpisodeResult, initial_messages, run_episode

__all__ = ["AgentConfig", "EpisodeResult", "TestPolicy", "initial_messages", "run_episode"]
