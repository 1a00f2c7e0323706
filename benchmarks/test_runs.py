"""Test runs of a TypeScript suite with `tsc` cold and through the sandbox's warm compiler, in one run.

    python benchmarks/test_runs.py                        # local sandboxes, every bundled task
    python benchmarks/test_runs.py --docker               # Docker sandboxes too (daemon + offline base)
    python benchmarks/test_runs.py --main-job --repeats 3 # and the README's main job, both ways

Per task and way, a sandbox at the base state runs the task's test command once (`first`: the warm
way reaches, or starts, the compiler), then the gold fix's files are written and the test command runs
again (`after a write`: the row that counts). Cold is the same sandbox with `warm_tsc` off, i.e.
`--cold-tsc`. The verdicts of both ways are compared as the run goes. The main job is `agentbench run
--tasks suite:tasks/quixbugs-ts --model oracle` with and without `--cold-tsc`, alternating.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import DockerSandboxConfig, LocalSandboxConfig, SandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.tap import parse_tap
from agentbench_ts.tasks.task import Task

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tasks" / "quixbugs-ts"


def timed(sandbox: Sandbox, task: Task) -> tuple[float, object]:
    started = time.perf_counter()
    result = sandbox.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
    return time.perf_counter() - started, (result.exit_code, parse_tap(result.output))


def runs(task: Task, make: Callable[[SandboxSpec], Sandbox]) -> tuple[float, float, object]:
    """(first run, run after the gold write, the verdicts) of one task in a fresh sandbox."""
    sandbox = make(task.sandbox_spec())
    try:
        first, before = timed(sandbox, task)
        for rel, text in task.gold_files().items():
            sandbox.workspace.write_file(rel, text)
        after, fixed = timed(sandbox, task)
    finally:
        sandbox.close()
    return first, after, (before, fixed)


def compare(label: str, tasks: list[Task], configs: dict[str, SandboxConfig]) -> None:
    makers = {way: sandbox_factory(config) for way, config in configs.items()}
    times: dict[str, dict[str, list[float]]] = {way: {"first": [], "after": []} for way in configs}
    for task in tasks:
        verdicts = []
        for way, make in makers.items():
            first, after, verdict = runs(task, make)
            times[way]["first"].append(first)
            times[way]["after"].append(after)
            verdicts.append(verdict)
        if any(v != verdicts[0] for v in verdicts):
            raise SystemExit(f"{task.task_id}: the verdicts differ between {list(configs)}: {verdicts}")
    print(f"\n{label}: {len(tasks)} tasks, median seconds per test run (p90)")
    for kind, title in (("after", "after a one-file write"), ("first", "first run in a new sandbox")):
        cold = statistics.median(times["cold"][kind])
        warm = statistics.median(times["warm"][kind])
        p90 = {way: sorted(times[way][kind])[int(len(tasks) * 0.9) - 1] for way in times}
        print(
            f"  {title:28s} cold {cold:6.3f} ({p90['cold']:.3f})  warm {warm:6.3f} ({p90['warm']:.3f})"
            f"  cold/warm {cold / warm:5.2f}x"
        )


def main_job(repeats: int) -> None:
    command = [sys.executable, "-m", "agentbench_ts.cli.main", "run", "--tasks", f"suite:{SUITE}"]
    command += ["--model", "oracle"]
    walls: dict[str, list[float]] = {"cold": [], "warm": []}
    for _ in range(repeats):
        for way in ("cold", "warm"):
            with tempfile.TemporaryDirectory() as out:
                flags = ["--cold-tsc"] if way == "cold" else []
                started = time.perf_counter()
                done = subprocess.run(
                    [*command, "--out", f"{out}/run", *flags], capture_output=True, text=True, check=False
                )
                walls[way].append(time.perf_counter() - started)
                if done.returncode != 0 or "resolved         26/26" not in done.stdout:
                    tail = done.stdout[-2000:]
                    raise SystemExit(f"the main job ({way}) did not resolve every task:\n{tail}")
    cold, warm = statistics.median(walls["cold"]), statistics.median(walls["warm"])
    print(f"\nmain job (oracle, 26 bundled tasks, local), {repeats} run(s) each way, median wall seconds")
    shown = {way: ", ".join(f"{wall:.2f}" for wall in walls[way]) for way in walls}
    print(f"  cold {cold:6.2f} ({shown['cold']})  warm {warm:6.2f} ({shown['warm']})", end="")
    print(f"  cold/warm {cold / warm:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docker", action="store_true")
    parser.add_argument("--main-job", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="main-job runs each way")
    parser.add_argument("--only", nargs="*", help="task names (default: every bundled task)")
    args = parser.parse_args()
    tasks = load_suite(SUITE, args.only or None)
    path = os.environ["PATH"]
    compare(
        "local sandbox",
        tasks,
        {
            "cold": LocalSandboxConfig(path_env=path, warm_tsc=False),
            "warm": LocalSandboxConfig(path_env=path, warm_tsc=True),
        },
    )
    if args.docker:
        compare(
            "docker sandbox",
            tasks,
            {"cold": DockerSandboxConfig(warm_tsc=False), "warm": DockerSandboxConfig(warm_tsc=True)},
        )
    if args.main_job:
        main_job(args.repeats)


if __name__ == "__main__":
    main()
