"""`agentbench export atif RUN --out DIR`: every episode as an ATIF v1.8 trajectory (validated with the
`atif` package's models), laid out as Harbor lays out a job, so Harbor's viewer and other ATIF tools
read our runs:

    DIR/config.json, DIR/result.json                 the job (Harbor's JobResult fields)
    DIR/<trial>/result.json                          one episode's trial (Harbor's TrialResult fields)
    DIR/<trial>/agent/trajectory.json                its ATIF trajectory
    DIR/<trial>/verifier/reward.txt                  1 resolved, 0 not (absent for a harness error)

An ATIF trajectory holds the system prompt and the instructions as a system and a user step, then one
agent step per model turn: the raw reply as the step's message, the parsed tool call as its one tool
call, what was sent back as its observation, and the turn's token usage (and token ids and logprobs
where recorded). A `final` action has no tool call: it is in the step's `extra`, as is a parse error.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentbench_ts.errors import AgentbenchError
from agentbench_ts.protocol.schema import TOOLS
from agentbench_ts.traces.records import EpisodeRecord, RunInfo, StepRecord
from agentbench_ts.traces.store import TraceStore

ATIF_VERSION = "ATIF-v1.8"
AGENT_NAME = "agentbench-ts"
NAMESPACE = uuid.UUID("6f7c1e1a-3b7e-4a55-9d0e-5a1f0c2e9b44")
"""Trial and job ids are uuid5s of the run and episode ids: an export is the same every time."""


def export_atif(run_dir: Path, out: Path) -> list[Path]:
    """Writes the job under `out` (which must not hold anything else) and returns the trial folders."""
    models = _atif()
    store = TraceStore(run_dir)
    info = store.run_info()
    episodes = list(store.episodes())
    if out.exists() and any(out.iterdir()):
        raise AgentbenchError(f"{out} is not empty: export into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    trials, names = [], set()
    for record in episodes:
        name = trial_name(record)
        if name in names:
            raise AgentbenchError(f"two episodes of {run_dir} share the trial name {name}")
        names.add(name)
        folder = out / name
        trajectory = models.Trajectory.model_validate(trajectory_dict(record, info))
        (folder / "agent").mkdir(parents=True)
        _dump(folder / "agent" / "trajectory.json", trajectory.to_json_dict())
        if record.outcome != "error":
            (folder / "verifier").mkdir()
            (folder / "verifier" / "reward.txt").write_text("1\n" if record.outcome == "resolved" else "0\n")
        _dump(folder / "result.json", trial_result(record, info, name, folder.resolve(), out.resolve()))
        trials.append(folder)
    _dump(out / "config.json", job_config(info, run_dir, out))
    _dump(out / "result.json", job_result(info, episodes))
    return trials


def trial_name(record: EpisodeRecord) -> str:
    """Harbor's `<task>__<suffix>`: the task id made safe for a folder name, and a short hash of
    (task id, sample) so that ids that read alike once made safe stay apart."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", record.task_id).strip("-.")[:40] or "task"
    digest = hashlib.sha256(f"{record.task_id}\0{record.sample_index}".encode()).hexdigest()[:7]
    return f"{slug}__s{record.sample_index}-{digest}"


def trajectory_dict(record: EpisodeRecord, info: RunInfo) -> dict[str, Any]:
    system = next((m["content"] for m in record.messages if m.get("role") == "system"), None)
    instructions = next((m["content"] for m in record.messages if m.get("role") == "user"), "")
    steps: list[dict[str, Any]] = []
    if system is not None:
        steps.append({"source": "system", "message": system})
    steps.append({"source": "user", "message": instructions})
    steps += [_agent_step(step, record.model) for step in record.steps]
    for number, step in enumerate(steps, 1):
        step["step_id"] = number
    prompt = sum(s.prompt_tokens or 0 for s in record.steps)
    completion = sum(s.completion_tokens or 0 for s in record.steps)
    return {
        "schema_version": ATIF_VERSION,
        "session_id": record.run_id,
        "trajectory_id": record.episode_id,
        "agent": {
            "name": AGENT_NAME,
            "version": record.harness_version,
            "model_name": record.model,
            "tool_definitions": [_tool_definition(name) for name in TOOLS],
            "extra": {"protocol": "agentbench-ts JSON tool protocol v1", "sampling": info.sampling},
        },
        "steps": steps,
        "final_metrics": {
            "total_prompt_tokens": prompt,
            "total_completion_tokens": completion,
            "total_steps": len(steps),
            "extra": {
                "outcome": record.outcome,
                "stop_reason": record.stop_reason,
                "model_turns": len(record.steps),
            },
        },
        "extra": {
            "task_id": record.task_id,
            "sample_index": record.sample_index,
            "attempt": record.attempt,
            "outcome": record.outcome,
            "stop_reason": record.stop_reason,
            "error": record.error,
            "patch": record.patch,
        },
    }


def _agent_step(step: StepRecord, model: str) -> dict[str, Any]:
    call_id = f"call_{step.index}"
    action = step.action or {}
    is_call = action.get("type") == "tool_call"
    result: dict[str, Any] = {"content": step.observation if step.observation is not None else ""}
    if is_call:
        result["source_call_id"] = call_id
    if step.tool_result is not None:
        result["extra"] = {"ok": step.tool_result.ok, "truncated": step.tool_result.truncated}
    extra: dict[str, Any] = {"finish_reason": step.finish_reason, "latency_s": step.latency_s}
    if step.retries:
        extra["retries"] = step.retries
    if not is_call and step.action is not None:
        extra["action"] = step.action
    if step.parse_error is not None:
        extra["parse_error"] = step.parse_error.model_dump()
    if step.tests is not None:
        extra["tests"] = {"resolved": step.tests.resolved, "summary": step.tests.summary}
    if step.loop_detected:
        extra["loop_detected"] = True
    metrics = {
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "prompt_token_ids": step.prompt_token_ids,
        "completion_token_ids": step.completion_token_ids,
        "logprobs": step.completion_logprobs,
    }
    return {
        "source": "agent",
        "model_name": model,
        "message": step.raw_completion,
        "tool_calls": (
            [
                {
                    "tool_call_id": call_id,
                    "function_name": action["name"],  # a parsed tool call always has both
                    "arguments": action["args"],
                }
            ]
            if is_call
            else None
        ),
        "observation": {"results": [result]} if step.observation is not None or is_call else None,
        "metrics": {k: v for k, v in metrics.items() if v is not None} or None,
        "llm_call_count": 1 + step.retries,
        "extra": extra,
    }


def _tool_definition(name: str) -> dict[str, Any]:
    spec = TOOLS[name]
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.args_schema},
    }


def trial_result(record: EpisodeRecord, info: RunInfo, name: str, folder: Path, job: Path) -> dict[str, Any]:
    """Harbor's TrialResult fields (schema_version 1)."""
    started = datetime.fromisoformat(record.started_at)
    provider, _, spec = record.model.partition(":")  # openai:URL#MODEL, hf:PATH, oracle
    result: dict[str, Any] = {
        "schema_version": 1,
        "id": str(uuid.uuid5(NAMESPACE, f"{record.run_id}/{record.episode_id}")),
        "task_name": record.task_id,
        "trial_name": name,
        "trial_uri": folder.as_uri(),
        "task_id": {"path": record.task_id},
        "source": record.suite,
        "task_checksum": record.task_digest or "",
        "config": {
            "task": {"path": record.task_id, "source": record.suite},
            "trial_name": name,
            "trials_dir": str(job),
            "agent": {"name": AGENT_NAME, "model_name": record.model},
        },
        "agent_info": {
            "name": AGENT_NAME,
            "version": record.harness_version,
            "model_info": {
                "name": spec.rpartition("#")[2] or record.model,
                "provider": provider if spec else None,
            },
        },
        "agent_result": {
            "n_input_tokens": record.metrics.prompt_tokens,
            "n_output_tokens": record.metrics.completion_tokens,
            "metadata": {
                "outcome": record.outcome,
                "stop_reason": record.stop_reason,
                "steps": record.metrics.steps,
                "parse_errors": record.metrics.parse_errors,
                "attempt": record.attempt,
                "run_id": info.run_id,
            },
        },
        "verifier_result": (
            None
            if record.outcome == "error"
            else {"rewards": {"reward": 1 if record.outcome == "resolved" else 0}}
        ),
        "exception_info": None,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=record.wall_s)).isoformat(),
    }
    if record.outcome == "error":
        result["exception_info"] = {
            "exception_type": record.stop_reason,
            "exception_message": record.error or "",
            "exception_traceback": "",
            "occurred_at": result["finished_at"],
        }
    at = started
    for phase, key in (
        ("environment_setup", "sandbox_s"),
        ("agent_execution", "agent_s"),
        ("verifier", "grading_s"),
    ):
        if key in record.timings:
            end = at + timedelta(seconds=record.timings[key])
            result[phase] = {"started_at": at.isoformat(), "finished_at": end.isoformat()}
            at = end
    return result


def job_config(info: RunInfo, run_dir: Path, out: Path) -> dict[str, Any]:
    return {
        "job_name": out.name,
        "jobs_dir": str(out.parent),
        "agents": [{"name": AGENT_NAME, "model_name": info.model}],
        "source_run": {"run_dir": str(run_dir), "run_id": info.run_id, "suite": info.suite},
    }


def job_result(info: RunInfo, episodes: list[EpisodeRecord]) -> dict[str, Any]:
    """Harbor's JobResult fields (schema_version 1); the trials are in their folders."""
    starts = [datetime.fromisoformat(r.started_at) for r in episodes]
    ends = [datetime.fromisoformat(r.started_at) + timedelta(seconds=r.wall_s) for r in episodes]
    created = datetime.fromisoformat(info.created_at)
    return {
        "schema_version": 1,
        "id": str(uuid.uuid5(NAMESPACE, info.run_id)),
        "started_at": min(starts, default=created).isoformat(),
        "finished_at": max(ends, default=created).isoformat(),
        "n_total_trials": len(episodes),
        "stats": {
            "n_completed_trials": sum(r.outcome != "error" for r in episodes),
            "n_errored_trials": sum(r.outcome == "error" for r in episodes),
            "n_input_tokens": sum(r.metrics.prompt_tokens for r in episodes),
            "n_output_tokens": sum(r.metrics.completion_tokens for r in episodes),
        },
    }


def _atif() -> Any:
    try:
        import atif  # noqa: PLC0415 (an optional extra)
    except ImportError as exc:
        raise AgentbenchError(
            "ATIF export needs the atif package: pip install 'agentbench-ts[view]'"
        ) from exc
    return atif


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
