"""The stages of a round: extract -> train -> verify -> serve -> eval (round 0: serve -> eval).

Each stage says what it reads (inputs, by fingerprint: config sections and earlier stages' outputs),
runs, and says what it wrote (outputs, by fingerprint). Outputs are written where a kill cannot leave
half of them: traces resume (the trace store), datasets and adapters are written beside their place and
renamed into it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pydantic import JsonValue

from agentbench_ts.errors import ConfigError, LeakageError, TrainError
from agentbench_ts.extract.corpus import file_sha256
from agentbench_ts.report import summarize
from agentbench_ts.rounds.experiment import POOLS, Experiment
from agentbench_ts.rounds.manifest import (
    dataset_fingerprint,
    fingerprint,
    folder_fingerprint,
    read_manifest,
    trace_fingerprint,
)
from agentbench_ts.runner.config import ModelConfig, RunConfig
from agentbench_ts.runner.run import run_tasks
from agentbench_ts.tasks.sources import TaskSourceSpec
from agentbench_ts.traces.store import TraceStore

Outputs = tuple[dict[str, str], dict[str, JsonValue]]


class StageError(TrainError):
    """A stage cannot finish (its message says why); the experiment stops there."""


class Stage(Protocol):
    name: str

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]: ...
    def present(self, exp: Experiment, r: int) -> bool: ...
    def clear(self, exp: Experiment, r: int) -> None: ...
    def run(self, exp: Experiment, r: int) -> Outputs: ...


def _outputs(exp: Experiment, r: int, stage: str) -> dict[str, str]:
    manifest = read_manifest(exp.round_dir(r), stage)
    if manifest is None:
        raise StageError(f"round {r} has no finished {stage} stage yet")
    return manifest.outputs


def _base_identity(exp: Experiment) -> str:
    if not (exp.config.base / "config.json").is_file():
        raise ConfigError(f"the base model {exp.config.base} has no config.json")
    return folder_fingerprint(exp.config.base, exp.root / ".cache" / "file_hashes.json")


def _model_identity(exp: Experiment, r: int) -> dict[str, str]:
    identity = {"base": _base_identity(exp), "serve": fingerprint(exp.config.serve.model_dump(mode="json"))}
    if r > 0:
        identity["adapter"] = _outputs(exp, r, "train")["adapter"]
    return identity


def _specs(texts: Sequence[str]) -> tuple[TaskSourceSpec, ...]:
    return tuple(TaskSourceSpec.parse(text) for text in texts)


def _remove(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def metrics(run_dir: Path) -> dict[str, JsonValue]:
    episodes = list(TraceStore(run_dir).episodes())
    summary = summarize(episodes)
    task_ids: list[JsonValue] = [str(t) for t in sorted({e.task_id for e in episodes})]
    return {
        "episodes": summary.episodes,
        "harness_errors": summary.harness_errors,
        "resolved": summary.resolved,
        "steps": summary.steps,
        "parse_errors": summary.parse_errors,
        "valid_action_rate": summary.valid_action_rate,
        "task_ids": task_ids,
    }


class EvalStage:
    """The round's model (as served) on the training pool and the held-out tasks; round 0 also runs
    the teacher models on the training pool."""

    name = "eval"

    def _runs(self, exp: Experiment, r: int) -> dict[str, tuple[Path, str, tuple[str, ...]]]:
        tasks = exp.config.tasks
        runs = {
            pool: (exp.eval_dir(r, pool), "", tasks.train if pool == "train-pool" else tasks.eval)
            for pool in POOLS
        }
        if r == 0:
            for i, model in enumerate(exp.config.teachers.models):
                runs[f"teacher:{i}"] = (exp.teacher_dir(i), model, tasks.train)
        return runs

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        config = exp.config
        recipe = {"tasks": config.tasks.model_dump(mode="json"), "run": config.run.model_dump(mode="json")}
        inputs = {**_model_identity(exp, r), "recipe": fingerprint(recipe)}
        if r == 0:
            inputs["teachers"] = fingerprint(list(config.teachers.models))
        return inputs

    def present(self, exp: Experiment, r: int) -> bool:
        return all((path / "episodes.jsonl").is_file() for path, _, _ in self._runs(exp, r).values())

    def clear(self, exp: Experiment, r: int) -> None:
        _remove(*(path for path, _, _ in self._runs(exp, r).values()))

    def run(self, exp: Experiment, r: int) -> Outputs:
        served = exp.serve(r)
        settings = exp.config.run
        outputs: dict[str, str] = {}
        details: dict[str, JsonValue] = {"model": served}
        for name, (path, model, specs) in self._runs(exp, r).items():
            exp.log(f"round {r}: eval {name} with {model or served}")
            config = RunConfig(
                out_dir=path,
                tasks=_specs(specs),
                model=ModelConfig(spec=model or served, options=settings.model),
                sandbox=settings.sandbox,
                agent=settings.agent,
                samples=settings.samples,
                concurrency=settings.concurrency,
                base_dir=exp.root,
                cache_dir=exp.root / ".cache",
                command=("agentbench", "round", "run", str(exp.root)),
            )
            run_tasks(config)
            outputs[name] = trace_fingerprint(path)
            details[name] = metrics(path)
        return outputs, details


class ExtractStage:
    """Training rows from every earlier round's training-pool traces and the teachers', checked
    against the held-out tasks: one of them in training data stops the experiment (LEAK)."""

    name = "extract"

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        traces = [_outputs(exp, k, "eval")["train-pool"] for k in range(r)]
        teachers = {
            key: value for key, value in _outputs(exp, 0, "eval").items() if key.startswith("teacher:")
        }
        extra = [trace_fingerprint(run) for run in exp.config.teachers.runs]
        held_out = _held_out(exp)
        return {
            "traces": fingerprint([traces, teachers, extra]),
            "settings": fingerprint(exp.config.extract.model_dump(mode="json")),
            "held_out": fingerprint(sorted(held_out)),
            "base": _base_identity(exp),
        }

    def present(self, exp: Experiment, r: int) -> bool:
        return (exp.dataset_dir(r) / "dataset").is_dir()

    def clear(self, exp: Experiment, r: int) -> None:
        _remove(exp.dataset_dir(r), exp.dataset_dir(r).with_name("dataset.partial"))

    def run(self, exp: Experiment, r: int) -> Outputs:
        details = extract_rows(exp, exp.learned_runs(r), exp.dataset_dir(r))
        return {"dataset": dataset_fingerprint(exp.dataset_dir(r))}, details


def extract_rows(exp: Experiment, runs: list[Path], target: Path) -> dict[str, JsonValue]:
    """The experiment's extraction of `runs` into `target` (written beside it, renamed into place),
    refused with a LEAK message when a held-out task reaches the training rows."""
    from agentbench_ts.extract import (  # noqa: PLC0415 (datasets loads here)
        DpoOptions,
        ExtractOptions,
        LengthGuard,
        SftFilters,
        SplitSpec,
        TaskSelection,
        check_leakage,
        extract_dpo,
        extract_sft,
        write_extraction,
    )

    settings = exp.config.extract
    guard = None
    if settings.max_tokens is not None:
        from transformers import AutoTokenizer  # noqa: PLC0415

        tokenizer = AutoTokenizer.from_pretrained(exp.config.base, local_files_only=True)
        guard = LengthGuard(tokenizer, settings.max_tokens)
    options = ExtractOptions(TaskSelection(SplitSpec((("train", 1.0),))), guard)
    exp.log(f"extract {settings.method} rows from {len(runs)} runs -> {target}")
    if settings.method == "sft":
        extraction = extract_sft(runs, SftFilters.taken_from(settings), options, settings.format)
    else:
        extraction = extract_dpo(
            runs, DpoOptions(settings.dpo_sources, settings.max_pairs_per_state), options
        )
    held_out = dict.fromkeys(_held_out(exp), "the experiment's held-out tasks")
    try:
        check_leakage(extraction.dataset, ("train",), held_out)
    except LeakageError as exc:
        raise StageError(f"LEAK: {exc}") from exc
    staging = target.with_name(f"{target.name}.partial")
    command = ("agentbench", "round", "run", str(exp.root))
    write_extraction(extraction.dataset, extraction.report, staging, command=command, overwrite=True)
    staging.rename(target)
    report = extraction.report
    return {"per_split": dict(report.per_split), "dropped": dict(report.dropped)}


def _held_out(exp: Experiment) -> list[str]:
    details = read_manifest(exp.round_dir(0), "eval")
    if details is None:
        raise StageError("round 0 has no finished eval stage yet")
    held = details.details.get("held-out")
    ids = held.get("task_ids", []) if isinstance(held, dict) else []
    return [str(task) for task in ids] if isinstance(ids, list) else []


class TrainStage:
    name = "train"

    def _parent(self, exp: Experiment, r: int) -> Path | None:
        return exp.adapter_dir(r - 1) if exp.config.train.continue_previous and r > 1 else None

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        inputs = {
            "dataset": _outputs(exp, r, "extract")["dataset"],
            "settings": fingerprint(exp.config.train.model_dump(mode="json")),
            "method": exp.config.extract.method,
            "base": _base_identity(exp),
            "max_lora_rank": str(exp.config.serve.max_lora_rank),
        }
        if self._parent(exp, r) is not None:
            inputs["parent"] = _outputs(exp, r - 1, "train")["adapter"]
        return inputs

    def present(self, exp: Experiment, r: int) -> bool:
        adapter = exp.adapter_dir(r)
        return adapter is not None and (adapter / "adapter_model.safetensors").is_file()

    def clear(self, exp: Experiment, r: int) -> None:
        adapter = exp.adapter_dir(r)
        assert adapter is not None
        _remove(adapter, adapter.with_name(".adapter.partial"))

    def run(self, exp: Experiment, r: int) -> Outputs:
        from agentbench_ts.train.api import train_adapter  # noqa: PLC0415 (torch loads here)
        from agentbench_ts.train.config import TrainConfig  # noqa: PLC0415

        adapter = exp.adapter_dir(r)
        assert adapter is not None
        settings = exp.config.train.model_dump(exclude={"continue_previous"})
        config = TrainConfig(
            method=exp.config.extract.method,
            dataset=exp.dataset_dir(r),
            base=str(exp.config.base),
            out_dir=adapter,
            parent_adapter=self._parent(exp, r),
            max_lora_rank=exp.config.serve.max_lora_rank,
            command=("agentbench", "round", "run", str(exp.root)),
            **settings,
        )
        exp.log(f"round {r}: train {config.method} -> {adapter}")
        result = train_adapter(config, log=exp.log)
        losses = result.info.curves.get("loss", [])
        details: dict[str, JsonValue] = {
            "steps": result.info.stats.steps,
            "last_loss": losses[-1][1] if losses else None,
        }
        return {"adapter": file_sha256(adapter / "adapter_model.safetensors")}, details


class VerifyStage:
    """The adapter is one vLLM would apply (rank, targets, modules) and it changes the model (canary)."""

    name = "verify"

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        return {
            "adapter": _outputs(exp, r, "train")["adapter"],
            "max_lora_rank": str(exp.config.serve.max_lora_rank),
        }

    def present(self, exp: Experiment, r: int) -> bool:
        return True

    def clear(self, exp: Experiment, r: int) -> None:
        return None

    def run(self, exp: Experiment, r: int) -> Outputs:
        from agentbench_ts.train.adapter import read_info  # noqa: PLC0415
        from agentbench_ts.train.backends import base_config  # noqa: PLC0415
        from agentbench_ts.train.vllm_compat import adapter_problems  # noqa: PLC0415

        adapter = exp.adapter_dir(r)
        assert adapter is not None
        problems = adapter_problems(
            adapter, base_config(str(exp.config.base)), exp.config.serve.max_lora_rank
        )
        canary = read_info(adapter).canary
        if canary is not None and not canary.applied:
            problems.append("the canary finds the adapter changes nothing")
        if problems:
            raise StageError(f"round {r}'s adapter cannot be served as trained: " + "; ".join(problems))
        return {"verdict": "servable, applied"}, {
            "canary_max_abs_diff": canary.max_abs_diff if canary else None
        }


class ServeStage:
    """Where the round's model is reached (hf: in-process; vllm: a server this run starts; openai: the
    adapter loaded into a running server). The eval stage serves again whenever it runs."""

    name = "serve"

    def inputs(self, exp: Experiment, r: int) -> dict[str, str]:
        return _model_identity(exp, r)

    def present(self, exp: Experiment, r: int) -> bool:
        return True

    def clear(self, exp: Experiment, r: int) -> None:
        return None

    def run(self, exp: Experiment, r: int) -> Outputs:
        spec = exp.serve(r)
        return {"model": spec}, {"kind": exp.config.serve.kind}


EXTRACT, TRAIN, VERIFY, SERVE, EVAL = ExtractStage(), TrainStage(), VerifyStage(), ServeStage(), EvalStage()


def stages_of(round_index: int) -> tuple[Stage, ...]:
    return (SERVE, EVAL) if round_index == 0 else (EXTRACT, TRAIN, VERIFY, SERVE, EVAL)
