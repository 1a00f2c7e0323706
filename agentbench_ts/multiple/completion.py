"""Completion mode, as MultiPL-E runs it: prompt -> completion cut at the stop tokens -> program =
prompt + completion + newline + tests -> verdict; results in MultiPL-E's `.results.json` form."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.multiple.problems import MultiPLERecord
from agentbench_ts.multiple.verdict import Verdict

_RESULT_FIELDS = {"name", "language", "prompt", "tests", "stop_tokens"}
Evaluate = Callable[[Sequence[str]], list[Verdict]]


def cut_at_stop_tokens(completion: str, stop_tokens: Sequence[str]) -> str:
    ends = [i for i in (completion.find(token) for token in stop_tokens) if i != -1]
    return completion[: min(ends)] if ends else completion


def program_of(record: MultiPLERecord, completion: str) -> str:
    return record.prompt + completion + "\n" + record.tests


def evaluate_completions(
    records: Sequence[MultiPLERecord], completions: Mapping[str, Sequence[str]], evaluate: Evaluate
) -> dict[str, dict[str, Any]]:
    """Problem name -> its results record. Completions are cut at the stop tokens first; every
    program of every problem goes to `evaluate` in one batch."""
    programs: list[tuple[MultiPLERecord, str]] = [
        (record, program_of(record, cut_at_stop_tokens(text, record.stop_tokens)))
        for record in records
        for text in completions.get(record.name, [])
    ]
    verdicts = evaluate([program for _, program in programs])
    results: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.name in completions:
            results[record.name] = {**record.model_dump(include=_RESULT_FIELDS), "results": []}
    for (record, program), verdict in zip(programs, verdicts, strict=True):
        results[record.name]["results"].append(verdict.to_result(program))
    return results


def write_results(results: Mapping[str, Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """One `<name>.results.json` per problem, the files MultiPL-E's pass_k.py reads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, record in results.items():
        path = out_dir / f"{name}.results.json"
        path.write_text(json.dumps(record, indent=2), encoding="utf-8")  # as MultiPL-E writes it
        written.append(path)
    return written


def statuses_of(results: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    return {name: [r["status"] for r in record["results"]] for name, record in results.items()}
