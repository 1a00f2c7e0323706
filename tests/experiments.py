"""Experiment folders for the round tests: a base model, an experiment.toml, and the task split."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import QUIXBUGS

NAMES = sorted(p.name for p in QUIXBUGS.iterdir() if (p / "task.json").exists())
HELD_OUT, TRAIN = NAMES[:6], NAMES[6:]


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings, numbers, booleans and lists read the same in TOML


def write_experiment(root: Path, sections: dict[str, dict[str, Any]], top: dict[str, Any]) -> Path:
    """EXP/experiment.toml from plain dicts (a section per key, dotted keys for nested tables)."""
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    for name, values in sections.items():
        lines += ["", f"[{name}]", *(f"{key} = {toml_value(value)}" for key, value in values.items())]
    root.mkdir(parents=True, exist_ok=True)
    (root / "experiment.toml").write_text("\n".join(lines) + "\n")
    return root


def suite(names: list[str]) -> str:
    return f"suite:{QUIXBUGS}?only={','.join(names)}"


def small_experiment(
    root: Path, base: Path, *, train: list[str], held_out: list[str], **overrides: Any
) -> Path:
    """One round on a few tasks with a tiny model: fast, for the mechanics of stages and manifests."""
    sections: dict[str, dict[str, Any]] = {
        "tasks": {"train": [suite(train)], "eval": [suite(held_out)]},
        "run": {"concurrency": 2},
        "run.agent": {"max_steps": 4, "test_policy": "never", "max_consecutive_protocol_errors": 1},
        "run.model.sampling": {"max_tokens": 32},
        "run.sandbox": {"type": "local", "path_env": os.environ["PATH"]},
        "teachers": {"models": ["oracle"]},
        "extract": {"max_steps_per_episode": 2},
        "train": {
            "max_steps": 3,
            "batch_size": 2,
            "grad_accum": 1,
            "learning_rate": 1e-3,
            "max_length": 16384,
        },
        "train.lora": {"r": 8, "alpha": 16},
    }
    for key, value in overrides.items():
        section, _, field = key.rpartition("__")
        sections.setdefault(section.replace("__", "."), {})[field] = value
    return write_experiment(root, sections, {"name": root.name, "base": str(base), "rounds": 1})
