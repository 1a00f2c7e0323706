"""Writing an extraction: the DatasetDict (save_to_disk), optional parquet/jsonl files, the card."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from datasets import DatasetDict

from agentbench_ts.errors import ExtractError
from agentbench_ts.extract.card import dataset_card
from agentbench_ts.extract.report import ExtractionReport

EXPORT_FORMATS = ("parquet", "jsonl")
DATASET_DIR = "dataset"
REPORT_FILE = "extraction.json"


def write_extraction(
    data: DatasetDict,
    report: ExtractionReport,
    out_dir: Path,
    *,
    exports: Sequence[str] = (),
    command: Sequence[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """out_dir/dataset (load with datasets.load_from_disk), out_dir/<split>.<format>, README.md."""
    if unknown := set(exports) - set(EXPORT_FORMATS):
        raise ExtractError(f"unknown export format(s) {sorted(unknown)}; choose from {EXPORT_FORMATS}")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise ExtractError(f"{out_dir} is not empty; pass --overwrite to replace it")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # One shard at least: datasets writes an empty split as zero shards and cannot load it back.
    data.save_to_disk(
        str(out_dir / DATASET_DIR), num_shards={name: 1 for name in data if not data[name].num_rows}
    )
    for name, split in data.items():
        if "parquet" in exports:
            split.to_parquet(str(out_dir / f"{name}.parquet"))
        if "jsonl" in exports:
            split.to_json(str(out_dir / f"{name}.jsonl"), lines=True, force_ascii=False)
    summary = {**report.summary(), "command": list(command or [])}
    (out_dir / REPORT_FILE).write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(dataset_card(report, command), encoding="utf-8")
    return out_dir
