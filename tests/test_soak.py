"""The short soak in CI (benchmarks/soak.py at a small size): 200 episodes at concurrency 8 in Docker
against the scripted server with HTTP faults, dropped connections, malformed and slow replies,
containers killed mid-episode, a hanging test command, a capped tool output, and the run directory's
disk filling up once (its own tmpfs: the run stops, the space is freed, the run resumes); every check
holds. (A Docker daemon restart is left to the benchmark: the other tests share the daemon.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, strict

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from soak import SoakOptions, own_tmpfs, run_soak

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_short_soak_loses_duplicates_and_leaks_nothing(tmp_path: Path, task_images: object) -> None:
    if os.geteuid() != 0:
        if strict():
            pytest.fail("the soak mounts a small tmpfs to fill up: it needs root")
        pytest.skip("the soak mounts a small tmpfs to fill up: it needs root")
    options = SoakOptions(
        out=tmp_path / "run",
        episodes=200,
        concurrency=8,
        sandbox="docker",
        fault_rate=0.05,
        kill_every_s=4.0,
        seed=1,
        workspaces=tmp_path / "workspaces",  # its own: other tests' episodes are no leftovers of it
        disk_full_after_s=30.0,
        disk_mib=64,
    )
    with own_tmpfs(options.out, options.disk_mib):
        report = run_soak(options)
    failed = [f"{check.name}: {check.detail}" for check in report.checks if not check.ok]
    assert not failed, failed
    assert report.episodes >= 200 and report.attempts > report.episodes  # faults happened and were retried
    assert report.kills > 0
    assert report.disk_full_stops == 1
