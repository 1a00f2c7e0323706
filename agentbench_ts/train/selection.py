"""Checkpoints chosen by task results: every N steps the adapter so far is saved and run on held-out
tasks; the best by resolved rate (then valid-action rate, then the later step) is the one kept. Loss
never picks it (users report SFT that made a model worse until they chose checkpoints this way)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.report import summarize
from agentbench_ts.runner.config import ModelConfig, RunConfig
from agentbench_ts.runner.run import run_tasks
from agentbench_ts.tasks.sources import TaskSourceSpec
from agentbench_ts.train.adapter import CheckpointScore, save_adapter
from agentbench_ts.train.config import Selection

Evaluate = Callable[[Path, int], tuple[float, float, int]]
"""(checkpoint folder, step) -> (resolved rate, valid-action rate, episodes)."""


def task_evaluator(selection: Selection, base: str, runs_dir: Path) -> Evaluate:
    """Run the held-out tasks with the checkpoint as the model (`selection.model` filled in)."""
    specs = tuple(TaskSourceSpec.parse(text) for text in selection.tasks)

    def evaluate(checkpoint: Path, step: int) -> tuple[float, float, int]:
        spec = selection.model.format(base=base, adapter=checkpoint)
        config = RunConfig(
            out_dir=runs_dir / f"step-{step}",
            tasks=specs,
            model=ModelConfig(spec=spec),
            sandbox=selection.sandbox,
            agent=AgentConfig(max_steps=selection.max_steps, test_policy="never"),
            samples=selection.samples,
        )
        summary = summarize(run_tasks(config).episodes())
        return summary.resolved_rate, summary.valid_action_rate, summary.episodes

    return evaluate


def _last_loss(log_history: list[dict[str, Any]]) -> float | None:
    losses = [entry["loss"] for entry in log_history if "loss" in entry]
    return float(losses[-1]) if losses else None


class CheckpointSelector(TrainerCallback):
    def __init__(self, every: int, folder: Path, tokenizer: Any, evaluate: Evaluate) -> None:
        self.every, self.folder, self.tokenizer, self.evaluate = every, folder, tokenizer, evaluate
        self.scores: list[CheckpointScore] = []

    def checkpoint(self, step: int) -> Path:
        return self.folder / f"step-{step}"

    def _score(self, model: Any, state: Any) -> None:
        step = int(state.global_step)
        if any(score.step == step for score in self.scores):
            return
        save_adapter(model, self.tokenizer, self.checkpoint(step))
        resolved, valid, episodes = self.evaluate(self.checkpoint(step), step)
        self.scores.append(
            CheckpointScore(
                step=step,
                loss=_last_loss(state.log_history),
                resolved_rate=resolved,
                valid_action_rate=valid,
                episodes=episodes,
            )
        )

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if state.global_step % self.every == 0:
            self._score(model, state)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self._score(model, state)  # the last step is a candidate too

    def best(self) -> CheckpointScore:
        return max(self.scores, key=lambda s: (s.resolved_rate, s.valid_action_rate, s.step))
