"""The round-over-round report: per round, pool and task source (suite), the resolved rate with a 95%
Wilson interval, the valid-action rate, parse-error kinds, mean steps, loop detections and tokens per
episode; as a Markdown table and PNG plots (matplotlib), written under EXP/report/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.report import RunSummary, summarize, wilson
from agentbench_ts.rounds.experiment import POOLS, Experiment
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore


@dataclass(frozen=True)
class Row:
    round: int
    pool: str
    source: str
    summary: RunSummary
    low: float
    high: float


def row(r: int, pool: str, source: str, episodes: list[EpisodeRecord]) -> Row:
    summary = summarize(episodes)
    return Row(r, pool, source, summary, *wilson(summary.resolved, summary.graded))


def rows(exp: Experiment) -> list[Row]:
    found = []
    for r in range(exp.config.rounds + 1):
        for pool in POOLS:
            run = exp.eval_dir(r, pool)
            if not (run / "episodes.jsonl").is_file():
                continue
            by_source: dict[str, list[EpisodeRecord]] = {}
            for episode in TraceStore(run).episodes():
                by_source.setdefault(episode.suite, []).append(episode)
            found += [row(r, pool, source, episodes) for source, episodes in sorted(by_source.items())]
    return found


def markdown(table: list[Row]) -> str:
    lines = [
        "| round | pool | source | episodes | harness errors | resolved (95% CI) | valid actions "
        "| parse errors | mean steps | loops | tokens/episode |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        s = r.summary
        kinds = ", ".join(f"{kind} {count}" for kind, count in s.parse_error_kinds.items()) or "-"
        tokens = s.tokens / s.episodes if s.episodes else 0.0
        lines.append(
            f"| {r.round} | {r.pool} | {r.source} | {s.episodes} | {s.harness_errors} "
            f"| {s.resolved_rate:.0%} ({r.low:.0%}-{r.high:.0%}) | {s.valid_action_rate:.0%} | {kinds} "
            f"| {s.mean_steps:.1f} "
            f"| {s.loop_detections} | {tokens:.0f} |"
        )
    return "\n".join(lines)


def plots(table: list[Row], folder: Path) -> list[Path]:
    import matplotlib  # noqa: PLC0415 (an optional extra)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    written = []
    for metric, label in (("resolved_rate", "resolved rate"), ("valid_action_rate", "valid-action rate")):
        figure, axes = plt.subplots(figsize=(6, 4))
        for key in sorted({(r.pool, r.source) for r in table}):
            points = sorted((r.round, getattr(r.summary, metric)) for r in table if (r.pool, r.source) == key)
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{key[0]}: {key[1]}")
        axes.set_xlabel("round")
        axes.set_ylabel(label)
        axes.set_ylim(0, 1)
        axes.legend()
        path = folder / f"{metric}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    return written


def write_report(exp: Experiment) -> tuple[str, list[Path]]:
    """The table (also as EXP/report/report.md) and the plots beside it."""
    table = rows(exp)
    folder = exp.root / "report"
    folder.mkdir(parents=True, exist_ok=True)
    text = markdown(table)
    (folder / "report.md").write_text(f"# {exp.config.name}\n\n{text}\n", encoding="utf-8")
    return text, [folder / "report.md", *plots(table, folder)]
