"""Regenerating the training data: every round's training-pool traces (and the teachers') extracted again
with the current extractor into EXP/datasets/NNN, with a card of what changed since the last one."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from agentbench_ts.rounds.experiment import Experiment
from agentbench_ts.rounds.manifest import read_manifest
from agentbench_ts.rounds.stages import StageError, extract_rows

Counts = dict[str, dict[str, int]]
COUNTS_FILE = "counts.json"


def count_rows(target: Path) -> Counts:
    """Rows per split, rows dropped per filter, and rows (or pairs) per source: the model that produced
    the traces, the task source, and for DPO the pair source."""
    from datasets import load_from_disk  # noqa: PLC0415 (datasets loads here)

    extraction = json.loads((target / "extraction.json").read_text(encoding="utf-8"))
    sources: Counter[str] = Counter()
    for split in load_from_disk(str(target / "dataset")).values():
        for column in ("model", "suite"):
            if column in split.column_names:
                sources.update(f"{column} {value}" for value in split[column])
    sources.update({f"pairs {k}": v for k, v in extraction.get("per_source", {}).items()})
    return {
        "split": dict(extraction.get("per_split", {})),
        "filter": {k: v for k, v in extraction.get("dropped", {}).items() if v},
        "source": dict(sources),
    }


def changes(before: Counts | None, after: Counts) -> list[str]:
    """Lines saying how counts per split, filter (rows dropped) and source moved."""
    if before is None:
        return ["first regeneration: nothing to compare with"]
    lines = []
    for kind in ("split", "filter", "source"):
        old_counts, new_counts = before.get(kind, {}), after.get(kind, {})
        for name in sorted(set(old_counts) | set(new_counts)):
            old, new = old_counts.get(name, 0), new_counts.get(name, 0)
            if old != new:
                lines.append(f"{kind} {name}: {old} -> {new} ({new - old:+d})")
    return lines or ["no count changed"]


def card(counts: Counts, lines: list[str]) -> str:
    text = "# Since the last regeneration\n\n" + "".join(f"- {line}\n" for line in lines)
    for kind, title in (
        ("split", "Rows per split"),
        ("filter", "Rows dropped per filter"),
        ("source", "Per source"),
    ):
        text += f"\n## {title}\n\n" + "".join(f"- {k}: {v}\n" for k, v in sorted(counts[kind].items()))
    return text


def regenerate(exp: Experiment) -> tuple[Path, list[str]]:
    """A new EXP/datasets/NNN from all finished rounds' traces; the lines of its CHANGES.md."""
    finished = [r for r in range(exp.config.rounds + 1) if read_manifest(exp.round_dir(r), "eval")]
    if not finished:
        raise StageError("no round has finished its eval yet: there are no traces to extract")
    folder = exp.root / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    done = sorted(p for p in folder.iterdir() if p.name.isdigit() and (p / COUNTS_FILE).is_file())
    target = folder / f"{len(done) + 1:03d}"
    shutil.rmtree(target, ignore_errors=True)  # a regeneration killed before its card was written
    extract_rows(exp, exp.learned_runs(max(finished) + 1), target)  # the extract stage's own code
    counts = count_rows(target)
    before = json.loads((done[-1] / COUNTS_FILE).read_text(encoding="utf-8")) if done else None
    lines = changes(before, counts)
    (target / "CHANGES.md").write_text(card(counts, lines), encoding="utf-8")
    (target / COUNTS_FILE).write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    return target, lines
