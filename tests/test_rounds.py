"""Experiments of rounds: stages with manifests that skip, re-run and resume; lineage checked against
the files; the leakage guard; the report; vLLM serving through the named fake; and the proof that a
model trained by the loop changes its behaviour (its protocol format, not its coding)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from experiments import HELD_OUT, TRAIN, small_experiment, suite, write_experiment
from tiny_models import build_protocol_learner

from agentbench_ts.cli.main import main
from agentbench_ts.rounds.manifest import read_manifest
from agentbench_ts.traces import TraceStore

from conftest import QUIXBUGS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("unsloth_may_skip_torchvision")]
STAGES = ["serve", "eval", "extract", "train", "verify", "serve", "eval"]
FAKE_VLLM = Path(__file__).with_name("fake_vllm.py")


@pytest.fixture(scope="module")
def finished(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small experiment run to the end, uninterrupted (tests copy it before changing anything)."""
    exp = small_experiment(
        tmp_path_factory.mktemp("exp") / "exp", base, train=TRAIN[:2], held_out=HELD_OUT[:1]
    )
    assert main(["round", "run", str(exp)]) == 0
    return exp


def copy(exp: Path, target: Path, keep_rounds: tuple[int, ...] = (0, 1)) -> Path:
    shutil.copytree(exp, target)
    for r in (0, 1):
        if r not in keep_rounds:
            shutil.rmtree(target / "rounds" / f"r{r}")
    # run directories and datasets record absolute paths: make the copy's its own
    for path in target.rglob("*.json*"):
        if path.is_file():
            path.write_text(path.read_text().replace(str(exp), str(target)))
    return target


def manifests(exp: Path) -> dict[str, Any]:
    """Each stage's inputs and outputs, the experiment's own folder written EXP (copies compare equal)."""
    found = {}
    for r in (0, 1):
        for stage in ("serve", "eval") if r == 0 else ("extract", "train", "verify", "serve", "eval"):
            manifest = read_manifest(exp / "rounds" / f"r{r}", stage)
            assert manifest is not None, (r, stage)
            found[f"r{r} {stage}"] = json.loads(
                json.dumps([manifest.inputs, manifest.outputs]).replace(str(exp), "EXP")
            )
    return found


def ran(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if "stage(s) ran" in line)
    return [] if "none" in line else line.split(": ", 1)[1].split(", ")


def test_a_finished_experiment_skips_everything_and_says_so(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["round", "run", str(finished)]) == 0
    assert ran(capsys.readouterr().out) == []
    assert main(["round", "status", str(finished)]) == 0
    states = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in states] == STAGES and all(" done " in line for line in states)


def test_changing_only_training_settings_reruns_train_and_later_not_eval_or_extract(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = copy(finished, tmp_path / "exp")
    before = manifests(exp)
    config = (exp / "experiment.toml").read_text().replace("learning_rate = 0.001", "learning_rate = 0.003")
    (exp / "experiment.toml").write_text(config)
    capsys.readouterr()
    assert main(["round", "status", str(exp)]) == 0
    status = {" ".join(line.split()[:2]): line.split()[2] for line in capsys.readouterr().out.splitlines()}
    assert status["r1 extract"] == "done" and status["r1 train"] == "stale" and status["r1 eval"] == "waiting"
    assert main(["round", "run", str(exp)]) == 0
    assert ran(capsys.readouterr().out) == ["r1 train", "r1 verify", "r1 serve", "r1 eval"]
    after = manifests(exp)
    assert after["r0 eval"] == before["r0 eval"] and after["r1 extract"] == before["r1 extract"]
    assert after["r1 train"][1] != before["r1 train"][1]  # another adapter


def _kill_when(argv: list[str], exists: Path, then: Path | None = None) -> None:
    """Start `agentbench round run`, SIGKILL it once `exists` (then `then`) appears."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if exists.exists() and (then is None or then.exists()):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def test_a_kill_during_extract_and_during_train_resumes_to_the_same_manifests(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The experiment from round 0 on, killed (-9) as its extract stage starts and again while its
    adapter is training; resumed, it ends with the manifests of the run that was never interrupted."""
    exp = copy(finished, tmp_path / "exp", keep_rounds=(0,))
    argv = [sys.executable, "-m", "agentbench_ts.cli.main", "round", "run", str(exp)]
    r1 = exp / "rounds" / "r1"
    _kill_when(argv, r1 / "manifests" / "extract.pending.json")
    assert read_manifest(r1, "extract") is None
    _kill_when(argv, r1 / "manifests" / "train.pending.json", r1 / ".adapter.partial")
    assert read_manifest(r1, "extract") is not None and read_manifest(r1, "train") is None
    assert main(["round", "run", str(exp)]) == 0
    assert manifests(exp) == manifests(finished)
    episodes = [
        e.key for pool in ("train-pool", "held-out") for e in TraceStore(r1 / "eval" / pool).episodes()
    ]
    assert len(episodes) == len(set(episodes)) == 3  # nothing duplicated
    capsys.readouterr()


def test_lineage_follows_the_files_and_reports_a_tampered_trace(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = copy(finished, tmp_path / "exp")
    capsys.readouterr()
    assert main(["round", "lineage", str(exp)]) == 0
    text = capsys.readouterr().out
    adapter_info = json.loads((exp / "rounds" / "r1" / "adapter" / "agentbench_adapter.json").read_text())
    extraction = json.loads((exp / "rounds" / "r1" / "dataset" / "extraction.json").read_text())
    assert f"model: hf:{adapter_info['base']}+{exp}/rounds/r1/adapter" in text
    assert (
        f"dataset {exp}/rounds/r1/dataset ({adapter_info['dataset']['rows']} prompt-completion rows" in text
    )
    for source in extraction["inputs"]:
        assert f"traces {source['run_dir']} (run {source['run_id']}" in text
        assert f"episodes.jsonl: sha256 {source['episodes_sha256'][:12]} (as recorded)" in text
    assert "by oracle" in text and "TAMPERED" not in text
    trace = exp / "rounds" / "r0" / "teachers" / "t0" / "episodes.jsonl"
    trace.write_text(trace.read_text().replace('"outcome":"resolved"', '"outcome":"failed"', 1))
    assert main(["round", "lineage", str(exp), "--round", "1"]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED episodes.jsonl: recorded sha256" in out and "PROBLEM: TAMPERED" in out


def test_a_held_out_task_planted_in_the_training_pool_stops_extract_with_a_leak(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = small_experiment(tmp_path / "exp", base, train=[TRAIN[0], HELD_OUT[0]], held_out=HELD_OUT[:1])
    assert main(["round", "run", str(exp)]) == 2
    err = capsys.readouterr().err
    assert "agentbench: error: LEAK:" in err and f"quixbugs-ts/{HELD_OUT[0]}" in err
    assert (
        read_manifest(exp / "rounds" / "r1", "extract") is None
        and not (exp / "rounds" / "r1" / "dataset").exists()
    )


def test_the_report_and_regenerated_datasets(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = copy(finished, tmp_path / "exp")
    capsys.readouterr()
    assert main(["round", "report", str(exp)]) == 0
    out = capsys.readouterr().out
    assert (
        "| round | pool | source | episodes | harness errors |" in out
        and "| 1 | held-out | quixbugs-ts | 1 | 0 |" in out
    )
    assert (exp / "report" / "report.md").is_file() and (
        exp / "report" / "valid_action_rate.png"
    ).stat().st_size > 1000
    assert main(["round", "datasets", str(exp)]) == 0
    assert "first regeneration" in capsys.readouterr().out
    assert main(["round", "datasets", str(exp)]) == 0
    assert "no count changed" in capsys.readouterr().out
    config = (exp / "experiment.toml").read_text()
    (exp / "experiment.toml").write_text(
        config.replace("max_steps_per_episode = 2", "max_steps_per_episode = 1")
    )
    assert main(["round", "datasets", str(exp)]) == 0  # an extractor that keeps fewer steps per episode
    out = capsys.readouterr().out
    assert "split train: 4 -> 2 (-2)" in out and "filter over_max_steps: 4 -> 6 (+2)" in out
    assert "source model oracle: 4 -> 2 (-2)" in out and "source suite quixbugs-ts: 4 -> 2 (-2)" in out
    card = (exp / "datasets" / "003" / "CHANGES.md").read_text()
    assert card.startswith("# Since the last regeneration") and "- model oracle: 2\n" in card


def test_serving_through_vllm_starts_the_server_with_the_rounds_adapter(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vLLM cannot run here: FakeVllm (tests/fake_vllm.py, named as a fake) answers in its place,
    every reply a give-up. The serve stage starts it per round with the round's adapter."""
    executable = tmp_path / "vllm"
    executable.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_VLLM} "$@"\n')
    executable.chmod(0o755)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = {
        "kind": "vllm",
        "executable": str(executable),
        "port": port,
        "base_name": "base",
        "ready_timeout_s": 60,
    }
    exp = small_experiment(
        tmp_path / "exp",
        base,
        train=TRAIN[:2],
        held_out=HELD_OUT[:1],
        **{f"serve__{k}": v for k, v in serve.items()},
    )
    assert main(["round", "run", str(exp)]) == 0
    held_out = list(TraceStore(exp / "rounds" / "r1" / "eval" / "held-out").episodes())
    assert [e.model for e in held_out] == [f"openai:http://127.0.0.1:{port}/v1#round1"]
    assert held_out[0].stop_reason == "final_give_up"  # the fake's answer, through the served adapter's name
    assert read_manifest(exp / "rounds" / "r1", "serve").outputs["model"].endswith("#round1")
    assert "fake vllm serving ['base', 'round1']" in (exp / "rounds" / "r1" / "vllm.log").read_text()
    base_runs = list(TraceStore(exp / "rounds" / "r0" / "eval" / "held-out").episodes())
    assert base_runs[0].model == f"openai:http://127.0.0.1:{port}/v1#base"
    capsys.readouterr()


def test_the_loop_teaches_a_tiny_model_the_protocol_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The proof. Round 0: a small random model, served in-process, on 6 held-out bundled tasks: its
    replies almost never parse. The oracle's traces on the other 20 tasks are the teacher data (their
    first two steps: list the files, read the source). Round 1 trains an SFT adapter through the real
    stages and is evaluated on the held-out tasks, each episode stopping at its first protocol error.
    Its strict valid-action rate must rise from at most 5% to at least 25% of steps: across training
    seeds 0-3 it was 60-67% on the machine this was written on, and 33% once on the CI machine (float
    arithmetic differs between CPUs, and 6 episodes make a coarse measure). This measures that the
    loop carries a learning signal (the protocol's format), not model quality."""
    from agentbench_ts.models.scripted import oracle_actions
    from agentbench_ts.protocol import system_prompt
    from agentbench_ts.tasks.suite import load_suite

    corpus = [system_prompt()] * 5
    for task in load_suite(QUIXBUGS, TRAIN):
        corpus += [action.to_json() for action in oracle_actions(task)] * 2
    base = build_protocol_learner(tmp_path / "base", corpus)
    sections: dict[str, dict[str, Any]] = {
        "tasks": {"train": [suite(TRAIN)], "eval": [suite(HELD_OUT)]},
        "run": {"concurrency": 2},
        "run.agent": {"max_steps": 8, "test_policy": "never", "max_consecutive_protocol_errors": 1},
        "run.model.sampling": {"max_tokens": 160},
        "run.sandbox": {"type": "local", "path_env": os.environ["PATH"]},
        "teachers": {"models": ["oracle"]},
        "extract": {"require_valid_action": True, "max_steps_per_episode": 2},
        "train": {
            "max_steps": 200,
            "batch_size": 8,
            "grad_accum": 1,
            "learning_rate": 5e-3,
            "warmup_ratio": 0.0,
            "max_length": 16384,
        },
        "train.lora": {"r": 32, "alpha": 64},
    }
    exp = write_experiment(tmp_path / "proof", sections, {"name": "proof", "base": str(base), "rounds": 1})
    assert main(["round", "run", str(exp)]) == 0
    rates = {
        r: read_manifest(exp / "rounds" / f"r{r}", "eval").details["held-out"]["valid_action_rate"]
        for r in (0, 1)
    }  # type: ignore[union-attr,index]
    assert rates[0] <= 0.05 and rates[1] >= 0.25, rates
    assert main(["round", "report", str(exp)]) == 0
    assert "| 1 | held-out | quixbugs-ts | 6 | 0 |" in capsys.readouterr().out


def test_the_base_is_known_by_every_file_it_holds_hashed_once(tmp_path: Path) -> None:
    from agentbench_ts.rounds.manifest import folder_fingerprint

    base, cache = tmp_path / "base", tmp_path / "hashes.json"
    base.mkdir()
    (base / "config.json").write_text("{}")
    (base / "model.safetensors").write_bytes(b"\0" * 64)
    first = folder_fingerprint(base, cache)
    assert folder_fingerprint(base, cache) == first and str(base / "model.safetensors") in cache.read_text()
    (base / "model.safetensors").write_bytes(b"\1" * 64)  # other weights, the same config
    os.utime(base / "model.safetensors", ns=(1, 1))
    assert folder_fingerprint(base, cache) != first
