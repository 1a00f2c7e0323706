"""A run killed with SIGKILL mid-run resumes to exactly one record per task."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentbench_ts.traces import TraceStore

from conftest import ADD_TESTS, BUGGY_ADD, FIXED_ADD, write_tree

TASKS = 6


def _slow_suite(root: Path) -> Path:
    """A suite whose test command takes a while, so the kill lands mid-run."""
    suite = {"name": "slow", "test_command": "sleep 0.5; node --test --test-reporter=tap test/"}
    write_tree(root, {"suite.json": json.dumps(suite)})
    for i in range(TASKS):
        task = {"name": f"add{i}", "instructions": "fix add", "fail_to_pass": ["adds small numbers"]}
        write_tree(
            root / f"add{i}",
            {
                "task.json": json.dumps(task),
                "repo/src/add.js": BUGGY_ADD,
                "repo/test/add.test.js": ADD_TESTS,
                "gold/src/add.js": FIXED_ADD,
            },
        )
    return root


def _agentbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "agentbench_ts.cli.main", *args]


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_one_record_per_task(tmp_path: Path) -> None:
    suite = _slow_suite(tmp_path / "suite")
    out = tmp_path / "run"
    args = _agentbench("run", "--suite", str(suite), "--model", "oracle", "--out", str(out))
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    episodes = out / "episodes.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if episodes.exists() and episodes.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded_before = episodes.read_bytes().count(b"\n")
    assert 2 <= recorded_before < TASKS, "the kill must land mid-run"

    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr

    records = list(TraceStore(out).episodes())
    assert sorted(r.task_id for r in records) == [f"slow/add{i}" for i in range(TASKS)]
    assert all(r.outcome == "resolved" for r in records)
    assert len({r.run_id for r in records}) == 1
    assert f"resolved         {TASKS}/{TASKS}" in done.stdout


@pytest.mark.docker
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_docker_run_leaves_no_container_behind(
    tmp_path: Path, docker_client, task_images, sig: int
) -> None:  # type: ignore[no-untyped-def]
    suite = _slow_suite(tmp_path / "suite")
    episodes = tmp_path / "agentbench-docker" / "episodes"  # the default workspaces folder under TMPDIR
    args = _agentbench(
        "run",
        "--suite",
        str(suite),
        "--model",
        "oracle",
        "--sandbox",
        "docker",
        "--out",
        str(tmp_path / "run"),
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    owner = {"label": f"agentbench.owner={socket.gethostname()}:{proc.pid}"}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not docker_client.containers.list(filters=owner):
        time.sleep(0.05)
    assert docker_client.containers.list(filters=owner), "no sandbox container appeared"
    assert list(episodes.glob(f"{proc.pid}-*")), "no workspace copy appeared"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert docker_client.containers.list(all=True, filters=owner) == []
    assert list(episodes.glob(f"{proc.pid}-*")) == []
