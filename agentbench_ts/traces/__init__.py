"""Traces: versioned records and the append-only store of a run directory."""

from agentbench_ts.traces.records import EpisodeRecord, RunInfo, StepRecord
from agentbench_ts.traces.store import TraceStore

__all__ = ["EpisodeRecord", "RunInfo", "StepRecord", "TraceStore"]
