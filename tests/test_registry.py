"""The one registry idiom: plug-ins found by name, by dotted path and by entry point, and clear
one-line errors that name what is available, with nothing written before they are raised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import plugin_demo
import pytest

from agentbench_ts.cli.main import main
from agentbench_ts.errors import ConfigError
from agentbench_ts.models.registry import MODELS, model_factory
from agentbench_ts.registry import Registry
from agentbench_ts.sandbox.config import PluginSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.graders import GRADERS, graders_for, tap_grader
from agentbench_ts.tasks.sources import TASK_SOURCES, SourceContext, TaskSourceSpec
from agentbench_ts.traces import TraceStore

from conftest import QUIXBUGS, install_package, make_js_task


def test_a_name_is_found_registered_built_in_or_by_dotted_path() -> None:
    registry: Registry[object] = Registry("grader", {"tap": "agentbench_ts.tasks.graders:tap_grader"})

    @registry.register("mine")
    def mine() -> None: ...

    assert registry.get("mine") is mine and registry.get("tap") is tap_grader
    assert registry.get("plugin_demo:demo_grader") is plugin_demo.demo_grader
    assert registry.names() == ["mine", "tap"]
    assert TASK_SOURCES.resolve("suite:tasks/x") == (TASK_SOURCES.get("suite"), "suite", "tasks/x")
    found, name, argument = TASK_SOURCES.resolve("plugin_demo:demo_source:twin")
    assert (found, name, argument) == (plugin_demo.demo_source, "plugin_demo:demo_source", "twin")
    _, name, argument = MODELS.resolve("openai:http://127.0.0.1:8000/v1#round1")
    assert (name, argument) == ("openai", "http://127.0.0.1:8000/v1#round1")
    registry.unregister("mine")
    registry.unregister("tap")  # a built-in stays
    assert registry.names() == ["tap"] and registry.get("tap") is tap_grader
    with pytest.raises(ConfigError, match="unknown grader 'mine'"):
        registry.get("mine")


def test_a_spec_string_keeps_its_options() -> None:
    spec = TaskSourceSpec.parse(
        "mswe:a.jsonl?languages=typescript,javascript&mirror=o/r=/x&mirror=o/s=/y&pull"
    )
    assert (spec.name, spec.argument) == ("mswe", "a.jsonl")
    assert spec.options == {
        "languages": "typescript,javascript",
        "mirror": ["o/r=/x", "o/s=/y"],
        "pull": "true",
    }
    assert TaskSourceSpec.parse(str(spec)) == spec


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: TaskSourceSpec.parse("suit:tasks"),
            r"^unknown task source 'suit'; available: mswe, multiple, suite",
        ),
        (lambda: model_factory("gpt-9"), r"^unknown model 'gpt-9'; available: hf, openai, oracle, replay"),
        (lambda: GRADERS.get("strict"), r"^unknown grader 'strict'; available: mswe, tap"),
        (
            lambda: sandbox_factory(PluginSandboxConfig(type="podman")),
            r"^unknown sandbox 'podman'; available: docker, local",
        ),
        (
            lambda: TaskSourceSpec.parse("nope.mod:f"),
            r"^task source 'nope.mod:f': cannot import nope.mod: No module named 'nope'",
        ),
        (
            lambda: GRADERS.get("plugin_demo:missing"),
            r"^grader 'plugin_demo:missing': plugin_demo has no 'missing'",
        ),
    ],
)
def test_an_unknown_name_or_a_path_that_does_not_import_says_what_exists(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        make()


def test_a_bad_option_names_the_options_there_are(tmp_path: Path) -> None:
    context = SourceContext(tmp_path, tmp_path)
    with pytest.raises(ConfigError, match=r"^task source 'suite' has no option onlyy; its options: only$"):
        TaskSourceSpec.parse(f"suite:{QUIXBUGS}?onlyy=gcd").open(context)
    with pytest.raises(ConfigError, match=r"^task source 'multiple': option timeout_s: .*number.*'soon'"):
        TaskSourceSpec.parse("multiple:x.jsonl?timeout_s=soon").open(context)
    with pytest.raises(ConfigError, match=r"^grader 'tap' has no option strict; its options: none$"):
        graders_for([make_js_task(tmp_path / "t")], {"tap": {"strict": True}})
    with pytest.raises(ConfigError, match=r"options given for grader\(s\) no task uses: mswe"):
        graders_for([make_js_task(tmp_path / "t")], {"mswe": {}})


@pytest.mark.parametrize(
    "flags",
    [
        ["--tasks", "suit:tasks/quixbugs-ts"],
        ["--tasks", "nope.mod:factory"],
        ["--tasks", f"suite:{QUIXBUGS}?onlyy=gcd"],
        ["--suite", str(QUIXBUGS), "--grader-option", "tap.strict=1"],
        ["--suite", str(QUIXBUGS), "--model", "orcale"],
        ["--suite", str(QUIXBUGS), "--sandbox", "podman"],
        ["--suite", str(QUIXBUGS), "--task", "no_such_task"],
    ],
)
def test_a_bad_run_is_one_error_line_and_writes_nothing(
    flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["run", "--model", "oracle", "--out", str(out), *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("agentbench: error: ") and err.count("\n") == 1, err
    assert not out.exists()


def test_every_kind_of_plug_in_from_a_test_module_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task source, a grader (named by the tasks), a model and a sandbox backend, all by dotted path."""
    out = tmp_path / "run"
    argv = ["run", "--tasks", "plugin_demo:demo_source:twin?copies=2", "--model", "plugin_demo:demo_model:x"]
    argv += ["--sandbox", "plugin_demo:demo_sandboxes", "--sandbox-option", f"path={os.environ['PATH']}"]
    assert main([*argv, "--grader-option", "plugin_demo:demo_grader.min_passed=2", "--out", str(out)]) == 0
    episodes = list(TraceStore(out).episodes())
    assert sorted(e.task_id for e in episodes) == ["demo/twin-0", "demo/twin-1"]
    assert all(e.outcome == "resolved" and e.model == "demo-model:x" for e in episodes)
    assert all(e.final_tests and e.final_tests.summary == "demo grader: 2/2 passed" for e in episodes)
    config = TraceStore(out).run_info().config
    assert config is not None and config["graders"] == {"plugin_demo:demo_grader": {"min_passed": 2}}
    assert config["tasks"] == [
        {"name": "plugin_demo:demo_source", "argument": "twin", "options": {"copies": "2"}}
    ]
    assert config["sandbox"]["type"] == "plugin_demo:demo_sandboxes"
    # The grader's own verdict is the one recorded: asking for more than passes fails the episodes.
    strict = tmp_path / "strict"
    assert main([*argv, "--grader-option", "plugin_demo:demo_grader.min_passed=3", "--out", str(strict)]) == 0
    assert {e.outcome for e in TraceStore(strict).episodes()} == {"failed"}
    capsys.readouterr()


def test_a_plug_in_package_is_found_by_its_entry_points(tmp_path: Path) -> None:
    """A small package, installed into the test's own site folder, declares a task source and a grader
    in our entry-point groups; a fresh process finds both by their short names."""
    package = tmp_path / "pkg"
    (package / "agentbench_demo_plugin").mkdir(parents=True)
    source = Path(plugin_demo.__file__).read_text().replace('"plugin_demo:demo_grader"', '"demo-grader"')
    (package / "agentbench_demo_plugin" / "__init__.py").write_text(source)
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "agentbench-demo-plugin"\nversion = "0.1"\n'
        '[project.entry-points."agentbench_ts.task_sources"]\ndemo = "agentbench_demo_plugin:demo_source"\n'
        '[project.entry-points."agentbench_ts.graders"]\n'
        '"demo-grader" = "agentbench_demo_plugin:demo_grader"\n'
    )
    site = install_package(package, tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "agentbench_ts.cli.main", "run", "--tasks", "demo:ep", "--model", "oracle"]
    done = subprocess.run([*argv, "--out", str(out)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    [episode] = TraceStore(out).episodes()
    assert episode.task_id == "demo/ep-0" and episode.outcome == "resolved"
    assert episode.final_tests is not None and episode.final_tests.summary.startswith("demo grader")
    recorded = json.loads((out / "run.json").read_text())["config"]
    assert recorded["tasks"][0]["name"] == "demo" and recorded["graders"] == {"demo-grader": {}}
    listed = subprocess.run(
        [*argv, "--out", str(tmp_path / "x"), "--tasks", "sourc:e"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "available: demo, mswe, multiple, suite" in listed.stderr
