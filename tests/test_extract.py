"""Extraction of SFT rows and DPO pairs from real recorded runs (see mixed_traces.py for the scripts)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from mixed_traces import DONE, ESCAPE, FIX, LIST, READ, WRONG, record_mixed_runs

from agentbench_ts.errors import ExtractError, ModelError
from agentbench_ts.extract import (
    DpoOptions,
    ExtractOptions,
    SftFilters,
    SplitSpec,
    TaskSelection,
    extract_dpo,
    extract_sft,
    load_runs,
)
from agentbench_ts.models.base import ChatMessage, Completion
from agentbench_ts.models.scripted import ReplayModel
from agentbench_ts.protocol.actions import canonical_json
from agentbench_ts.protocol.parser import parse_action
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.traces.records import EpisodeRecord

from conftest import make_js_task

ALL_TRAIN = ExtractOptions(TaskSelection(SplitSpec((("train", 1.0), ("eval", 0.0)))))
TOTAL_STEPS = 4 + 4 + 6 + 5 + 4 + 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    return list(record_mixed_runs(tmp_path_factory.mktemp("mixed"), make_sandbox))


@pytest.fixture(scope="module")
def episodes(runs: list[Path]) -> dict[str, EpisodeRecord]:
    return {e.episode_id: e for e in load_runs(runs).episodes}


def sft_count(runs: list[Path], **filters: object) -> tuple[int, dict[str, int]]:
    extraction = extract_sft(runs, SftFilters(**filters), ALL_TRAIN)  # type: ignore[arg-type]
    report = extraction.report
    assert report.candidates == TOTAL_STEPS
    assert report.kept + sum(report.dropped.values()) == TOTAL_STEPS
    return report.kept, {k: v for k, v in report.dropped.items() if v}


def test_the_scripted_runs_end_as_planned(episodes: dict[str, EpisodeRecord]) -> None:
    outcomes = sorted(
        (e.task_id, e.sample_index, e.run_id.split("-")[0], e.outcome) for e in episodes.values()
    )
    assert outcomes == [
        ("toy/a", 0, "lenient", "resolved"),
        ("toy/a", 0, "strict", "resolved"),
        ("toy/a", 1, "strict", "failed"),
        ("toy/a", 2, "strict", "resolved"),
        ("toy/a", 3, "strict", "budget"),
        ("toy/b", 0, "lenient", "resolved"),
    ]


def test_every_step_with_an_action_becomes_a_row(runs: list[Path]) -> None:
    assert sft_count(runs) == (25, {"no_action": 2})


@pytest.mark.parametrize(
    ("filters", "kept", "dropped"),
    [
        ({"require_success": True}, 17, {"no_action": 2, "not_resolved": 8}),
        ({"require_valid_action": True}, 24, {"no_action": 2, "invalid_action": 1}),
        ({"drop_tool_errors": True}, 24, {"no_action": 2, "tool_error": 1}),
        ({"drop_loops": True}, 22, {"no_action": 2, "loop": 3}),
        ({"dedupe": True}, 22, {"no_action": 2, "duplicate": 3}),
        ({"max_steps_per_episode": 2}, 12, {"no_action": 2, "over_max_steps": 13}),
    ],
)
def test_each_filter_drops_exactly_its_steps(
    runs: list[Path], filters: dict[str, object], kept: int, dropped: dict[str, int]
) -> None:
    assert sft_count(runs, **filters) == (kept, dropped)


def test_sft_rows_end_in_a_valid_action_after_exactly_the_prefix_the_model_saw(
    runs: list[Path], episodes: dict[str, EpisodeRecord]
) -> None:
    rows = extract_sft(runs, options=ALL_TRAIN).dataset["train"]
    for row in rows:
        episode = episodes[row["episode_id"]]
        *prefix, target = row["messages"]
        assert prefix == episode.messages[: 2 + 2 * row["step"]]
        assert sum(m["role"] == "assistant" for m in prefix) == row["step"]  # nothing from later steps
        assert target["role"] == "assistant"
        parsed = parse_action(target["content"])
        assert parsed.error is None and parsed.action is not None
        assert target["content"] == canonical_json(episode.steps[row["step"]].action)
        assert (row["task_id"], row["run_id"], row["model"], row["outcome"]) == (
            episode.task_id,
            episode.run_id,
            episode.model,
            episode.outcome,
        )


def test_a_leniently_recovered_step_trains_on_the_clean_action(runs: list[Path]) -> None:
    rows = extract_sft(runs, options=ALL_TRAIN).dataset["train"]
    recovered = [
        r for r in rows if r["run_id"].startswith("lenient") and r["task_id"] == "toy/a" and r["step"] == 0
    ]
    assert [r["messages"][-1]["content"] for r in recovered] == [LIST]


def dpo_pairs(runs: list[Path], **options: object) -> list[dict[str, object]]:
    return list(extract_dpo(runs, DpoOptions(**options), ALL_TRAIN).dataset["train"])  # type: ignore[arg-type]


def pair_texts(rows: list[dict[str, object]]) -> list[tuple[str, str]]:
    return sorted((r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows)  # type: ignore[index]


def test_rollouts_prefer_the_branch_that_resolved(runs: list[Path]) -> None:
    assert pair_texts(dpo_pairs(runs, sources=("rollouts",))) == [(FIX, WRONG)]


def test_validity_prefers_a_clean_action_over_an_invalid_answer(runs: list[Path]) -> None:
    assert pair_texts(dpo_pairs(runs, sources=("validity",))) == sorted(
        [
            (LIST, "not json"),
            (LIST, f"```json\n{LIST}\n```"),
            (LIST, ESCAPE),
            (LIST, f"```json\n{LIST}\n```\n"),
        ]
    )


def test_loops_prefer_moving_on_over_repeating(runs: list[Path]) -> None:
    pairs = dpo_pairs(runs, sources=("loops",))
    assert pair_texts(pairs) == [(FIX, READ)]
    assert pairs[0]["step"] == 3


def test_each_source_is_counted(runs: list[Path]) -> None:
    report = extract_dpo(runs, options=ALL_TRAIN).report
    assert dict(report.per_source) == {"rollouts": 1, "validity": 4, "loops": 1}
    assert report.per_split == {"train": 6, "eval": 0}


def test_dpo_pairs_share_their_prefix_exactly(runs: list[Path], episodes: dict[str, EpisodeRecord]) -> None:
    for row in dpo_pairs(runs):
        prompt = row["prompt"]
        assert isinstance(prompt, list) and isinstance(row["step"], int)
        rejected_from = episodes[str(row["rejected_episode_id"])]
        chosen_from = episodes[str(row["chosen_episode_id"])]
        assert prompt == rejected_from.messages[: 2 + 2 * row["step"]]
        assert prompt == chosen_from.messages[: len(prompt)]
        assert prompt[-1]["role"] in ("user",)


def test_together_format_carries_the_same_pairs(runs: list[Path]) -> None:
    trl = dpo_pairs(runs)
    together = dpo_pairs(runs, format="together")
    assert [(r["input"]["messages"], r["preferred_output"], r["non_preferred_output"]) for r in together] == [  # type: ignore[index]
        (r["prompt"], r["chosen"], r["rejected"]) for r in trl
    ]


def test_at_most_the_cap_of_pairs_per_state(runs: list[Path]) -> None:
    # three of the four validity pairs are at the first state (three different bad first answers)
    assert len(dpo_pairs(runs, sources=("validity",), max_pairs_per_state=1)) == 2
    with pytest.raises(ExtractError, match="unknown DPO source"):
        DpoOptions(sources=("vibes",))


def test_finals_are_rows_too(runs: list[Path]) -> None:
    rows = extract_sft(runs, options=ALL_TRAIN).dataset["train"]
    assert sum(r["messages"][-1]["content"] == DONE for r in rows) == 5


def test_an_inconsistent_trace_is_refused_with_its_location(runs: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run.json").write_text((runs[0] / "run.json").read_text())
    first = json.loads((runs[0] / "episodes.jsonl").read_text().splitlines()[0])
    first["messages"][2]["content"] = "something the model never said"
    (broken / "episodes.jsonl").write_text(json.dumps(first) + "\n")
    with pytest.raises(ExtractError, match=r"message 2 is not the reply of step 0"):
        extract_sft([broken])
    with pytest.raises(ExtractError, match="not a run directory"):
        extract_sft([tmp_path / "missing"])


class _ServerDiesAfter(ReplayModel):
    """Answers its replies, then fails as a client does when the server is gone."""

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        if self._next >= len(self._replies):
            raise ModelError("the model server at http://127.0.0.1:9/v1 is unreachable after 3 retries")
        return super().complete(messages)


def test_an_episode_the_harness_broke_gives_no_rows_and_is_counted(runs: list[Path], tmp_path: Path) -> None:
    task = make_js_task(tmp_path / "task", "toy/a")
    broken = tmp_path / "broken"
    run_tasks(
        RunConfig(out_dir=broken, model=ModelConfig(spec="scripted")),
        tasks=[task],
        make_model=lambda _: _ServerDiesAfter([LIST, READ], name="scripted"),
        make_sandbox=sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"])),
    )
    [episode] = load_runs([broken]).episodes
    assert (episode.outcome, episode.stop_reason, episode.metrics.steps) == ("error", "model_error", 2)
    extraction = extract_sft([*runs, broken], SftFilters(), ALL_TRAIN)
    assert extraction.report.kept == 25 and extraction.report.dropped["harness_error"] == 2
    pairs = extract_dpo([*runs, broken], options=ALL_TRAIN).report
    assert pairs.dropped["harness_error"] == 2


def test_an_action_that_resolved_elsewhere_is_never_rejected(tmp_path: Path) -> None:
    """Two different writes resolve the same state; one of them also ends a failed run (a later step
    undid it). Rollout pairs prefer each winner over the plain wrong write, never one winner over the
    other."""
    from mixed_traces import _scripted

    from agentbench_ts.protocol.actions import ToolCall

    from conftest import FIXED_ADD

    fix2 = ToolCall("write_file", {"rel_path": "src/add.js", "content": "// sum\n" + FIXED_ADD}).to_json()
    scripts = {"toy/a": [[LIST, READ, FIX, DONE], [LIST, READ, fix2, DONE], [LIST, READ, fix2, WRONG, DONE],
                         [LIST, READ, WRONG, DONE]]}  # fmt: skip
    run = tmp_path / "two-winners"
    run_tasks(
        RunConfig(out_dir=run, model=ModelConfig(spec="scripted"), samples=4),
        tasks=[make_js_task(tmp_path / "a", "toy/a")],
        make_model=_scripted(scripts),
        make_sandbox=sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"])),
    )
    outcomes = sorted((e.sample_index, e.outcome) for e in load_runs([run]).episodes)
    assert outcomes == [(0, "resolved"), (1, "resolved"), (2, "failed"), (3, "failed")]
    pairs = pair_texts(dpo_pairs([run], sources=("rollouts",)))
    # after list and read: each winner over the wrong write; after fix2: done (s1) over wrong (s2)
    assert pairs == sorted([(FIX, WRONG), (fix2, WRONG), (DONE, WRONG)])
    assert all(rejected not in (FIX, fix2) for _, rejected in pairs)
