"""Honest empty patches on an instance whose start state has files with Windows line endings that
`.gitattributes` declares `text`, so git warns on stderr at every `git add`: the oracle resolves; an
agent that writes nothing gives an empty patch, unresolved and counted as an empty patch in
final_report.json; an empty prediction given to `evaluate` is counted the same way (as the official
harness counts it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import CRLF_CALC, make_repository, pull_request, register

from agentbench_ts.mswe.config import BuildOptions, HarnessConfig
from agentbench_ts.mswe.official import prediction
from agentbench_ts.mswe.runs import record_from_runs
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.sandbox import DockerSandbox
from agentbench_ts.traces import TraceStore

pytestmark = pytest.mark.docker
LIMITS = ["--timeout", "300", "--memory-gb", "1"]


@pytest.fixture(scope="module")
def instance(
    task_images: Any, docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    parts = make_repository(tmp_path_factory.mktemp("crlf"), CRLF_CALC)
    register(task_images.base(), CRLF_CALC)
    harness = HarnessConfig(
        BuildOptions(mirrors={CRLF_CALC.name: parts["mirror"]}),
        DockerLimits(cpus=2, memory_bytes=1 << 30),
        300,
    )
    record = record_from_runs(docker_client, pull_request(parts), harness).record
    instances = tmp_path_factory.mktemp("crlf-instances") / "instances.jsonl"
    instances.write_text(record.json() + "\n")
    mirror = ["--mirror", f"{CRLF_CALC.name}={parts['mirror']}"]
    return {"record": record, "instances": instances, "mirror": mirror}


def _run(instance: dict[str, Any], model: str, out: Path) -> dict[str, Any]:
    from agentbench_ts.cli.main import main

    argv = ["mswe", "run", str(instance["instances"]), *instance["mirror"], "--model", model, *LIMITS]
    assert main([*argv, "--out", str(out)]) == 0
    return dict(json.loads((out / "final_report.json").read_text()))


def test_the_start_state_makes_git_warn_on_stderr(
    instance: dict[str, Any], docker_client: Any, workspace_copies: Any
) -> None:
    """The condition the other tests stand on."""
    from agentbench_ts.mswe.images import repo_dir_in_image
    from agentbench_ts.mswe.specs import create_instance

    record = instance["record"]
    image = str(create_instance(record).name())
    repo_dir = repo_dir_in_image(create_instance(record))
    with DockerSandbox(docker_client, image, workspaces=workspace_copies, repo_dir=repo_dir) as box:
        assert box.workspace.read_file("README.md", 1000, None, None).startswith("# calc\r\n")
        done = box.exec("touch README.md && git add -A && git diff --cached HEAD", 60, separate_stderr=True)
    assert "CRLF will be replaced by LF" in done.stderr


def test_the_oracle_resolves(instance: dict[str, Any], tmp_path: Path) -> None:
    report = _run(instance, "oracle", tmp_path / "oracle")
    assert report["resolved_ids"] == [instance["record"].id] and report["empty_patch_instances"] == 0


def test_an_agent_that_writes_nothing_has_an_empty_patch_counted_as_one(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    replies = tmp_path / "replies.json"
    reads = ToolCall("read_file", {"rel_path": "README.md", "max_chars": 1000}).to_json()
    replies.write_text(json.dumps([reads, Final("done", "nothing to change").to_json()]))
    out = tmp_path / "idle"
    report = _run(instance, f"replay:{replies}", out)
    record = instance["record"]
    assert report["empty_patch_ids"] == [record.id] and report["empty_patch_instances"] == 1
    assert report["unresolved_ids"] == [record.id] and not report["error_ids"]
    [episode] = TraceStore(out).episodes()
    assert episode.patch == "" and episode.outcome == "failed"
    assert episode.final_tests is not None and "patch is empty" in episode.final_tests.summary
    [line] = (out / "predictions.jsonl").read_text().splitlines()
    assert json.loads(line)["fix_patch"] == ""


def test_an_empty_prediction_is_counted_as_an_empty_patch_by_evaluate(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    from agentbench_ts.cli.main import main

    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(prediction(instance["record"], "") + "\n")
    argv = ["mswe", "evaluate", str(instance["instances"]), *instance["mirror"], *LIMITS]
    assert main([*argv, "--predictions", str(predictions), "--out", str(tmp_path / "eval")]) == 0
    report = json.loads((tmp_path / "eval" / "final_report.json").read_text())
    record = instance["record"]
    assert report["empty_patch_ids"] == [record.id] and report["unresolved_ids"] == [record.id]
    assert report["completed_instances"] == 1 and report["error_instances"] == 0
