"""Task-level splits, exclusions, the leakage check, and the `agentbench extract` command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict, load_from_disk
from mixed_traces import record_mixed_runs

from agentbench_ts.cli.main import main
from agentbench_ts.errors import ExtractError, LeakageError
from agentbench_ts.extract import (
    ExtractOptions,
    SplitSpec,
    TaskSelection,
    check_leakage,
    extract_dpo,
    extract_sft,
)
from agentbench_ts.extract.corpus import file_sha256
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    return list(record_mixed_runs(tmp_path_factory.mktemp("mixed"), make_sandbox))


def salt_separating(a: str, b: str) -> str:
    """A salt under which the default 90/10 rule puts `a` in eval and `b` in train."""
    for number in range(10_000):
        spec = SplitSpec(salt=f"s{number}")
        if spec.split_of(a) == "eval" and spec.split_of(b) == "train":
            return spec.salt
    raise AssertionError("no salt found")


def test_a_task_split_depends_only_on_id_salt_and_ratios() -> None:
    spec = SplitSpec.parse("train=0.8,eval=0.2", salt="round-3")
    ids = [f"repo/task-{n}" for n in range(2000)]
    first = [spec.split_of(t) for t in ids]
    assert first == [SplitSpec.parse("train=0.8,eval=0.2", salt="round-3").split_of(t) for t in ids]
    assert 0.77 < first.count("train") / len(ids) < 0.83
    assert first != [SplitSpec.parse("train=0.8,eval=0.2", salt="other").split_of(t) for t in ids]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train=0.5,eval=0.2", "add up to 1"),
        ("train", "write NAME=RATIO"),
        ("train=0.5,train=0.5", "given once"),
        ("tr ain=1", "letters, digits"),
        ("dev=0.5,eval=0.5", "training split"),
    ],
)
def test_bad_split_specs_are_refused(text: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        SplitSpec.parse(text)


def test_rows_follow_their_task_into_one_split(runs: list[Path]) -> None:
    salt = salt_separating("toy/a", "toy/b")
    options = ExtractOptions(TaskSelection(SplitSpec(salt=salt)))
    for data in (extract_sft(runs, options=options).dataset, extract_dpo(runs, options=options).dataset):
        assert set(data["eval"]["task_id"]) <= {"toy/a"}
        assert set(data["train"]["task_id"]) <= {"toy/b"}
    assert extract_sft(runs, options=options).report.per_split == {"train": 4, "eval": 21}


def test_excluded_tasks_by_file_or_by_suite_split(runs: list[Path], tmp_path: Path) -> None:
    listing = tmp_path / "heldout.txt"
    listing.write_text("# held out\ntoy/a\n")
    everything = SplitSpec((("train", 1.0),))
    by_file = extract_sft(runs, options=ExtractOptions(TaskSelection.build(everything, [str(listing)])))
    assert set(by_file.dataset["train"]["task_id"]) == {"toy/b"}
    assert by_file.report.dropped["excluded_task"] == 23
    by_split = extract_sft(runs, options=ExtractOptions(TaskSelection.build(everything, ["test"])))
    assert set(by_split.dataset["train"]["task_id"]) == {"toy/a"}
    assert by_split.report.dropped["excluded_task"] == 4
    with pytest.raises(ExtractError, match="cannot read the task list"):
        TaskSelection.build(everything, ["missing/list.txt"])


def test_a_planted_leak_is_caught() -> None:
    rows = {"task_id": ["x/1", "x/2"]}
    planted = DatasetDict({"train": Dataset.from_dict(rows), "eval": Dataset.from_dict({"task_id": ["x/2"]})})
    with pytest.raises(LeakageError, match=r"x/2 in train \(belongs to eval\)"):
        check_leakage(planted, ["train"], {"x/2": "eval"})
    check_leakage(planted, ["train"], {"x/3": "eval"})


def extract(*args: str) -> int:
    return main(["extract", *args])


def test_cli_writes_dataset_exports_and_card(runs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "sft"
    argv = [*map(str, runs), "--out", str(out), "--require-success", "--export", "parquet,jsonl"]
    assert extract("sft", *argv, "--splits", "train=1.0,eval=0.0") == 0
    data = load_from_disk(str(out / "dataset"))
    assert isinstance(data, DatasetDict) and data["train"].num_rows == 17 and data["eval"].num_rows == 0
    assert Dataset.from_parquet(str(out / "train.parquet")).num_rows == 17  # type: ignore[union-attr]
    assert len((out / "train.jsonl").read_text().splitlines()) == 17
    card = (out / "README.md").read_text()
    assert "| not_resolved | 8 |" in card and "| train | 17 |" in card
    for run in runs:
        assert file_sha256(run / "episodes.jsonl") in card
    assert "--require-success" in card
    assert extract("sft", *argv) == 2  # refuses to overwrite
    assert extract("sft", *argv, "--overwrite") == 0


def test_cli_check_fails_loudly_on_a_leak_across_extractions(
    runs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    salt = salt_separating("toy/a", "toy/b")
    evaluation, leaky, clean = tmp_path / "eval", tmp_path / "leaky", tmp_path / "clean"
    inputs = list(map(str, runs))
    assert extract("sft", *inputs, "--out", str(evaluation), "--split-salt", salt) == 0
    assert extract("dpo", *inputs, "--out", str(leaky), "--splits", "train=1.0") == 0
    # a task id is not a file: a path-like --exclude-tasks that does not exist is an error, not a split name
    assert (
        extract("sft", *inputs, "--out", str(clean), "--splits", "train=1.0", "--exclude-tasks", "toy/a") == 2
    )
    listing = tmp_path / "a.txt"
    listing.write_text("toy/a\n")
    assert (
        extract("sft", *inputs, "--out", str(clean), "--splits", "train=1.0", "--exclude-tasks", str(listing))
        == 0
    )
    capsys.readouterr()
    assert extract("check", str(leaky), "--against", str(evaluation)) == 1
    err = capsys.readouterr().err
    assert "LEAK" in err and "toy/a in train" in err
    assert extract("check", str(clean), "--against", str(evaluation)) == 0
    assert extract("check", str(leaky), "--against", str(listing)) == 1


def test_cli_refuses_half_a_length_guard(runs: list[Path], tmp_path: Path) -> None:
    assert extract("sft", str(runs[0]), "--out", str(tmp_path / "x"), "--max-tokens", "10") == 2
