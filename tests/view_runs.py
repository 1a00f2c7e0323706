"""Runs made record by record for the viewer's tests: any outcome, reply or tool output, at any size."""

from __future__ import annotations

from pathlib import Path

from agentbench_ts.traces.records import (
    EpisodeMetrics,
    EpisodeRecord,
    ParseErrorRecord,
    RunInfo,
    StepRecord,
    ToolResultRecord,
)
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.verdicts import TestReport

READ = {"type": "tool_call", "name": "read_file", "args": {"rel_path": "src/a.ts"}}
DONE = {"type": "final", "status": "done", "message": "fixed"}


def step(
    index: int,
    raw: str,
    *,
    action: dict | None = None,
    parse_error: str | None = None,  # type: ignore[type-arg]
    output: str | None = None,
    truncated: bool = False,
) -> StepRecord:
    return StepRecord(
        index=index,
        raw_completion=raw,
        finish_reason="stop",
        prompt_tokens=100 + index,
        completion_tokens=20,
        latency_s=0.25,
        action=action,
        parse_error=ParseErrorRecord(kind=parse_error, detail=f"{parse_error} at 0") if parse_error else None,
        tool_result=ToolResultRecord(ok=True, output=output, truncated=truncated, elapsed_s=0.01)
        if output is not None
        else None,
    )


def episode(
    task: str,
    sample: int = 0,
    outcome: str = "resolved",
    *,
    steps: list[StepRecord] | None = None,
    patch: str = "",
    instructions: str = "Fix the bug.",
    attempt: int = 0,
) -> EpisodeRecord:
    steps = (
        steps
        if steps is not None
        else [
            step(0, '{"type":"tool_call"}', action=READ, output="x"),
            step(1, '{"type":"final"}', action=DONE),
        ]
    )
    kinds: dict[str, int] = {}
    for s in steps:
        if s.parse_error:
            kinds[s.parse_error.kind] = kinds.get(s.parse_error.kind, 0) + 1
    tests = TestReport(
        resolved=outcome == "resolved",
        exit_code=0 if outcome == "resolved" else 1,
        timed_out=False,
        tests={"adds": "pass"},
        missing=[],
        summary="1 test",
        elapsed_s=0.5,
        output_tail="",
    )
    return EpisodeRecord(
        run_id="run",
        episode_id=f"{task}-{sample}-{attempt}",
        task_id=task,
        suite="toy",
        split=None,
        sample_index=sample,
        model="scripted",
        messages=[{"role": "system", "content": "protocol"}, {"role": "user", "content": instructions}],
        steps=steps,
        outcome=outcome,  # type: ignore[arg-type]
        stop_reason="final_done" if outcome == "resolved" else "max_steps",
        error="the sandbox died" if outcome == "error" else None,
        final_tests=None if outcome == "error" else tests,
        patch=patch,
        metrics=EpisodeMetrics(
            steps=len(steps),
            parse_errors=sum(kinds.values()),
            parse_error_kinds=kinds,
            loop_detections=0,
            tool_calls={"read_file": 1},
            tool_errors=0,
            test_runs=1,
            prompt_tokens=sum(s.prompt_tokens or 0 for s in steps),
            completion_tokens=sum(s.completion_tokens or 0 for s in steps),
        ),
        started_at="2026-11-27T00:00:00+00:00",
        wall_s=1.5,
        harness_version="test",
        attempt=attempt,
    )


def write_run(run_dir: Path, episodes: list[EpisodeRecord], model: str = "scripted") -> Path:
    store = TraceStore(run_dir)
    store.open(
        RunInfo(
            run_id=run_dir.name,
            created_at="2026-11-27T00:00:00+00:00",
            model=model,
            sampling={"temperature": 0.0},
            suite="toy",
            task_ids=sorted({e.task_id for e in episodes}),
            samples=1,
            sandbox="local",
            agent={},
            seed=0,
            harness_version="test",
            git_sha=None,
            command=["agentbench", "run"],
        )
    )
    with store.episodes_path.open("a", encoding="utf-8") as out:  # one write, not an fsync per record
        out.writelines(record.model_dump_json() + "\n" for record in episodes)
    return run_dir
