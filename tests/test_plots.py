"""`agentbench report RUN [RUN ...] --plots DIR`: PNGs of outcomes, steps, parse-error kinds and tokens,
and, over several runs, the resolved rates side by side."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
from view_runs import episode, step, write_run

from agentbench_ts.cli.main import main


def test_one_run_gets_four_plots_and_several_runs_also_their_rates(tmp_path: Path) -> None:
    first = write_run(
        tmp_path / "a",
        [episode("t/a"), episode("t/b", outcome="failed", steps=[step(0, "x", parse_error="empty")])],
    )
    second = write_run(tmp_path / "b", [episode("t/a"), episode("t/b")])
    assert main(["report", str(first), "--plots", str(tmp_path / "one")]) == 0
    names = {"outcomes.png", "steps.png", "parse_error_kinds.png", "tokens.png"}
    assert {p.name for p in (tmp_path / "one").iterdir()} == names
    assert main(["report", str(first), str(second), "--plots", str(tmp_path / "two")]) == 0
    assert {p.name for p in (tmp_path / "two").iterdir()} == names | {"resolved_rates.png"}
    for png in (tmp_path / "two").iterdir():
        pixels = matplotlib.image.imread(png)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300 and pixels.std() > 0.01, (
            png
        )  # drawn, not blank
