"""The bundled quixbugs-ts suite: every task is valid, and the oracle resolves every one via the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench_ts.cli.main import main
from agentbench_ts.tasks import load_suite
from agentbench_ts.traces import TraceStore

from conftest import QUIXBUGS

pytestmark = pytest.mark.slow


def test_the_suite_has_at_least_twenty_tasks_with_gold_fixes() -> None:
    tasks = load_suite(QUIXBUGS)
    assert len(tasks) >= 20
    for task in tasks:
        assert task.gold_files(), task.task_id
        assert all(path.startswith("src/") for path in task.gold_files()), task.task_id


def test_tasks_validate_passes_for_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "validate", str(QUIXBUGS)]) == 0
    out = capsys.readouterr().out
    assert f"{len(load_suite(QUIXBUGS))} valid, 0 invalid" in out


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("runs") / "oracle"
    code = main(["run", "--suite", str(QUIXBUGS), "--model", "oracle", "--out", str(out)])
    return out, code


def test_oracle_resolves_every_bundled_task(oracle_run: tuple[Path, int]) -> None:
    out, code = oracle_run
    assert code == 0
    records = list(TraceStore(out).episodes())
    assert sorted(r.task_id for r in records) == sorted(t.task_id for t in load_suite(QUIXBUGS))
    unresolved = [
        (r.task_id, r.final_tests.summary if r.final_tests else r.error)
        for r in records
        if r.outcome != "resolved"
    ]
    assert unresolved == []


def test_report_summarizes_the_run(oracle_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = oracle_run
    capsys.readouterr()
    assert main(["report", str(out), "--episodes"]) == 0
    text = capsys.readouterr().out
    n = len(load_suite(QUIXBUGS))
    assert f"resolved         {n}/{n} (100.0%)" in text
    assert "parse errors     0 (-)" in text
    assert "mean steps       4.00" in text
    assert "quixbugs-ts/gcd" in text


def test_run_rejects_an_unknown_model_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--suite", str(QUIXBUGS), "--model", "gpt-9", "--out", str(tmp_path / "r")]) == 2
    assert "unknown model 'gpt-9'; available: hf, openai, oracle, replay" in capsys.readouterr().err


@pytest.mark.docker
def test_tasks_validate_inside_docker(task_images, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["tasks", "validate", str(QUIXBUGS), "--sandbox", "docker"]) == 0
    assert f"{len(load_suite(QUIXBUGS))} valid, 0 invalid" in capsys.readouterr().out


@pytest.mark.docker
def test_oracle_resolves_every_bundled_task_in_docker(task_images, docker_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "docker-oracle"
    assert (
        main(["run", "--suite", str(QUIXBUGS), "--model", "oracle", "--sandbox", "docker", "--out", str(out)])
        == 0
    )
    records = list(TraceStore(out).episodes())
    assert len(records) == len(load_suite(QUIXBUGS))
    assert [r.task_id for r in records if r.outcome != "resolved"] == []
    from agentbench_ts.sandbox.docker.sandbox import OWNER_LABEL, SANDBOX_LABEL, owner_label

    mine = {"label": [SANDBOX_LABEL, f"{OWNER_LABEL}={owner_label()}"]}  # other workers' may be running
    assert docker_client.containers.list(all=True, filters=mine) == []
