"""Tasks as pytest items (the plugin, through pytester in subprocesses as users run it): one record per
(task, sample) in one store under xdist, resume after a SIGKILL, harness errors apart, flaky gold
verdicts, selection, JUnit properties, the docker sandbox, configuration files and the fixtures."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from toy_suites import toy_suite

from agentbench_ts.cli.main import main
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore

from conftest import QUIXBUGS, REPO_ROOT

pytest_plugins = ["pytester"]
QUIX = ["bitcount", "gcd", "hanoi", "flatten"]


def quix_spec() -> str:
    return f"suite:{QUIXBUGS}"


def only(names: list[str]) -> list[str]:
    return [arg for name in names for arg in ("--task", name)]


def agentbench(flags: list[str]) -> list[str]:
    return [flag.replace("--", "--agentbench-", 1) if flag.startswith("--") else flag for flag in flags]


def run_pytest(pytester: pytest.Pytester, *args: str, timeout: float = 600) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=timeout)


def comparable(episode: EpisodeRecord) -> tuple[Any, ...]:
    """Everything but ids and times."""
    return (
        episode.task_id,
        episode.sample_index,
        episode.outcome,
        episode.stop_reason,
        episode.patch,
        episode.messages,
        [
            (s.raw_completion, s.action, s.tool_result.output if s.tool_result else None)
            for s in episode.steps
        ],
        episode.final_tests.tests if episode.final_tests else None,
    )


@pytest.fixture
def local_env(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Subprocesses see the tests' helper modules (plug-ins for the error tests)."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    )
    return pytester


@pytest.mark.slow
def test_xdist_items_pass_into_one_store_equal_to_agentbench_run(
    local_env: pytest.Pytester, tmp_path: Path
) -> None:
    out = local_env.path / "out"
    result = run_pytest(
        local_env,
        "-n", "2", "--dist", "loadgroup",
        "--agentbench-tasks", quix_spec(), *agentbench(only(QUIX)),
        "--agentbench-model", "oracle", "--agentbench-samples", "2", "--agentbench-out", str(out),
    )  # fmt: skip
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(
        ["*resolved         8/8 (100.0%)*", "*items: 8: 8 ran now, 0 from the store*"]
    )
    store = TraceStore(out)
    episodes = list(store.episodes())
    assert sorted(e.key for e in episodes) == sorted((f"quixbugs-ts/{n}", s) for n in QUIX for s in (0, 1))
    assert len({e.run_id for e in episodes}) == 1 and episodes[0].run_id == store.run_info().run_id

    argv = ["run", "--tasks", quix_spec(), *only(QUIX), "--model", "oracle", "--samples", "2"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    reference = TraceStore(tmp_path / "run")
    assert sorted(map(comparable, episodes)) == sorted(map(comparable, reference.episodes()))
    assert store.run_info().compatibility_key() == reference.run_info().compatibility_key()


@pytest.mark.slow
def test_a_killed_pytest_run_resumes_with_the_remaining_items_only(local_env: pytest.Pytester) -> None:
    out = local_env.path / "out"
    args = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
        "--agentbench-tasks", quix_spec(), "--agentbench-model", "oracle", "--agentbench-out", str(out),
    ]  # fmt: skip
    mark = uuid.uuid4().hex
    controller = subprocess.Popen(
        args,
        cwd=local_env.path,
        env={**os.environ, "AGENTBENCH_KILL_TEST": mark},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    episodes = out / "episodes.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and controller.poll() is None:
        if episodes.is_file() and len(episodes.read_bytes().splitlines()) >= 3:
            controller.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    controller.wait(timeout=60)
    assert controller.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    _workers_exit(mark)
    before = len(list(TraceStore(out).episodes()))
    total = len([p for p in QUIXBUGS.iterdir() if (p / "task.json").is_file()])
    assert 3 <= before < total

    result = run_pytest(local_env, "-n", "2", *args[args.index("--agentbench-tasks") :])
    result.assert_outcomes(passed=total)
    result.stdout.fnmatch_lines([f"*items: {total}: {total - before} ran now, {before} from the store*"])
    keys = [e.key for e in TraceStore(out).episodes()]
    assert len(keys) == len(set(keys)) == total


def _workers_exit(mark: str) -> None:
    """The killed controller's xdist workers (found by a variable of their environment) notice they
    are orphaned and exit (see orphans.py)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if not [proc for proc in Path("/proc").glob("[0-9]*") if mark.encode() in _environ(proc)]:
            return
        time.sleep(0.1)
    raise AssertionError("pytest workers still ran 90 s after their controller was killed")


def _environ(proc: Path) -> bytes:
    try:
        return (proc / "environ").read_bytes()
    except OSError:
        return b""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_harness_errors_are_pytest_errors_counted_apart(local_env: pytest.Pytester) -> None:
    suite = toy_suite(local_env.path / "toy", local_env.path / "counter")
    common = ["--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add"]
    broken = run_pytest(
        local_env, *common, "--agentbench-model", "oracle", "--agentbench-out", "broken-sandbox",
        "--agentbench-sandbox", "plugin_demo:broken_sandboxes",
    )  # fmt: skip
    broken.assert_outcomes(errors=1)
    broken.stdout.fnmatch_lines(
        [
            "*harness error, not a model failure (harness_error)*",
            "*SandboxError: the demo backend cannot start a sandbox*",
            "*harness errors   1 (not in the resolved rate)*",
            "*harness errors: 1 (harness_error 1): pytest errors, not failures*",
        ]
    )
    down = run_pytest(
        local_env, *common, "--agentbench-out", "server-down", "--agentbench-max-retries", "1",
        "--agentbench-model", f"openai:http://127.0.0.1:{_free_port()}/v1#nobody",
    )  # fmt: skip
    down.assert_outcomes(errors=1)
    down.stdout.fnmatch_lines(
        ["*harness error, not a model failure (model_error)*", "*resolved         0/0 (0.0%)*"]
    )


def test_a_task_whose_gold_verdict_flips_is_flaky_and_xfail(local_env: pytest.Pytester) -> None:
    suite = toy_suite(local_env.path / "toy", local_env.path / "counter")
    result = run_pytest(
        local_env, "--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle",
        "--agentbench-out", "out", "--agentbench-gold-reruns", "4", "-rxX",
    )  # fmt: skip
    result.stdout.fnmatch_lines(["*flaky task toy/flaky: flaky: the gold fix resolved it in ? of 4 runs*"])
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 1 and outcomes.get("xfailed", 0) + outcomes.get("xpassed", 0) == 1
    checks = json.loads((local_env.path / "out" / "gold_checks.json").read_text())
    assert checks["4"]["toy/add"] == [True] * 4 and set(checks["4"]["toy/flaky"]) == {True, False}


def test_selection_by_keyword_and_marker_and_junit_properties(local_env: pytest.Pytester) -> None:
    suite = toy_suite(local_env.path / "toy", local_env.path / "counter")
    common = [
        "--agentbench-tasks",
        f"suite:{suite}",
        "--agentbench-model",
        "oracle",
        "--agentbench-out",
        "out",
    ]
    by_marker = run_pytest(local_env, *common, "-m", "arith and toy and suite", "--collect-only", "-q")
    by_marker.stdout.fnmatch_lines([f"suite:{suite}::toy/add[[]0[]]", "*1/2 tests collected (1 deselected)*"])
    by_keyword = run_pytest(local_env, *common, "-k", "flaky", "--collect-only", "-q")
    by_keyword.stdout.fnmatch_lines(
        [f"suite:{suite}::toy/flaky[[]0[]]", "*1/2 tests collected (1 deselected)*"]
    )

    run_pytest(local_env, *common, "-k", "add", "--junitxml", "junit.xml").assert_outcomes(passed=1)
    case = ET.parse(local_env.path / "junit.xml").getroot().find(".//testcase")
    assert case is not None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert (
        properties["agentbench_outcome"] == "resolved"
        and properties["agentbench_stop_reason"] == "final_done"
    )
    assert properties["agentbench_steps"] == "4" and properties["agentbench_parse_errors"] == "0"
    assert {"agentbench_prompt_tokens", "agentbench_completion_tokens", "agentbench_episode_id"} <= set(
        properties
    )


def test_a_failing_episode_reads_as_a_failure_report(local_env: pytest.Pytester) -> None:
    suite = toy_suite(local_env.path / "toy", local_env.path / "counter")
    replies = local_env.path / "replies.json"
    replies.write_text(json.dumps(['{"type":"final","status":"give_up","message":"no"}']))
    args = [
        "--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add", "--agentbench-out", "out",
        "--agentbench-model", f"replay:{replies}", "--agentbench-test-policy", "end",
    ]  # fmt: skip
    result = run_pytest(local_env, *args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*toy/add sample 0: failed (final_give_up) after 1 steps, 0 parse errors*",
            "*patch: 0 file(s), 0 bytes*",
            "*last tests: *",
            f"*trace: {local_env.path / 'out' / 'episodes.jsonl'}*",
        ]
    )
    rerun = run_pytest(local_env, *args, "--agentbench-rerun-failed")
    rerun.assert_outcomes(failed=1)
    assert sorted(e.sample_index for e in TraceStore(local_env.path / "out").episodes()) == [0, 1]


def test_options_come_from_pyproject_and_the_ini(local_env: pytest.Pytester) -> None:
    suite = toy_suite(local_env.path / "toy", local_env.path / "counter")
    local_env.makepyprojecttoml(
        f"""
        [tool.agentbench]
        tasks = ["suite:{suite}"]
        task = ["add"]
        model = "oracle"
        out = "from-pyproject"
        samples = 2
        """
    )
    run_pytest(local_env).assert_outcomes()  # not asked: no items
    run_pytest(local_env, "--agentbench").assert_outcomes(passed=2)
    assert len(list(TraceStore(local_env.path / "from-pyproject").episodes())) == 2
    local_env.makeini("[pytest]\nagentbench_out = from-ini\nagentbench_samples = 1\n")
    run_pytest(local_env, "--agentbench").assert_outcomes(passed=1)
    assert (local_env.path / "from-ini" / "episodes.jsonl").is_file()
    local_env.makepyprojecttoml("[tool.agentbench]\nsampels = 2\n")
    (local_env.path / "tox.ini").unlink()
    wrong = run_pytest(local_env, "--agentbench")
    wrong.stderr.fnmatch_lines(["*[[]tool.agentbench[]] in pyproject.toml: unknown option(s) sampels*"])


def test_the_fixtures_example_runs(local_env: pytest.Pytester) -> None:
    example = REPO_ROOT / "examples" / "test_my_policy.py"
    local_env.makepyfile(test_my_policy=example.read_text())
    (local_env.path / "tasks").symlink_to(REPO_ROOT / "tasks")
    run_pytest(local_env, "test_my_policy.py").assert_outcomes(passed=3)


@pytest.mark.docker
@pytest.mark.slow
def test_items_in_docker_sandboxes_under_two_workers(local_env: pytest.Pytester, task_images: Any) -> None:
    out = local_env.path / "out"
    result = run_pytest(
        local_env, "-n", "2", "--dist", "loadgroup",
        "--agentbench-tasks", quix_spec(), *agentbench(only(QUIX[:2])), "--agentbench-sandbox", "docker",
        "--agentbench-model", "oracle", "--agentbench-samples", "2", "--agentbench-out", str(out),
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    result.stderr.fnmatch_lines(["*building the images of 2 sandbox(es) (once, before the episodes)*"])
    keys = sorted(e.key for e in TraceStore(out).episodes())
    assert keys == sorted((f"quixbugs-ts/{n}", s) for n in QUIX[:2] for s in (0, 1))
