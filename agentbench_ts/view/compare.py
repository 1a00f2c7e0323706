"""Several runs side by side: a task x run outcome matrix with the tasks whose outcome changed marked,
and the differences in the resolved rates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from agentbench_ts.report import summarize, wilson
from agentbench_ts.traces.records import EpisodeRecord

Change = Literal["same", "gained", "lost", "mixed", "other"]
"""How a task's outcomes differ across the runs that have it: `gained`/`lost` where its resolved share
in a later run is above/below the first run's (and never the other way), `mixed` where both happen,
`other` where only the shares of unresolved outcomes changed (failed -> timeout, an error); `same`
otherwise (more samples with the same shares, 1 of 2 -> 2 of 4, are the same)."""


@dataclass(frozen=True)
class Cell:
    resolved: int
    episodes: int
    outcomes: dict[str, int]

    @property
    def share(self) -> float:
        return self.resolved / self.episodes if self.episodes else 0.0

    def outcome_shares(self) -> dict[str, float]:
        return {outcome: count / self.episodes for outcome, count in self.outcomes.items()}

    def to_json(self) -> dict[str, Any]:
        return {"resolved": self.resolved, "episodes": self.episodes, "outcomes": self.outcomes}


def cell(records: list[EpisodeRecord]) -> Cell:
    outcomes = Counter(r.outcome for r in records)
    return Cell(outcomes["resolved"], len(records), dict(sorted(outcomes.items())))


def change(cells: list[Cell | None]) -> Change:
    present = [c for c in cells if c is not None]
    if len(present) < 2:
        return "same"
    first = present[0]
    ups = any(c.share > first.share for c in present[1:])
    downs = any(c.share < first.share for c in present[1:])
    if ups and downs:
        return "mixed"
    if ups or downs:
        return "gained" if ups else "lost"
    return "other" if any(c.outcome_shares() != first.outcome_shares() for c in present[1:]) else "same"


def comparison(labels: list[str], runs: list[list[EpisodeRecord]]) -> dict[str, Any]:
    by_run = [_by_task(episodes) for episodes in runs]
    tasks = sorted({task for tasks in by_run for task in tasks})
    rows = []
    for task in tasks:
        cells = [cell(tasks[task]) if task in tasks else None for tasks in by_run]
        rows.append(
            {"task": task, "cells": [c.to_json() if c else None for c in cells], "change": change(cells)}
        )
    rates: list[dict[str, Any]] = []
    for label, episodes in zip(labels, runs, strict=True):
        summary = summarize(episodes)
        low, high = wilson(summary.resolved, summary.graded)
        rates.append(
            {
                "label": label,
                "resolved": summary.resolved,
                "graded": summary.graded,
                "rate": summary.resolved_rate,
                "ci95": [low, high],
            }
        )
    for rate in rates:
        rate["delta"] = float(rate["rate"]) - float(rates[0]["rate"])
    changed = Counter(row["change"] for row in rows)
    return {"labels": labels, "rows": rows, "rates": rates, "changes": dict(changed)}


def _by_task(episodes: list[EpisodeRecord]) -> dict[str, list[EpisodeRecord]]:
    grouped: dict[str, list[EpisodeRecord]] = {}
    for record in episodes:
        grouped.setdefault(record.task_id, []).append(record)
    return grouped
