"""The short soak in CI (benchmarks/soak.py at a small size): episodes at concurrency 8 in Docker
against the scripted server with HTTP faults, dropped connections, malformed and slow replies,
containers killed mid-episode, a hanging test command and a capped tool output; every check holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from soak import SoakOptions, run_soak

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_short_soak_loses_duplicates_and_leaks_nothing(tmp_path: Path, task_images: object) -> None:
    options = SoakOptions(
        out=tmp_path / "run",
        episodes=45,
        concurrency=8,
        sandbox="docker",
        fault_rate=0.05,
        kill_every_s=4.0,
        seed=1,
        workspaces=tmp_path / "workspaces",  # its own: other tests' episodes are no leftovers of it
    )
    report = run_soak(options)
    failed = [f"{check.name}: {check.detail}" for check in report.checks if not check.ok]
    assert not failed, failed
    assert report.episodes >= 45 and report.attempts > report.episodes  # faults happened and were retried
    assert report.kills > 0
