"""The ATIF export field by field: an agent step for each kind of turn (tool call, final, parse error,
retries, tests, loop), the trajectory's totals, Harbor's trial result (model names, rewards, errors,
phase times) and job files, and trial names. Values differ from field to field so a swap shows."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from atif import Trajectory
from view_runs import DONE, READ, episode, step, write_run

from agentbench_ts.errors import AgentbenchError
from agentbench_ts.interop import atif
from agentbench_ts.interop.atif import (
    AGENT_NAME,
    ATIF_VERSION,
    NAMESPACE,
    export_atif,
    job_config,
    job_result,
    trajectory_dict,
    trial_name,
    trial_result,
)
from agentbench_ts.protocol.schema import TOOLS
from agentbench_ts.traces.records import ParseErrorRecord, StepRecord, ToolResultRecord
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.verdicts import TestReport

STARTED = datetime.fromisoformat("2026-11-27T00:00:00+00:00")


def info(tmp_path: Path) -> Any:
    return TraceStore(write_run(tmp_path / "run", [])).run_info()


def tool_step() -> StepRecord:
    return StepRecord(
        index=0,
        raw_completion="raw call",
        finish_reason="stop",
        prompt_tokens=120,
        completion_tokens=17,
        latency_s=0.75,
        retries=2,
        action=READ,
        tool_result=ToolResultRecord(ok=False, output="nope", truncated=True, elapsed_s=0.1),
        observation="[tool_error]\nnope",
        tests=TestReport(
            resolved=False,
            exit_code=1,
            timed_out=False,
            tests={},
            missing=[],
            summary="0 of 1",
            elapsed_s=1.0,
            output_tail="",
        ),
        loop_detected=True,
        prompt_token_ids=[1, 2],
        completion_token_ids=[3],
        completion_logprobs=[-0.5],
    )


def test_a_tool_call_turn_is_an_agent_step_with_its_call_observation_and_metrics(tmp_path: Path) -> None:
    record = episode("t/a", steps=[tool_step()]).model_copy(update={"model": "m-1"})
    [_, _, agent] = trajectory_dict(record, info(tmp_path))["steps"]
    assert agent == {
        "source": "agent",
        "model_name": "m-1",
        "message": "raw call",
        "tool_calls": [{"tool_call_id": "call_0", "function_name": "read_file", "arguments": READ["args"]}],
        "observation": {
            "results": [
                {
                    "content": "[tool_error]\nnope",
                    "source_call_id": "call_0",
                    "extra": {"ok": False, "truncated": True},
                }
            ]
        },
        "metrics": {
            "prompt_tokens": 120,
            "completion_tokens": 17,
            "prompt_token_ids": [1, 2],
            "completion_token_ids": [3],
            "logprobs": [-0.5],
        },
        "llm_call_count": 3,
        "extra": {
            "finish_reason": "stop",
            "latency_s": 0.75,
            "retries": 2,
            "tests": {"resolved": False, "summary": "0 of 1"},
            "loop_detected": True,
        },
        "step_id": 3,
    }


def test_a_final_turn_has_no_call_and_keeps_its_action_in_extra(tmp_path: Path) -> None:
    final = StepRecord(index=4, raw_completion="done!", finish_reason="length", action=DONE, latency_s=0.5)
    [*_, agent] = trajectory_dict(episode("t/a", steps=[final]), info(tmp_path))["steps"]
    assert agent["tool_calls"] is None and agent["observation"] is None and agent["metrics"] is None
    assert agent["llm_call_count"] == 1
    assert agent["extra"] == {"finish_reason": "length", "latency_s": 0.5, "action": DONE}


def test_a_parse_error_turn_keeps_the_error_and_what_was_sent_back(tmp_path: Path) -> None:
    broken = StepRecord(
        index=1,
        raw_completion="oops",
        finish_reason="stop",
        parse_error=ParseErrorRecord(kind="not_json", detail="no JSON"),
        observation="[protocol_error]\nnot_json: no JSON",
        completion_tokens=5,
    )
    [*_, agent] = trajectory_dict(episode("t/a", steps=[broken]), info(tmp_path))["steps"]
    assert agent["tool_calls"] is None
    assert agent["observation"] == {"results": [{"content": "[protocol_error]\nnot_json: no JSON"}]}
    assert agent["metrics"] == {"completion_tokens": 5}
    assert agent["extra"] == {
        "finish_reason": "stop",
        "latency_s": 0.0,
        "parse_error": {"kind": "not_json", "detail": "no JSON"},
    }


def test_a_tool_call_without_a_recorded_observation_still_answers_its_call(tmp_path: Path) -> None:
    call = StepRecord(index=0, raw_completion="r", finish_reason="stop", action=READ)
    [*_, agent] = trajectory_dict(episode("t/a", steps=[call]), info(tmp_path))["steps"]
    assert agent["observation"] == {"results": [{"content": "", "source_call_id": "call_0"}]}


def test_the_trajectory_holds_the_prompts_the_tools_and_the_totals(tmp_path: Path) -> None:
    record = episode(
        "t/a",
        2,
        "failed",
        steps=[step(0, "a", action=READ, output="x"), tool_step()],
        patch="diff",
        attempt=1,
    ).model_copy(update={"error": "none really", "harness_version": "9.9"})
    run = info(tmp_path)
    trajectory = trajectory_dict(record, run)
    assert [s["source"] for s in trajectory["steps"]] == ["system", "user", "agent", "agent"]
    assert [s["step_id"] for s in trajectory["steps"]] == [1, 2, 3, 4]
    assert trajectory["steps"][0]["message"] == "protocol"
    assert trajectory["steps"][1]["message"] == "Fix the bug."
    assert {k: trajectory[k] for k in ("schema_version", "session_id", "trajectory_id")} == {
        "schema_version": ATIF_VERSION,
        "session_id": "run",
        "trajectory_id": record.episode_id,
    }
    agent = trajectory["agent"]
    assert (agent["name"], agent["version"], agent["model_name"]) == (AGENT_NAME, "9.9", "scripted")
    assert [t["function"]["name"] for t in agent["tool_definitions"]] == list(TOOLS)
    assert agent["tool_definitions"][0] == {
        "type": "function",
        "function": {
            "name": "list_files",
            "description": TOOLS["list_files"].description,
            "parameters": TOOLS["list_files"].args_schema,
        },
    }
    assert agent["extra"] == {"protocol": "agentbench-ts JSON tool protocol v1", "sampling": run.sampling}
    assert trajectory["final_metrics"] == {
        "total_prompt_tokens": 100 + 120,
        "total_completion_tokens": 20 + 17,
        "total_steps": 4,
        "extra": {"outcome": "failed", "stop_reason": "max_steps", "model_turns": 2},
    }
    assert trajectory["extra"] == {
        "task_id": "t/a",
        "sample_index": 2,
        "attempt": 1,
        "outcome": "failed",
        "stop_reason": "max_steps",
        "error": "none really",
        "patch": "diff",
    }
    Trajectory.model_validate(trajectory)


def test_an_episode_without_a_system_message_starts_with_the_user_step(tmp_path: Path) -> None:
    record = episode("t/a").model_copy(update={"messages": [{"role": "user", "content": "task"}]})
    steps = trajectory_dict(record, info(tmp_path))["steps"]
    assert (steps[0]["source"], steps[0]["message"], steps[0]["step_id"]) == ("user", "task", 1)
    silent = episode("t/a").model_copy(update={"messages": [{"role": "system", "content": "s"}]})
    assert trajectory_dict(silent, info(tmp_path))["steps"][1] == {
        "source": "user",
        "message": "",
        "step_id": 2,
    }


def test_turns_without_token_counts_add_nothing_to_the_totals(tmp_path: Path) -> None:
    uncounted = StepRecord(index=0, raw_completion="r", finish_reason="stop", action=DONE)
    record = episode("t/a", steps=[uncounted, tool_step()])
    totals = trajectory_dict(record, info(tmp_path))["final_metrics"]
    assert (totals["total_prompt_tokens"], totals["total_completion_tokens"]) == (120, 17)


@pytest.mark.parametrize(
    ("model", "name", "provider"),
    [
        ("openai:http://127.0.0.1:8000/v1#qwen-7b", "qwen-7b", "openai"),
        ("hf:/models/base+adapter", "/models/base+adapter", "hf"),
        ("oracle", "oracle", None),
    ],
)
def test_the_model_is_named_as_harbor_names_one(
    tmp_path: Path, model: str, name: str, provider: str | None
) -> None:
    record = episode("t/a").model_copy(update={"model": model})
    result = trial_result(record, info(tmp_path), "t-a__s0-x", tmp_path / "trial", tmp_path)
    assert result["agent_info"]["model_info"] == {"name": name, "provider": provider}
    assert result["config"]["agent"] == {"name": AGENT_NAME, "model_name": model}


def test_a_trial_result_holds_the_task_tokens_reward_and_phase_times(tmp_path: Path) -> None:
    record = episode("t/a", 1, "failed", attempt=2).model_copy(
        update={
            "task_digest": "abc",
            "timings": {"sandbox_s": 1.5, "agent_s": 2.0, "grading_s": 0.5},
            "wall_s": 4.25,
        }
    )
    result = trial_result(record, info(tmp_path), "name", tmp_path / "trial", tmp_path / "job")
    assert result["id"] == str(uuid.uuid5(NAMESPACE, f"run/{record.episode_id}"))
    assert result["agent_info"] == {
        "name": AGENT_NAME,
        "version": "test",
        "model_info": {"name": "scripted", "provider": None},
    }
    assert {k: result[k] for k in ("schema_version", "task_name", "trial_name", "task_id", "source")} == {
        "schema_version": 1,
        "task_name": "t/a",
        "trial_name": "name",
        "task_id": {"path": "t/a"},
        "source": "toy",
    }
    assert result["trial_uri"] == (tmp_path / "trial").as_uri() and result["task_checksum"] == "abc"
    assert result["config"]["task"] == {"path": "t/a", "source": "toy"}
    assert (result["config"]["trial_name"], result["config"]["trials_dir"]) == ("name", str(tmp_path / "job"))
    assert result["agent_result"] == {
        "n_input_tokens": record.metrics.prompt_tokens,
        "n_output_tokens": record.metrics.completion_tokens,
        "metadata": {
            "outcome": "failed",
            "stop_reason": "max_steps",
            "steps": 2,
            "parse_errors": 0,
            "attempt": 2,
            "run_id": "run",
        },
    }
    assert result["verifier_result"] == {"rewards": {"reward": 0}} and result["exception_info"] is None
    at = [STARTED + timedelta(seconds=s) for s in (0, 1.5, 3.5, 4.0)]
    assert result["environment_setup"] == {"started_at": at[0].isoformat(), "finished_at": at[1].isoformat()}
    assert result["agent_execution"] == {"started_at": at[1].isoformat(), "finished_at": at[2].isoformat()}
    assert result["verifier"] == {"started_at": at[2].isoformat(), "finished_at": at[3].isoformat()}
    assert result["started_at"] == STARTED.isoformat()
    assert result["finished_at"] == (STARTED + timedelta(seconds=4.25)).isoformat()


def test_phases_without_a_time_are_left_out_and_the_next_starts_where_the_last_ended(tmp_path: Path) -> None:
    record = episode("t/a").model_copy(update={"timings": {"sandbox_s": 2.0, "grading_s": 1.0}})
    result = trial_result(record, info(tmp_path), "n", tmp_path, tmp_path)
    assert "agent_execution" not in result
    assert result["verifier"]["started_at"] == (STARTED + timedelta(seconds=2)).isoformat()
    assert result["verifier_result"] == {"rewards": {"reward": 1}}
    assert result["task_checksum"] == ""


def test_a_harness_error_is_an_exception_named_by_its_stop_reason(tmp_path: Path) -> None:
    record = episode("t/a", outcome="error").model_copy(
        update={"stop_reason": "harness_error", "wall_s": 2.0}
    )
    result = trial_result(record, info(tmp_path), "n", tmp_path, tmp_path)
    assert result["verifier_result"] is None
    assert result["exception_info"] == {
        "exception_type": "harness_error",
        "exception_message": "the sandbox died",
        "exception_traceback": "",
        "occurred_at": (STARTED + timedelta(seconds=2)).isoformat(),
    }
    unnamed = record.model_copy(update={"error": None})
    assert (
        trial_result(unnamed, info(tmp_path), "n", tmp_path, tmp_path)["exception_info"]["exception_message"]
        == ""
    )


def test_the_job_spans_its_trials_and_counts_errors_apart(tmp_path: Path) -> None:
    early = episode("t/a").model_copy(update={"started_at": "2026-11-27T00:00:10+00:00", "wall_s": 100.0})
    late = episode("t/b", outcome="error").model_copy(
        update={"started_at": "2026-11-27T00:01:00+00:00", "wall_s": 5.0}
    )
    run = info(tmp_path)
    result = job_result(run, [late, early, early])
    assert result == {
        "schema_version": 1,
        "id": result["id"],
        "started_at": "2026-11-27T00:00:10+00:00",
        "finished_at": "2026-11-27T00:01:50+00:00",
        "n_total_trials": 3,
        "stats": {
            "n_completed_trials": 2,
            "n_errored_trials": 1,
            "n_input_tokens": 2 * early.metrics.prompt_tokens + late.metrics.prompt_tokens,
            "n_output_tokens": 2 * early.metrics.completion_tokens + late.metrics.completion_tokens,
        },
    }
    assert result["id"] == str(uuid.uuid5(NAMESPACE, "run"))
    empty = job_result(run, [])
    assert (empty["started_at"], empty["finished_at"], empty["n_total_trials"]) == (
        run.created_at,
        run.created_at,
        0,
    )
    assert job_config(run, tmp_path / "run", tmp_path / "jobs" / "j1") == {
        "job_name": "j1",
        "jobs_dir": str(tmp_path / "jobs"),
        "agents": [{"name": AGENT_NAME, "model_name": "scripted"}],
        "source_run": {"run_dir": str(tmp_path / "run"), "run_id": "run", "suite": "toy"},
    }


def test_ids_are_the_same_at_every_export(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [episode("t/a"), episode("t/b", outcome="error")])
    first, second = export_atif(run, tmp_path / "one"), export_atif(run, tmp_path / "two")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert (a / "result.json").read_text().count('"id"') == 1
        ids = [json.loads((p / "result.json").read_text())["id"] for p in (a, b)]
        assert ids[0] == ids[1]
    jobs = [json.loads((tmp_path / d / "result.json").read_text())["id"] for d in ("one", "two")]
    assert jobs[0] == jobs[1] and jobs[0] not in ids


@pytest.mark.parametrize(
    ("task_id", "slug"),
    [
        ("org/repo#12", "org-repo-12"),
        ("..//..", "task"),
        ("a" * 50, "a" * 40),
        ("-x.y_z-", "x.y_z"),
        ("Xylo/Repo-X", "Xylo-Repo-X"),
    ],
)
def test_a_trial_is_named_by_a_safe_slug_and_a_hash_of_task_and_sample(task_id: str, slug: str) -> None:
    names = [trial_name(episode(task_id, sample)) for sample in (0, 1)]
    assert names[0].startswith(f"{slug}__s0-") and names[1].startswith(f"{slug}__s1-")
    assert len(names[0].rsplit("-", 1)[1]) == 7
    assert names[0].rsplit("-", 1)[1] != names[1].rsplit("-", 1)[1]


def test_ids_that_read_alike_once_made_safe_get_apart_names() -> None:
    assert trial_name(episode("org/a b")) != trial_name(episode("org/a-b"))


def test_a_job_goes_into_a_new_or_empty_folder_as_harbor_writes_files(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [episode("t/ü")])
    (tmp_path / "empty").mkdir()
    [trial] = export_atif(run, tmp_path / "empty")
    text = (trial / "result.json").read_text(encoding="utf-8")
    assert text.startswith('{\n  "schema_version": 1,') and '"task_name": "t/ü"' in text
    assert json.loads(text)["config"]["trials_dir"] == str((tmp_path / "empty").resolve())
    [nested] = export_atif(run, tmp_path / "jobs" / "deep" / "job")
    assert json.loads((tmp_path / "jobs" / "deep" / "job" / "config.json").read_text()) == job_config(
        TraceStore(run).run_info(), run, tmp_path / "jobs" / "deep" / "job"
    )
    assert nested.parent == tmp_path / "jobs" / "deep" / "job"


def test_two_episodes_with_one_trial_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path / "run", [episode("t/a"), episode("t/b")])
    monkeypatch.setattr(atif, "trial_name", lambda record: "same")
    with pytest.raises(AgentbenchError, match=f"two episodes of {run} share the trial name same"):
        export_atif(run, tmp_path / "job")


def test_without_the_atif_package_the_export_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "atif", None)
    run = write_run(tmp_path / "run", [episode("t/a")])
    with pytest.raises(
        AgentbenchError, match=r"^ATIF export needs the atif package: pip install 'agentbench-ts\[view\]'$"
    ):
        export_atif(run, tmp_path / "job")
