"""`agentbench export atif`: every episode of a real run becomes an ATIF v1.8 trajectory that the `atif`
package's models accept, in Harbor's job layout, and reading it back gives the same model turns and the
same tool calls."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from atif import Trajectory
from mixed_traces import record_mixed_runs
from view_runs import episode, write_run

from agentbench_ts.cli.main import main
from agentbench_ts.errors import AgentbenchError
from agentbench_ts.interop.atif import ATIF_VERSION, export_atif
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.traces.store import TraceStore

TRIAL_FIELDS = {"task_name", "trial_name", "trial_uri", "task_id", "task_checksum", "config", "agent_info"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    return record_mixed_runs(tmp_path_factory.mktemp("atif"), make_sandbox)


def read_back(trial: Path) -> tuple[Trajectory, dict]:  # type: ignore[type-arg]
    trajectory = Trajectory.model_validate_json((trial / "agent" / "trajectory.json").read_text())
    return trajectory, json.loads((trial / "result.json").read_text())


def test_every_episode_round_trips_its_turns_and_tool_calls(runs: tuple[Path, Path], tmp_path: Path) -> None:
    for run in runs:
        episodes = {(e.task_id, e.sample_index): e for e in TraceStore(run).episodes()}
        trials = export_atif(run, tmp_path / run.name)
        assert len(trials) == len(episodes)
        for trial in trials:
            trajectory, result = read_back(trial)
            record = episodes[(result["task_name"], trajectory.extra["sample_index"])]  # type: ignore[index]
            assert trajectory.schema_version == ATIF_VERSION
            agent = [s for s in trajectory.steps if s.source == "agent"]
            assert len(agent) == record.metrics.steps == len(record.steps)
            assert [s.message for s in agent] == [s.raw_completion for s in record.steps]
            calls = [(c.function_name, c.arguments) for s in agent for c in s.tool_calls or []]
            recorded = [
                (s.action["name"], s.action["args"])
                for s in record.steps
                if s.action and s.action["type"] == "tool_call"
            ]
            assert calls == recorded
            for step, source in zip(agent, record.steps, strict=True):
                assert step.metrics is None or step.metrics.completion_tokens == source.completion_tokens
                if source.parse_error:
                    assert step.extra and step.extra["parse_error"]["kind"] == source.parse_error.kind
                if source.observation is not None:
                    assert step.observation and step.observation.results[0].content == source.observation
            assert result.keys() >= TRIAL_FIELDS
            reward = (trial / "verifier" / "reward.txt").read_text().strip()
            assert reward == ("1" if record.outcome == "resolved" else "0")
            assert result["verifier_result"] == {"rewards": {"reward": int(reward)}}


def test_the_job_is_laid_out_as_harbor_lays_one_out(runs: tuple[Path, Path], tmp_path: Path) -> None:
    strict, _ = runs
    assert main(["export", "atif", str(strict), "--out", str(tmp_path / "job")]) == 0
    job = json.loads((tmp_path / "job" / "result.json").read_text())
    assert job["n_total_trials"] == 4 and job["stats"]["n_completed_trials"] == 4
    trials = sorted(p for p in (tmp_path / "job").iterdir() if p.is_dir())
    assert len(trials) == 4 and len({t.name for t in trials}) == 4
    for trial in trials:
        assert trial.name.startswith("toy-a__s")
        _, result = read_back(trial)
        assert result["trial_uri"] == trial.resolve().as_uri() and result["trial_name"] == trial.name
    assert (tmp_path / "job" / "config.json").is_file()


def test_a_harness_error_is_an_exception_with_no_reward_and_a_used_folder_is_refused(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [episode("t/broken", outcome="error")])
    [trial] = export_atif(run, tmp_path / "job")
    _, result = read_back(trial)
    assert result["verifier_result"] is None and not (trial / "verifier").exists()
    assert result["exception_info"]["exception_message"] == "the sandbox died"
    with pytest.raises(AgentbenchError, match="not empty"):
        export_atif(run, tmp_path / "job")
