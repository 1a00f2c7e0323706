"""The dataset card: what went in, what came out, and what was dropped on the way."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

from agentbench_ts.extract.dpo_pairs import DPO_DROP_REASONS
from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.sft_rows import SFT_DROP_REASONS


def length_histogram(lengths: Sequence[int]) -> list[tuple[str, int]]:
    """Counts in power-of-two bins: [0, 256), [256, 512), ..."""
    if not lengths:
        return []
    bins: list[tuple[str, int]] = []
    low, high = 0, 256
    while low <= max(lengths):
        bins.append((f"{low}-{high - 1}", sum(low <= n < high for n in lengths)))
        low, high = high, high * 2
    return bins


def _table(header: tuple[str, str], rows: Sequence[tuple[str, object]]) -> list[str]:
    return [f"| {header[0]} | {header[1]} |", "|---|---:|", *(f"| {a} | {b} |" for a, b in rows)]


def dataset_card(report: ExtractionReport, command: Sequence[str] | None) -> str:
    reasons = SFT_DROP_REASONS if report.kind == "sft" else DPO_DROP_REASONS
    unit = "rows" if report.kind == "sft" else "pairs"
    lines = [
        f"# agentbench_ts {report.kind.upper()} dataset",
        "",
        f"{report.kept} {unit} from {report.candidates} recorded steps of {len(report.inputs)} run(s).",
        "Splits are by task (a salted hash of task_id), never by step.",
        "",
        "## Splits",
        *_table(("split", unit), list(report.per_split.items())),
        "",
        "## Dropped (each under the first filter that applies, in this order)",
        *_table(("filter", "dropped"), [(r, report.dropped.get(r, 0)) for r in reasons]),
    ]
    if report.kind == "dpo":
        lines += ["", "## Pairs per source", *_table(("source", "pairs"), sorted(report.per_source.items()))]
    lines += ["", "## Token lengths"]
    if report.token_method is None:
        lines.append("No tokenizer was given, so rows were not measured.")
    else:
        lines.append(f"Longest conversation of each kept {unit[:-1]}, counted with `{report.token_method}`.")
        lines += _table(("tokens", unit), length_histogram(report.token_lengths))
    lines += [
        "",
        "## Inputs",
        *_table(
            ("run (episodes, sha256 of episodes.jsonl)", "model"),
            [
                (f"`{i.run_dir}` {i.run_id} ({i.episodes}, `{i.episodes_sha256}`)", i.model)
                for i in report.inputs
            ],
        ),
        "",
        "## Options",
        "```json",
        json.dumps(report.options, indent=2, sort_keys=True),
        "```",
    ]
    if command:
        lines += ["", "## Command", "```", shlex.join(command), "```"]
    return "\n".join(lines) + "\n"
