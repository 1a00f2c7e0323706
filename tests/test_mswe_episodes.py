"""Agent episodes on Multi-SWE-bench instances: the instance image's repository in a DockerSandbox,
the model working through the JSON protocol, the episode's `git diff` judged by the official harness.
Two synthetic TypeScript repositories (node:test and jest), registered like the official ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import ORG, REPOS, SyntheticRepo, make_repository, pull_request, register
from pydantic import JsonValue

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.errors import ConfigError, SandboxError, TaskDataError
from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.registry import model_factory
from agentbench_ts.models.scripted import ReplayModel
from agentbench_ts.mswe.config import BuildOptions, HarnessConfig
from agentbench_ts.mswe.grader import instance_record
from agentbench_ts.mswe.results import write_results
from agentbench_ts.mswe.runs import evaluate_patch, record_from_runs
from agentbench_ts.mswe.tasks import GRADER, instance_tasks
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.config import DockerLimits, DockerSandboxConfig, ImageConfig, LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces import TraceStore
from agentbench_ts.traces.records import EpisodeRecord

pytestmark = pytest.mark.docker
GRADING: dict[str, JsonValue] = {"timeout_s": 300, "cpus": 2, "memory_gb": 1}
BROKEN_PATCH = "diff --git a/nope.ts b/nope.ts\n--- a/nope.ts\n+++ b/nope.ts\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.fixture(scope="module", params=REPOS, ids=[spec.repo for spec in REPOS])
def instance(request, task_images, docker_client, workspace_copies, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One repository as an instance: its record (made by the three official runs), harness and task."""
    spec: SyntheticRepo = request.param
    parts = make_repository(tmp_path_factory.mktemp(spec.repo), spec)
    register(task_images.base(), spec)
    harness = HarnessConfig(
        BuildOptions(mirrors={spec.name: parts["mirror"]}), DockerLimits(cpus=2, memory_bytes=1 << 30), 300
    )
    record = record_from_runs(docker_client, pull_request(parts), harness).record
    [task] = instance_tasks(docker_client, [record], harness.build, workspace_copies)
    return {"spec": spec, "parts": parts, "harness": harness, "record": record, "task": task}


def _episodes(
    instance: dict[str, Any], docker_client: Any, workspace_copies: Any, make_model: ModelFactory, out: Path
) -> list[EpisodeRecord]:
    config = RunConfig(
        out_dir=out,
        model=ModelConfig(spec="test"),
        sandbox=DockerSandboxConfig(images=ImageConfig(workspaces=workspace_copies.root)),
        agent=AgentConfig(test_policy="never"),
        graders={GRADER: GRADING},  # the grader is found by the name the task gives
    )
    return run_tasks(config, tasks=[instance["task"]], make_model=make_model).episodes()


def test_the_task_starts_where_the_image_left_the_repository(instance: dict[str, Any]) -> None:
    task: Task = instance["task"]
    spec: SyntheticRepo = instance["spec"]
    assert task.image_repo_dir == f"/home/{spec.repo}" and task.grader == GRADER
    assert (task.repo_dir / "package.json").read_text() == '{"lockfileVersion": 3}\n'  # the setup's change
    assert (task.repo_dir / "node_modules").is_dir()
    assert task.gold_files() == spec.fix
    assert set(instance["record"].f2p_tests) == set(task.fail_to_pass) == set(spec.f2p)
    assert set(task.pass_to_pass) == set(instance["record"].p2p_tests)
    assert spec.title in task.instructions and spec.issue[2] in task.instructions


def test_the_oracle_resolves_through_the_protocol(
    instance: dict[str, Any], docker_client: Any, workspace_copies: Any, tmp_path: Path
) -> None:
    [episode] = _episodes(
        instance, docker_client, workspace_copies, model_factory("oracle"), tmp_path / "run"
    )
    assert episode.outcome == "resolved", episode.final_tests
    assert [s.action["name"] for s in episode.steps if s.action and s.action["type"] == "tool_call"][-1] == (
        "write_file"
    )
    # The patch is the episode's own change: the setup's dirty package.json is not in it.
    assert "package.json" not in episode.patch and next(iter(instance["spec"].fix)) in episode.patch
    assert episode.final_tests is not None and episode.final_tests.harness_report is not None
    assert episode.final_tests.harness_report["valid"] is True
    record = instance["record"]
    assert all(episode.final_tests.tests[name] == "pass" for name in [*record.f2p_tests, *record.p2p_tests])
    # The official harness, given this patch as a prediction, agrees.
    assert evaluate_patch(docker_client, record, episode.patch, instance["harness"]).resolved


def test_giving_up_or_a_partial_fix_is_not_resolved(
    instance: dict[str, Any], docker_client: Any, workspace_copies: Any, tmp_path: Path
) -> None:
    give_up = Final("give_up", "no idea").to_json()
    [episode] = _episodes(
        instance, docker_client, workspace_copies, lambda task: ReplayModel([give_up]), tmp_path / "give-up"
    )
    assert episode.outcome == "failed" and episode.patch == ""
    assert episode.final_tests is not None and "patch is empty" in episode.final_tests.summary
    [(path, content)] = instance["spec"].partial.items()
    replies = [
        ToolCall("write_file", {"rel_path": path, "content": content}).to_json(),
        Final("done", "fixed").to_json(),
    ]
    [episode] = _episodes(
        instance, docker_client, workspace_copies, lambda task: ReplayModel(replies), tmp_path / "partial"
    )
    assert episode.outcome == "failed" and path in episode.patch
    report = episode.final_tests
    assert report is not None and not report.resolved and report.harness_report is not None
    broken = set(instance["record"].p2p_tests) & {n for n, s in report.tests.items() if s == "fail"}
    assert broken, report.tests  # the partial fix breaks a test that passed before


def test_a_run_writes_official_predictions_and_final_report(
    instance: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentbench_ts.cli.main import main

    record, spec = instance["record"], instance["spec"]
    instances = tmp_path / "instances.jsonl"
    instances.write_text(record.json() + "\n")
    mirror = ["--mirror", f"{spec.name}={instance['parts']['mirror']}"]
    source = f"mswe:{instances}?mirror={spec.name}={instance['parts']['mirror']}"
    if spec.lang == "javascript":
        assert main(["mswe", "validate", str(instances), *mirror]) == 2  # JavaScript only when asked for
        assert "JavaScript ones too: --javascript" in capsys.readouterr().err
        mirror.append("--javascript")
        source += "&languages=typescript,javascript"
    assert main(["mswe", "validate", str(instances), *mirror]) == 0  # gold resolves, empty does not
    assert "1 valid, 0 invalid" in capsys.readouterr().out
    # A second instance whose gold patch does not apply: the run goes on without it and says so.
    broken = {**json.loads(record.json()), "number": 2, "fix_patch": BROKEN_PATCH}
    instances.write_text(record.json() + "\n" + json.dumps(broken) + "\n")
    out = tmp_path / "run"
    run = ["run", "--tasks", source, "--sandbox", "docker", "--model", "oracle", "--test-policy", "never"]
    grading = ["--grader-option", "mswe.timeout_s=300", "--grader-option", "mswe.memory_gb=1"]
    assert main([*run, *grading, "--out", str(out)]) == 1
    assert f"not run: mswe/{ORG}/{spec.repo}:pr-2: " in capsys.readouterr().err
    report = json.loads((out / "final_report.json").read_text())
    assert report["resolved_ids"] == [record.id] and report["submitted_instances"] == 2
    assert report["error_ids"] == [f"{ORG}/{spec.repo}:pr-2"]
    [line] = (out / "predictions.jsonl").read_text().splitlines()
    assert json.loads(line)["number"] == record.number
    # The official evaluation path, run on those predictions, reaches the same verdict.
    again = tmp_path / "eval"
    argv = ["mswe", "evaluate", str(instances), *mirror, "--predictions", str(out / "predictions.jsonl")]
    assert main([*argv, "--out", str(again)]) == 0
    assert json.loads((again / "final_report.json").read_text())["resolved_ids"] == [record.id]
    # So does grading the run's patch again in a fresh sandbox, by the grader the run recorded.
    assert main(["regrade", str(out), "--out", str(tmp_path / "regraded")]) == 0
    [first] = TraceStore(out).episodes()
    [regraded] = TraceStore(tmp_path / "regraded").episodes()
    assert regraded.outcome == "resolved" and regraded.episode_id == first.episode_id
    assert regraded.final_tests is not None and regraded.final_tests.harness_report is not None
    assert TraceStore(tmp_path / "regraded").run_info().config["graders"]["mswe"]["timeout_s"] == 300
    capsys.readouterr()


def test_results_count_empty_patches_and_errors(instance: dict[str, Any], tmp_path: Path) -> None:
    """write_results over records of a run: an ungraded empty patch is unresolved, a crash an error."""
    record = instance["record"]
    base = {
        "run_id": "r",
        "episode_id": "e",
        "task_id": f"mswe/{record.id}",
        "suite": "mswe",
        "split": None,
        "model": "m",
        "messages": [],
        "steps": [],
        "stop_reason": "final_give_up",
        "metrics": {
            "steps": 0,
            "parse_errors": 0,
            "parse_error_kinds": {},
            "loop_detections": 0,
            "tool_calls": {},
            "tool_errors": 0,
            "test_runs": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
        },
        "started_at": "now",
        "wall_s": 1.0,
        "harness_version": "x",
    }
    empty = EpisodeRecord.model_validate({**base, "sample_index": 0, "outcome": "failed", "patch": ""})
    crashed = EpisodeRecord.model_validate(
        {**base, "sample_index": 1, "outcome": "error", "stop_reason": "harness_error", "patch": "diff"}
    )
    from multi_swe_bench.harness.report import FinalReport

    write_results([empty, crashed], [record], tmp_path)
    text = (tmp_path / "final_report.json").read_text()
    assert FinalReport.from_json(text).empty_patch_instances == 1  # the official reader takes it
    first = json.loads(text)
    assert first["empty_patch_ids"] == first["unresolved_ids"] == [record.id] and not first["error_ids"]
    second = json.loads((tmp_path / "final_report-sample1.json").read_text())
    assert second["error_ids"] == [record.id] and second["incomplete_instances"] == 1


def test_an_instance_needs_docker_and_carries_what_its_grader_needs(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    task: Task = instance["task"]
    with pytest.raises(SandboxError, match="use the docker sandbox"):
        sandbox_factory(LocalSandboxConfig())(task.sandbox_spec())
    with pytest.raises(ConfigError, match="use the docker sandbox"):
        TaskSourceSpec.parse("mswe:instances.jsonl").open(SourceContext(tmp_path, tmp_path))
    assert instance_record(task).id == instance["record"].id  # the grader needs nothing else
    bare = task.model_copy(update={"grader_data": {}})
    with pytest.raises(TaskDataError, match="carries no Multi-SWE-bench instance"):
        instance_record(bare)


def test_the_example_runs_the_oracle_on_an_instance(
    instance: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    from conftest import REPO_ROOT

    example = runpy.run_path(str(REPO_ROOT / "examples" / "mswe_episodes.py"))
    instances = tmp_path / "instances.jsonl"
    instances.write_text(instance["record"].json() + "\n")
    spec: SyntheticRepo = instance["spec"]
    example["main"](instances, tmp_path / "run", {spec.name: instance["parts"]["mirror"]})
    assert f"mswe/{instance['record'].id} resolved" in capsys.readouterr().out
    assert json.loads((tmp_path / "run" / "final_report.json").read_text())["resolved_instances"] == 1


def test_a_model_served_over_http_resolves_an_instance(
    instance: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same path a vLLM server takes: the openai client on loopback, the oracle's replies served."""
    from agentbench_ts.cli.main import main
    from agentbench_ts.testing.oracle import oracle_policy
    from agentbench_ts.testing.scripted_server import ScriptedChatServer
    from agentbench_ts.traces import TraceStore

    record, spec = instance["record"], instance["spec"]
    instances = tmp_path / "instances.jsonl"
    instances.write_text(record.json() + "\n")
    flags = ["--mirror", f"{spec.name}={instance['parts']['mirror']}", "--javascript", "--out", str(tmp_path)]
    with ScriptedChatServer(oracle_policy([instance["task"]])) as server:
        assert (
            main(["mswe", "run", str(instances), "--model", f"openai:{server.base_url}#scripted", *flags])
            == 0
        )
    [episode] = TraceStore(tmp_path).episodes()
    assert episode.outcome == "resolved" and episode.model.startswith("openai:http://127.0.0.1:")
    assert json.loads((tmp_path / "final_report.json").read_text())["resolved_ids"] == [record.id]
    capsys.readouterr()
