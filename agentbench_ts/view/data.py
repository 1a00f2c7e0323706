"""What the viewer shows, as plain JSON: a run's summary, one index row per episode, one episode whole."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.protocol.actions import canonical_json
from agentbench_ts.report import summarize, wilson
from agentbench_ts.traces.records import EpisodeRecord, RunInfo, StepRecord
from agentbench_ts.verdicts import TestReport

INDEX_TEXT_LIMIT = 200
"""Characters of a task id kept in the index rows (the episode page has it whole): bounds a row's size."""


@dataclass(frozen=True)
class RunRef:
    label: str
    path: Path


def discover_runs(paths: list[Path]) -> list[RunRef]:
    """Each path is a run directory (it has run.json) or a folder holding runs, such as an experiment's
    rounds: those are found below it (sorted by path) and labelled by their path inside it."""
    found: list[RunRef] = []
    for path in paths:
        if (path / "run.json").is_file():
            found.append(RunRef(path.name or str(path), path))
            continue
        inside = sorted(p.parent for p in path.glob("**/run.json"))  # none in a file or a missing path
        if not inside:
            raise TraceStoreError(f"{path} is not a run directory (no run.json) and holds none")
        found += [RunRef(str(run.relative_to(path)), run) for run in inside]
    return found


def run_summary(label: str, info: RunInfo, episodes: list[EpisodeRecord], attempts: int) -> dict[str, Any]:
    summary = summarize(episodes)
    low, high = wilson(summary.resolved, summary.graded)
    prompt = sum(r.metrics.prompt_tokens for r in episodes)
    completion = sum(r.metrics.completion_tokens for r in episodes)
    wall = sum(r.wall_s for r in episodes)
    return {
        "label": label,
        "run_id": info.run_id,
        "created_at": info.created_at,
        "model": info.model,
        "adapter": info.adapter,
        "sampling": info.sampling,
        "sandbox": info.sandbox,
        "suite": info.suite,
        "samples": info.samples,
        "harness_version": info.harness_version,
        "episodes": summary.episodes,
        "attempts": attempts,
        "graded": summary.graded,
        "resolved": summary.resolved,
        "harness_errors": summary.harness_errors,
        "resolved_rate": summary.resolved_rate,
        "ci95": [low, high],
        "outcomes": summary.outcomes,
        "stop_reasons": dict(Counter(r.stop_reason for r in episodes).most_common()),
        "parse_error_kinds": summary.parse_error_kinds,
        "steps": summary.steps,
        "parse_errors": summary.parse_errors,
        "valid_action_rate": summary.valid_action_rate,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "wall_s": wall,
    }


def index_row(number: int, record: EpisodeRecord) -> dict[str, Any]:
    """One table row: what the table sorts, filters and searches on, and nothing large."""
    return {
        "n": number,
        "task": record.task_id[:INDEX_TEXT_LIMIT],
        "sample": record.sample_index,
        "outcome": record.outcome,
        "stop": record.stop_reason,
        "steps": record.metrics.steps,
        "parse_errors": record.metrics.parse_errors,
        "kinds": sorted(record.metrics.parse_error_kinds),
        "tokens": record.metrics.prompt_tokens + record.metrics.completion_tokens,
        "wall_s": round(record.wall_s, 2),
        "attempt": record.attempt,
    }


def episode_detail(number: int, record: EpisodeRecord) -> dict[str, Any]:
    instructions = next((m["content"] for m in record.messages if m.get("role") == "user"), "")
    return {
        "n": number,
        "task": record.task_id,
        "sample": record.sample_index,
        "episode_id": record.episode_id,
        "suite": record.suite,
        "model": record.model,
        "attempt": record.attempt,
        "outcome": record.outcome,
        "stop": record.stop_reason,
        "error": record.error,
        "instructions": instructions,
        "steps": [_step(step) for step in record.steps],
        "final_tests": _tests(record.final_tests),
        "patch": record.patch,
        "wall_s": record.wall_s,
        "timings": record.timings,
        "started_at": record.started_at,
        "metrics": record.metrics.model_dump(),
    }


def _step(step: StepRecord) -> dict[str, Any]:
    tool = step.tool_result
    return {
        "index": step.index,
        "raw": step.raw_completion,
        "finish_reason": step.finish_reason,
        "action": canonical_json(step.action) if step.action is not None else None,
        "parse_error": step.parse_error.model_dump() if step.parse_error else None,
        "tool": (
            {"ok": tool.ok, "output": tool.output, "truncated": tool.truncated, "elapsed_s": tool.elapsed_s}
            if tool
            else None
        ),
        "tests": _tests(step.tests),
        "latency_s": step.latency_s,
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "retries": step.retries,
        "loop_detected": step.loop_detected,
    }


def _tests(report: TestReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "resolved": report.resolved,
        "exit_code": report.exit_code,
        "timed_out": report.timed_out,
        "summary": report.summary,
        "tests": dict(report.tests),
        "missing": report.missing,
        "elapsed_s": report.elapsed_s,
    }
