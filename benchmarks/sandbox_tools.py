"""Tool-call latency through DockerSandbox's host-side channel vs one `docker exec` per call,
grep vs ripgrep on a 5,000-file repository, and container start/reset times, all in one run.

    python benchmarks/sandbox_tools.py            # needs a Docker daemon and the offline base image

Ratios compare against baselines measured in this same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.docker.layers import TaskImages
from agentbench_ts.sandbox.docker.sandbox import DockerSandbox
from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies
from agentbench_ts.tasks.task import Task
from agentbench_ts.tools import ToolLimits, run_tool

WORDS = ["const", "value", "index", "result", "items", "config", "handler", "buffer", "state", "node"]


def make_repo(root: Path, files: int) -> Path:
    rng = random.Random(0)
    for i in range(files):
        folder = root / f"pkg{i % 50}" / f"mod{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            f"export function f{i}_{j}(x: number): number {{ return x * {j} + {'_'.join(rng.choices(WORDS, k=5))}; }}"  # noqa: E501
            for j in range(40)
        ]
        if i % 97 == 0:
            lines.insert(20, "  // TODO quicksortPivot should take the median of three")
        (folder / f"file{i}.ts").write_text("\n".join(lines) + "\n")
    return root


def timings(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(int(len(samples) * 0.95) - 1, 0)]


def row(name: str, samples: list[float], baseline: list[float] | None = None) -> str:
    median = statistics.median(samples)
    ratio = f"{statistics.median(baseline) / median:8.1f}x faster" if baseline else ""
    return f"{name:<44} median {median * 1000:8.2f} ms   p95 {p95(samples) * 1000:8.2f} ms  {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    ripgrep = shutil.which("rg")
    if ripgrep is None:
        raise SystemExit("ripgrep (rg) is needed for the grep baseline: apt-get install ripgrep")
    client = docker_client()
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo", args.files)
        task = Task(
            task_id="bench/repo5k",
            suite="bench",
            instructions="-",
            repo_dir=repo,
            test_command="true",
            fail_to_pass=("-",),
        )
        image = TaskImages(client).image(task.sandbox_spec())
        limits = ToolLimits(ripgrep=ripgrep)
        copies = WorkspaceCopies(client, Path(tmp) / "workspaces")
        box = DockerSandbox(client, image, workspaces=copies, name=task.task_id, tool_limits=limits)
        try:
            report(box, client, ripgrep, args.calls)
            print()
            plain = WorkspaceCopies(client, Path(tmp) / "workspaces", overlay=False)
            for label, workspaces in [("overlay workspace", copies), ("cp -a workspace", plain)]:

                def fresh(w: WorkspaceCopies = workspaces) -> None:
                    DockerSandbox(client, image, workspaces=w, name="bench/start").close()

                print(row(f"start + stop, {label} ({args.files} files)", timings(fresh, 5)))
            print(row(f"reset, overlay workspace ({args.files} files)", timings(box.reset, 5)))
        finally:
            box.close()


def report(box: DockerSandbox, client: object, ripgrep: str, calls: int) -> None:
    target = "pkg3/mod3/file3.ts"
    tools = {
        "read_file": ToolCall("read_file", {"rel_path": target}),
        "list_files (200 of the tree)": ToolCall("list_files", {"rel_dir": ".", "max_files": 200}),
        "write_file": ToolCall(
            "write_file", {"rel_path": "scratch.ts", "content": "export const x = 1;\n" * 50}
        ),
    }
    execs = {
        "read_file": f"cat {target}",
        "list_files (200 of the tree)": "find . -path ./.git -prune -o -type f -print | head -200",
        "write_file": "printf 'export const x = 1;\\n%.0s' $(seq 50) > scratch.ts",
    }
    print(f"tool calls: {calls} via the host-side channel vs {calls // 4} via one `docker exec` each")
    for name, call in tools.items():
        ours = timings(lambda call=call: run_tool(box.workspace, call), calls)
        sdk = timings(lambda cmd=execs[name]: box.exec(cmd, 30), calls // 4)
        print(row(f"{name}: host-side channel", ours, sdk))
        print(row(f"{name}: docker exec (SDK) per call", sdk))
    cli = timings(
        lambda: subprocess.run(
            ["docker", "exec", box.container_id, "cat", f"/work/repo/{target}"],
            capture_output=True,
            check=True,
        ),
        calls // 4,
    )
    print(row("read_file: `docker exec` CLI per call", cli))
    print()
    root = box.workspace.root
    print(
        f"grep over {sum(1 for _ in root.rglob('*.ts'))} files: "
        "ours (Python regex, ripgrep preselects) vs `rg -n`"
    )
    # selective literals, a literal in one line of every file, a word on every line (the 1,000-match
    # cap ends it), and a pattern with no literal for ripgrep to preselect by (every file in Python)
    patterns = [
        "quicksortPivot",
        r"f12\d_3\b",
        r"(?i)TODO",
        r"return x \* 7 \+ \w+",
        "number",
        r"\bf\d\d_\d\b",
    ]
    for pattern in patterns:
        call = ToolCall("grep", {"pattern": pattern, "max_matches": 1000})
        ours = timings(lambda call=call: run_tool(box.workspace, call), 9)
        rg = timings(
            lambda p=pattern: subprocess.run(
                [ripgrep, "-n", p, "."], cwd=root, capture_output=True, check=False
            ),
            9,
        )
        ratio = statistics.median(ours) / statistics.median(rg)
        print(
            row(f"grep {pattern!r}", ours)
            + f"  rg {statistics.median(rg) * 1000:6.1f} ms  ratio {ratio:4.2f}x"
        )


if __name__ == "__main__":
    main()
