"""The layering contracts (pyproject's [tool.importlinter]) hold, and they do fail on an import that
points up: a copy of the package with one planted wrong-way import breaks the build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

LINT = [str(Path(sys.executable).with_name("lint-imports"))]


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        REPO_ROOT / "agentbench_ts", tmp_path / "agentbench_ts", ignore=shutil.ignore_patterns("node_modules")
    )
    return tmp_path


def test_the_package_keeps_its_layers(copy: Path) -> None:
    done = _lint(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        ("sandbox/base.py", "import agentbench_ts.tasks.task", "Layers: an import only points down"),
        ("tasks/task.py", "import agentbench_ts.runner.config", "Layers: an import only points down"),
        ("models/scripted.py", "import agentbench_ts.tasks.task", "Models and traces know no tasks"),
        (
            "mswe/specs.py",
            "import agentbench_ts.mswe.images",
            "mswe: each step calls only the steps below it",
        ),
        (
            "mswe/mirrors.py",
            "import agentbench_ts.mswe.bases",
            "mswe: each step calls only the steps below it",
        ),
    ],
)
def test_a_planted_wrong_way_import_breaks_the_contract(
    copy: Path, module: str, planted: str, broken: str
) -> None:
    target = copy / "agentbench_ts" / module
    target.write_text(target.read_text() + f"\n{planted}  # planted\n")
    done = _lint(copy)
    assert done.returncode != 0
    assert f"{broken}" in done.stdout and "BROKEN" in done.stdout
    assert planted.rsplit(maxsplit=1)[-1] in done.stdout
