"""Extraction throughput on a synthetic corpus of traces.

    python benchmarks/extract.py --steps 100000

Writes a run directory of synthetic episodes (tasks x rollouts that share a prefix and then diverge,
with parse errors, refused calls and repeats mixed in), then times, each from the files on disk:
SFT and DPO extraction without and with the token length guard. The tokenizer is a byte-level BPE
trained here on the corpus (it says nothing about any real model). Baselines measured in the same run:
reading and validating the traces alone, and the length guard counting every row the plain way
(tokenizer over the whole rendered row; measured on a sample of rows).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentbench_ts.extract import ExtractOptions, LengthGuard, extract_dpo, extract_sft, load_runs
from agentbench_ts.extract.selection import TaskSelection
from agentbench_ts.extract.sft_rows import sft_conversation
from agentbench_ts.extract.splits import SplitSpec
from agentbench_ts.extract.states import episode_states
from agentbench_ts.extract.tokens import TokenLengths
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.protocol.parser import parse_action
from agentbench_ts.protocol.prompt import system_prompt
from agentbench_ts.protocol.render import render_protocol_error, render_tool_error, render_tool_result
from agentbench_ts.traces.records import EpisodeMetrics, EpisodeRecord, ParseErrorRecord, RunInfo, StepRecord
from agentbench_ts.traces.store import TraceStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny_models import build_tokenizer

WORDS = [
    "export",
    "const",
    "function",
    "return",
    "number",
    "string",
    "if",
    "else",
    "for",
    "while",
    "let",
    "type",
    "interface",
]
WORDS += [
    "import",
    "from",
    "await",
    "async",
    "new",
    "this",
    "class",
    "extends",
    "implements",
    "readonly",
    "private",
]


def code(rng: random.Random, chars: int) -> str:
    lines, size = [], 0
    while size < chars:
        line = "  ".join(rng.choice(WORDS) + f"_{rng.randint(0, 99)}" for _ in range(rng.randint(3, 9))) + ";"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def observation(task: int, action: ToolCall) -> str:
    """Deterministic per (task, action), so rollouts that act alike see alike."""
    rng = random.Random(f"{task}:{action.to_json()}")
    if action.name == "read_file":
        return render_tool_result(code(rng, rng.randint(300, 2500)))
    if action.name == "list_files":
        return render_tool_result("\n".join(f"src/m{rng.randint(0, 99)}.ts" for _ in range(25)))
    if action.name == "grep":
        return render_tool_result("\n".join(f"src/a.ts:{n}: {code(rng, 40)}" for n in range(8)))
    return render_tool_result("wrote src/a.ts") + "\n[TESTS FAIL] 3 passed, 1 failed: adds"


def plan(task: int, length: int) -> list[ToolCall]:
    rng = random.Random(task)
    calls = []
    for _ in range(length):
        name = rng.choice(["read_file", "read_file", "grep", "list_files", "write_file"])
        args: dict[str, Any] = {"rel_path": f"src/m{rng.randint(0, 99)}.ts"}
        if name == "grep":
            args = {"pattern": rng.choice(WORDS)}
        elif name == "list_files":
            args = {"rel_dir": "."}
        elif name == "write_file":
            args["content"] = code(rng, rng.randint(200, 1200))
        calls.append(ToolCall(name, args))
    return calls


def episode(task: int, rollout: int, steps: int, run_id: str) -> EpisodeRecord:
    rng = random.Random(f"{task}/{rollout}")
    shared = plan(task, steps)
    own = plan(task * 1000 + rollout + 1, steps)
    diverge = rng.randint(0, steps)
    messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": code(rng, 300)}]
    records: list[StepRecord] = []
    previous: ToolCall | None = None
    for index in range(steps):
        action: ToolCall | Final = (shared if index < diverge else own)[index]
        roll = rng.random()
        if index == steps - 1:
            action = Final("done", "fixed")
        elif roll < 0.05 and previous is not None:
            action = previous
        raw, parse_error, observed = action.to_json(), None, None
        if roll > 0.95:
            raw = "I will read the file now."
            parse_error = ParseErrorRecord(kind="not_json", detail="no JSON object")
            observed = render_protocol_error_text()
        elif isinstance(action, ToolCall):
            observed = (
                render_tool_error("path escapes the repo") if roll > 0.93 else observation(task, action)
            )
            previous = action
        messages.append({"role": "assistant", "content": raw})
        records.append(
            StepRecord(
                index=index,
                raw_completion=raw,
                finish_reason="stop",
                action=None if parse_error else action.to_dict(),
                parse_error=parse_error,
                observation=observed,
            )
        )
        if observed is not None:
            messages.append({"role": "user", "content": observed})
    return EpisodeRecord(
        run_id=run_id,
        episode_id=f"{task}-{rollout}",
        task_id=f"synthetic/task-{task}",
        suite="synthetic",
        split=None,
        sample_index=rollout,
        model="synthetic",
        messages=messages,
        steps=records,
        outcome="resolved" if rng.random() < 0.4 else "failed",
        stop_reason="final_done",
        metrics=EpisodeMetrics(
            steps=steps,
            parse_errors=0,
            parse_error_kinds={},
            loop_detections=0,
            tool_calls={},
            tool_errors=0,
            test_runs=0,
            prompt_tokens=0,
            completion_tokens=0,
        ),
        started_at="2026-11-23T00:00:00+00:00",
        wall_s=1.0,
        harness_version="bench",
    )


def render_protocol_error_text() -> str:
    error = parse_action("I will read the file now.").error
    assert error is not None
    return render_protocol_error(error)


def write_corpus(run_dir: Path, total_steps: int, rollouts: int) -> int:
    rng = random.Random(0)
    store = TraceStore(run_dir)
    info = RunInfo(
        run_id="synthetic",
        created_at="2026-11-23T00:00:00+00:00",
        model="synthetic",
        suite="synthetic",
        task_ids=[],
        samples=rollouts,
        sandbox="none",
        agent={},
        seed=0,
        harness_version="bench",
        git_sha=None,
        command=[],
    )
    store.open(info)
    written = task = 0
    while written < total_steps:
        for rollout in range(rollouts):
            steps = min(rng.randint(10, 30), total_steps - written)
            if steps <= 0:
                break
            store.append(episode(task, rollout, steps, info.run_id))
            written += steps
        task += 1
    return written


def timed(label: str, steps: int, work: Any) -> Any:
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    rows = result.report.kept if hasattr(result, "report") else 0
    print(
        f"{label:<44} {elapsed:7.1f} s  {steps / elapsed:9.0f} steps/s"
        f"  {rows:7d} rows  {rows / elapsed:8.0f} rows/s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--rollouts", type=int, default=8, help="episodes per task")
    parser.add_argument(
        "--sample", type=int, default=1000, help="rows counted the plain way for the baseline"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        start = time.perf_counter()
        steps = write_corpus(run_dir, args.steps, args.rollouts)
        size = (run_dir / "episodes.jsonl").stat().st_size / 1e6
        print(
            f"corpus: {steps} steps, {size:.0f} MB of traces, written in {time.perf_counter() - start:.0f} s"
        )
        corpus_sample = [m["content"] for e in list(load_runs([run_dir]).episodes)[:50] for m in e.messages]
        tokenizer = build_tokenizer(Path(tmp) / "tokenizer", vocab_size=4096, corpus=corpus_sample)
        options = ExtractOptions(TaskSelection(SplitSpec()))
        guarded = ExtractOptions(options.selection, LengthGuard(tokenizer, 16384))

        print(f"\n{'':<44} {'wall':>9}  {'':>15}  {'kept':>12}")
        timed("baseline: read + validate traces", steps, lambda: load_runs([run_dir]))
        timed("sft", steps, lambda: extract_sft([run_dir], options=options))
        sft = timed("sft + length guard", steps, lambda: extract_sft([run_dir], options=guarded))
        timed("dpo", steps, lambda: extract_dpo([run_dir], options=options))
        timed("dpo + length guard", steps, lambda: extract_dpo([run_dir], options=guarded))
        print(f"sft length guard counted by: {sft.report.token_method}")

        episodes = load_runs([run_dir]).episodes
        rows = [sft_conversation(s) for e in episodes[: args.sample] for s in episode_states(e) if s.target]
        rows = rows[: args.sample]
        for method, checked in (("plain", 0), ("pieces", 0)):
            counter = TokenLengths(tokenizer, checked_rows=checked)
            counter.method = method
            start = time.perf_counter()
            counter.lengths(rows)
            rate = len(rows) / (time.perf_counter() - start)
            print(f"length guard alone, {method:<7} {len(rows)} rows: {rate:8.0f} rows/s")
            if method == "plain":
                plain_rate = rate
        print(f"pieces vs plain: {rate / plain_rate:.1f}x")


if __name__ == "__main__":
    main()
