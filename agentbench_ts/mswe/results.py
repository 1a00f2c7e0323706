"""A run's Multi-SWE-bench results in the official forms, from its trace records: per sample, the
predictions file the official harness evaluates and the `final_report.json` it would write (made from
the official Report each episode's grading stored, so nothing is run again)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.mswe.official import Judgement, final_report, prediction
from agentbench_ts.mswe.tasks import SUITE, task_id
from agentbench_ts.tasks.sources import RecordedEpisode


def _judgement(record: Any, episode: RecordedEpisode) -> Judgement | None:
    from multi_swe_bench.harness.report import Report  # noqa: PLC0415 (an optional extra)

    tests = episode.final_tests
    if tests is None or tests.harness_report is None:
        return None
    report = Report.from_json(json.dumps(tests.harness_report))
    return Judgement(record.id, report, tests.resolved, "" if tests.resolved else tests.summary)


def write_results(
    episodes: Iterable[RecordedEpisode],
    records: Sequence[Any],
    out_dir: Path,
    *,
    suite: str = SUITE,
    unprepared: Sequence[str] = (),
    substitutions: Mapping[str, str] | None = None,
) -> list[Path]:
    """predictions[-sample<k>].jsonl and final_report[-sample<k>].json for each sample k of the run
    (no suffix for sample 0). An episode without a graded patch is an error unless its patch is empty;
    `unprepared` instances (no episode: their image or gold failed) are errors of sample 0.
    `substitutions` (instance id -> the base stand-in its image was built on) go into the metadata."""
    metadata = {"base_substitutions": dict(substitutions)} if substitutions else None
    by_task = {task_id(record, suite): record for record in records}
    samples: dict[int, list[tuple[Any, RecordedEpisode]]] = {0: []} if unprepared else {}
    for episode in episodes:
        if episode.task_id in by_task:
            samples.setdefault(episode.sample_index, []).append((by_task[episode.task_id], episode))
    written = []
    for sample, pairs in sorted(samples.items()):
        suffix = f"-sample{sample}" if sample else ""
        judgements, empty, errors = [], [], [] if sample else list(unprepared)
        lines = []
        for record, episode in sorted(pairs, key=lambda pair: str(pair[0].id)):
            lines.append(prediction(record, episode.patch))
            judgement = _judgement(record, episode)
            if judgement is not None:
                judgements.append(judgement)
            elif not episode.patch.strip():
                empty.append(record.id)
            else:
                errors.append(record.id)
        predictions = out_dir / f"predictions{suffix}.jsonl"
        predictions.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        report = out_dir / f"final_report{suffix}.json"
        report.write_text(final_report(judgements, empty, errors, metadata) + "\n", encoding="utf-8")
        written += [predictions, report]
    return written
