"""Multi-SWE-bench: records, official-grade verdicts through the package's Report, and instance images
and scripts in Docker for a synthetic TypeScript repository registered like the official ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import CALC, ORG, make_repository, parse_node_spec, pull_request, register

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.config import BuildOptions, HarnessConfig
from agentbench_ts.mswe.instances import load_instances
from agentbench_ts.mswe.official import final_report, prediction
from agentbench_ts.mswe.runs import evaluate_patch, record_from_runs
from agentbench_ts.sandbox.config import DockerLimits


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_repository(tmp_path_factory.mktemp("mswe"))


@pytest.fixture(scope="module")
def harness(task_images, parts: dict[str, Any]) -> HarnessConfig:  # type: ignore[no-untyped-def]
    register(task_images.base())
    return HarnessConfig(
        BuildOptions(mirrors={f"{ORG}/{CALC.repo}": parts["mirror"]}),
        DockerLimits(cpus=2, memory_bytes=1 << 30),
        timeout_s=300,
    )


@pytest.fixture(scope="module")
def record(docker_client, harness: HarnessConfig, parts: dict[str, Any]) -> Any:  # type: ignore[no-untyped-def]
    made = record_from_runs(docker_client, pull_request(parts), harness).record
    return made


def test_parse_log_reads_node_spec_output() -> None:
    log = "✔ adds (0.61ms)\n  ✖ multiplies (1.2ms)\n✔ adds zero (0.05ms)\n"
    result = parse_node_spec(log)
    assert (result.passed_tests, result.failed_tests) == ({"adds", "adds zero"}, {"multiplies"})


@pytest.mark.docker
def test_the_recorded_runs_give_the_official_categories(record: Any) -> None:
    assert set(record.f2p_tests) == {"multiplies"}  # fails with the test patch, passes with the fix
    assert not record.n2p_tests and not record.s2p_tests
    assert set(record.p2p_tests) == {"adds", "adds zero"}


@pytest.mark.docker
def test_gold_resolves_empty_and_partial_do_not(
    docker_client, harness: HarnessConfig, record: Any, parts: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    gold = evaluate_patch(docker_client, record, record.fix_patch, harness)
    empty = evaluate_patch(docker_client, record, "", harness)
    partial = evaluate_patch(docker_client, record, parts["partial_patch"], harness)
    assert gold.resolved, gold.reason
    assert not empty.resolved and not partial.resolved
    assert "p2p" in partial.reason or "passed; however" in partial.reason
    report = json.loads(final_report([gold], [], []))
    assert report["resolved_ids"] == [record.id] and report["resolved_instances"] == 1
    report = json.loads(final_report([partial], [empty.instance_id], []))
    assert report["unresolved_ids"] == [record.id] and report["empty_patch_ids"] == [record.id]


@pytest.mark.docker
def test_records_round_trip_through_the_loader(record: Any, tmp_path: Path) -> None:
    path = tmp_path / "instances.jsonl"
    path.write_text(record.json() + "\n")
    [loaded] = load_instances(path)
    assert loaded.id == record.id and set(loaded.p2p_tests) == set(record.p2p_tests)
    assert load_instances(path, languages=("javascript",)) == []
    line = json.loads(prediction(record, record.fix_patch))
    assert (line["org"], line["repo"], line["number"]) == (ORG, CALC.repo, 1)


def test_malformed_records_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"org": "a", "repo": "b", "number": 3, "state": "closed"}\n')
    with pytest.raises(TaskDataError, match=r"bad.jsonl:1 \(a/b#3\) is not a Multi-SWE-bench instance"):
        load_instances(path)
    path.write_text("not json\n")
    with pytest.raises(TaskDataError, match=r"bad\.jsonl:1 is not JSON"):
        load_instances(path)


@pytest.mark.docker
def test_cli_validates_and_evaluates_predictions(  # type: ignore[no-untyped-def]
    record: Any, parts: dict[str, Any], tmp_path: Path, capsys
) -> None:
    from agentbench_ts.cli.main import main

    instances = tmp_path / "instances.jsonl"
    instances.write_text(record.json() + "\n")
    mirror = ["--mirror", f"{ORG}/{CALC.repo}={parts['mirror']}"]
    assert main(["mswe", "validate", str(instances), *mirror]) == 0
    assert "1 valid, 0 invalid" in capsys.readouterr().out
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(prediction(record, parts["partial_patch"]) + "\n")
    out = tmp_path / "eval"
    argv = ["mswe", "evaluate", str(instances), *mirror, "--predictions", str(predictions), "--out", str(out)]
    assert main(argv) == 0
    report = json.loads((out / "final_report.json").read_text())
    assert report["unresolved_ids"] == [record.id] and report["resolved_instances"] == 0
    assert (out / "reports" / f"{ORG}__{CALC.repo}-1.json").is_file()
