"""The run config is the recipe: recorded whole in run.json, and `agentbench run --from` re-creates
the run from it; `agentbench regrade` grades a recorded run again without running the agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentbench_ts.cli.main import main
from agentbench_ts.errors import ConfigError
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import RunConfig, recorded_config
from agentbench_ts.sandbox.config import DockerSandboxConfig, LocalSandboxConfig, PluginSandboxConfig
from agentbench_ts.traces import TraceStore

from conftest import QUIXBUGS

FLAGS = [
    "--tasks", f"suite:{QUIXBUGS}?only=gcd,sieve", "--task", "gcd", "--samples", "2", "--seed", "7",
    "--max-steps", "12", "--max-wall-s", "300", "--test-policy", "end", "--lenient",
    "--temperature", "0.3", "--top-p", "0.9", "--max-tokens", "256", "--stop", "</s>",
    "--request-timeout", "60",
]  # fmt: skip


def _config(run_dir: Path) -> dict[str, Any]:
    recorded = json.loads((run_dir / "run.json").read_text())["config"]
    assert isinstance(recorded, dict)
    return recorded


def _same_recipe(first: dict[str, Any], second: dict[str, Any]) -> None:
    """Field by field: everything but where the run went and the command that started it."""
    assert set(first) == set(second)
    for field in sorted(set(first) - {"out_dir", "command"}):
        assert first[field] == second[field], field


def test_from_reproduces_the_recorded_run_field_by_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["run", *FLAGS, "--model", "oracle", "--out", str(first)]) == 0
    original = _config(first)
    assert original["only"] == ["gcd"] and original["samples"] == 2 and original["agent"]["max_steps"] == 12
    assert original["model"]["options"]["sampling"] == {
        "temperature": 0.3, "top_p": 0.9, "max_tokens": 256, "seed": None, "stop": ["</s>"],
    }  # fmt: skip
    assert original["sandbox"]["type"] == "local" and original["graders"] == {"tap": {}}
    assert main(["run", "--from", str(first), "--out", str(second)]) == 0
    _same_recipe(original, _config(second))
    rerun = json.loads((second / "run.json").read_text())
    assert (
        rerun["task_ids"] == json.loads((first / "run.json").read_text())["task_ids"] == ["quixbugs-ts/gcd"]
    )
    assert sorted(e.key for e in TraceStore(second).episodes()) == [
        ("quixbugs-ts/gcd", 0),
        ("quixbugs-ts/gcd", 1),
    ]
    # Without --out it resumes the recorded run itself: nothing left to do, nothing duplicated.
    assert main(["run", "--from", str(first)]) == 0
    assert len(list(TraceStore(first).episodes())) == 2
    capsys.readouterr()


def test_from_takes_no_recipe_flags_and_refuses_runs_without_a_config(tmp_path: Path) -> None:
    run = tmp_path / "old"
    run.mkdir()
    legacy = {
        "run_id": "old", "created_at": "then", "model": "oracle", "suite": "tasks/quixbugs-ts",
        "task_ids": [], "samples": 1, "sandbox": "local", "agent": {}, "seed": 0,
        "harness_version": "0.1.0", "git_sha": None, "command": [],
    }  # fmt: skip
    (run / "run.json").write_text(json.dumps({"schema_version": 1, **legacy}))
    assert TraceStore(run).run_info().config is None  # a v1 run still loads
    with pytest.raises(ConfigError, match="predates recorded run configs"):
        recorded_config(run)
    assert main(["run", "--from", str(run), "--model", "oracle"]) == 2


def test_the_sandbox_config_is_told_apart_by_its_type(tmp_path: Path) -> None:
    for sandbox in (
        LocalSandboxConfig(path_env="/bin"),
        DockerSandboxConfig(limits={"cpus": 1.5, "memory_bytes": 1 << 30}),  # type: ignore[arg-type]
        PluginSandboxConfig(type="mypkg.sandboxes:vm", options={"vcpus": 2}),
    ):
        config = RunConfig(out_dir=tmp_path, sandbox=sandbox)
        again = RunConfig.model_validate_json(config.model_dump_json())
        assert again == config and type(again.sandbox) is type(sandbox)


@pytest.mark.docker
def test_from_reproduces_docker_limits_and_grader_options(task_images, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "first", tmp_path / "second"
    flags = ["--tasks", f"suite:{QUIXBUGS}?only=gcd", "--model", "oracle", "--sandbox", "docker"]
    flags += ["--sandbox-cpus", "1", "--sandbox-memory-gb", "0.5", "--test-policy", "never"]
    assert main(["run", *flags, "--out", str(first)]) == 0
    original = _config(first)
    assert original["sandbox"]["limits"]["cpus"] == 1.0
    assert original["sandbox"]["limits"]["memory_bytes"] == 1 << 29
    assert main(["run", "--from", str(first), "--out", str(second)]) == 0
    _same_recipe(original, _config(second))
    [episode] = TraceStore(second).episodes()
    assert episode.outcome == "resolved"
    capsys.readouterr()


def _replies(tmp_path: Path) -> Path:
    """A model that writes a wrong fix and says it is done."""
    wrong = "export const gcd = (a: number, b: number) => a;\n"
    replies = [
        ToolCall("write_file", {"rel_path": "src/gcd.ts", "content": wrong}).to_json(),
        Final("done", "fixed").to_json(),
    ]
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(replies))
    return path


def test_regrade_grades_recorded_patches_again_by_the_same_or_another_grader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, same, other = tmp_path / "run", tmp_path / "same", tmp_path / "other"
    tasks = ["--tasks", f"suite:{QUIXBUGS}?only=gcd,sieve", "--test-policy", "never"]
    assert main(["run", *tasks, "--model", "oracle", "--out", str(run)]) == 0
    assert main(["regrade", str(run), "--out", str(same)]) == 0
    before, after = list(TraceStore(run).episodes()), list(TraceStore(same).episodes())
    assert {e.episode_id: (e.outcome, e.patch) for e in before} == {
        e.episode_id: (e.outcome, e.patch) for e in after
    }
    info = TraceStore(same).run_info()
    assert info.regraded_from is not None and info.regraded_from.run_id == TraceStore(run).run_info().run_id
    assert info.run_id != TraceStore(run).run_info().run_id
    # Another grader, with options: the demo grader asks for more tests than a quixbugs task has.
    flags = [
        "--grader",
        "plugin_demo:demo_grader",
        "--grader-option",
        "plugin_demo:demo_grader.min_passed=99",
    ]
    assert main(["regrade", str(run), "--out", str(other), *flags]) == 0
    regraded = list(TraceStore(other).episodes())
    assert {e.outcome for e in regraded} == {"failed"}
    assert all(e.final_tests and e.final_tests.summary.startswith("demo grader") for e in regraded)
    assert _config(other)["graders"] == {"plugin_demo:demo_grader": {"min_passed": 99}}
    assert main(["regrade", str(run), "--out", str(other), *flags]) == 0  # resumes: nothing twice
    assert len(list(TraceStore(other).episodes())) == 2
    assert main(["regrade", str(run), "--out", str(run)]) == 2  # never over the run it reads
    capsys.readouterr()


def test_a_regraded_wrong_patch_stays_wrong_and_a_patch_that_does_not_apply_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    tasks = ["--tasks", f"suite:{QUIXBUGS}?only=gcd", "--test-policy", "never"]
    assert main(["run", *tasks, "--model", f"replay:{_replies(tmp_path)}", "--out", str(run)]) == 0
    [episode] = TraceStore(run).episodes()
    assert episode.outcome == "failed" and "src/gcd.ts" in episode.patch
    assert main(["regrade", str(run), "--out", str(tmp_path / "again")]) == 0
    [again] = TraceStore(tmp_path / "again").episodes()
    assert again.outcome == "failed" and again.final_tests and episode.final_tests
    assert again.final_tests.tests == episode.final_tests.tests and not again.final_tests.resolved
    broken = episode.model_copy(update={"patch": episode.patch.replace("-", "~", 3)})
    (run / "episodes.jsonl").write_text(broken.model_dump_json() + "\n")
    assert main(["regrade", str(run), "--out", str(tmp_path / "broken")]) == 0
    [failed] = TraceStore(tmp_path / "broken").episodes()
    assert failed.outcome == "error" and "the patch does not apply" in (failed.error or "")
    capsys.readouterr()
