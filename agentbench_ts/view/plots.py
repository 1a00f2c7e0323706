"""`agentbench report RUN [RUN ...] --plots DIR`: PNG plots (matplotlib) of one or more runs: outcomes,
steps per episode, parse-error kinds, tokens per episode, and, over several runs, the resolved rates
side by side with their 95% intervals."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from agentbench_ts.errors import AgentbenchError
from agentbench_ts.report import summarize, wilson
from agentbench_ts.traces.records import EpisodeRecord


def write_plots(runs: dict[str, list[EpisodeRecord]], folder: Path) -> list[Path]:
    """One PNG per view of `runs` (label -> its episodes, the last attempt of each) under `folder`."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    labels = list(runs)
    outcomes = {label: Counter[str](r.outcome for r in episodes) for label, episodes in runs.items()}
    kinds = {label: Counter[str]() for label in labels}
    for label, episodes in runs.items():
        for record in episodes:
            kinds[label].update(record.metrics.parse_error_kinds)
    written = [
        _bars(plt, folder / "outcomes.png", "episodes by outcome", outcomes),
        _bars(plt, folder / "parse_error_kinds.png", "parse errors by kind", kinds),
        _histogram(
            plt,
            folder / "steps.png",
            "steps per episode",
            {k: [r.metrics.steps for r in v] for k, v in runs.items()},
        ),
        _histogram(
            plt,
            folder / "tokens.png",
            "tokens per episode (prompt + completion)",
            {k: [r.metrics.prompt_tokens + r.metrics.completion_tokens for r in v] for k, v in runs.items()},
        ),
    ]
    if len(runs) > 1:
        written.append(_rates(plt, folder / "resolved_rates.png", runs))
    return written


def _pyplot() -> Any:
    try:
        import matplotlib  # noqa: PLC0415 (an optional extra)
    except ImportError as exc:
        raise AgentbenchError("plots need matplotlib: pip install 'agentbench-ts[view]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _save(plt: Any, figure: Any, path: Path) -> Path:
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def _bars(plt: Any, path: Path, title: str, counts: dict[str, Counter[str]]) -> Path:
    categories = sorted({c for counter in counts.values() for c in counter})
    figure, axes = plt.subplots(figsize=(max(6, 1.2 * len(categories) + 2), 4))
    width = 0.8 / max(1, len(counts))
    for i, (label, counter) in enumerate(counts.items()):
        positions = [x + i * width for x in range(len(categories))]
        axes.bar(positions, [counter[c] for c in categories], width=width, label=label)
    axes.set_xticks([x + width * (len(counts) - 1) / 2 for x in range(len(categories))], categories)
    axes.set_title(title if categories else f"{title}: none")
    axes.set_ylabel("count")
    if len(counts) > 1:
        axes.legend()
    return _save(plt, figure, path)


def _histogram(plt: Any, path: Path, title: str, values: dict[str, list[int]]) -> Path:
    figure, axes = plt.subplots(figsize=(6, 4))
    top = max((max(v) for v in values.values() if v), default=1)
    bins = min(50, top + 1)
    for label, numbers in values.items():
        axes.hist(numbers, bins=bins, range=(0, top + 1), alpha=0.6 if len(values) > 1 else 1.0, label=label)
    axes.set_title(title)
    axes.set_ylabel("episodes")
    if len(values) > 1:
        axes.legend()
    return _save(plt, figure, path)


def _rates(plt: Any, path: Path, runs: dict[str, list[EpisodeRecord]]) -> Path:
    figure, axes = plt.subplots(figsize=(max(6, 1.0 * len(runs) + 2), 4))
    rates, lows, highs = [], [], []
    for episodes in runs.values():
        summary = summarize(episodes)
        low, high = wilson(summary.resolved, summary.graded)
        rates.append(summary.resolved_rate)
        lows.append(summary.resolved_rate - low)
        highs.append(high - summary.resolved_rate)
    axes.bar(range(len(runs)), rates, yerr=[lows, highs], capsize=4)
    axes.set_xticks(range(len(runs)), list(runs), rotation=20, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel("resolved rate (95% CI)")
    axes.set_title("resolved rate by run")
    return _save(plt, figure, path)
