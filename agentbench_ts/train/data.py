"""The rows a training run reads: one split of an extraction, its format, and where it came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentbench_ts.errors import ExtractError, TrainError
from agentbench_ts.train.config import Method

RowFormat = Literal["prompt-completion", "messages", "preference"]
_FORMATS: dict[frozenset[str], RowFormat] = {
    frozenset({"prompt", "completion"}): "prompt-completion",
    frozenset({"messages"}): "messages",
    frozenset({"prompt", "chosen", "rejected"}): "preference",
}
_METHOD_OF: dict[RowFormat, Method] = {"prompt-completion": "sft", "messages": "sft", "preference": "dpo"}


@dataclass(frozen=True)
class TrainingData:
    rows: Any
    """A `datasets.Dataset`."""
    format: RowFormat
    fingerprint: dict[str, Any] = field(default_factory=dict)
    """Where the rows came from: extraction inputs (trace files and their sha256), split, counts."""
    chat_template_sha256: str | None = None
    """The template the extraction measured lengths with, if it did."""


def _row_format(columns: list[str], where: str) -> RowFormat:
    for needed, name in _FORMATS.items():
        if needed <= set(columns):
            return name
    raise TrainError(
        f"{where} has columns {sorted(columns)}: expected prompt+completion or messages (SFT), "
        "or prompt+chosen+rejected (DPO) in TRL's conversational form"
    )


def _arrow_sha256(rows: Any) -> str:
    digest = hashlib.sha256()
    for cache in sorted(rows.cache_files, key=lambda c: str(c["filename"])):
        with Path(cache["filename"]).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def load_training_data(dataset: Path, split: str, method: Method) -> TrainingData:
    """The split's rows; refused when the split is missing or empty or its rows do not suit `method`."""
    from agentbench_ts.extract.export import REPORT_FILE  # noqa: PLC0415 (datasets is an optional extra)
    from agentbench_ts.extract.leakage import load_extraction  # noqa: PLC0415

    try:
        data = load_extraction(dataset)
    except ExtractError as exc:
        raise TrainError(str(exc)) from exc
    if split not in data:
        raise TrainError(f"{dataset} has no split {split!r}; its splits: {', '.join(data) or 'none'}")
    rows = data[split]
    if rows.num_rows == 0:
        raise TrainError(f"the {split!r} split of {dataset} is empty: nothing to train on")
    row_format = _row_format(rows.column_names, f"the {split!r} split of {dataset}")
    if _METHOD_OF[row_format] != method:
        raise TrainError(
            f"{dataset} holds {row_format} rows, which are for {_METHOD_OF[row_format]}, not {method}"
        )
    report_path = dataset / REPORT_FILE
    report: dict[str, Any] = json.loads(report_path.read_text()) if report_path.is_file() else {}
    fingerprint = {
        "path": str(dataset.resolve()),
        "split": split,
        "rows": rows.num_rows,
        "format": row_format,
        "arrow_sha256": _arrow_sha256(rows),
        "kind": report.get("kind"),
        "inputs": report.get("inputs", []),
        "extraction_per_split": report.get("per_split"),
    }
    template = (report.get("options") or {}).get("chat_template_sha256")
    return TrainingData(rows, row_format, fingerprint, template)


def row_lengths(data: TrainingData, tokenizer: Any) -> list[int]:
    """Tokens of each row's whole conversation under the tokenizer's chat template (a preference row
    counts its prompt with its longer answer), counted before any trainer could cut a row."""
    from agentbench_ts.extract.tokens import TokenLengths  # noqa: PLC0415

    lengths = TokenLengths(tokenizer).lengths(conversations(data, data.rows.num_rows))
    if data.format != "preference":
        return lengths
    return [max(lengths[i], lengths[i + 1]) for i in range(0, len(lengths), 2)]


def conversations(data: TrainingData, limit: int) -> list[list[dict[str, str]]]:
    """Whole conversations of the first `limit` rows, as the model would be trained on them."""
    out: list[list[dict[str, str]]] = []
    for row in data.rows.select(range(min(limit, data.rows.num_rows))):
        if data.format == "messages":
            out.append(list(row["messages"]))
        elif data.format == "prompt-completion":
            out.append([*row["prompt"], *row["completion"]])
        else:
            out += [[*row["prompt"], *row["chosen"]], [*row["prompt"], *row["rejected"]]]
    return out
