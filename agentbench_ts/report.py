"""Metrics over a run's episodes, and their table."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from agentbench_ts.traces.records import EpisodeRecord


@dataclass(frozen=True)
class RunSummary:
    episodes: int
    resolved: int
    parse_errors: int
    steps: int
    loop_detections: int
    outcomes: dict[str, int] = field(default_factory=dict)
    parse_error_kinds: dict[str, int] = field(default_factory=dict)
    harness_errors: int = 0
    """Episodes the harness broke (outcome "error"): no verdict on the model, so outside the rate."""
    tokens: int = 0

    @property
    def graded(self) -> int:
        """Episodes with a verdict on the model: the resolved rate's denominator."""
        return self.episodes - self.harness_errors

    @property
    def resolved_rate(self) -> float:
        return self.resolved / self.graded if self.graded else 0.0

    @property
    def mean_steps(self) -> float:
        return self.steps / self.episodes if self.episodes else 0.0

    @property
    def valid_action_rate(self) -> float:
        return (self.steps - self.parse_errors) / self.steps if self.steps else 0.0


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if trials == 0:
        return 0.0, 0.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def summarize(records: Iterable[EpisodeRecord]) -> RunSummary:
    episodes = list(records)
    kinds: Counter[str] = Counter()
    for record in episodes:
        kinds.update(record.metrics.parse_error_kinds)
    return RunSummary(
        episodes=len(episodes),
        resolved=sum(r.outcome == "resolved" for r in episodes),
        parse_errors=sum(r.metrics.parse_errors for r in episodes),
        steps=sum(r.metrics.steps for r in episodes),
        loop_detections=sum(r.metrics.loop_detections for r in episodes),
        outcomes=dict(Counter(r.outcome for r in episodes)),
        parse_error_kinds=dict(kinds.most_common()),
        harness_errors=sum(r.outcome == "error" for r in episodes),
        tokens=sum(r.metrics.prompt_tokens + r.metrics.completion_tokens for r in episodes),
    )


def format_summary(summary: RunSummary) -> str:
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "-"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.parse_error_kinds.items())) or "-"
    rows = [
        ("episodes", str(summary.episodes)),
        ("resolved", f"{summary.resolved}/{summary.graded} ({summary.resolved_rate:.1%})"),
        ("parse errors", f"{summary.parse_errors} ({kinds})"),
        ("mean steps", f"{summary.mean_steps:.2f}"),
        ("loop detections", str(summary.loop_detections)),
        ("outcomes", outcomes),
    ]
    if summary.harness_errors:
        rows.insert(2, ("harness errors", f"{summary.harness_errors} (not in the resolved rate)"))
    width = max(len(name) for name, _ in rows)
    rule = "-" * (width + 2 + max(len(value) for _, value in rows))
    return "\n".join([rule, *(f"{name:<{width}}  {value}" for name, value in rows), rule])


def format_episodes(records: Iterable[EpisodeRecord]) -> str:
    lines = [f"{'task':<36} {'sample':>6} {'outcome':<9} {'stop':<16} {'steps':>5}"]
    for r in records:
        stop = r.stop_reason
        lines.append(f"{r.task_id:<36} {r.sample_index:>6} {r.outcome:<9} {stop:<16} {r.metrics.steps:>5}")
    return "\n".join(lines)
