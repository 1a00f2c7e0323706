"""Tasks as pytest items under xdist against `agentbench run` with the same parallelism.

    python benchmarks/pytest_items.py --workers 2 --samples 1 --repeats 3

Both run the bundled suite (tasks/quixbugs-ts: TypeScript compiled and tested per episode) with the
oracle in local sandboxes, each into a fresh run directory, as a user starts them (a new process,
startup included): `pytest -n W --agentbench-tasks ...` and `agentbench run --concurrency W ...`,
alternating, `--repeats` times. Printed: median wall time and episodes per second of each, and the
throughput ratio pytest / run (target: at least 0.9).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentbench_ts.traces.store import TraceStore

ROOT = Path(__file__).resolve().parents[1]
SUITE = f"suite:{ROOT / 'tasks' / 'quixbugs-ts'}"


def timed(argv: list[str], cwd: Path, out: Path) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, len(list(TraceStore(out).episodes()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    common = ["--model", "oracle", "--samples", str(args.samples)]
    times: dict[str, list[float]] = {"agentbench run": [], "pytest -n": []}
    episodes = 0
    with tempfile.TemporaryDirectory(prefix="bench-pytest-") as tmp:
        root = Path(tmp)
        for repeat in range(args.repeats):
            out = root / f"run-{repeat}"
            run = [sys.executable, "-m", "agentbench_ts.cli.main", "run", "--tasks", SUITE, *common]
            elapsed, episodes = timed(
                [*run, "--concurrency", str(args.workers), "--out", str(out)], root, out
            )
            times["agentbench run"].append(elapsed)
            out = root / f"pytest-{repeat}"
            items = [f"--agentbench-{flag[2:]}" if flag.startswith("--") else flag for flag in common]
            pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root)]
            pytest += [
                "-n",
                str(args.workers),
                "--agentbench-tasks",
                SUITE,
                *items,
                "--agentbench-out",
                str(out),
            ]
            elapsed, found = timed(pytest, root, out)
            assert found == episodes, (found, episodes)
            times["pytest -n"].append(elapsed)
    print(f"{episodes} episodes per run, {args.workers} workers, {args.repeats} repeats (median wall time)")
    rates = {}
    for name, values in times.items():
        median = statistics.median(values)
        rates[name] = episodes / median
        every = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<16} {median:7.2f} s   {rates[name]:6.2f} episodes/s   (all: {every})")
    print(
        f"throughput ratio pytest / run: {rates['pytest -n'] / rates['agentbench run']:.2f} (target >= 0.9)"
    )


if __name__ == "__main__":
    main()
