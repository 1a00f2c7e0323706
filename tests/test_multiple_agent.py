"""Agent mode: MultiPL-E problems as repository tasks, solved through the protocol and graded in
the sandbox with MultiPL-E's verdicts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from multiple_corpus import CORRECT, sample_records

from agentbench_ts.models.scripted import ReplayModel, oracle_factory
from agentbench_ts.multiple.agent_suite import write_agent_suite
from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.reference import evaluate_reference
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import SandboxConfig
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.grading import run_tests
from agentbench_ts.tasks.suite import load_suite

from conftest import QUIXBUGS

TOOLCHAIN = QUIXBUGS / "toolchain"
ENV = {"PATH": os.environ["PATH"]}
NAMES = ["HumanEval_13_greatest_common_divisor", "HumanEval_11_string_xor"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = [r for r in sample_records().values() if r.name in NAMES]
    out = tmp_path_factory.mktemp("agent") / "suite"
    return write_agent_suite(records, out, TOOLCHAIN, solutions=CORRECT, timeout_s=5)


def test_the_tests_stay_outside_the_workspace(suite: Path) -> None:
    task = load_suite(suite, only=[NAMES[0]])[0]
    assert sorted(p.name for p in task.repo_dir.iterdir()) == ["solution.ts"]
    assert "tests.ts" not in task.instructions and "hidden" in task.instructions
    assert task.fail_to_pass == (NAMES[0],)


@pytest.mark.slow
def test_the_oracle_resolves_and_a_give_up_fails(suite: Path, tmp_path: Path) -> None:
    tasks = load_suite(suite)
    make_sandbox = sandbox_factory(SandboxConfig(kind="local", path_env=ENV["PATH"]))
    oracle = run_tasks(
        RunConfig(tmp_path / "oracle", "multipl-e", "oracle"), tasks, oracle_factory(), make_sandbox
    )
    assert {e.task_id: e.outcome for e in oracle.episodes()} == {t.task_id: "resolved" for t in tasks}
    give_up = Final("give_up", "no idea").to_json()
    stubborn = run_tasks(
        RunConfig(tmp_path / "give-up", "multipl-e", "replay"),
        tasks,
        lambda task: ReplayModel([ToolCall("read_file", {"rel_path": "solution.ts"}).to_json(), give_up]),
        make_sandbox,
    )
    for episode in stubborn.episodes():
        assert episode.outcome == "failed"
        assert episode.final_tests is not None and "# status: Exception" in episode.final_tests.output_tail


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    ["  return a;\n}", '  return "x" as any as number + ;\n}', "  while (true) {}\n}", CORRECT[NAMES[0]]],
)
def test_the_sandbox_grader_gives_the_reference_verdict(suite: Path, body: str) -> None:
    task = load_suite(suite, only=[NAMES[0]])[0]
    record = sample_records()[NAMES[0]]
    solution = (task.repo_dir / "solution.ts").read_text().rsplit("  throw", 1)[0] + body + "\n"
    with LocalSandbox(task.repo_dir, task.toolchain_dir, path_env=ENV["PATH"]) as sandbox:
        sandbox.workspace.write_file("solution.ts", solution)
        report = run_tests(task, sandbox)
    reference = evaluate_reference(
        program_of(record.model_copy(update={"prompt": ""}), solution), TOOLCHAIN, ENV, 5, 120
    )
    assert f"# status: {reference.status}" in report.output_tail
    assert report.resolved == (reference.status == "OK")


def test_cli_writes_a_suite_with_visible_tests(tmp_path: Path) -> None:
    from multiple_corpus import SAMPLE

    from agentbench_ts.cli.main import main

    out = tmp_path / "suite"
    argv = ["multiple", "agent-suite", "--records", str(SAMPLE), "--out", str(out), "--show-tests"]
    assert main([*argv, "--toolchain", str(TOOLCHAIN)]) == 0
    tasks = load_suite(out)
    assert len(tasks) == 7
    assert all(sorted(p.name for p in t.repo_dir.iterdir()) == ["solution.ts", "tests.ts"] for t in tasks)
    assert main([*argv, "--toolchain", str(TOOLCHAIN)]) == 2  # refuses a non-empty folder


@pytest.mark.docker
def test_the_oracle_resolves_in_a_docker_sandbox(suite: Path, tmp_path: Path, task_images) -> None:  # type: ignore[no-untyped-def]
    tasks = load_suite(suite, only=[NAMES[0]])
    make_sandbox = sandbox_factory(SandboxConfig(kind="docker", path_env=ENV["PATH"]))
    store = run_tasks(
        RunConfig(tmp_path / "run", "multipl-e", "oracle", sandbox="docker"),
        tasks,
        oracle_factory(),
        make_sandbox,
    )
    [episode] = list(store.episodes())
    assert episode.outcome == "resolved", episode.final_tests
