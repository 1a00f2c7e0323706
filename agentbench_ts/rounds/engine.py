"""Advancing an experiment: each stage of each round in order, skipped while its manifest's inputs
equal its current inputs; a changed input re-runs that stage and, through their inputs, the ones
after it, never those before. A stage killed half way resumes (same inputs) or starts clean."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from agentbench_ts.rounds.experiment import Experiment
from agentbench_ts.rounds.manifest import Manifest, read_manifest, write_manifest
from agentbench_ts.rounds.stages import Stage, StageError, stages_of

State = Literal["done", "stale", "pending", "waiting"]
"""done: its inputs are unchanged; stale: an input changed; pending: never finished; waiting: after a
stage that will run, which may change its inputs."""


@dataclass(frozen=True)
class StageState:
    round: int
    stage: str
    state: State
    finished_at: str | None = None


def _current(exp: Experiment, r: int, stage: Stage) -> tuple[dict[str, str] | None, Manifest | None]:
    manifest = read_manifest(exp.round_dir(r), stage.name)
    try:
        return stage.inputs(exp, r), manifest
    except StageError:
        return None, manifest  # an earlier stage has not finished


def run_stage(exp: Experiment, r: int, stage: Stage) -> bool:
    """Run one stage unless it is done; True when it ran."""
    inputs, manifest = _current(exp, r, stage)
    if inputs is None:
        raise StageError(f"round {r} {stage.name}: an earlier stage has not finished")
    if manifest is not None and manifest.inputs == inputs and stage.present(exp, r):
        exp.log(f"round {r} {stage.name}: done (inputs unchanged)")
        return False
    pending = exp.round_dir(r) / "manifests" / f"{stage.name}.pending.json"
    started = json.loads(pending.read_text()) if pending.is_file() else None
    if started != inputs:
        stage.clear(exp, r)  # outputs of other inputs: never mixed with these
        pending.parent.mkdir(parents=True, exist_ok=True)
        pending.write_text(json.dumps(inputs))
    outputs, details = stage.run(exp, r)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    write_manifest(
        exp.round_dir(r),
        Manifest(
            stage=stage.name, round=r, inputs=inputs, outputs=outputs, details=details, finished_at=finished
        ),
    )
    pending.unlink(missing_ok=True)
    exp.log(f"round {r} {stage.name}: finished")
    return True


def advance(exp: Experiment) -> list[tuple[int, str]]:
    """Every stage of every round brought up to date; the (round, stage) pairs that ran."""
    ran = []
    with exp.session():
        for r in range(exp.config.rounds + 1):
            for stage in stages_of(r):
                if run_stage(exp, r, stage):
                    ran.append((r, stage.name))
            exp.stop_servers()
    return ran


def status(exp: Experiment) -> list[StageState]:
    """Where the experiment stands, stage by stage, without running anything."""
    states: list[StageState] = []
    for r in range(exp.config.rounds + 1):
        for stage in stages_of(r):
            inputs, manifest = _current(exp, r, stage)
            finished = manifest.finished_at if manifest else None
            if any(state.state != "done" for state in states):
                states.append(StageState(r, stage.name, "waiting", finished))
            elif manifest is None:
                states.append(StageState(r, stage.name, "pending"))
            elif inputs == manifest.inputs and stage.present(exp, r):
                states.append(StageState(r, stage.name, "done", finished))
            else:
                states.append(StageState(r, stage.name, "stale", finished))
    return states
