"""Lineage: a round's eval results <- the model as served <- its adapter <- the dataset it was trained on
<- the trace runs the dataset came from <- the models that produced them (and so on back to the base).
Every link is checked against the files on disk: a trace file whose sha256 is not the one the dataset
recorded, or an adapter whose weights are not the ones trained, is reported."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.extract.corpus import file_sha256
from agentbench_ts.rounds.experiment import POOLS, Experiment
from agentbench_ts.rounds.manifest import read_manifest
from agentbench_ts.traces.store import TraceStore


@dataclass
class Lineage:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + ("<- " if depth else "") + text)

    def check(self, depth: int, what: str, recorded: str | None, found: str | None) -> None:
        if recorded is None or found is None:
            return
        if recorded == found:
            self.add(depth + 1, f"{what}: sha256 {found[:12]} (as recorded)")
        else:
            problem = f"TAMPERED {what}: recorded sha256 {recorded[:12]}, found {found[:12]}"
            self.problems.append(problem)
            self.add(depth + 1, problem)


def _rate(details: object) -> str:
    if not isinstance(details, dict):
        return ""
    steps = details.get("steps") or 0
    return (
        f"resolved {details.get('resolved')}/{details.get('episodes')}, "
        f"valid actions {details.get('valid_action_rate', 0):.0%} of {steps} steps"
    )


def _traces(exp: Experiment, lineage: Lineage, depth: int, run_dir: Path, recorded_sha: str | None) -> None:
    info = TraceStore(run_dir).run_info()
    episodes = sum(1 for _ in TraceStore(run_dir).episodes()) if (run_dir / "episodes.jsonl").is_file() else 0
    lineage.add(depth, f"traces {run_dir} (run {info.run_id}, {episodes} episodes) by {info.model}")
    found = file_sha256(run_dir / "episodes.jsonl") if (run_dir / "episodes.jsonl").is_file() else None
    lineage.check(depth, "episodes.jsonl", recorded_sha, found)
    for r in range(exp.config.rounds + 1):  # a round's own run: its model, back to the base
        if run_dir.resolve() == exp.eval_dir(r, "train-pool").resolve():
            _model(exp, lineage, depth + 1, r)


def _dataset(exp: Experiment, lineage: Lineage, depth: int, r: int, recorded: dict[str, object]) -> None:
    folder = exp.dataset_dir(r)
    extraction = (
        json.loads((folder / "extraction.json").read_text()) if (folder / "extraction.json").is_file() else {}
    )
    per_split = extraction.get("per_split", {})
    lineage.add(
        depth, f"dataset {folder} ({recorded.get('rows')} {recorded.get('format')} rows; splits {per_split})"
    )
    arrow = recorded.get("arrow_sha256")
    if isinstance(arrow, str):
        from agentbench_ts.train.data import load_training_data  # noqa: PLC0415 (datasets loads here)

        current = load_training_data(folder, str(recorded.get("split", "train")), exp.config.extract.method)
        lineage.check(depth, "rows (Arrow)", arrow, str(current.fingerprint.get("arrow_sha256")))
    for source in extraction.get("inputs", []):
        _traces(exp, lineage, depth + 1, Path(source["run_dir"]), source.get("episodes_sha256"))


def _model(exp: Experiment, lineage: Lineage, depth: int, r: int) -> None:
    adapter = exp.adapter_dir(r)
    if adapter is None:
        lineage.add(depth, f"model: the base {exp.config.base}")
        return
    from agentbench_ts.train.adapter import read_info  # noqa: PLC0415

    info = read_info(adapter)
    lineage.add(depth, f"model: {exp.model_spec(r)} (round {r})")
    parent = info.parent_adapter["path"] if info.parent_adapter else "-"
    lineage.add(
        depth + 1, f"adapter {adapter}: {info.config.method}, {info.backend} backend, parent {parent}"
    )
    train = read_manifest(exp.round_dir(r), "train")
    lineage.check(
        depth + 1,
        "adapter weights",
        train.outputs.get("adapter") if train else None,
        file_sha256(adapter / "adapter_model.safetensors"),
    )
    _dataset(exp, lineage, depth + 2, r, info.dataset)


def lineage(exp: Experiment, round_index: int) -> Lineage:
    found = Lineage()
    manifest = read_manifest(exp.round_dir(round_index), "eval")
    if manifest is None:
        found.problems.append(f"round {round_index} has no finished eval")
        return found
    found.add(0, f"round {round_index} eval ({manifest.finished_at}) of {manifest.details.get('model')}")
    for pool in POOLS:
        found.add(1, f"{pool}: {_rate(manifest.details.get(pool))}")
    _model(exp, found, 1, round_index)
    return found
