"""Many episodes in flight against one OpenAI-compatible server with injected latency.

    python benchmarks/concurrency.py --episodes 64 --latency 0.3

The server is the scripted OpenAI-compatible server on 127.0.0.1, in a process of its own as vLLM
would be (it replies with each task's oracle actions after `latency` seconds); the client is the
real `openai` SDK; sandboxes are
LocalSandbox copies of a small JavaScript task whose test command is trivial, so the numbers
measure the harness, not the tests. The ideal wall time is episodes x steps x latency / concurrency;
the baseline is the same episodes run one at a time, measured in the same run (on a subset).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentbench_ts.agent import AgentConfig
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.models.registry import model_factory
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.task import Task
from agentbench_ts.testing.oracle import oracle_policy
from agentbench_ts.testing.scripted_server import ScriptedChatServer

TAP = "printf 'ok 1 - adds\\n'"


def make_tasks(root: Path, count: int, *, create: bool = True) -> list[Task]:
    repo, gold = root / "repo", root / "gold"
    if create:
        (repo / "src").mkdir(parents=True)
        (gold / "src").mkdir(parents=True)
        (repo / "src" / "add.js").write_text("exports.add = (a, b) => a - b;\n")
        (gold / "src" / "add.js").write_text("exports.add = (a, b) => a + b;\n")
    return [
        Task(
            task_id=f"bench/add{i}",
            suite="bench",
            instructions=f"Fix add ({i}).",
            repo_dir=repo,
            gold_dir=gold,
            test_command=TAP,
            fail_to_pass=("adds",),
        )
        for i in range(count)
    ]


def serve(root: Path, count: int, latency: float, port: int) -> None:
    """The server process: serves the oracle of the benchmark's tasks until killed."""
    ScriptedChatServer(
        oracle_policy(make_tasks(root, count, create=False)), latency_s=latency, port=port
    ).start()
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process (every thread), and of the children it waited for (git, test commands)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def timed_run(
    out: Path, tasks: list[Task], concurrency: int, base_url: str
) -> tuple[float, int, tuple[float, float]]:
    """(wall seconds, model calls, harness CPU seconds: its own and its children's) of one run."""
    options = ModelOptions(timeout_s=60)
    spec = f"openai:{base_url}#scripted"
    config = RunConfig(
        model=ModelConfig(spec=spec, options=options),
        out_dir=out,
        concurrency=concurrency,
        agent=AgentConfig(test_policy="never"),
    )
    sandboxes = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    started, cpu = time.monotonic(), cpu_seconds()
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory(spec, options), make_sandbox=sandboxes
    ).store
    wall, (own, children) = time.monotonic() - started, cpu_seconds()
    cpu = (own - cpu[0], children - cpu[1])
    records = list(store.episodes())
    assert all(r.outcome == "resolved" for r in records), [
        r.error for r in records if r.outcome != "resolved"
    ]
    return wall, sum(r.metrics.steps for r in records), cpu


def wait_until_listening(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"the scripted server did not listen on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument(
        "--serial-episodes", type=int, default=4, help="episodes in the one-at-a-time baseline"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.episodes, args.latency, args.port)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tasks = make_tasks(root / "task", args.episodes)
        port = free_port()
        argv = [sys.executable, __file__, "--serve", str(root / "task"), "--port", str(port)]
        server = subprocess.Popen([*argv, "--episodes", str(args.episodes), "--latency", str(args.latency)])
        try:
            wait_until_listening(port)
            base_url = f"http://127.0.0.1:{port}/v1"
            serial_wall, _, _ = timed_run(root / "serial", tasks[: args.serial_episodes], 1, base_url)
            wall, steps, cpu = timed_run(root / "concurrent", tasks, args.episodes, base_url)
        finally:
            server.kill()
            server.wait()
    per_episode_serial = serial_wall / args.serial_episodes
    ideal = steps * args.latency / args.episodes
    print(f"{args.episodes} episodes, {steps} model calls, {args.latency:.2f} s injected latency per call")
    print(
        f"one at a time ({args.serial_episodes} episodes): {per_episode_serial:.2f} s per episode "
        f"-> {per_episode_serial * args.episodes:.1f} s for all {args.episodes}"
    )
    print(
        f"concurrency {args.episodes}: {wall:.2f} s   ideal {ideal:.2f} s   efficiency {ideal / wall:.0%}   "
        f"speed-up over one at a time {per_episode_serial * args.episodes / wall:.1f}x"
    )
    own, children = cpu
    print(
        f"harness CPU per model call: {own / steps * 1000:.1f} ms in this process (every thread) + "
        f"{children / steps * 1000:.1f} ms in its children (git, test commands); the server not counted"
    )


if __name__ == "__main__":
    main()
