"""The rounds' rules that need no training: when a stage is done, stale, pending or waiting (a changed
input, a deleted output, a stage killed half way whose inputs then changed), what each fingerprint
covers, lineage against the files (a tampered adapter, a tampered trace), the experiment's paths and
model specs, its config errors, the report table and the regeneration card. test_rounds.py runs whole
experiments with a tiny model for the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from experiments import write_experiment
from view_runs import episode, write_run

from agentbench_ts.errors import ConfigError
from agentbench_ts.rounds import engine, lineage, manifest, regenerate, stages
from agentbench_ts.rounds.experiment import Experiment
from agentbench_ts.rounds.manifest import Manifest, read_manifest, write_manifest
from agentbench_ts.rounds.report import Row, markdown, row, rows
from agentbench_ts.train.adapter import METADATA_FILE, AdapterInfo, TrainStats
from agentbench_ts.train.config import TrainConfig


def experiment(tmp_path: Path, rounds: int = 1, **sections: dict[str, Any]) -> Experiment:
    base = tmp_path / "base"
    base.mkdir(parents=True, exist_ok=True)
    (base / "config.json").write_text('{"model_type": "qwen2"}')
    all_sections: dict[str, dict[str, Any]] = {
        "tasks": {"train": ["suite:a"], "eval": ["suite:b"]},
        **sections,
    }
    root = write_experiment(
        tmp_path / "exp", all_sections, {"name": "exp", "base": "../base", "rounds": rounds}
    )
    return Experiment.open(root, dict(os.environ))


# --- stages: done, stale, pending, waiting ----------------------------------------------------------------


class Recorder:
    """A stage whose inputs and output file the test sets; it records each run and clear."""

    def __init__(self, name: str, inputs: dict[str, str]) -> None:
        self.name, self.current, self.events = name, inputs, []  # type: ignore[var-annotated]

    def output(self, exp: Experiment, r: int) -> Path:
        return exp.round_dir(r) / f"{self.name}.out"

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        return dict(self.current)

    def present(self, exp: Experiment, r: int) -> bool:
        return self.output(exp, r).is_file()

    def clear(self, exp: Experiment, r: int) -> None:
        self.events.append(("clear", r))
        self.output(exp, r).unlink(missing_ok=True)

    def run(self, exp: Experiment, r: int) -> tuple[dict[str, str], dict[str, Any]]:
        self.events.append(("run", r))
        self.output(exp, r).parent.mkdir(parents=True, exist_ok=True)
        self.output(exp, r).write_text("done")
        return {"out": self.name}, {}


class Blocked(Recorder):
    """A stage whose inputs cannot be read until an earlier stage has finished."""

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        raise stages.StageError("an earlier stage has not finished")


def test_a_stage_runs_once_then_is_done_while_its_inputs_and_output_stay(tmp_path: Path) -> None:
    exp, stage = experiment(tmp_path), Recorder("s", {"a": "1"})
    assert engine.run_stage(exp, 1, stage) is True
    assert engine.run_stage(exp, 1, stage) is False
    assert stage.events == [("clear", 1), ("run", 1)]
    saved = read_manifest(exp.round_dir(1), "s")
    assert saved is not None and (saved.inputs, saved.outputs, saved.round) == ({"a": "1"}, {"out": "s"}, 1)
    assert not (exp.round_dir(1) / "manifests" / "s.pending.json").exists()


def test_a_changed_input_reruns_the_stage_from_clean(tmp_path: Path) -> None:
    exp, stage = experiment(tmp_path), Recorder("s", {"a": "1"})
    engine.run_stage(exp, 1, stage)
    stage.current = {"a": "2"}
    assert engine.run_stage(exp, 1, stage) is True
    assert stage.events == [("clear", 1), ("run", 1), ("clear", 1), ("run", 1)]


def test_a_deleted_output_reruns_the_stage_though_its_inputs_are_unchanged(tmp_path: Path) -> None:
    exp, stage = experiment(tmp_path), Recorder("s", {"a": "1"})
    engine.run_stage(exp, 1, stage)
    stage.output(exp, 1).unlink()
    assert engine.run_stage(exp, 1, stage) is True
    assert stage.present(exp, 1)


def test_a_killed_stage_resumes_with_its_inputs_and_starts_clean_once_they_changed(tmp_path: Path) -> None:
    exp, stage = experiment(tmp_path), Recorder("s", {"a": "1"})
    pending = exp.round_dir(1) / "manifests" / "s.pending.json"
    pending.parent.mkdir(parents=True)
    pending.write_text(json.dumps({"a": "1"}))  # killed half way with these inputs
    engine.run_stage(exp, 1, stage)
    assert stage.events == [("run", 1)]  # resumed: what it had written is kept
    pending.write_text(json.dumps({"a": "0"}))  # killed half way with inputs that have since changed
    (exp.round_dir(1) / "manifests" / "s.json").unlink()
    stage.events.clear()
    engine.run_stage(exp, 1, stage)
    assert stage.events == [("clear", 1), ("run", 1)]
    assert not pending.exists()


def test_a_stage_whose_inputs_cannot_be_read_yet_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(stages.StageError, match=r"^round 1 b: an earlier stage has not finished$"):
        engine.run_stage(experiment(tmp_path), 1, Blocked("b", {}))


def test_status_says_done_stale_pending_and_waiting_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = experiment(tmp_path, rounds=1)
    first, second, third = Recorder("one", {"a": "1"}), Recorder("two", {"b": "1"}), Recorder("three", {})
    monkeypatch.setattr(engine, "stages_of", lambda r: (first,) if r == 0 else (second, third))
    assert [(s.round, s.stage, s.state) for s in engine.status(exp)] == [
        (0, "one", "pending"),
        (1, "two", "waiting"),
        (1, "three", "waiting"),
    ]
    assert engine.advance(exp) == [(0, "one"), (1, "two"), (1, "three")]
    assert {s.state for s in engine.status(exp)} == {"done"}
    assert all(s.finished_at for s in engine.status(exp))
    second.current = {"b": "2"}
    assert [s.state for s in engine.status(exp)] == ["done", "stale", "waiting"]
    second.current = {"b": "1"}
    first.output(exp, 0).unlink()
    assert [s.state for s in engine.status(exp)] == ["stale", "waiting", "waiting"]
    assert engine.advance(exp) == [(0, "one")]


def test_a_stage_blocked_by_an_unfinished_one_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = experiment(tmp_path, rounds=0)
    monkeypatch.setattr(engine, "stages_of", lambda r: (Blocked("b", {}),))
    [state] = engine.status(exp)
    assert (state.stage, state.state, state.finished_at) == ("b", "pending", None)


# --- fingerprints ---------------------------------------------------------------------------------------


def test_a_fingerprint_is_of_the_value_not_its_key_order() -> None:
    assert manifest.fingerprint({"a": 1, "b": [2, 3]}) == manifest.fingerprint({"b": [2, 3], "a": 1})
    assert manifest.fingerprint({"a": 1}) != manifest.fingerprint({"a": "1"})
    assert manifest.fingerprint([1, 2]) != manifest.fingerprint([2, 1])


def test_a_folder_is_known_by_its_file_names_and_contents_hashed_once(tmp_path: Path) -> None:
    folder, cache = tmp_path / "base", tmp_path / "cache" / "hashes.json"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "sub" / "w.bin").write_bytes(b"weights")
    first = manifest.folder_fingerprint(folder, cache)
    assert json.loads(cache.read_text())[str(folder / "sub" / "w.bin")][2] == manifest.file_sha256(
        folder / "sub" / "w.bin"
    )
    cached = json.loads(cache.read_text())
    cached[str(folder / "config.json")][2] = "f" * 64  # a cached hash is trusted while size and mtime hold
    cache.write_text(json.dumps(cached))
    assert manifest.folder_fingerprint(folder, cache) != first
    (folder / "config.json").write_text('{"x": 1}')  # size and mtime change: hashed again
    changed = manifest.folder_fingerprint(folder, cache)
    (folder / "config.json").write_text("{}")
    os.utime(folder / "config.json", ns=(1, 1))
    assert manifest.folder_fingerprint(folder, cache) == first != changed
    (folder / "sub" / "w.bin").rename(folder / "sub" / "v.bin")  # same bytes, another name
    assert manifest.folder_fingerprint(folder, cache) != first


def test_a_broken_hash_cache_is_rebuilt(tmp_path: Path) -> None:
    folder, cache = tmp_path / "base", tmp_path / "hashes.json"
    folder.mkdir()
    (folder / "a").write_text("a")
    expected = manifest.folder_fingerprint(folder, tmp_path / "fresh.json")
    cache.write_text("{not json")
    assert manifest.folder_fingerprint(folder, cache) == expected
    assert json.loads(cache.read_text())


def test_a_trace_fingerprint_follows_what_the_model_did_not_when_or_in_which_order(tmp_path: Path) -> None:
    a, b = episode("t/a"), episode("t/b", outcome="failed", patch="diff")
    reference = manifest.trace_fingerprint(write_run(tmp_path / "r0", [a, b]))
    slower = b.model_copy(
        update={"wall_s": 99.0, "started_at": "2030-01-01T00:00:00+00:00", "episode_id": "x"}
    )
    assert manifest.trace_fingerprint(write_run(tmp_path / "r1", [slower, a])) == reference
    for changed in (
        b.model_copy(update={"patch": "other diff"}),
        b.model_copy(update={"outcome": "timeout"}),
        b.model_copy(update={"stop_reason": "loop"}),
        b.model_copy(update={"steps": b.steps[:1]}),
        b.model_copy(update={"sample_index": 1}),
        b.model_copy(update={"task_id": "t/c"}),
    ):
        assert manifest.trace_fingerprint(write_run(tmp_path / f"r{id(changed)}", [a, changed])) != reference


def test_a_dataset_fingerprint_is_of_its_arrow_files(tmp_path: Path) -> None:
    (tmp_path / "x" / "dataset" / "train").mkdir(parents=True)
    (tmp_path / "x" / "dataset" / "train" / "data-00000.arrow").write_bytes(b"rows")
    (tmp_path / "x" / "extraction.json").write_text("{}")
    first = manifest.dataset_fingerprint(tmp_path / "x")
    (tmp_path / "x" / "extraction.json").write_text('{"card": "changed"}')
    assert manifest.dataset_fingerprint(tmp_path / "x") == first
    (tmp_path / "x" / "dataset" / "train" / "data-00000.arrow").write_bytes(b"other rows")
    assert manifest.dataset_fingerprint(tmp_path / "x") != first


# --- lineage ------------------------------------------------------------------------------------------------


def adapter_info(tmp_path: Path, dataset: dict[str, Any], parent: str | None = None) -> AdapterInfo:
    return AdapterInfo(
        created_at="now",
        base=str(tmp_path / "base"),
        base_config_sha256="c" * 64,
        model_type="qwen2",
        chat_template_sha256=None,
        tokenizer_sha256="k" * 64,
        dataset=dataset,
        parent_adapter={"path": parent} if parent else None,
        config=TrainConfig(method="sft", dataset=tmp_path, base=str(tmp_path / "base"), out_dir=tmp_path),
        backend="hf",
        device="cpu",
        versions={},
        git_sha=None,
        curves={},
        stats=TrainStats(
            wall_s=1,
            train_runtime_s=1,
            steps=1,
            tokens_seen=1,
            tokens_per_s=1,
            peak_memory_bytes=1,
            peak_memory_kind="rss",
        ),
    )


def finished_round_one(tmp_path: Path) -> Experiment:
    """The files of an experiment after round 1, made directly: the traces each round ran, the
    dataset built from round 0's, the adapter trained on it, and every manifest."""
    exp = experiment(tmp_path)
    for r in (0, 1):
        for pool in ("train-pool", "held-out"):
            write_run(exp.eval_dir(r, pool), [episode(f"{pool}/a"), episode(f"{pool}/b", outcome="failed")])
        details = {"model": f"m{r}", "train-pool": stages.metrics(exp.eval_dir(r, "train-pool"))}
        write_manifest(
            exp.round_dir(r),
            Manifest(stage="eval", round=r, inputs={}, outputs={}, details=details, finished_at="t"),
        )
    dataset = exp.dataset_dir(1)
    dataset.mkdir(parents=True)
    source = exp.eval_dir(0, "train-pool")
    (dataset / "extraction.json").write_text(
        json.dumps(
            {
                "per_split": {"train": 4},
                "inputs": [
                    {
                        "run_dir": str(source),
                        "episodes_sha256": manifest.file_sha256(source / "episodes.jsonl"),
                    }
                ],
            }
        )
    )
    adapter = exp.adapter_dir(1)
    assert adapter is not None
    adapter.mkdir(parents=True)
    (adapter / "adapter_model.safetensors").write_bytes(b"trained weights")
    info = adapter_info(tmp_path, {"rows": 4, "format": "prompt-completion"})
    (adapter / METADATA_FILE).write_text(info.model_dump_json())
    weights = manifest.file_sha256(adapter / "adapter_model.safetensors")
    write_manifest(
        exp.round_dir(1),
        Manifest(stage="train", round=1, inputs={}, outputs={"adapter": weights}, finished_at="t"),
    )
    return exp


def test_lineage_walks_from_the_eval_back_to_the_base_and_finds_nothing_wrong(tmp_path: Path) -> None:
    exp = finished_round_one(tmp_path)
    found = lineage.lineage(exp, 1)
    assert found.problems == []
    text = "\n".join(found.lines)
    assert found.lines[0] == "round 1 eval (t) of m1"
    assert "  <- train-pool: resolved 1/2, valid actions 100% of 4 steps" in text
    assert "  <- held-out: \n" in text  # its run's details were not recorded
    assert f"  <- model: hf:{exp.config.base}+{exp.adapter_dir(1)} (round 1)" in text
    assert "adapter weights: sha256" in text and "(as recorded)" in text
    assert f"dataset {exp.dataset_dir(1)} (4 prompt-completion rows; splits {{'train': 4}})" in text
    assert f"traces {exp.eval_dir(0, 'train-pool')} (run r0" not in text  # labelled by run id, not folder
    assert "(run train-pool, 2 episodes) by scripted" in text
    assert f"model: the base {exp.config.base}" in text


def test_a_tampered_adapter_is_reported(tmp_path: Path) -> None:
    exp = finished_round_one(tmp_path)
    adapter = exp.adapter_dir(1)
    assert adapter is not None
    (adapter / "adapter_model.safetensors").write_bytes(b"other weights")
    [problem] = lineage.lineage(exp, 1).problems
    assert problem.startswith("TAMPERED adapter weights: recorded sha256 ")


def test_a_tampered_trace_is_reported(tmp_path: Path) -> None:
    exp = finished_round_one(tmp_path)
    with (exp.eval_dir(0, "train-pool") / "episodes.jsonl").open("a") as out:
        out.write(episode("train-pool/c").model_dump_json() + "\n")
    [problem] = lineage.lineage(exp, 1).problems
    assert problem.startswith("TAMPERED episodes.jsonl: recorded sha256 ")


def test_a_round_without_a_finished_eval_has_no_lineage(tmp_path: Path) -> None:
    found = lineage.lineage(experiment(tmp_path), 1)
    assert found.problems == ["round 1 has no finished eval"] and found.lines == []


def test_a_check_with_nothing_recorded_or_found_says_nothing() -> None:
    found = lineage.Lineage()
    found.check(0, "x", None, "a")
    found.check(0, "x", "a", None)
    assert found.lines == [] and found.problems == []
    found.check(1, "x", "a" * 20, "b" * 20)
    assert found.lines == [f"    <- TAMPERED x: recorded sha256 {'a' * 12}, found {'b' * 12}"]


# --- the experiment -----------------------------------------------------------------------------------------


def test_paths_of_rounds_pools_teachers_datasets_and_adapters(tmp_path: Path) -> None:
    exp = experiment(tmp_path, teachers={"models": ["oracle", "replay:x"], "runs": ["recorded"]})
    root = exp.root
    assert exp.eval_dir(2, "held-out") == root / "rounds" / "r2" / "eval" / "held-out"
    assert exp.teacher_dir(1) == root / "rounds" / "r0" / "teachers" / "t1"
    assert (exp.adapter_dir(0), exp.adapter_dir(2)) == (None, root / "rounds" / "r2" / "adapter")
    assert exp.learned_runs(2) == [
        exp.eval_dir(0, "train-pool"),
        exp.eval_dir(1, "train-pool"),
        exp.teacher_dir(0),
        exp.teacher_dir(1),
        root / "recorded",
    ]
    assert exp.config.base.resolve() == tmp_path / "base"


@pytest.mark.parametrize(
    ("serve", "round_index", "spec"),
    [
        ({}, 0, "hf:{base}"),
        ({}, 1, "hf:{base}+{adapter}"),
        ({"kind": "vllm", "port": 9001}, 0, "openai:http://127.0.0.1:9001/v1#{base}"),
        ({"kind": "vllm", "base_name": "qwen", "host": "::1"}, 0, "openai:http://::1:8000/v1#qwen"),
        ({"kind": "vllm"}, 2, "openai:http://127.0.0.1:8000/v1#round2"),
        ({"kind": "openai", "url": "http://h/v1", "base_name": "q"}, 0, "openai:http://h/v1#q"),
        ({"kind": "openai", "url": "http://h/v1"}, 1, "openai:http://h/v1#round1"),
    ],
)
def test_each_rounds_model_is_reached_as_it_is_served(
    tmp_path: Path, serve: dict[str, Any], round_index: int, spec: str
) -> None:
    exp = experiment(tmp_path, rounds=2, serve=serve)
    expected = spec.format(base=exp.config.base, adapter=exp.adapter_dir(round_index))
    assert exp.model_spec(round_index) == expected


def test_an_openai_server_needs_its_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"serve\.kind = 'openai' needs serve\.url"):
        experiment(tmp_path, serve={"kind": "openai"}).serve(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"has no experiment\.toml"),
        ("name = ", r"experiment\.toml is not valid TOML"),
        (
            'name = "x"\nbase = "b"\n[tasks]\ntrain = ["a"]\n',
            r"experiment\.toml: tasks\.eval: Field required",
        ),
        (
            'name = "x"\nbase = "b"\nrounds = -1\n[tasks]\ntrain = ["a"]\neval = ["b"]\n',
            r": rounds: Input should be",
        ),
    ],
)
def test_config_errors_say_where(tmp_path: Path, text: str | None, message: str) -> None:
    if text is not None:
        (tmp_path / "experiment.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        Experiment.open(tmp_path, {})


def test_stages_of_each_round() -> None:
    assert [s.name for s in stages.stages_of(0)] == ["serve", "eval"]
    assert [s.name for s in stages.stages_of(3)] == ["extract", "train", "verify", "serve", "eval"]


def test_training_continues_from_the_last_adapter_from_round_two_when_asked(tmp_path: Path) -> None:
    exp = experiment(tmp_path, rounds=3)
    assert stages.TRAIN._parent(exp, 1) is None
    assert stages.TRAIN._parent(exp, 2) == exp.adapter_dir(1)
    fresh = experiment(tmp_path / "fresh", rounds=3, train={"continue_previous": False})
    assert stages.TRAIN._parent(fresh, 2) is None


def test_round_zero_runs_the_teachers_on_the_training_pool(tmp_path: Path) -> None:
    exp = experiment(tmp_path, teachers={"models": ["oracle"]})
    zero = stages.EVAL._runs(exp, 0)
    assert zero == {
        "train-pool": (exp.eval_dir(0, "train-pool"), "", ("suite:a",)),
        "held-out": (exp.eval_dir(0, "held-out"), "", ("suite:b",)),
        "teacher:0": (exp.teacher_dir(0), "oracle", ("suite:a",)),
    }
    assert set(stages.EVAL._runs(exp, 1)) == {"train-pool", "held-out"}
    assert "teachers" in stages.EVAL.inputs(exp, 0)


# --- the report and the regeneration card ------------------------------------------------------------


def test_the_report_has_a_row_per_round_pool_and_source(tmp_path: Path) -> None:
    exp = experiment(tmp_path)
    write_run(exp.eval_dir(0, "held-out"), [episode("t/a"), episode("t/b", outcome="failed")])
    mixed = [
        episode("t/a"),
        episode("t/c").model_copy(update={"suite": "alpha"}),
        episode("t/d", outcome="error"),
    ]
    write_run(exp.eval_dir(1, "train-pool"), mixed)
    table = rows(exp)
    assert [(r.round, r.pool, r.source, r.summary.episodes) for r in table] == [
        (0, "held-out", "toy", 2),
        (1, "train-pool", "alpha", 1),
        (1, "train-pool", "toy", 2),
    ]
    text = markdown(table).splitlines()
    assert text[0].startswith("| round | pool | source | episodes | harness errors | resolved (95% CI) |")
    low, high = table[0].low, table[0].high
    assert (
        text[2] == f"| 0 | held-out | toy | 2 | 0 | 50% ({low:.0%}-{high:.0%}) | 100% | - | 2.0 | 0 | 241 |"
    )
    assert text[4].startswith("| 1 | train-pool | toy | 2 | 1 | 100% (")


def test_a_row_without_episodes_reads_as_zeros() -> None:
    empty: Row = row(0, "held-out", "toy", [])
    assert (
        markdown([empty]).splitlines()[2]
        == "| 0 | held-out | toy | 0 | 0 | 0% (0%-0%) | 0% | - | 0.0 | 0 | 0 |"
    )


def test_regeneration_lines_say_what_moved_per_split_filter_and_source() -> None:
    before = {"split": {"train": 10, "eval": 2}, "filter": {"parse_error": 3}, "source": {"model a": 5}}
    after = {"split": {"train": 12, "eval": 2}, "filter": {"loop": 1}, "source": {"model a": 5, "model b": 7}}
    assert regenerate.changes(before, after) == [
        "split train: 10 -> 12 (+2)",
        "filter loop: 0 -> 1 (+1)",
        "filter parse_error: 3 -> 0 (-3)",
        "source model b: 0 -> 7 (+7)",
    ]
    assert regenerate.changes(after, after) == ["no count changed"]
    assert regenerate.changes(None, after) == ["first regeneration: nothing to compare with"]


def test_the_regeneration_card_lists_the_changes_then_each_count_sorted() -> None:
    counts = {"split": {"train": 2, "eval": 1}, "filter": {}, "source": {"suite b": 1, "model a": 2}}
    assert regenerate.card(counts, ["one", "two"]) == (
        "# Since the last regeneration\n\n- one\n- two\n"
        "\n## Rows per split\n\n- eval: 1\n- train: 2\n"
        "\n## Rows dropped per filter\n\n"
        "\n## Per source\n\n- model a: 2\n- suite b: 1\n"
    )


def test_regeneration_needs_a_finished_eval(tmp_path: Path) -> None:
    with pytest.raises(stages.StageError, match="no round has finished its eval yet"):
        regenerate.regenerate(experiment(tmp_path))
