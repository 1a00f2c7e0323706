"""The viewer's data contract, field by field: what `app.js` reads from a run's summary, its index rows,
an episode, the comparison, and the chunks of rows (partial last chunk, empty run). Values differ from
field to field so a swapped or renamed field shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from view_runs import READ, episode, step, write_run

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.traces.records import ParseErrorRecord, StepRecord, ToolResultRecord
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.verdicts import TestReport
from agentbench_ts.view.compare import Cell, change, comparison
from agentbench_ts.view.data import (
    INDEX_TEXT_LIMIT,
    discover_runs,
    episode_detail,
    index_row,
    run_summary,
)
from agentbench_ts.view.site import ROWS_PER_CHUNK, build_site

WRAPPER = re.compile(r'^window\.agentbenchView\.receive\(("[^"]*"),(.*)\);\n$', re.S)


def data(path: Path) -> tuple[str, Any]:
    match = WRAPPER.match(path.read_text())
    assert match
    return json.loads(match.group(1)), json.loads(match.group(2))


REPORT = TestReport(
    resolved=False,
    exit_code=3,
    timed_out=True,
    tests={"adds": "pass", "subtracts": "fail"},
    missing=["multiplies"],
    summary="1 of 3",
    elapsed_s=4.25,
    output_tail="tail",
)
RICH_STEP = StepRecord(
    index=1,
    raw_completion="raw reply",
    finish_reason="length",
    prompt_tokens=300,
    completion_tokens=40,
    latency_s=1.75,
    retries=2,
    action={"type": "tool_call", "name": "grep", "args": {"pattern": "x"}},
    parse_error=ParseErrorRecord(kind="extra_text", detail="3 before"),
    tool_result=ToolResultRecord(ok=False, output="no match", truncated=True, elapsed_s=0.125),
    tests=REPORT,
    loop_detected=True,
)


def rich_episode() -> Any:
    record = episode("org/task", sample=3, outcome="failed", attempt=2, patch="diff --git a b")
    return record.model_copy(
        update={
            "steps": [step(0, "first", action=READ, output="file"), RICH_STEP],
            "final_tests": REPORT,
            "error": "what broke",
            "timings": {"sandbox_s": 0.5},
            "wall_s": 9.4567,
            "model": "served-model",
            "messages": [
                {"role": "system", "content": "protocol"},
                {"role": "user", "content": "the instructions"},
                {"role": "user", "content": "[tool_result]\nfile"},
            ],
        }
    )


def test_an_episode_holds_every_field_the_episode_page_shows() -> None:
    record = rich_episode()
    detail = episode_detail(7, record)
    assert detail == {
        "n": 7,
        "task": "org/task",
        "sample": 3,
        "episode_id": record.episode_id,
        "suite": "toy",
        "model": "served-model",
        "attempt": 2,
        "outcome": "failed",
        "stop": "max_steps",
        "error": "what broke",
        "instructions": "the instructions",
        "steps": detail["steps"],
        "final_tests": detail["final_tests"],
        "patch": "diff --git a b",
        "wall_s": 9.4567,
        "timings": {"sandbox_s": 0.5},
        "started_at": "2026-11-27T00:00:00+00:00",
        "metrics": record.metrics.model_dump(),
    }
    assert detail["steps"][1] == {
        "index": 1,
        "raw": "raw reply",
        "finish_reason": "length",
        "action": '{"type":"tool_call","name":"grep","args":{"pattern":"x"}}',
        "parse_error": {"kind": "extra_text", "detail": "3 before"},
        "tool": {"ok": False, "output": "no match", "truncated": True, "elapsed_s": 0.125},
        "tests": {
            "resolved": False,
            "exit_code": 3,
            "timed_out": True,
            "summary": "1 of 3",
            "tests": {"adds": "pass", "subtracts": "fail"},
            "missing": ["multiplies"],
            "elapsed_s": 4.25,
        },
        "latency_s": 1.75,
        "prompt_tokens": 300,
        "completion_tokens": 40,
        "retries": 2,
        "loop_detected": True,
    }
    assert detail["final_tests"] == detail["steps"][1]["tests"]
    first = detail["steps"][0]
    assert (first["parse_error"], first["tests"], first["tool"]["ok"]) == (None, None, True)


def test_a_step_without_an_action_or_a_tool_shows_none_and_an_episode_without_a_user_message_no_text() -> (
    None
):
    bare = StepRecord(index=0, raw_completion="", finish_reason=None)
    record = episode("t/x", steps=[bare]).model_copy(
        update={"messages": [{"role": "system", "content": "s"}], "final_tests": None}
    )
    detail = episode_detail(0, record)
    assert detail["instructions"] == "" and detail["final_tests"] is None
    assert (detail["steps"][0]["action"], detail["steps"][0]["tool"]) == (None, None)


def test_an_index_row_holds_what_the_table_sorts_and_filters_on() -> None:
    record = rich_episode().model_copy(
        update={"metrics": rich_episode().metrics.model_copy(update={"parse_error_kinds": {"b": 1, "a": 2}})}
    )
    assert index_row(4, record) == {
        "n": 4,
        "task": "org/task",
        "sample": 3,
        "outcome": "failed",
        "stop": "max_steps",
        "steps": 2,
        "parse_errors": 0,
        "kinds": ["a", "b"],
        "tokens": record.metrics.prompt_tokens + record.metrics.completion_tokens,
        "wall_s": 9.46,
        "attempt": 2,
    }


@pytest.mark.parametrize(("extra", "kept"), [(0, INDEX_TEXT_LIMIT), (1, INDEX_TEXT_LIMIT)])
def test_a_task_id_is_cut_to_the_limit_in_the_index_only(extra: int, kept: int) -> None:
    long_id = "t" * (INDEX_TEXT_LIMIT - 1) + "Z" + "y" * extra
    record = episode(long_id)
    assert index_row(0, record)["task"] == long_id[:kept]
    assert index_row(0, record)["task"].endswith("Z")
    assert episode_detail(0, record)["task"] == long_id


def test_a_run_summary_counts_what_the_run_page_shows(tmp_path: Path) -> None:
    records = [
        episode("t/a"),
        episode(
            "t/b",
            outcome="failed",
            steps=[step(0, "x", parse_error="not_json"), step(1, "y", parse_error="empty")],
        ),
        episode("t/c", outcome="error"),
        episode("t/d", outcome="timeout", steps=[step(0, "z", parse_error="not_json")]),
    ]
    run = write_run(tmp_path / "run", records)
    info = TraceStore(run).run_info()
    summary = run_summary("label", info, records, attempts=6)
    tokens = [sum(s.prompt_tokens or 0 for s in r.steps) for r in records]
    out = [sum(s.completion_tokens or 0 for s in r.steps) for r in records]
    assert summary == {
        "label": "label",
        "run_id": "run",
        "created_at": "2026-11-27T00:00:00+00:00",
        "model": "scripted",
        "adapter": None,
        "sampling": {"temperature": 0.0},
        "sandbox": "local",
        "suite": "toy",
        "samples": 1,
        "harness_version": "test",
        "episodes": 4,
        "attempts": 6,
        "graded": 3,
        "resolved": 1,
        "harness_errors": 1,
        "resolved_rate": 1 / 3,
        "ci95": summary["ci95"],
        "outcomes": {"resolved": 1, "failed": 1, "error": 1, "timeout": 1},
        "stop_reasons": {"max_steps": 3, "final_done": 1},
        "parse_error_kinds": {"not_json": 2, "empty": 1},
        "steps": 2 + 2 + 2 + 1,
        "parse_errors": 3,
        "valid_action_rate": pytest.approx(1 - 3 / 7),
        "prompt_tokens": sum(tokens),
        "completion_tokens": sum(out),
        "wall_s": 6.0,
    }
    low, high = summary["ci95"]
    assert 0 < low < 1 / 3 < high < 1


def test_paths_are_runs_or_folders_of_runs_in_the_order_given(tmp_path: Path) -> None:
    for name in ("exp/r1/eval", "exp/r0/eval", "solo", "exp/r0/teacher"):
        write_run(tmp_path / name, [episode("t/a")])
    refs = discover_runs([tmp_path / "solo", tmp_path / "exp", tmp_path / "solo"])
    assert [(r.label, r.path) for r in refs] == [
        ("solo", tmp_path / "solo"),
        ("r0/eval", tmp_path / "exp/r0/eval"),
        ("r0/teacher", tmp_path / "exp/r0/teacher"),
        ("r1/eval", tmp_path / "exp/r1/eval"),
        ("solo", tmp_path / "solo"),
    ]


def test_a_run_given_as_the_current_folder_is_labelled_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_run(tmp_path / "run", [episode("t/a")])
    monkeypatch.chdir(tmp_path / "run")
    assert [(r.label, r.path) for r in discover_runs([Path()])] == [(".", Path())]


def test_a_file_or_a_missing_path_is_no_run(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for path in (tmp_path / "file", tmp_path / "missing"):
        with pytest.raises(TraceStoreError, match=r"is not a run directory \(no run\.json\) and holds none"):
            discover_runs([path])


def test_a_comparison_holds_each_cell_each_rate_and_the_counts_of_changes() -> None:
    first = [episode("t/a"), episode("t/b", outcome="failed")]
    second = [episode("t/a"), episode("t/a", 1, "failed"), episode("t/b"), episode("t/c", outcome="error")]
    result = comparison(["one", "two"], [first, second])
    assert result["labels"] == ["one", "two"]
    assert result["rows"] == [
        {
            "task": "t/a",
            "cells": [
                {"resolved": 1, "episodes": 1, "outcomes": {"resolved": 1}},
                {"resolved": 1, "episodes": 2, "outcomes": {"failed": 1, "resolved": 1}},
            ],
            "change": "lost",
        },
        {
            "task": "t/b",
            "cells": [
                {"resolved": 0, "episodes": 1, "outcomes": {"failed": 1}},
                {"resolved": 1, "episodes": 1, "outcomes": {"resolved": 1}},
            ],
            "change": "gained",
        },
        {
            "task": "t/c",
            "cells": [None, {"resolved": 0, "episodes": 1, "outcomes": {"error": 1}}],
            "change": "same",
        },
    ]
    one, two = result["rates"]
    assert {k: one[k] for k in ("label", "resolved", "graded", "rate", "delta")} == {
        "label": "one",
        "resolved": 1,
        "graded": 2,
        "rate": 0.5,
        "delta": 0.0,
    }
    assert {k: two[k] for k in ("label", "resolved", "graded", "rate")} == {
        "label": "two",
        "resolved": 2,
        "graded": 3,
        "rate": 2 / 3,
    }
    assert two["delta"] == pytest.approx(2 / 3 - 0.5)
    assert one["ci95"][0] < 0.5 < one["ci95"][1] and two["ci95"][0] < 2 / 3 < two["ci95"][1]
    assert result["changes"] == {"lost": 1, "gained": 1, "same": 1}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((1, 1), (2, 4), "lost"),  # more resolved, a lower share
        ((2, 4), (1, 1), "gained"),  # fewer resolved, a higher share
        ((1, 2), (2, 4), "same"),  # equal shares
        ((0, 1), (0, 3), "same"),
    ],
)
def test_change_compares_resolved_shares_not_counts(
    before: tuple[int, int], after: tuple[int, int], expected: str
) -> None:
    def cell(resolved: int, episodes: int) -> Cell:
        outcomes = {"resolved": resolved, "failed": episodes - resolved}
        return Cell(resolved, episodes, {k: v for k, v in outcomes.items() if v})

    assert change([cell(*before), cell(*after)]) == expected


def test_no_runs_compare_to_nothing_and_runs_need_their_labels() -> None:
    assert comparison([], []) == {"labels": [], "rows": [], "rates": [], "changes": {}}
    with pytest.raises(ValueError, match="zip"):
        comparison(["one"], [[episode("t/a")], [episode("t/a")]])


@pytest.mark.parametrize(("episodes", "sizes"), [(0, [0]), (1, [1]), (2 * ROWS_PER_CHUNK + 1, [500, 500, 1])])
def test_rows_come_in_chunks_with_a_partial_last_one(tmp_path: Path, episodes: int, sizes: list[int]) -> None:
    run = write_run(tmp_path / "run", [episode(f"t/{n:05d}") for n in range(episodes)])
    site = build_site([run], tmp_path / "site")
    chunks = sorted((site.out / "data" / "r0").glob("rows-*.js"))
    payloads = [data(path) for path in chunks]
    assert [key for key, _ in payloads] == [f"r0/rows-{n}" for n in range(len(sizes))]
    assert [len(p["rows"]) for _, p in payloads] == sizes
    assert all(p["chunks"] == len(sizes) and p["total"] == episodes for _, p in payloads)
    assert [p["chunk"] for _, p in payloads] == list(range(len(sizes)))
    numbers = [row["n"] for _, p in payloads for row in p["rows"]]
    assert numbers == list(range(episodes))
    assert site.episodes == episodes


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"failed": 2, "timeout": 2}, "same"),  # the same mix over more samples
        ({"failed": 3, "timeout": 1}, "other"),  # another mix of unresolved outcomes
        ({"failed": 1, "error": 1}, "other"),
    ],
)
def test_unresolved_outcomes_compare_by_their_shares(after: dict[str, int], expected: str) -> None:
    before = Cell(0, 2, {"failed": 1, "timeout": 1})
    assert change([before, Cell(0, sum(after.values()), after)]) == expected
