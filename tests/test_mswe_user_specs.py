"""A user's spec end to end through the CLI: a vitest repository whose registered spec reads its
output as jest's is refused by make-instance with each run's test names and the likely cause; the
user's spec, by dotted path (`--spec-module`) and by an installed package's entry point, reads vitest
and makes the instance valid: make-instance (with its language and the issue it fixes) -> validate ->
run -> evaluate."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import ORG, VITEKIT, jest_written_parse, make_repository, merged_commit, register
from test_mswe_specs import install_spec_package, plugin_env

from conftest import mswe_specs_restored

pytestmark = [pytest.mark.docker, pytest.mark.slow]
LIMITS = ["--timeout", "300", "--memory-gb", "1", "--cpus", "2"]


@pytest.fixture
def vitekit(task_images: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The repository with its pull request committed, and the registered spec written for jest."""
    with mswe_specs_restored():
        register(task_images.base(), VITEKIT, parse=jest_written_parse)
        parts = make_repository(tmp_path, VITEKIT)
        repo, base, merged = merged_commit(parts, f"{VITEKIT.title}\n\n{VITEKIT.body}")
        yield {"repo": repo, "base": base, "merged": merged}


def _make(vitekit: dict[str, Any], number: int, out: Path, *extra: str) -> list[str]:
    return [
        "mswe",
        "make-instance",
        "--repo",
        str(vitekit["repo"]),
        "--org",
        ORG,
        "--name",
        "vitekit",
        "--number",
        str(number),
        "--base",
        vitekit["base"],
        "--merged",
        vitekit["merged"],
        "--out",
        str(out),
        *LIMITS,
        *extra,
    ]


def _chain(vitekit: dict[str, Any], tmp_path: Path, instances: Path, spec: list[str]) -> list[list[str]]:
    """validate, run (the oracle) and evaluate (the run's predictions) of the made instance."""
    mirror = ["--mirror", f"{ORG}/vitekit={vitekit['repo']}"]
    run = tmp_path / "run"
    return [
        ["mswe", "validate", str(instances), *mirror, *LIMITS, *spec],
        ["mswe", "run", str(instances), *mirror, "--model", "oracle", "--out", str(run), *LIMITS, *spec],
        [
            "mswe",
            "evaluate",
            str(instances),
            *mirror,
            "--predictions",
            str(run / "predictions.jsonl"),
            "--out",
            str(tmp_path / "eval"),
            *LIMITS,
            *spec,
        ],
    ]


def _check_made(instances: Path, tmp_path: Path, number: int) -> None:
    [line] = instances.read_text().splitlines()
    record = json.loads(line)
    assert list(record["f2p_tests"]) == ["stats > mean > averages"]
    assert set(record["p2p_tests"]) == {"stats > totals", "stats > totals nothing"}
    assert record["lang"] == "typescript" and record["number"] == number
    assert [issue["number"] for issue in record["resolved_issues"]] == [12]
    assert record["resolved_issues"][0]["title"] == "mean is off"
    run = json.loads((tmp_path / "run" / "final_report.json").read_text())
    assert run["resolved_ids"] == [f"{ORG}/vitekit:pr-{number}"]
    judged = json.loads((tmp_path / "eval" / "final_report.json").read_text())
    assert judged["resolved_ids"] == [f"{ORG}/vitekit:pr-{number}"]


def test_a_spec_written_for_jest_is_refused_with_the_names_each_run_saw(
    vitekit: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentbench_ts.cli.main import main

    assert main(_make(vitekit, 30, tmp_path / "refused.jsonl")) == 2
    err = capsys.readouterr().err
    assert f"{ORG}/vitekit#30 has no fail-to-pass test" in err
    assert "failed with the test patch (0): none" in err
    assert "passed with the fix (3): 'test/mean.test.ts > stats > mean > averages';" in err
    assert "parser mismatch" in err and "--spec-module" in err
    assert not (tmp_path / "refused.jsonl").exists()


def test_a_user_spec_by_dotted_path_makes_the_instance_valid_end_to_end(
    vitekit: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentbench_ts.cli.main import main

    instances = tmp_path / "instances.jsonl"
    spec = ["--spec-module", "mswe_user_spec"]
    assert main(_make(vitekit, 31, instances, *spec, "--issue-title", "mean is off")) == 0
    assert "spec agentbench-test/vitekit, lang typescript, resolves #12" in capsys.readouterr().out
    validate, run, evaluate = _chain(vitekit, tmp_path, instances, spec)
    assert main(validate) == 0
    assert "1 valid, 0 invalid" in capsys.readouterr().out
    assert main(run) == 0
    assert main(evaluate) == 0
    _check_made(instances, tmp_path, 31)


def test_a_user_spec_by_entry_point_makes_the_instance_valid_end_to_end(
    vitekit: dict[str, Any], tmp_path: Path
) -> None:
    site = install_spec_package(tmp_path)
    issue = tmp_path / "issue.json"
    issue.write_text(json.dumps({"number": 12, "title": "mean is off", "body": "The mean of [2, 4]."}))
    instances = tmp_path / "instances.jsonl"
    commands = [_make(vitekit, 32, instances, "--issue-file", str(issue))]
    commands += _chain(vitekit, tmp_path, instances, [])
    for argv in commands:  # a fresh process each: only the installed package's entry point has the spec
        done = subprocess.run(
            [sys.executable, "-m", "agentbench_ts.cli.main", *argv],
            env=plugin_env(site),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (argv[:2], done.stdout[-2000:], done.stderr[-2000:])
    _check_made(instances, tmp_path, 32)
