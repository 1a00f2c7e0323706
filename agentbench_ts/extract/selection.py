"""Which tasks an extraction may use, and where each one goes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.errors import ExtractError
from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.splits import SplitSpec
from agentbench_ts.extract.states import StepState, episode_states
from agentbench_ts.traces.records import EpisodeRecord

_SPLIT_NAME = re.compile(r"^\w+$")


@dataclass(frozen=True)
class TaskSelection:
    """Task ids to leave out, by id or by the split their suite gives them, and the split rule."""

    splits: SplitSpec = field(default_factory=SplitSpec)
    excluded_ids: frozenset[str] = frozenset()
    excluded_suite_splits: frozenset[str] = frozenset()

    def excludes(self, episode: EpisodeRecord) -> bool:
        return episode.task_id in self.excluded_ids or episode.split in self.excluded_suite_splits

    @classmethod
    def build(cls, splits: SplitSpec, exclude: list[str]) -> TaskSelection:
        """Each `exclude` entry is a file of task ids (one per line, # comments) or a suite split name."""
        ids: set[str] = set()
        suite_splits: set[str] = set()
        for entry in exclude:
            if _SPLIT_NAME.match(entry) and not Path(entry).exists():
                suite_splits.add(entry)
            else:
                ids |= read_task_ids(Path(entry))
        return cls(splits, frozenset(ids), frozenset(suite_splits))


def read_task_ids(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ExtractError(f"cannot read the task list {path}: {exc}") from exc
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def selected_states(
    episodes: Iterable[EpisodeRecord], selection: TaskSelection, report: ExtractionReport
) -> Iterator[list[StepState]]:
    """The states of each episode the selection keeps; every step is counted, excluded ones as such.
    An episode the harness broke (outcome "error": a sandbox, an image, an unreachable model server)
    says nothing about the model and never reaches training data."""
    for episode in episodes:
        states = episode_states(episode)
        report.candidates += len(states)
        if episode.outcome == "error":
            report.dropped["harness_error"] += len(states)
        elif selection.excludes(episode):
            report.dropped["excluded_task"] += len(states)
        else:
            yield states
