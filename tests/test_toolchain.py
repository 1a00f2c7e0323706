"""Toolchains pinned by a lock file are installed with `npm ci` on first use (a progress line says
so), once, in place where the folder is writable and in the cache where it is not."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentbench_ts.cli.main import main
from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.toolchain import INSTALLED_MARK, ensure_toolchain, is_installed
from agentbench_ts.traces import TraceStore

from conftest import ADD_TESTS, BUGGY_ADD, FIXED_ADD, write_tree


def make_toolchain(root: Path) -> Path:
    """A toolchain whose one dependency is a local package, so `npm ci` needs no registry."""
    write_tree(
        root / "helper",
        {"package.json": '{"name": "helper", "version": "1.0.0"}\n', "index.js": "exports.x = 1;\n"},
    )
    manifest = {"name": "toy-toolchain", "private": True, "devDependencies": {"helper": "file:../helper"}}
    write_tree(root / "toolchain", {"package.json": json.dumps(manifest)})
    subprocess.run(
        [
            "npm",
            "install",
            "--package-lock-only",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(root / "toolchain"),
        ],
        check=True,
        capture_output=True,
    )
    return root / "toolchain"


def test_the_first_use_installs_and_later_uses_reuse(tmp_path: Path) -> None:
    toolchain = make_toolchain(tmp_path)
    lines: list[str] = []
    assert not is_installed(toolchain)
    assert ensure_toolchain(toolchain, tmp_path / "cache", log=lines.append) == toolchain
    assert (toolchain / INSTALLED_MARK).is_file() and (toolchain / "node_modules" / "helper").exists()
    assert lines[0].startswith(f"installing the toolchain {toolchain} (npm ci")
    lines.clear()
    assert ensure_toolchain(toolchain, tmp_path / "cache", log=lines.append) == toolchain and lines == []


def test_concurrent_first_uses_install_once(tmp_path: Path) -> None:
    toolchain = make_toolchain(tmp_path)
    lines: list[str] = []
    with ThreadPoolExecutor(4) as pool:
        found = list(
            pool.map(lambda _: ensure_toolchain(toolchain, tmp_path / "c", log=lines.append), range(4))
        )
    assert found == [toolchain] * 4
    assert sum(line.startswith("installing") for line in lines) == 1


def test_a_toolchain_that_cannot_be_written_is_installed_in_the_cache(tmp_path: Path) -> None:
    toolchain = make_toolchain(tmp_path)
    found = ensure_toolchain(toolchain, tmp_path / "cache", in_place=False)  # as in a read-only site-packages
    assert found.is_relative_to(tmp_path / "cache") and is_installed(found) and not is_installed(toolchain)
    assert ensure_toolchain(toolchain, tmp_path / "cache", in_place=False) == found  # named by its lock


def test_a_folder_without_a_lock_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(SandboxError, match=r"has no package\.json and package-lock\.json"):
        ensure_toolchain(tmp_path, tmp_path / "cache")


def test_a_run_installs_the_suite_toolchain_on_first_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "suite"
    make_toolchain(suite)
    (suite / "suite.json").write_text(
        json.dumps(
            {"name": "toy", "toolchain": "toolchain", "test_command": "node --test --test-reporter=tap test/"}
        )
    )
    write_tree(suite / "add" / "repo", {"src/add.js": BUGGY_ADD, "test/add.test.js": ADD_TESTS})
    write_tree(suite / "add" / "gold", {"src/add.js": FIXED_ADD})
    (suite / "add" / "task.json").write_text(
        json.dumps({"name": "add", "instructions": "Fix add.", "fail_to_pass": ["adds small numbers"]})
    )
    out = tmp_path / "run"
    assert main(["run", "--suite", str(suite), "--model", "oracle", "--out", str(out)]) == 0
    assert (
        f"installing the toolchain {suite / 'toolchain'} (npm ci, first use only)" in capsys.readouterr().err
    )
    assert [e.outcome for e in TraceStore(out).episodes()] == ["resolved"]
