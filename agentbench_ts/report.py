"""Metrics over a run's episodes, and their table."""

from __future__ import annotations

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

    @property
    def resolved_rate(self) -> float:
        return self.resolved / self.episodes if self.episodes else 0.0

    @property
    def mean_steps(self) -> float:
        return self.steps / self.episodes if self.episodes else 0.0


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
        parse_error_kinds=dict(kinds),
    )


def format_summary(summary: RunSummary) -> str:
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "-"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.parse_error_kinds.items())) or "-"
    rows = [
        ("episodes", str(summary.episodes)),
        ("resolved", f"{summary.resolved}/{summary.episodes} ({summary.resolved_rate:.1%})"),
        ("parse errors", f"{summary.parse_errors} ({kinds})"),
        ("mean steps", f"{summary.mean_steps:.2f}"),
        ("loop detections", str(summary.loop_detections)),
        ("outcomes", outcomes),
    ]
    width = max(len(name) for name, _ in rows)
    rule = "-" * (width + 2 + max(len(value) for _, value in rows))
    return "\n".join([rule, *(f"{name:<{width}}  {value}" for name, value in rows), rule])


def format_episodes(records: Iterable[EpisodeRecord]) -> str:
    lines = [f"{'task':<36} {'sample':>6} {'outcome':<9} {'stop':<16} {'steps':>5}"]
    for r in records:
        stop = r.stop_reason
        lines.append(f"{r.task_id:<36} {r.sample_index:>6} {r.outcome:<9} {stop:<16} {r.metrics.steps:>5}")
    return "\n".join(lines)
