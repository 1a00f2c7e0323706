"""Agent mode: MultiPL-E problems as repository tasks (`multiple:FILE`), solved through the protocol
and graded in the sandbox with MultiPL-E's verdicts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from multiple_corpus import CORRECT, SAMPLE, sample_records

from agentbench_ts.models.scripted import ReplayModel, oracle_factory
from agentbench_ts.multiple.agent_tasks import MultipleOptions, MultipleSource
from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.reference import evaluate_reference
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import DockerSandboxConfig, LocalSandboxConfig
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.grading import run_tests
from agentbench_ts.tasks.sources import SourceContext
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.task import Task

from conftest import QUIXBUGS

TOOLCHAIN = QUIXBUGS / "toolchain"
ENV = {"PATH": os.environ["PATH"]}
NAMES = ["HumanEval_13_greatest_common_divisor", "HumanEval_11_string_xor"]


def write_solutions(path: Path) -> Path:
    """CORRECT as a completions file (MultiPL-E's jsonl form)."""
    path.write_text("".join(json.dumps({"name": n, "completions": [b]}) + "\n" for n, b in CORRECT.items()))
    return path


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> list[Task]:
    root = tmp_path_factory.mktemp("agent")
    # A cold tsc on a loaded CI machine can take over 5 s; MultiPL-E calls a compile past the timeout a
    # SyntaxError, which would blame the oracle for the machine.
    options = MultipleOptions(solutions=str(write_solutions(root / "solutions.jsonl")), timeout_s=60)
    source = MultipleSource(str(SAMPLE), options, SourceContext(root, root / "cache"))
    return [task for task in source.load().tasks if task.task_id.rsplit("/", 1)[-1] in NAMES]


def test_the_tests_stay_outside_the_workspace(tasks: list[Task]) -> None:
    task = tasks[0]
    assert sorted(p.name for p in task.repo_dir.iterdir()) == ["solution.ts"]
    assert "tests.ts" not in task.instructions and "hidden" in task.instructions
    assert task.fail_to_pass == (task.task_id.rsplit("/", 1)[-1],) and task.grader == "tap"
    assert task.toolchain_dir is not None and (task.toolchain_dir / "node_modules" / "typescript").is_dir()
    assert task.gold_files()["solution.ts"].endswith(CORRECT[task.fail_to_pass[0]] + "\n")


@pytest.mark.slow
def test_the_oracle_resolves_and_a_give_up_fails(tasks: list[Task], tmp_path: Path) -> None:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=ENV["PATH"]))
    oracle = run_tasks(
        RunConfig(out_dir=tmp_path / "oracle"),
        tasks=tasks,
        make_model=oracle_factory(),
        make_sandbox=make_sandbox,
    )
    assert {e.task_id: e.outcome for e in oracle.episodes()} == {t.task_id: "resolved" for t in tasks}
    give_up = Final("give_up", "no idea").to_json()
    stubborn = run_tasks(
        RunConfig(out_dir=tmp_path / "give-up"),
        tasks=tasks,
        make_model=lambda task: ReplayModel(
            [ToolCall("read_file", {"rel_path": "solution.ts"}).to_json(), give_up]
        ),
        make_sandbox=make_sandbox,
    )
    for episode in stubborn.episodes():
        assert episode.outcome == "failed"
        assert episode.final_tests is not None and "# status: Exception" in episode.final_tests.output_tail


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    ["  return a;\n}", '  return "x" as any as number + ;\n}', "  while (true) {}\n}", CORRECT[NAMES[0]]],
)
def test_the_sandbox_grader_gives_the_reference_verdict(tasks: list[Task], body: str) -> None:
    [task] = [t for t in tasks if t.task_id.endswith(NAMES[0])]
    record = sample_records()[NAMES[0]]
    solution = (task.repo_dir / "solution.ts").read_text().rsplit("  throw", 1)[0] + body + "\n"
    with LocalSandbox(task.repo_dir, task.toolchain_dir, path_env=ENV["PATH"]) as sandbox:
        sandbox.workspace.write_file("solution.ts", solution)
        report = run_tests(task, sandbox)
        assert sandbox.exec("git status --porcelain", 10).output == " M solution.ts\n"  # nothing left behind
    reference = evaluate_reference(
        program_of(record.model_copy(update={"prompt": ""}), solution), TOOLCHAIN, ENV, 5, 120
    )
    assert f"# status: {reference.status}" in report.output_tail
    assert report.resolved == (reference.status == "OK")


def test_cli_exports_a_suite_with_visible_tests(tmp_path: Path, tasks: list[Task]) -> None:
    from agentbench_ts.cli.main import main

    out = tmp_path / "suite"
    argv = ["multiple", "agent-suite", "--records", str(SAMPLE), "--out", str(out), "--show-tests"]
    assert main([*argv, "--solutions", str(write_solutions(tmp_path / "s.jsonl"))]) == 0
    exported = load_suite(out)
    assert len(exported) == 7
    assert all(sorted(p.name for p in t.repo_dir.iterdir()) == ["solution.ts", "tests.ts"] for t in exported)
    assert all(t.gold_files() for t in exported)
    assert sorted(p.name for p in (out / "toolchain").iterdir()) == ["package-lock.json", "package.json"]
    assert main(argv) == 2  # refuses a non-empty folder


@pytest.mark.docker
def test_the_oracle_resolves_in_a_docker_sandbox(tasks: list[Task], tmp_path: Path, task_images) -> None:  # type: ignore[no-untyped-def]
    config = RunConfig(out_dir=tmp_path / "run", sandbox=DockerSandboxConfig())
    [episode] = run_tasks(config, tasks=tasks[:1], make_model=oracle_factory()).episodes()
    assert episode.outcome == "resolved", episode.final_tests


@pytest.mark.slow
@pytest.mark.parametrize("warm", [False, True], ids=["cold-tsc", "warm-tsc"])
def test_grade_js_gives_multipl_e_verdicts_on_the_whole_evaluator_corpus(tmp_path: Path, warm: bool) -> None:
    """grade.js is the in-sandbox copy of the verdict rules: every program of the evaluator corpus
    (the one the Python reference and the fast evaluator are held to) gets the same verdict from it,
    with tsc cold and through the sandbox's warm compiler."""
    from concurrent.futures import ThreadPoolExecutor

    from multiple_corpus import corpus

    from agentbench_ts.multiple.agent_tasks import GRADE_SCRIPT
    from agentbench_ts.sandbox.warm_tsc import STATE_VARIABLE, stop_server, write_launcher

    modules = (QUIXBUGS / "toolchain" / "node_modules").resolve()
    (tmp_path / "node_modules").symlink_to(modules)
    tests = {record.tests for record in sample_records().values()}
    environment = dict(os.environ)
    if warm:
        launcher = write_launcher(tmp_path / "warm-bin").parent
        environment["PATH"] = f"{launcher}:{modules / '.bin'}:{environment['PATH']}"
        environment[STATE_VARIABLE] = str(tmp_path / "warm-tsc")

    def grade(index: int, program: str) -> str:
        [suite_tests] = [t for t in tests if program.endswith("\n" + t)]
        folder = tmp_path / f"p{index}"
        folder.mkdir()
        (folder / "solution.ts").write_text(program[: -len("\n" + suite_tests)])
        (folder / "tests.ts").write_text(suite_tests)
        done = subprocess.run(
            ["node", str(GRADE_SCRIPT), "p", "12", "tests.ts"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            env=environment,
        )
        return next(
            line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("# status: ")
        )

    cases = corpus()
    try:
        with ThreadPoolExecutor(2) as pool:
            graded = list(pool.map(lambda item: grade(item[0], item[1][1]), enumerate(cases)))
    finally:
        stop_server(tmp_path / "warm-tsc")
    assert [(label, status) for (label, _, status) in cases] == list(
        zip([label for label, _, _ in cases], graded, strict=True)
    )
    assert (tmp_path / "warm-tsc" / "server.log").is_file() == warm  # the warm compiler was used
